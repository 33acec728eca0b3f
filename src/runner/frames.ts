import { type ColumnType, MISSING_MARKERS } from '../core/dataset.js';
import { type DayOrder, orderOfFormat, parseDate } from '../core/dates.js';
import { ValidationError } from '../core/errors.js';
import { type LoadedTable, classLabel } from '../store/columnar.js';
import { type FrameColumn, type Frame, makeFrame } from '../ml/frame.js';

/** A model input column as the model artifact records it. */
export interface InputColumn {
  name: string;
  type: ColumnType;
  /** Category levels seen in the dataset (codes index them). */
  levels?: string[];
  /** How the dataset writes the dates of a datetime column (e.g. `DD/MM/YYYY`), to read new rows alike. */
  format?: string;
}

/** The dataset as the run sees it: feature frame, encoded target, and which rows were kept. */
export interface DatasetSlot {
  frame: Frame;
  /** Class codes (classification) or values (regression). */
  y: Int32Array | Float64Array;
  /** Dataset row number of each frame row (rows with a missing target are left out). */
  rows: Int32Array;
  /** Class labels, sorted (empty for regression). */
  classes: string[];
  inputs: InputColumn[];
  /** Rows of the dataset left out because their target is missing. */
  missingTarget?: number;
}

function featureColumn(col: LoadedTable['columns'][number], keep: Int32Array): FrameColumn {
  switch (col.type) {
    case 'number':
      return { kind: 'numeric', name: col.name, values: Float64Array.from(keep, (r) => col.values[r]) };
    case 'integer':
    case 'datetime':
      return { kind: 'numeric', name: col.name, values: Float64Array.from(keep, (r) => col.values[r]), semantic: col.type };
    case 'boolean':
      return { kind: 'numeric', name: col.name, values: Float64Array.from(keep, (r) => (col.values[r] < 0 ? NaN : col.values[r])), semantic: 'boolean' };
    case 'category':
      return { kind: 'categorical', name: col.name, levels: col.levels, codes: Int32Array.from(keep, (r) => col.codes[r]) };
    case 'text':
      return { kind: 'text', name: col.name, values: Array.from(keep, (r) => col.values[r]) };
  }
}

/**
 * The run's view of a dataset: every column but the target as a feature (free text as text
 * columns, which a `text` feature step turns into numbers), the target encoded (classes sorted as strings,
 * numerically for integer targets), and rows whose target is missing dropped.
 */
export function datasetSlot(table: LoadedTable, target: string, task: 'classification' | 'regression'): DatasetSlot {
  const t = table.columns.find((c) => c.name === target);
  if (t === undefined) throw new ValidationError('UNKNOWN_TARGET', `the dataset has no column ${JSON.stringify(target)}`, { hint: 'recreate the experiment with an existing target column' });
  const labels: Array<string | null> = Array.from({ length: table.rows }, (_, i) => classLabel(t, i));
  const keep = Int32Array.from(labels.flatMap((l, i) => (l === null ? [] : [i])));
  if (keep.length < 2) throw new ValidationError('TOO_FEW_ROWS', `only ${keep.length} row(s) have a value in ${target}`, { hint: 'import a dataset with more labelled rows' });
  let y: Int32Array | Float64Array;
  let classes: string[] = [];
  if (task === 'classification') {
    const distinct = [...new Set(Array.from(keep, (r) => labels[r]!))];
    classes = t.type === 'integer' || t.type === 'number' ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
    const code = new Map(classes.map((c, i) => [c, i]));
    y = Int32Array.from(keep, (r) => code.get(labels[r]!)!);
  } else {
    if (t.type !== 'number' && t.type !== 'integer') throw new ValidationError('TARGET_NOT_NUMERIC', `regression needs a numeric target; ${target} is ${t.type}`, { hint: 'use --task classification, or another target' });
    const v = t.values as Float64Array;
    y = Float64Array.from(keep, (r) => v[r]);
  }
  const columns: FrameColumn[] = [];
  const inputs: InputColumn[] = [];
  for (const c of table.columns) {
    if (c.name === target) continue;
    columns.push(featureColumn(c, keep));
    inputs.push(c.type === 'category' ? { name: c.name, type: c.type, levels: c.levels } : c.type === 'datetime' && c.format !== undefined ? { name: c.name, type: c.type, format: c.format } : { name: c.name, type: c.type });
  }
  const frame = columns.length === 0 ? { rows: keep.length, columns: [], index: null } : makeFrame(columns);
  return { frame, y, rows: keep, classes, inputs, missingTarget: table.rows - keep.length };
}

