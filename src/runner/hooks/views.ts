import { MODELS } from '../../core/catalog.js';
import { BflyError } from '../../core/errors.js';
import { applyChain } from '../../ml/chain.js';
import { type Frame, type FrameColumn, makeFrame, rowOf } from '../../ml/frame.js';
import type { DatasetSlot, InputColumn } from '../frames.js';
import { Lazy } from './sandbox.js';
import type { MetricsSlot, PartSlot, PredictionsSlot, SelectionSlot } from '../slots.js';

/**
 * A table as hooks see it: named columns (numbers as Float64Array with NaN for missing,
 * categories as arrays of strings or null), the target values (class labels or numbers) and
 * each row's number in the dataset. A hook may drop, add or reorder rows and columns, keeping
 * `y` (and `row`, when kept) the same length as the columns.
 */
export interface FrameView {
  rows: number;
  columns: Record<string, Float64Array | Array<string | null>>;
  target: string;
  y: Float64Array | string[];
  row: Int32Array;
}

function columnValues(frame: Frame, c: FrameColumn): Float64Array | Array<string | null> {
  if (c.kind === 'numeric') return frame.index === null ? c.values.slice(0, frame.rows) : Float64Array.from(frame.index, (r) => c.values[r]);
  if (c.kind === 'text') return Array.from({ length: frame.rows }, (_, i) => c.values[rowOf(frame, i)]);
  return Array.from({ length: frame.rows }, (_, i) => {
    const code = c.codes[rowOf(frame, i)];
    return code < 0 ? null : c.levels[code];
  });
}

/**
 * The hook's view of a table. Columns, `y` and `row` are {@link Lazy}: each is copied into the
 * sandbox when the hook first reads it (fresh copies, moved in without a second copy).
 */
function frameView(frame: Frame, y: Int32Array | Float64Array, classes: string[], rows: Int32Array, target: string): unknown {
  const columns: Record<string, () => unknown> = {};
  for (const c of frame.columns) columns[c.name] = () => columnValues(frame, c);
  return new Lazy(
    {
      y: () => (classes.length > 0 ? Array.from(y, (v) => classes[v]) : Float64Array.from(y)),
      row: () => Int32Array.from(rows),
    },
    { rows: frame.rows, target, columns: new Lazy(columns) },
  );
}

function bad(slot: string, hook: string, message: string): BflyError {
  return new BflyError('user_code', 'HOOK_BAD_RESULT', `hook ${hook} returned an invalid ${slot}: ${message}`, {
    hint: `return ${slot} as the hook got it: { rows, columns: { name: numbers or strings }, target, y, row }`,
    data: { hook, slot },
  });
}

/**
 * A frame from a hook's view, checked: every column and `y` as long as `rows`, known class
 * labels. Strings make a category column, or a text column when the column was text before (`text`).
 */
