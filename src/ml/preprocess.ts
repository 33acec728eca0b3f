import { type CategoricalColumn, type Frame, rowOf, takeRows } from './frame.js';
import { type CategoryColumns, type Matrix, lazyMatrix } from './matrix.js';

/** Options of the preprocessing (the `preprocess` block's config). */
export interface PreprocessOptions {
  impute: { numeric: 'mean' | 'median' | 'most_frequent' | 'constant'; categorical: 'most_frequent' | 'constant'; fill_value?: number | string };
  encode: { categorical: 'onehot' | 'ordinal'; min_frequency: number; max_levels: number };
  scale: 'standard' | 'minmax' | 'none';
  drop_constant: boolean;
  drop: string[];
}

/** The fitted state of one input column. */
export type FittedColumn =
  | { kind: 'numeric'; name: string; fill: number; center: number; scale: number }
  | { kind: 'onehot'; name: string; fill: string | null; levels: string[]; other: boolean }
  | { kind: 'ordinal'; name: string; fill: string | null; levels: string[] };

/** A fitted preprocessing: everything learnt from the training rows, as JSON. */
export interface FittedPreprocess {
  kind: 'preprocess';
  options: PreprocessOptions;
  columns: FittedColumn[];
  /** Why each left-out column was left out. */
  dropped: Array<{ name: string; reason: string }>;
  /** Names of the output features, in matrix column order. */
  features: string[];
}

/** The label of the group of rare (and unseen) levels in one-hot features. */
export const OTHER_LEVEL = '__other__';

