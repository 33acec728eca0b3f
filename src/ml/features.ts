import { type Frame, type FrameColumn, type NumericColumn, type TextColumn, pickRows, rowOf } from './frame.js';
import { type FittedText, type TextOptions, fitText, transformText } from './text.js';

/** A feature step (the `features` block's `steps`, defaults filled in). */
export type FeatureStep =
  | { op: 'polynomial'; columns: string[]; degree: number; interaction_only: boolean }
  | { op: 'date_parts'; columns: string[]; parts: Array<'year' | 'month' | 'day' | 'dayofweek' | 'dayofyear' | 'hour'> }
  | { op: 'log1p'; columns: string[] }
  | { op: 'drop'; columns: string[] }
  | ({ op: 'text'; columns: string[] } & TextOptions);

/** What the feature steps learnt from the training rows: for each step, its text fits (null for stateless steps). */
export type FeatureFits = Array<FittedText[] | null>;

function numericTargets(frame: Frame, names: string[], op: string, want: (c: NumericColumn) => boolean): NumericColumn[] {
  const byName = new Map(frame.columns.map((c) => [c.name, c]));
  if (names.length === 0) return frame.columns.filter((c): c is NumericColumn => c.kind === 'numeric' && want(c));
  return names.map((n) => {
    const c = byName.get(n);
    if (c === undefined) throw new RangeError(`${op}: no column ${JSON.stringify(n)}`);
    if (c.kind !== 'numeric') throw new RangeError(`${op}: column ${JSON.stringify(n)} is ${c.kind === 'text' ? 'free text' : 'a category'}, not numeric${c.kind === 'text' ? ' (a text step turns text into numbers)' : ''}`);
    if (op === 'date_parts' && c.semantic !== 'datetime') throw new RangeError(`date_parts: column ${JSON.stringify(n)} holds ${c.semantic === undefined ? 'numbers' : `${c.semantic} values`}, not dates`);
    return c;
  });
}

/** The columns a text step reads: the named ones (text or category), or every text column. */
function textTargets(frame: Frame, names: string[]): Array<TextColumn | Extract<FrameColumn, { kind: 'categorical' }>> {
  if (names.length === 0) return frame.columns.filter((c): c is TextColumn => c.kind === 'text');
  const byName = new Map(frame.columns.map((c) => [c.name, c]));
  return names.map((n) => {
    const c = byName.get(n);
    if (c === undefined) throw new RangeError(`text: no column ${JSON.stringify(n)}`);
    if (c.kind === 'numeric') throw new RangeError(`text: column ${JSON.stringify(n)} holds ${c.semantic === 'datetime' ? 'dates' : 'numbers'}, not text`);
    return c;
  });
}

/** A text or category column's strings for the frame's rows. */
function textsOf(frame: Frame, c: TextColumn | Extract<FrameColumn, { kind: 'categorical' }>): Array<string | null> {
  return Array.from({ length: frame.rows }, (_, i) => {
    const r = rowOf(frame, i);
    if (c.kind === 'text') return c.values[r];
    return c.codes[r] < 0 ? null : c.levels[c.codes[r]];
  });
}

/** Values of a column for the frame's rows, as a new array (materialises the row subset). */
function valuesOf(frame: Frame, c: NumericColumn): Float64Array {
  return Float64Array.from({ length: frame.rows }, (_, i) => c.values[rowOf(frame, i)]);
}

/** Exponent combinations of `k` features with total degree 2..`degree` (in lexicographic order). */
function monomials(k: number, degree: number, interactionOnly: boolean): number[][] {
  const out: number[][] = [];
  const walk = (start: number, left: number, picked: number[]): void => {
    if (picked.length >= 2) out.push([...picked]);
    if (left === 0) return;
    for (let j = start; j < k; j++) {
      if (interactionOnly && picked.includes(j)) continue;
      walk(interactionOnly ? j + 1 : j, left - 1, [...picked, j]);
    }
  };
  walk(0, degree, []);
  return out;
}

const DAY = 86_400_000;

function datePart(ms: number, part: string): number {
  if (ms !== ms) return NaN;
  const d = new Date(ms);
  switch (part) {
    case 'year':
      return d.getUTCFullYear();
    case 'month':
      return d.getUTCMonth() + 1;
    case 'day':
      return d.getUTCDate();
    case 'dayofweek':
      return (d.getUTCDay() + 6) % 7; // Monday = 0, as pandas
    case 'dayofyear':
      return Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY) + 1;
    default:
      return d.getUTCHours();
  }
}

/**
 * The columns a polynomial step adds to a frame: each term's name (`a*b`, `a^2`) and the
 * columns it multiplies (a column twice for a square), in output order.
 */
export function polynomialTerms(f: Frame, step: Extract<FeatureStep, { op: 'polynomial' }>): Array<{ name: string; factors: string[] }> {
  const base = numericTargets(f, step.columns, 'polynomial', (c) => c.semantic !== 'datetime');
  return monomials(base.length, step.degree, step.interaction_only).map((combo) => {
    const counts = new Map<number, number>();
    for (const j of combo) counts.set(j, (counts.get(j) ?? 0) + 1);
    return { name: [...counts.entries()].map(([j, e]) => (e === 1 ? base[j].name : `${base[j].name}^${e}`)).join('*'), factors: combo.map((j) => base[j].name) };
  });
}