function parseFrameView(v: unknown, slot: string, hook: string, classes: string[], text: ReadonlySet<string>): { frame: Frame; y: Int32Array | Float64Array; rows: Int32Array; inputs: InputColumn[] } {
  if (v === null || typeof v !== 'object') throw bad(slot, hook, 'not an object');
  const view = v as Partial<FrameView>;
  const n = view.rows;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw bad(slot, hook, '`rows` must be a positive whole number');
  if (view.columns === null || typeof view.columns !== 'object') throw bad(slot, hook, '`columns` must be an object of named columns');
  const columns: FrameColumn[] = [];
  const inputs: InputColumn[] = [];
  for (const [name, values] of Object.entries(view.columns)) {
    const arr = values as unknown;
    const len = ArrayBuffer.isView(arr) ? (arr as Float64Array).length : Array.isArray(arr) ? arr.length : -1;
    if (len !== n) throw bad(slot, hook, `column ${JSON.stringify(name)} has ${len < 0 ? 'no array' : `${len} values`}, rows is ${n}`);
    if (ArrayBuffer.isView(arr)) {
      // A typed array came back: numbers already (it is a fresh copy, so it can be kept).
      columns.push({ kind: 'numeric', name, values: arr instanceof Float64Array ? arr : Float64Array.from(arr as unknown as ArrayLike<number>) });
      inputs.push({ name, type: 'number' });
      continue;
    }
    const list = arr as unknown[];
    if (list.every((x) => x === null || typeof x === 'number')) {
      columns.push({ kind: 'numeric', name, values: Float64Array.from(list, (x) => (x === null ? NaN : (x as number))) });
      inputs.push({ name, type: 'number' });
    } else if (list.every((x) => x === null || typeof x === 'string') && text.has(name)) {
      columns.push({ kind: 'text', name, values: list as Array<string | null> });
      inputs.push({ name, type: 'text' });
    } else if (list.every((x) => x === null || typeof x === 'string')) {
      const levels = [...new Set(list.filter((x): x is string => x !== null))].sort();
      const index = new Map(levels.map((l, i) => [l, i]));
      columns.push({ kind: 'categorical', name, levels, codes: Int32Array.from(list, (x) => (x === null ? -1 : index.get(x as string)!)) });
      inputs.push({ name, type: 'category', levels });
    } else throw bad(slot, hook, `column ${JSON.stringify(name)} mixes numbers and text`);
  }
  const yList = (ArrayBuffer.isView(view.y) ? view.y : Array.from((view.y ?? []) as ArrayLike<unknown>)) as ArrayLike<unknown> & Iterable<unknown>;
  if (yList.length !== n) throw bad(slot, hook, `y has ${yList.length} values, rows is ${n}`);
  let y: Int32Array | Float64Array;
  if (classes.length > 0) {
    const code = new Map(classes.map((c, i) => [c, i]));
    y = Int32Array.from(yList as ArrayLike<unknown>, (label) => {
      const k = code.get(String(label));
      if (k === undefined) throw bad(slot, hook, `y has the label ${JSON.stringify(label)}, not one of the classes ${classes.join(', ')}`);
      return k;
    });
  } else {
    y = Float64Array.from(yList as ArrayLike<number>);
    if (!y.every((x) => Number.isFinite(x))) throw bad(slot, hook, 'y must be finite numbers');
  }
  const rowList = view.row === undefined ? [] : Array.from(view.row as ArrayLike<number>);
  const rows = rowList.length === n ? Int32Array.from(rowList) : new Int32Array(n).fill(-1);
  return { frame: columns.length === 0 ? { rows: n, columns: [], index: null } : makeFrame(columns), y, rows, inputs };
}

/** The names of a frame's text columns. */
function textNames(frame: Frame): Set<string> {
  return new Set(frame.columns.flatMap((c) => (c.kind === 'text' ? [c.name] : [])));
}

/** Slots a hook may replace (by returning them); every other slot is shown read-only. */
export const WRITABLE_SLOTS = ['dataset', 'train', 'test', 'selection', 'metrics', 'predictions'] as const;

/**
 * A slot's value as a hook sees it: a fresh copy (plain objects and typed arrays that nothing
 * else holds, so their buffers can be transferred into the sandbox). Tables are shown
 * as the stage sees them: after the feature and preprocessing steps so far for those stages,
 * and as the model's input columns (`raw`, before the data chain) for the model stages, which
 * apply the chain themselves.
 */
export function slotToView(slot: string, value: unknown, target: string, raw = false): unknown {
  switch (slot) {
    case 'dataset': {
      const d = value as DatasetSlot;
      return frameView(d.frame, d.y, d.classes, d.rows, target);
    }
    case 'train':
    case 'test': {
      const p = value as PartSlot;
      return frameView(raw ? p.raw : applyChain(p.stages, p.raw), p.y, p.classes, p.rows, target);
    }
    case 'metrics':
      return { ...(value as MetricsSlot).values };
    case 'model': {
      // the model as model.json has it (an adapter model's pickle bytes stay out of the sandbox)
      const { files: _files, ...stored } = value as { files?: unknown };
      return slotToView('', stored, target);
    }
    case 'predictions': {
      const p = value as PredictionsSlot;
      return { row: Int32Array.from(p.rows), predicted: p.classes.length > 0 ? Array.from(p.predicted, (v) => p.classes[v]) : Float64Array.from(p.predicted), proba: p.proba === null ? null : Float64Array.from(p.proba), classes: [...p.classes] };
    }
    default:
      return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v)));
  }
}

