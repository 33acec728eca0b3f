import type { Matrix } from './matrix.js';

/** The bin index reserved for missing values (NaN). */
export const MISSING_BIN = 255;

/** Per-feature bin thresholds: value v goes to the first bin whose upper edge is >= v. */
export interface BinMapperJson {
  kind: 'bins';
  /** upper[j] holds the (at most 254) upper edges of feature j; the last bin is open. */
  upper: number[][];
}

function sortedPresent(X: Matrix, j: number, rows: Int32Array | null, maxSamples: number): Float64Array {
  const n = rows === null ? X.rows : rows.length;
  const step = n > maxSamples ? n / maxSamples : 1;
  const out = new Float64Array(Math.ceil(n / step));
  let m = 0;
  for (let t = 0; t < n; t += step) {
    const i = rows === null ? Math.floor(t) : rows[Math.floor(t)];
    const v = X.data[i * X.cols + j];
    if (v === v) out[m++] = v;
  }
  return out.subarray(0, m).sort();
}

/**
 * Maps each feature to at most `maxBins` (<= 255) ordered bins plus a bin for missing values,
 * like scikit-learn's HistGradientBoosting: with few distinct values, one bin per value (edges
 * at midpoints); otherwise edges at quantiles of (a subsample of) the training rows.
 */
export class BinMapper {
  upper: Float64Array[] = [];

  constructor(readonly maxBins = 255) {
    if (maxBins < 2 || maxBins > 255) throw new RangeError('maxBins must be in [2, 255]');
  }

  fit(X: Matrix, rows: Int32Array | null = null, maxSamples = 200_000): this {
    this.upper = [];
    for (let j = 0; j < X.cols; j++) {
      const v = sortedPresent(X, j, rows, maxSamples);
      // the distinct values, as far as needed to know whether there are more than maxBins
      const distinct: number[] = [];
      for (let i = 0; i < v.length && distinct.length <= this.maxBins; i++) if (i === 0 || v[i] !== v[i - 1]) distinct.push(v[i]);
      let edges: number[];
      if (distinct.length <= this.maxBins) {
        edges = distinct.slice(0, -1).map((x, i) => (x + distinct[i + 1]) / 2);
      } else {
        edges = [];
        for (let b = 1; b < this.maxBins; b++) {
          const q = v[Math.min(v.length - 1, Math.floor((b * v.length) / this.maxBins))];
          if (edges.length === 0 || q > edges[edges.length - 1]) edges.push(q);
        }
      }
      this.upper.push(Float64Array.from(edges));
    }
    return this;
  }

  /** The bin of value `v` for feature `j`. */
  binOf(j: number, v: number): number {
    if (v !== v) return MISSING_BIN;
    const e = this.upper[j];
    let lo = 0;
    let hi = e.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v <= e[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Number of (non-missing) bins of feature `j`. */
  bins(j: number): number {
    return this.upper[j].length + 1;
  }

  /** The binned matrix, feature-major: bins of feature j for all rows at [j * rows, (j + 1) * rows). */
  transform(X: Matrix): Uint8Array {
    const { rows, cols, data } = X;
    const out = new Uint8Array(rows * cols);
    for (let j = 0; j < cols; j++) {
      const base = j * rows;
      const e = this.upper[j];
      const len = e.length;
      for (let i = 0; i < rows; i++) {
        const v = data[i * cols + j];
        if (v !== v) {
          out[base + i] = MISSING_BIN;
          continue;
        }
        // binOf's search, inlined
        let lo = 0;
        let hi = len;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (v <= e[mid]) hi = mid;
          else lo = mid + 1;
        }
        out[base + i] = lo;
      }
    }
    return out;
  }

  /** A real-valued threshold equivalent to "bin <= b" for feature `j`. */
  threshold(j: number, b: number): number {
    return b < this.upper[j].length ? this.upper[j][b] : Infinity;
  }

  toJSON(): BinMapperJson {
    return { kind: 'bins', upper: this.upper.map((u) => Array.from(u)) };
  }

  static fromJSON(j: BinMapperJson): BinMapper {
    const m = new BinMapper();
    m.upper = j.upper.map((u) => Float64Array.from(u));
    return m;
  }
}