function median(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

function mostFrequent(values: Float64Array): number {
  const counts = new Map<number, number>();
  let best = NaN;
  let bestCount = 0;
  for (const v of values) {
    const c = (counts.get(v) ?? 0) + 1;
    counts.set(v, c);
    // ties: the smallest value, as scikit-learn's SimpleImputer
    if (c > bestCount || (c === bestCount && v < best)) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/**
 * Learns the preprocessing from the training rows only (imputation values, kept levels,
 * numeric scaling), so nothing about other rows leaks into it. Text columns cannot be used by the models
 * and are left out (recorded in `dropped`, as are constant and listed columns).
 *
 * @example
 * const fitted = fitPreprocess(trainFrame, options);
 * const Xtrain = transformPreprocess(fitted, trainFrame).X;
 * const Xtest = transformPreprocess(fitted, testFrame).X;
 */
export function fitPreprocess(train: Frame, options: PreprocessOptions): FittedPreprocess {
  const n = train.rows;
  const columns: FittedColumn[] = [];
  const dropped: Array<{ name: string; reason: string }> = [];
  for (const col of train.columns) {
    if (options.drop.includes(col.name)) {
      dropped.push({ name: col.name, reason: 'listed in drop' });
      continue;
    }
    if (col.kind === 'numeric') {
      const present: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = col.values[rowOf(train, i)];
        if (v === v) present.push(v);
      }
      const sorted = Float64Array.from(present).sort();
      let fill: number;
      if (options.impute.numeric === 'constant') fill = typeof options.impute.fill_value === 'number' ? options.impute.fill_value : 0;
      else if (sorted.length === 0) fill = 0;
      else if (options.impute.numeric === 'mean') fill = sorted.reduce((a, b) => a + b, 0) / sorted.length;
      else if (options.impute.numeric === 'median') fill = median(sorted);
      else fill = mostFrequent(sorted);
      // statistics of the imputed training column
      const filled = Float64Array.from({ length: n }, (_, i) => {
        const v = col.values[rowOf(train, i)];
        return v === v ? v : fill;
      });
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (const v of filled) {
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (options.drop_constant && !(max > min)) {
        dropped.push({ name: col.name, reason: 'constant in the training rows' });
        continue;
      }
      const mean = sum / n;
      let ss = 0;
      for (const v of filled) ss += (v - mean) * (v - mean);
      const std = Math.sqrt(ss / n); // population std, as StandardScaler
      const [center, scale] = options.scale === 'standard' ? [mean, std > 0 ? std : 1] : options.scale === 'minmax' ? [min, max > min ? max - min : 1] : [0, 1];
      columns.push({ kind: 'numeric', name: col.name, fill, center, scale });
      continue;
    }
    if (col.kind === 'text') {
      dropped.push({ name: col.name, reason: 'free text that no text feature step reads ({op: text} turns it into numbers)' });
      continue;
    }
    // categorical
    const counts = new Float64Array(col.levels.length);
    let missing = 0;
    for (let i = 0; i < n; i++) {
      const c = col.codes[rowOf(train, i)];
      if (c < 0) missing++;
      else counts[c]++;
    }
    let fill: string | null = null;
    if (missing > 0 || options.impute.categorical === 'constant') {
      if (options.impute.categorical === 'constant') fill = typeof options.impute.fill_value === 'string' ? options.impute.fill_value : 'missing';
      else {
        let best = -1;
        counts.forEach((c, k) => {
          if (best === -1 || c > counts[best] || (c === counts[best] && col.levels[k] < col.levels[best])) best = k;
        });
        fill = best >= 0 && counts[best] > 0 ? col.levels[best] : 'missing';
      }
    }
    const effective = new Map<string, number>();
    col.levels.forEach((l, k) => counts[k] > 0 && effective.set(l, counts[k]));
    if (fill !== null && missing > 0) effective.set(fill, (effective.get(fill) ?? 0) + missing);
    if (options.drop_constant && effective.size <= 1) {
      dropped.push({ name: col.name, reason: 'constant in the training rows' });
      continue;
    }
    const byCount = [...effective.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const minCount = options.encode.min_frequency * n;
    if (options.encode.categorical === 'ordinal') {
      const levels = byCount.map(([l]) => l).sort();
      columns.push({ kind: 'ordinal', name: col.name, fill, levels });
      continue;
    }
    const kept = byCount.filter(([, c]) => c >= minCount).slice(0, options.encode.max_levels);
    const keptSet = new Set(kept.map(([l]) => l));
    const other = kept.length < byCount.length;
    const levels = kept.map(([l]) => l).sort();
    columns.push({ kind: 'onehot', name: col.name, fill, levels, other: other || !keptSet.size });
  }
  const fitted: FittedPreprocess = { kind: 'preprocess', options, columns, dropped, features: [] };
  fitted.features = featureNames(fitted);
  return fitted;
}

function featureNames(f: FittedPreprocess): string[] {
  return f.columns.flatMap((c) => (c.kind === 'onehot' ? [...c.levels.map((l) => `${c.name}=${l}`), ...(c.other ? [`${c.name}=${OTHER_LEVEL}`] : [])] : [c.name]));
}

/** For a fitted category column and the frame's column: each frame level's position among the kept levels (-1: none), and the fill's. */
function levelPositions(c: Extract<FittedColumn, { levels: string[] }>, src: CategoricalColumn): { map: Int32Array; fillPos: number } {
  const pos = new Map(c.levels.map((l, k) => [l, k]));
  return { map: Int32Array.from(src.levels, (l) => pos.get(l) ?? -1), fillPos: c.fill === null ? -1 : (pos.get(c.fill) ?? -1) };
}

/**
 * Per category column, how many rows of `frame` hold a level the fitted preprocessing never
 * saw (the unknownLevels of {@link transformPreprocess}; ordinal codes: also missing values
 * without a fill), without encoding the frame.
 */
export function unknownLevels(f: FittedPreprocess, frame: Frame): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of f.columns) {
    const src = frame.columns.find((x) => x.name === c.name);
    if (c.kind === 'numeric' || src?.kind !== 'categorical') continue;
    const { map, fillPos } = levelPositions(c, src);
    let unseen = 0;
    for (let i = 0; i < frame.rows; i++) {
      const code = src.codes[rowOf(frame, i)];
      if (unseenLevel(c, code, map, fillPos)) unseen++;
    }
    if (unseen > 0) out[c.name] = unseen;
  }
  return out;
}

/** Encodes a frame by the fitted state. */
function encode(f: FittedPreprocess, frame: Frame): { X: Matrix; unknown: Record<string, number> } {
  const n = frame.rows;
  const cols = f.features.length;
  const data = new Float64Array(n * cols);
  const unknown = encodeInto(f, frame, data, cols);
  const categories = preprocessCategories(f);
  return { X: categories.length === 0 ? { rows: n, cols, data } : { rows: n, cols, data, categories }, unknown };
}

/**
 * The model's matrix of `frame` by the fitted preprocessing, made when first read (see
 * lazyMatrix: a linear model's fit writes it straight into its own memory instead).
 */
export function preprocessMatrix(f: FittedPreprocess, frame: Frame): Matrix {
  const categories = preprocessCategories(f);
  const rowsOf = (only?: Int32Array): Frame => (only === undefined ? frame : takeRows(frame, only));
  if (categories.length === 0) return lazyMatrix(frame.rows, f.features.length, (out, stride, only) => encodeInto(f, rowsOf(only), out, stride));
  // categoryCodes of it, written from the frame (lazy too: the one-hot columns are never made)
  const codes = (groups: readonly CategoryColumns[]): Matrix => {
    const collapse = new Set(groups.map((g) => g.name));
    const cols = f.features.length - categories.reduce((a, g) => a + (collapse.has(g.name) ? g.width - 1 : 0), 0);
    return lazyMatrix(frame.rows, cols, (out, stride, only) => encodeInto(f, rowsOf(only), out, stride, collapse));
  };
  return lazyMatrix(frame.rows, f.features.length, (out, stride, only) => encodeInto(f, rowsOf(only), out, stride), { categories, codes });
}

/** Whether a row's level (`code` in the frame's column; -1 missing) is one the fitted column never saw (ordinal: also a missing value without a fill). */
function unseenLevel(c: Extract<FittedColumn, { levels: string[] }>, code: number, map: Int32Array, fillPos: number): boolean {
  return c.kind === 'ordinal' ? (code < 0 ? fillPos : map[code]) < 0 : code >= 0 && map[code] < 0;
}

/**
 * Encodes `frame` into `data` (zeros, rows `cols` values apart) by the fitted state; returns the
 * unknown levels per column. The category columns named in `codes` become one column of level
 * codes each, as categoryCodes makes them from the encoded columns (NaN: none).
 */
function encodeInto(f: FittedPreprocess, frame: Frame, data: Float64Array, cols: number, codes: ReadonlySet<string> = new Set()): Record<string, number> {
  const n = frame.rows;
  const unknown: Record<string, number> = {};
  let j = 0;
  for (const c of f.columns) {
    const src = frame.columns.find((x) => x.name === c.name);
    if (src === undefined) throw new RangeError(`column ${c.name} is missing`);
    if (c.kind === 'numeric') {
      if (src.kind !== 'numeric') throw new RangeError(`column ${c.name} must be numeric`);
      for (let i = 0; i < n; i++) {
        const v = src.values[rowOf(frame, i)];
        data[i * cols + j] = ((v === v ? v : c.fill) - c.center) / c.scale;
      }
      j++;
      continue;
    }
    if (src.kind !== 'categorical') throw new RangeError(`column ${c.name} must be categorical`);
    const { map, fillPos } = levelPositions(c, src);
    let unseen = 0;
    const asCode = codes.has(c.name);
    if (c.kind === 'ordinal') {
      const none = asCode ? NaN : -1;
      for (let i = 0; i < n; i++) {
        const code = src.codes[rowOf(frame, i)];
        const k = code < 0 ? fillPos : map[code];
        if (unseenLevel(c, code, map, fillPos)) unseen++;
        data[i * cols + j] = k < 0 ? none : k;
      }
      j++;
    } else {
      // a row's column among the group's (the `__other__` one last), -1 none
      const other = c.other ? c.levels.length : -1;
      for (let i = 0; i < n; i++) {
        const code = src.codes[rowOf(frame, i)];
        const k = code < 0 ? fillPos : map[code];
        const at = k >= 0 ? k : other;
        if (asCode) data[i * cols + j] = at >= 0 ? at : NaN;
        else if (at >= 0) data[i * cols + j + at] = 1;
        if (unseenLevel(c, code, map, fillPos)) unseen++;
      }
      j += asCode ? 1 : c.levels.length + (c.other ? 1 : 0);
    }
    if (unseen > 0) unknown[c.name] = unseen;
  }
  return unknown;
}

/** Where the fitted preprocessing puts each category column among its output columns (one-hot groups of two or more, ordinal codes). */
export function preprocessCategories(f: FittedPreprocess): CategoryColumns[] {
  const out: CategoryColumns[] = [];
  let j = 0;
  for (const c of f.columns) {
    const width = c.kind === 'onehot' ? c.levels.length + (c.other ? 1 : 0) : 1;
    if (c.kind === 'ordinal') out.push({ name: c.name, start: j, width: 1, levels: c.levels.length });
    else if (c.kind === 'onehot' && width >= 2) out.push({ name: c.name, start: j, width, levels: width });
    j += width;
  }
  return out;
}

/**
 * Applies a fitted preprocessing to any frame (training, test or new data): fills missing
 * values, scales numeric columns, encodes categories (0/1 one-hot, unscaled as in a
 * scikit-learn ColumnTransformer; rare and unseen levels go to the `__other__` feature, or to
 * all zeros without one). Returns the matrix and, per column, how many values had levels never
 * seen in training.
 */
export function transformPreprocess(f: FittedPreprocess, frame: Frame): { X: Matrix; unknownLevels: Record<string, number> } {
  const { X, unknown } = encode(f, frame);
  return { X, unknownLevels: unknown };
}