/**
 * Whether a cell of text is missing, read as import reads a field: empty once spaces and tabs
 * are trimmed, or a missing marker (NA, N/A, null, NaN, ?; any case).
 */
export function isMissingCell(s: string): boolean {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  if (b - a > 4) return false;
  return b === a || MISSING.has((a === 0 && b === s.length ? s : s.slice(a, b)).toLowerCase());
}

const MISSING = new Set<string>(MISSING_MARKERS.map((m) => m.toLowerCase()));

/**
 * A cell of new data as a number of the training column's type (datetimes as epoch ms,
 * booleans 0/1; NaN for missing); a value that is not one is a validation error naming the
 * column and the data row (`row`, 0-based).
 */
export function cellNumber(v: unknown, type: ColumnType, column: string, row: number, order: DayOrder): number {
  if (v === null || v === undefined || (typeof v === 'string' && isMissingCell(v))) return NaN;
  if (type === 'boolean') {
    if (v === true || v === 1) return 1;
    if (v === false || v === 0) return 0;
    const s = String(v).trim().toLowerCase();
    if (['true', 't', 'yes', 'y', '1'].includes(s)) return 1;
    if (['false', 'f', 'no', 'n', '0'].includes(s)) return 0;
  } else if (type === 'datetime') {
    const ms = typeof v === 'number' ? v : parseDate(String(v), order);
    if (Number.isFinite(ms)) return ms;
  } else {
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (Number.isFinite(n)) return n;
    if (['na', 'n/a', 'nan', 'null', 'none', '-', '?'].includes(String(v).trim().toLowerCase())) return NaN;
  }
  throw new ValidationError('BAD_VALUE', `column ${JSON.stringify(column)} row ${row + 1}: ${JSON.stringify(v)} is not a ${type}`, {
    hint: `give ${column} values of type ${type}${type === 'datetime' ? ` (written ${order === 'DMY' ? 'day' : 'month'} first if numeric, as in the training data)` : ' (as in the training data)'}, or leave the cell empty for missing`,
    data: { column, row: row + 1 },
  });
}

/**
 * A frame of new rows (objects keyed by column name) for a trained model: columns matched by
 * name, extra columns ignored, values coerced to the training type. A missing input column or
 * a value that cannot be coerced is a validation error naming it; category levels unseen in
 * training are kept and handled by the fitted preprocessing like in training.
 */
export function recordsFrame(inputs: readonly InputColumn[], records: ReadonlyArray<Record<string, unknown>>, firstRow = 1): Frame {
  if (records.length > 0) {
    const missing = inputs.filter((c) => !records.some((r) => c.name in r));
    if (missing.length > 0) {
      throw new ValidationError('MISSING_COLUMN', `the input has no column ${missing.map((c) => JSON.stringify(c.name)).join(', ')}`, {
        hint: `the model needs: ${inputs.map((c) => c.name).join(', ')}`,
        data: { missing: missing.map((c) => c.name) },
      });
    }
  }
  const columns = inputs.map((c): FrameColumn => {
    if (c.type === 'category') {
      const levels = [...(c.levels ?? [])];
      const index = new Map(levels.map((l, i) => [l, i]));
      const codes = Int32Array.from(records, (r) => {
        const v = r[c.name];
        if (v === null || v === undefined || (typeof v === 'string' && isMissingCell(v))) return -1;
        const s = String(v);
        let k = index.get(s);
        if (k === undefined) index.set(s, (k = levels.push(s) - 1));
        return k;
      });
      return { kind: 'categorical', name: c.name, levels, codes };
    }
    if (c.type === 'text') {
      return { kind: 'text', name: c.name, values: records.map((r) => {
        const v = r[c.name];
        return v === null || v === undefined || (typeof v === 'string' && isMissingCell(v)) ? null : String(v);
      }) };
    }
    const order = orderOfFormat(c.format);
    const values = Float64Array.from(records, (r, i) => cellNumber(r[c.name], c.type, c.name, i + firstRow - 1, order));
    return c.type === 'number' ? { kind: 'numeric', name: c.name, values } : { kind: 'numeric', name: c.name, values, semantic: c.type };
  });
  return columns.length === 0 ? { rows: records.length, columns: [], index: null } : makeFrame(columns);
}
