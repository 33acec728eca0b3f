import type { NumericStats } from './dataset.js';
import { STATS_WASM } from './stats.generated.js';
import { type WasmMemory, wasmInstance } from './wasm.js';

/** Number of histogram bins in dataset statistics. */
export const HISTOGRAM_BINS = 20;

/** Distinct values counted exactly up to this many; beyond, an estimate. */
export const DISTINCT_EXACT_CAP = 1 << 16;

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
  /** The registers (read and updated in place by the statistics kernel). */
  readonly registers = new Uint8Array(1 << 12);

  /** Adds a 32-bit hash. */
  add(hash: number): void {
    const h = mix32(hash);
    const idx = h >>> 20;
    const rest = (h << 12) | 0x800;
    const rank = Math.clz32(rest) + 1;
    if (rank > this.registers[idx]) this.registers[idx] = rank;
  }

  /** Adds everything another HyperLogLog's registers have seen (registers are maxima). */
  merge(registers: Uint8Array): void {
    for (let i = 0; i < this.registers.length; i++) if (registers[i] > this.registers[i]) this.registers[i] = registers[i];
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

/** Hash of a float64's bits (for distinct counting; -0 as 0). */
export function hashF64(v: number): number {
  F64[0] = v === 0 ? 0 : v; // -0 and 0 are one value
  return mix32(U32[0] ^ Math.imul(U32[1], 0x9e3779b1));
}

/** The loops of stats.wat. */
interface StatsWasm {
  moments(p: number, n: number, st: number): void;
  histograms(p: number, n: number, min: number, scale: number, mean: number, counts: number, last: number, fine: number, fineScale: number, fineLast: number, ss: number): void;
  collect(p: number, n: number, min: number, fineScale: number, fineLast: number, wanted: number, slots: number): void;
  hll(p: number, n: number, regs: number): void;
  distinct(p: number, n: number, table: number, mask: number, cap: number, count: number): number;
}

// The kernel's memory: state (f64s), HyperLogLog registers, the two histograms, the wanted
// fine bins and their write positions, a block of values, then the values collected by bin
// (quantiles) or a distinct counter's hash table (while it counts a block).
const K_ST = 0;
/** The distinct count (i32) for `distinct`. */
const K_COUNT = 48;
const K_REGS = 64;
const K_COUNTS = 4160;
const K_FINE = 4416;
const K_WANTED = K_FINE + 4096 * 8;
const K_SLOTS = K_WANTED + 4096 * 4;
const K_DATA = 65536;
const K_BLOCK = 65536;
const K_OUT = K_DATA + K_BLOCK * 8;

/** One instance of stats.wat per thread, made on first use. */
class StatsKernel {
  readonly wasm = wasmInstance<StatsWasm>(STATS_WASM);
  f64 = new Float64Array(0);
  u8 = new Uint8Array(0);
  i32 = new Int32Array(0);

  constructor() {
    this.ensure(K_OUT);
  }

  /** Grows the memory to at least `bytes` (re-making the views). */
  ensure(bytes: number): void {
    const memory: WasmMemory = this.wasm.memory;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    if (this.f64.buffer !== memory.buffer || this.f64.length === 0) {
      this.f64 = new Float64Array(memory.buffer);
      this.u8 = new Uint8Array(memory.buffer);
      this.i32 = new Int32Array(memory.buffer);
    }
  }

  /** Calls `run(n)` on `values` a block at a time, each first copied to K_DATA. */
  blocks(values: Float64Array, run: (n: number) => void): void {
    for (let i = 0; i < values.length; i += K_BLOCK) {
      const n = Math.min(K_BLOCK, values.length - i);
      this.f64.set(n === values.length ? values : values.subarray(i, i + n), K_DATA / 8);
      run(n);
    }
  }
}

let kernelInstance: StatsKernel | undefined;
function kernel(): StatsKernel {
  return (kernelInstance ??= new StatsKernel());
}

/** Adds `values` to a HyperLogLog (the same registers as adding hashF64 of each). */
function hllAdd(hll: HyperLogLog, values: Float64Array): void {
  const k = kernel();
  k.u8.set(hll.registers, K_REGS);
  k.blocks(values, (n) => k.wasm.hll(K_DATA, n, K_REGS));
  hll.registers.set(k.u8.subarray(K_REGS, K_REGS + hll.registers.length));
}

/**
 * Visits a column's values block by block, in order (so a whole column never has to be in
 * memory). The visited array may be reused between calls.
 */
export type BlockSource = (visit: (values: Float64Array) => void) => void;

/**
 * Counts distinct values exactly up to `cap` while feeding a HyperLogLog for beyond. The hash
 * table starts small and doubles as it fills, so a column with few values costs little (wide
 * tables have thousands of these).
 */
class DistinctCounter {
  private mask = 63;
  private table = new Float64Array(64).fill(NaN);
  /** Made when the count passes the cap (4 KiB of registers: a wide table has thousands of counters). */
  private hllMade: HyperLogLog | null = null;
  private count = 0;
  private exact = true;

  constructor(private readonly cap: number) {}

  private get hll(): HyperLogLog {
    return (this.hllMade ??= new HyperLogLog());
  }

  private insert(v: number, h: number): void {
    const { table, mask } = this;
    let slot = h & mask;
    for (;;) {
      const t = table[slot];
      if (t !== t) {
        table[slot] = v;
        this.count++;
        return;
      }
      if (t === v) return;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2).fill(NaN);
    this.mask = this.table.length - 1;
    this.count = 0;
    for (let i = 0; i < old.length; i++) {
      const v = old[i];
      if (v === v) this.insert(v, hashF64(v));
    }
  }

  /** Adds the values (the hash table goes through the kernel's memory, after its block). */
  add(values: Float64Array): void {
    if (this.count === 0 && this.exact && this.table.length < 1024 && this.table.length < values.length * 2) {
      // sized for the first values at once (up to 1,024 slots) rather than grown a doubling at a time
      let size = this.table.length;
      while (size < 1024 && size < values.length * 2) size *= 2;
      this.table = new Float64Array(size).fill(NaN);
      this.mask = size - 1;
    }
    const k = kernel();
    let i = 0;
    while (i < values.length && this.exact) {
      const n = Math.min(K_BLOCK, values.length - i);
      k.f64.set(values.subarray(i, i + n), K_DATA / 8);
      this.tableIn(k);
      let j = 0;
      // the kernel stops early only past the cap or at a half-full table
      for (;;) {
        j += k.wasm.distinct(K_DATA + j * 8, n - j, K_OUT, this.mask, this.cap, K_COUNT);
        this.count = k.i32[K_COUNT / 4];
        this.tableOut(k);
        if (this.count > this.cap) {
          this.overflow();
          break;
        }
        if (this.count * 2 > this.table.length) this.grow();
        if (j === n) break;
        this.tableIn(k);
      }
      i += j;
    }
    if (i < values.length) hllAdd(this.hll, i === 0 ? values : values.subarray(i));
  }

  private tableIn(k: StatsKernel): void {
    k.ensure(K_OUT + this.table.length * 8);
    k.f64.set(this.table, K_OUT / 8);
    k.i32[K_COUNT / 4] = this.count;
  }

  private tableOut(k: StatsKernel): void {
    this.table.set(k.f64.subarray(K_OUT / 8, K_OUT / 8 + this.table.length));
  }

  /**
   * Past the cap: from here on only the estimate. The HyperLogLog starts from the distinct
   * values so far, which gives the same registers as every value so far (adding a hash again
   * changes nothing), without hashing values into it while the count is still exact.
   */
  private overflow(): void {
    hllAdd(this.hll, this.table);
    this.exact = false;
    this.table = new Float64Array(0);
  }

  result(): { distinct: number; approx: boolean } {
    return this.exact ? { distinct: this.count, approx: false } : { distinct: this.hll.estimate(), approx: true };
  }
}

/**
 * Distinct non-missing values of `values`: exact up to `cap`, then a HyperLogLog estimate
 * (kept alongside in the same pass).
 */
export function countDistinct(values: Float64Array, cap = DISTINCT_EXACT_CAP): { distinct: number; approx: boolean } {
  const d = new DistinctCounter(cap);
  d.add(values);
  return d.result();
}

interface Moments {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** Adds the values that are not NaN to the moments, in order. */
function addMoments(m: Moments, values: Float64Array): void {
  const k = kernel();
  const st = k.f64;
  st[0] = m.count;
  st[1] = m.sum;
  st[2] = m.min;
  st[3] = m.max;
  k.blocks(values, (n) => k.wasm.moments(K_DATA, n, K_ST));
  m.count = k.f64[0];
  m.sum = k.f64[1];
  m.min = k.f64[2];
  m.max = k.f64[3];
}

const FINE_BINS = 4096;
/** Up to this many values, quantiles come from sorting them all (the same exact order statistics). */
const SORT_QUANTILES_MAX = 4096;

/**
 * Exact quantiles (numpy's linear interpolation) from a fine histogram: the order statistics
 * needed are located in their bins, and only those bins' values are collected and sorted.
 */
/**
 * The same quantiles as {@link histogramQuantiles} by sorting every value: cheaper for a few
 * (a wide table's columns), where locating bins costs more than the sort.
 */
function sortedQuantiles(each: BlockSource, count: number, ps: readonly number[]): number[] {
  const all = new Float64Array(count);
  let n = 0;
  each((values) => {
    for (let i = 0; i < values.length; i++) if (values[i] === values[i]) all[n++] = values[i];
  });
  all.sort();
  return ps.map((p) => {
    const h = (count - 1) * p;
    const k = Math.floor(h);
    return h > k ? all[k] + (h - k) * (all[k + 1] - all[k]) : all[k];
  });
}

function histogramQuantiles(each: BlockSource, count: number, min: number, max: number, fine: Float64Array, ps: readonly number[]): number[] {
  const fineScale = max > min ? fine.length / (max - min) : 0;
  const cum = new Float64Array(fine.length + 1);
  for (let i = 0; i < fine.length; i++) cum[i + 1] = cum[i] + fine[i];
  const binOf = (rank: number): number => {
    let lo = 0;
    let hi = fine.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid + 1] > rank) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const wanted = new Int32Array(fine.length).fill(-1);
  const bins: number[] = [];
  for (const p of ps) {
    const h = (count - 1) * p;
    for (const r of [Math.floor(h), Math.min(count - 1, Math.floor(h) + 1)]) {
      const b = binOf(r);
      if (wanted[b] === -1) {
        wanted[b] = bins.length;
        bins.push(b);
      }
    }
  }
  // the wanted bins' values, each bin's after the last, from K_OUT
  const k = kernel();
  const firstAt: number[] = [];
  let total = 0;
  for (const b of bins) {
    firstAt.push(K_OUT + total * 8);
    total += fine[b];
  }
  k.ensure(K_OUT + total * 8);
  k.i32.set(wanted, K_WANTED / 4);
  k.i32.set(firstAt, K_SLOTS / 4);
  each((values) => k.blocks(values, (n) => k.wasm.collect(K_DATA, n, min, fineScale, fine.length - 1, K_WANTED, K_SLOTS)));
  const out = bins.map((b, s) => k.f64.slice(firstAt[s] / 8, firstAt[s] / 8 + fine[b]));
  for (const arr of out) arr.sort();
  const at = (rank: number): number => {
    const b = binOf(rank);
    return out[wanted[b]][rank - cum[b]];
  };
  return ps.map((p) => {
    const h = (count - 1) * p;
    const k = Math.floor(h);
    const xk = at(k);
    return h > k ? xk + (h - k) * (at(k + 1) - xk) : xk;
  });
}

/**
 * The first statistics pass (count, sum, min, max, distinct values), fed block by block, e.g.
 * while a column is being parsed so the values are still in memory.
 */
export class FirstPass {
  readonly moments: Moments = { count: 0, sum: 0, min: Infinity, max: -Infinity };
  readonly distinct: DistinctCounter;
  rows = 0;

  constructor(cap = DISTINCT_EXACT_CAP) {
    this.distinct = new DistinctCounter(cap);
  }

  add(values: Float64Array): void {
    this.rows += values.length;
    addMoments(this.moments, values);
    this.distinct.add(values);
  }
}

/** What {@link numericStatsFromBlocks} returns. */
export interface ColumnSummary {
  stats: NumericStats;
  distinct: number;
  approx: boolean;
}

/**
 * Count, missing, mean, std (sample, n-1), min, max, exact p5..p95, a 20-bin histogram and the
 * distinct count, in streaming passes over the column's blocks (three, or two when the
 * {@link FirstPass} was fed while parsing): memory stays the same whatever the number of rows.
 */
export function numericStatsFromBlocks(each: BlockSource, first?: FirstPass): ColumnSummary {
  let pass = first;
  if (pass === undefined) {
    const p = new FirstPass();
    each((values) => p.add(values));
    pass = p;
  }
  const { rows, distinct } = pass;
  const { count, sum, min, max } = pass.moments;
  const missing = rows - count;
  if (count === 0) {
    return { stats: { count, missing, mean: null, std: null, min: null, max: null, p5: null, p25: null, p50: null, p75: null, p95: null, histogram: null }, distinct: 0, approx: false };
  }
  const mean = sum / count;
  const scale = max > min ? HISTOGRAM_BINS / (max - min) : 0;
  const fineScale = (scale * FINE_BINS) / HISTOGRAM_BINS;
  const k = kernel();
  k.f64.fill(0, K_COUNTS / 8, K_FINE / 8 + FINE_BINS);
  k.f64[4] = 0; // the sum of squared deviations, over all values in order
  each((values) => k.blocks(values, (n) => k.wasm.histograms(K_DATA, n, min, scale, mean, K_COUNTS, HISTOGRAM_BINS - 1, K_FINE, fineScale, FINE_BINS - 1, K_ST + 32)));
  const ss = k.f64[4];
  const counts = k.f64.slice(K_COUNTS / 8, K_COUNTS / 8 + HISTOGRAM_BINS);
  const std = count > 1 ? Math.sqrt(ss / (count - 1)) : 0;
  const ps = [0.05, 0.25, 0.5, 0.75, 0.95];
  const [p5, p25, p50, p75, p95] = count <= SORT_QUANTILES_MAX && Number.isFinite(min) && Number.isFinite(max) ? sortedQuantiles(each, count, ps) : histogramQuantiles(each, count, min, max, k.f64.slice(K_FINE / 8, K_FINE / 8 + FINE_BINS), ps);
  return { stats: { count, missing, mean, std, min, max, p5, p25, p50, p75, p95, histogram: { min, max, counts: Array.from(counts) } }, distinct: distinct.result().distinct, approx: distinct.result().approx };
}

/** Count, missing, mean, std (sample, n-1), min, max, p5..p95 and a 20-bin histogram. */
export function numericStats(values: Float64Array): NumericStats {
  return numericStatsFromBlocks((visit) => visit(values)).stats;
}
