import type { NumericStats } from './dataset.js';

/** Number of histogram bins in dataset statistics. */
export const HISTOGRAM_BINS = 20;

/** Distinct values counted exactly up to this many; beyond, an estimate. */
export const DISTINCT_EXACT_CAP = 1 << 16;

/**
 * The k-th smallest (0-based) of `a[lo..hi)` by in-place quickselect (Hoare partition,
 * median-of-three pivot). Reorders `a`.
 */
export function selectKth(a: Float64Array, k: number, lo = 0, hi = a.length): number {
  let l = lo;
  let r = hi - 1;
  while (r > l) {
    const m = (l + r) >>> 1;
    // median of three into a[m]
    if (a[m] < a[l]) swap(a, m, l);
    if (a[r] < a[l]) swap(a, r, l);
    if (a[r] < a[m]) swap(a, r, m);
    const pivot = a[m];
    let i = l;
    let j = r;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Quantiles of `values` (NaN = missing, ignored) with linear interpolation between order
 * statistics, as numpy's default. `ps` must be ascending in [0, 1]. Does not modify `values`.
 */
export function quantiles(values: Float64Array, ps: readonly number[]): Array<number | null> {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) n++;
  if (n === 0) return ps.map(() => null);
  const a = new Float64Array(n);
  let w = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) a[w++] = v;
  }
  const out: number[] = [];
  let from = 0;
  for (const p of ps) {
    const h = (n - 1) * p;
    const k = Math.floor(h);
    const xk = selectKth(a, k, from, n);
    from = k;
    let value = xk;
    if (h > k && k + 1 < n) {
      // After selecting k, everything right of k is >= a[k]: the next order statistic is their min.
      let next = Infinity;
      for (let i = k + 1; i < n; i++) if (a[i] < next) next = a[i];
      value = xk + (h - k) * (next - xk);
    }
    out.push(value);
  }
  return out;
}

/** A 32-bit FNV-1a hash of bytes `buf[start..end)`. */
export function fnv1a(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h >>> 0;
}

/** Mixes a 32-bit hash (murmur3 finaliser) so HyperLogLog sees well-spread bits. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** HyperLogLog distinct-count estimator (2^12 registers, ~1.6% standard error). */
export class HyperLogLog {
  private readonly registers = new Uint8Array(1 << 12);

  /** Adds a 32-bit hash. */
  add(hash: number): void {
    const h = mix32(hash);
    const idx = h >>> 20;
    const rest = (h << 12) | 0x800;
    const rank = Math.clz32(rest) + 1;
    if (rank > this.registers[idx]) this.registers[idx] = rank;
  }

  /** The estimated number of distinct hashes added. */
  estimate(): number {
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      sum += 2 ** -this.registers[i];
      if (this.registers[i] === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / m);
    let e = (alpha * m * m) / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * Math.log(m / zeros);
    return Math.round(e);
  }
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** Hash of a float64's bits (for distinct counting). */
function hashF64(v: number): number {
  F64[0] = v === 0 ? 0 : v; // -0 and 0 are one value
  return mix32(U32[0] ^ Math.imul(U32[1], 0x9e3779b1));
}

/**
 * Distinct non-missing values of `values`: exact up to `cap`, then a HyperLogLog estimate.
 */
export function countDistinct(values: Float64Array, cap = DISTINCT_EXACT_CAP): { distinct: number; approx: boolean } {
  const size = 1 << Math.ceil(Math.log2(cap * 2));
  const mask = size - 1;
  const table = new Float64Array(size).fill(NaN);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    let slot = hashF64(v) & mask;
    for (;;) {
      const t = table[slot];
      if (t !== t) {
        table[slot] = v;
        count++;
        break;
      }
      if (t === v) break;
      slot = (slot + 1) & mask;
    }
    if (count > cap) {
      const hll = new HyperLogLog();
      for (let j = 0; j < values.length; j++) if (values[j] === values[j]) hll.add(hashF64(values[j]));
      return { distinct: hll.estimate(), approx: true };
    }
  }
  return { distinct: count, approx: false };
}

/** Count, missing, mean, std (sample, n-1), min, max, p5..p95 and a 20-bin histogram. */
export function numericStats(values: Float64Array): NumericStats {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const missing = values.length - count;
  if (count === 0) {
    return { count, missing, mean: null, std: null, min: null, max: null, p5: null, p25: null, p50: null, p75: null, p95: null, histogram: null };
  }
  const mean = sum / count;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) ss += (v - mean) * (v - mean);
  }
  const std = count > 1 ? Math.sqrt(ss / (count - 1)) : 0;
  const [p5, p25, p50, p75, p95] = quantiles(values, [0.05, 0.25, 0.5, 0.75, 0.95]);
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  const width = (max - min) / HISTOGRAM_BINS;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    const b = width > 0 ? Math.min(HISTOGRAM_BINS - 1, Math.floor((v - min) / width)) : 0;
    counts[b]++;
  }
  return { count, missing, mean, std, min, max, p5, p25, p50, p75, p95, histogram: { min, max, counts } };
}