/** What a slot becomes when a hook returns a new view of it (checked; errors are `user_code`). */
export function viewToSlot(slot: string, view: unknown, previous: unknown, hook: string, ctx: { classes: string[]; task: string }): unknown {
  switch (slot) {
    case 'dataset': {
      const d = previous as DatasetSlot;
      const f = parseFrameView(view, slot, hook, d.classes, textNames(d.frame));
      return { frame: f.frame, y: f.y, rows: f.rows, classes: d.classes, inputs: f.inputs, missingTarget: d.missingTarget } satisfies DatasetSlot;
    }
    case 'train':
    case 'test': {
      const p = previous as PartSlot | undefined;
      const classes = p?.classes ?? ctx.classes;
      const f = parseFrameView(view, slot, hook, classes, p === undefined ? new Set() : textNames(applyChain(p.stages, p.raw)));
      // The hook's table becomes the new starting point: later stages fit on it as it is.
      return { raw: f.frame, y: f.y, rows: f.rows, stages: [], classes, inputs: f.inputs } satisfies PartSlot;
    }
    case 'selection': {
      const v = view as Partial<SelectionSlot> | null;
      const info = typeof v?.model === 'string' ? MODELS[v.model] : undefined;
      if (info === undefined || !info.tasks.includes(ctx.task as never)) throw bad(slot, hook, `model must be one of: ${Object.keys(MODELS).filter((m) => MODELS[m].tasks.includes(ctx.task as never)).join(', ')}`);
      const parsed = info.params.safeParse({ ...info.taskDefaults?.[ctx.task as 'classification' | 'regression'], ...(v!.params ?? {}) });
      if (!parsed.success) throw bad(slot, hook, `params: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
      const prev = previous as SelectionSlot | undefined;
      const params = parsed.data as Record<string, unknown>;
      // Still the same candidate only when the hook kept its model and params.
      const kept = prev !== undefined && prev.model === v!.model && JSON.stringify(prev.params) === JSON.stringify(params);
      return {
        model: v!.model!,
        params,
        metric: prev?.metric ?? '',
        score: typeof v!.score === 'number' ? v!.score : NaN,
        ...(kept && prev.std !== undefined ? { std: prev.std } : {}),
        candidate: kept ? (prev.candidate ?? null) : null,
        label: kept && prev.label !== undefined ? prev.label : `${v!.model} (chosen by hook ${hook})`,
      } satisfies SelectionSlot;
    }
    case 'metrics': {
      const m = previous as MetricsSlot;
      if (view === null || typeof view !== 'object') throw bad(slot, hook, 'return metrics as { name: number }');
      const values: Record<string, number> = {};
      for (const [k, v] of Object.entries(view)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(slot, hook, `metric ${k} is not a finite number`);
        values[k] = v;
      }
      return { ...m, values };
    }
    case 'predictions': {
      const p = previous as PredictionsSlot;
      const v = view as { predicted?: ArrayLike<unknown>; proba?: ArrayLike<number> | null } | null;
      const list = Array.from(v?.predicted ?? []);
      if (list.length !== p.rows.length) throw bad(slot, hook, `predicted has ${list.length} values for ${p.rows.length} test rows`);
      const code = new Map(p.classes.map((c, i) => [c, i]));
      const predicted = Float64Array.from(list, (x) => {
        if (p.classes.length === 0) {
          if (typeof x !== 'number' || !Number.isFinite(x)) throw bad(slot, hook, 'predicted values must be finite numbers');
          return x;
        }
        const k = code.get(String(x));
        if (k === undefined) throw bad(slot, hook, `predicted label ${JSON.stringify(x)} is not one of ${p.classes.join(', ')}`);
        return k;
      });
      const k = p.classes.length;
      let proba: Float64Array | null = null;
      if (v?.proba != null) {
        const pl = Array.from(v.proba);
        if (k === 0 || pl.length !== p.rows.length * k || !pl.every((x) => typeof x === 'number' && x >= 0 && x <= 1)) throw bad(slot, hook, `proba must be rows × classes (${p.rows.length} × ${k}) numbers in [0, 1]`);
        proba = Float64Array.from(pl);
      } else if (k > 0) {
        // Labels only: the probability of the predicted class is 1.
        proba = new Float64Array(p.rows.length * k);
        predicted.forEach((c, i) => (proba![i * k + c] = 1));
      }
      return { ...p, predicted, proba } satisfies PredictionsSlot;
    }
    default:
      throw new BflyError('user_code', 'HOOK_READ_ONLY', `hook ${hook} tried to replace ${slot}, which hooks can read but not replace`, {
        hint: `hooks may return: ${WRITABLE_SLOTS.join(', ')}`,
        data: { hook, slot },
      });
  }
}
