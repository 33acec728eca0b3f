import { Kernels } from './wasm/kernels.js';

/** A dense row-major matrix of float64: element (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
  /** The category columns among the columns, when a preprocessing made them (see {@link CategoryColumns}). */
  categories?: CategoryColumns[];
  /** Row weights (a `sample_weight` column) for the models that take them (see takesSampleWeight in src/core/catalog.ts). */
  weights?: Float64Array;
  /**
   * Writes the rows into `out` with rows `stride` values apart, without making `data` (a
   * {@link lazyMatrix}: a fit that copies the rows into its own memory, as the linear models'
   * WebAssembly memory, then never holds two copies of them).
   */
  writeRows?: (out: Float64Array, stride: number) => void;
  /**
   * The same rows with `groups` as code columns (what {@link categoryCodes} returns), written
   * from the source without making `data` (a preprocessing's lazy matrix: gradient boosting on
   * a table's categories then never holds their one-hot columns).
   */
  codes?: (groups: readonly CategoryColumns[]) => Matrix;
  /**
   * The given rows, in that order, as a matrix of their own, written from the source when `data`
   * is not made yet (a lazy matrix: {@link subsetRows} and the binning of the tree models read a
   * few rows at a time through it, and the whole matrix is never made).
   */
  take?: (rows: Int32Array) => Matrix;
}

/**
 * A rows × cols matrix whose `data` is made by `write` (into an array of its size, stride cols:
 * every row, or the rows `only` in that order) on first read and kept; `writeRows` writes it
 * elsewhere without keeping it, `take` some of its rows.
 */
export function lazyMatrix(rows: number, cols: number, write: (out: Float64Array, stride: number, only?: Int32Array) => void, extra: Pick<Matrix, 'categories' | 'codes'> = {}): Matrix {
  let data: Float64Array | null = null;
  const m: Matrix = {
    rows,
    cols,
    get data(): Float64Array {
      if (data === null) {
        data = new Float64Array(rows * cols);
        write(data, cols);
      }
      return data;
    },
    writeRows: (out, stride) => (data !== null ? copyRowsPadded(out, data, 0, rows, cols, stride) : write(out, stride)),
    take: (only) => {
      if (data !== null) return { rows: only.length, cols, data: gatherRows(data, cols, only) };
      const out = new Float64Array(only.length * cols);
      write(out, cols, only);
      return { rows: only.length, cols, data: out };
    },
    ...extra,
  };
  return m;
}

/** Rows `rows` (in that order) of a row-major array of width `cols`, as a new array. */
function gatherRows(data: Float64Array, cols: number, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length * cols);
  for (let t = 0; t < rows.length; t++) out.set(data.subarray(rows[t] * cols, (rows[t] + 1) * cols), t * cols);
  return out;
}

/**
 * Where a category column of the table is among a matrix's columns: `width` columns from
 * `start`, either one holding level codes 0..levels-1 (an ordinal encoding: negative or NaN
 * when missing or never seen) or one 0/1 column per level (one-hot: none hot when missing).
 */
export interface CategoryColumns {
  name: string;
  start: number;
  width: number;
  levels: number;
}

/**
 * X with each of `groups`' columns made one column of level codes (0..levels-1; NaN when
 * missing or never seen), in place of the group's first column; the others as they are.
 */
export function categoryCodes(X: Matrix, groups: readonly CategoryColumns[]): Matrix {
  if (X.codes !== undefined) return X.codes(groups);
  const starts = new Map(groups.map((g) => [g.start, g]));
  // per output column: its first source column and width (0: a number copied)
  const src: number[] = [];
  const width: number[] = [];
  for (let j = 0; j < X.cols; ) {
    const g = starts.get(j);
    src.push(j);
    width.push(g === undefined ? 0 : g.width);
    j += g === undefined ? 1 : g.width;
  }
  const cols = src.length;
  const { rows, data } = X;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * X.cols;
    for (let c = 0; c < cols; c++) {
      const w = width[c];
      const v = data[o + src[c]];
      if (w === 0) out[i * cols + c] = v;
      else if (w === 1) out[i * cols + c] = v >= 0 ? v : NaN;
      else {
        let code = NaN;
        for (let k = 0; k < w; k++) if (data[o + src[c] + k] > 0.5) code = k;
        out[i * cols + c] = code;
      }
    }
  }
  return { rows, cols, data: out };
}