/**
 * Fits the feature steps on training rows: only `text` steps learn something (a vocabulary and
 * idf per column); the others are stateless. Returns the fits and the transformed frame.
 */
export function fitFeatures(frame: Frame, steps: readonly FeatureStep[]): { fits: FeatureFits; out: Frame } {
  const fits: FeatureFits = [];
  const out = runSteps(frame, steps, fits, true);
  return { fits, out };
}

/**
 * Applies feature steps in order, with what {@link fitFeatures} learnt from the training rows
 * (so test rows and new data are transformed alike, and nothing about them leaks in).
 * Polynomial terms are named `a*b`, `a^2`; date parts replace their column with `col.year`,
 * `col.month`, …; log1p replaces values (NaN below -1); drop removes columns; text replaces a
 * column with TF-IDF features `col:token`. Missing values propagate as NaN.
 *
 * @example
 * const out = applyFeatures(frame, [{ op: 'log1p', columns: ['price'] }]);
 */
export function applyFeatures(frame: Frame, steps: readonly FeatureStep[], fits: FeatureFits = []): Frame {
  return runSteps(frame, steps, [...fits], false);
}

function runSteps(frame: Frame, steps: readonly FeatureStep[], fits: FeatureFits, learn: boolean): Frame {
  let f = frame;
  for (const [k, step] of steps.entries()) {
    if (learn) fits[k] = null;
    if (step.op === 'text') {
      const targets = textTargets(f, step.columns);
      let fitted = fits[k];
      if (learn) fits[k] = fitted = targets.map((c) => fitText(c.name, textsOf(f, c), step));
      if (fitted === null || fitted === undefined) throw new RangeError('text: the step has not been fitted on training rows');
      const byColumn = new Map(fitted.map((t) => [t.column, t]));
      const columns: FrameColumn[] = [];
      for (const c of f.columns) {
        const fit = byColumn.get(c.name);
        if (fit === undefined || c.kind === 'numeric') {
          columns.push(c);
          continue;
        }
        const values = transformText(fit, textsOf(f, c), step);
        fit.features.forEach((name, j) => columns.push({ kind: 'numeric', name, values: values[j] }));
      }
      for (const t of fitted) if (!f.columns.some((c) => c.name === t.column)) throw new RangeError(`text: no column ${JSON.stringify(t.column)}`);
      f = materialise(f, columns, new Set(columns.filter((c) => !f.columns.includes(c)).map((c) => c.name)));
      continue;
    }
    if (step.op === 'drop') {
      for (const n of step.columns) if (!f.columns.some((c) => c.name === n)) throw new RangeError(`drop: no column ${JSON.stringify(n)}`);
      f = { ...f, columns: f.columns.filter((c) => !step.columns.includes(c.name)) };
      continue;
    }
    if (step.op === 'log1p') {
      const targets = new Set(numericTargets(f, step.columns, 'log1p', (c) => c.semantic !== 'datetime' && c.semantic !== 'boolean').map((c) => c.name));
      const columns = f.columns.map((c): FrameColumn => (c.kind === 'numeric' && targets.has(c.name) ? { kind: 'numeric', name: c.name, values: valuesOf(f, c).map((v) => (v >= -1 ? Math.log1p(v) : NaN)) } : c));
      f = materialise(f, columns, targets);
      continue;
    }
    if (step.op === 'date_parts') {
      const targets = numericTargets(f, step.columns, 'date_parts', (c) => c.semantic === 'datetime');
      const names = new Set(targets.map((c) => c.name));
      const columns: FrameColumn[] = [];
      for (const c of f.columns) {
        if (!names.has(c.name) || c.kind !== 'numeric') {
          columns.push(c);
          continue;
        }
        const v = valuesOf(f, c);
        for (const part of step.parts) columns.push({ kind: 'numeric', name: `${c.name}.${part}`, values: v.map((ms) => datePart(ms, part)), semantic: 'integer' });
      }
      f = materialise(f, columns, new Set(columns.filter((c) => !f.columns.includes(c)).map((c) => c.name)));
      continue;
    }
    const terms = polynomialTerms(f, step);
    const vals = new Map(terms.flatMap((t) => t.factors).map((n) => [n, valuesOf(f, f.columns.find((c) => c.name === n) as NumericColumn)]));
    const extra: NumericColumn[] = terms.map(({ name, factors }) => {
      const values = new Float64Array(f.rows).fill(1);
      for (const n of factors) {
        const v = vals.get(n)!;
        for (let i = 0; i < f.rows; i++) values[i] *= v[i];
      }
      return { kind: 'numeric', name, values };
    });
    f = materialise(f, [...f.columns, ...extra], new Set(extra.map((c) => c.name)));
  }
  return f;
}

/**
 * A frame whose new columns (`fresh`, built for the frame's current rows) sit beside old ones
 * that may still be indexed: old columns are materialised for the current rows too, so the
 * result has no index.
 */
function materialise(f: Frame, columns: FrameColumn[], fresh: Set<string>): Frame {
  if (f.index === null) return { rows: f.rows, columns, index: null };
  return {
    rows: f.rows,
    index: null,
    columns: columns.map((c): FrameColumn => {
      if (fresh.has(c.name) && !f.columns.includes(c)) return c;
      return pickRows(c, Array.from({ length: f.rows }, (_, i) => rowOf(f, i)));
    }),
  };
}