/** A matrix from an array of rows (for tests and small inputs). */
export function matrixFromRows(rows: ReadonlyArray<ArrayLike<number>>): Matrix {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0].length;
  const data = new Float64Array(r * c);
  rows.forEach((row, i) => {
    if (row.length !== c) throw new RangeError(`row ${i} has ${row.length} values, expected ${c}`);
    for (let j = 0; j < c; j++) data[i * c + j] = row[j];
  });
  return { rows: r, cols: c, data };
}

/**
 * Solves A x = b for a symmetric positive-definite n×n `a` (row-major) by Cholesky
 * factorisation. Returns null when `a` is not positive definite.
 */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(sum > 0)) return null;
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j];
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * n + k] * y[k];
    y[i] = sum / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * x[k];
    x[i] = sum / l[i * n + i];
  }
  return x;
}

/**
 * Copies `rows` rows of width `d`, from row `from` of `src`, to the start of `dst` with a row
 * stride of `dp` >= d (the wasm kernels take even widths; the padding is left as it is).
 */
export function copyRowsPadded(dst: Float64Array, src: Float64Array, from: number, rows: number, d: number, dp: number): void {
  if (dp === d) dst.set(src.subarray(from * d, (from + rows) * d));
  else for (let i = 0; i < rows; i++) dst.set(src.subarray((from + i) * d, (from + i + 1) * d), i * dp);
}

/** Rows per block of {@link linearScores}. */
const SCORE_BLOCK = 4096;
/** One instance for all calls (they are synchronous and call nothing back); it grows as needed. */
let scratch: Kernels | null = null;

/**
 * Linear scores of every row: out[i * k + c] = intercept[c] + Σ_j X[i, j] · coef[c * d + j],
 * in the `scores` WebAssembly kernel (SIMD; even and odd features in two lanes, then the
 * intercept), a block of rows at a time copied into its memory.
 */
export function linearScores(X: Matrix, coef: Float64Array, intercept: ArrayLike<number>, k: number): Float64Array {
  const out = new Float64Array(X.rows * k);
  scoreBlocks(X, coef, intercept, k, (km, at, start, rows) => out.set(km.f64(at, rows * k), start * k));
  return out;
}

/**
 * The class of every row from the scores of {@link linearScores}: for k = 1 (binary), 1 when
 * the score is > 0, else 0; for more, the first index of the largest score. As float codes.
 */
export function linearClasses(X: Matrix, coef: Float64Array, intercept: ArrayLike<number>, k: number): Float64Array {
  const out = new Float64Array(X.rows);
  scoreBlocks(X, coef, intercept, k, (km, at, start, rows) => {
    km.fn.classes(at, rows, k, at); // in place: each row's class goes where its first score was read
    out.set(km.f64(at, rows), start);
  });
  return out;
}

/** Runs the `scores` kernel on blocks of X's rows; `done` gets each block's scores (rows × k at `at`). */
function scoreBlocks(X: Matrix, coef: Float64Array, intercept: ArrayLike<number>, k: number, done: (km: Kernels, at: number, start: number, rows: number) => void): void {
  const { rows: n, cols: d, data } = X;
  const block = Math.min(SCORE_BLOCK, Math.max(1, n));
  const km = (scratch ??= new Kernels());
  km.reset();
  const at = { x: km.alloc(block * d * 8), w: km.alloc(k * d * 8), b: km.alloc(k * 8), s: km.alloc(block * k * 8) };
  const x = km.f64(at.x, block * d);
  km.f64(at.w, k * d).set(coef.subarray(0, k * d));
  km.f64(at.b, k).set(intercept);
  for (let start = 0; start < n; start += block) {
    const rows = Math.min(block, n - start);
    x.set(data.subarray(start * d, (start + rows) * d));
    km.fn.scores(at.x, rows, d, at.w, at.b, k, at.s);
    done(km, at.s, start, rows);
  }
}

/** The values of `y` at `rows`, in that order (a copy of the same kind: class codes stay an Int32Array). */
export function takeValues<T extends Int32Array | Float64Array>(y: T, rows: ArrayLike<number>): T {
  return (y instanceof Int32Array ? Int32Array.from(rows, (i) => y[i]) : Float64Array.from(rows, (i) => y[i])) as T;
}

/** The given rows of a matrix, in that order (a copy). */
export function subsetRows(X: Matrix, rows: Int32Array): Matrix {
  const data = X.take !== undefined ? X.take(rows).data : gatherRows(X.data, X.cols, rows);
  const out: Matrix = { rows: rows.length, cols: X.cols, data };
  if (X.categories !== undefined) out.categories = X.categories;
  if (X.weights !== undefined) out.weights = takeValues(X.weights, rows);
  return out;
}
