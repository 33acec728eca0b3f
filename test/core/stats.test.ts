import { describe, expect, it } from 'vitest';
import { ByteDict } from '../../src/core/byte-dict.js';
import { countDistinct, FirstPass, hashF64, HyperLogLog, numericStats } from '../../src/core/stats.js';
import { seededRandom } from '../helpers.js';

function numpyLinear(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const k = Math.floor(h);
  return k + 1 < sorted.length ? sorted[k] + (h - k) * (sorted[k + 1] - sorted[k]) : sorted[k];
}

describe('numericStats', () => {
  it('matches hand-computed values on a small column with missing values', () => {
    const s = numericStats(Float64Array.from([1, 2, NaN, 3, 4, 10]));
    expect(s.count).toBe(5);
    expect(s.missing).toBe(1);
    expect(s.mean).toBe(4);
    expect(s.std).toBeCloseTo(Math.sqrt((9 + 4 + 1 + 0 + 36) / 4), 12);
    expect([s.min, s.max, s.p50]).toEqual([1, 10, 3]);
    expect(s.p25).toBe(2);
    expect(s.p95).toBeCloseTo(4 + 0.8 * 6, 12);
    expect(s.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(s.histogram!.counts[19]).toBe(1); // the 10 lands in the last bin
  });

  it('gives exact numpy-style quantiles on large skewed data', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const xs = Float64Array.from({ length: 50_000 }, (_, i) => (i % 97 === 0 ? NaN : Math.exp(rnd() * 10)));
    const sorted = [...xs].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    const s = numericStats(xs);
    for (const [p, v] of [[0.05, s.p5], [0.25, s.p25], [0.5, s.p50], [0.75, s.p75], [0.95, s.p95]] as const) {
      expect(v).toBe(numpyLinear(sorted, p));
    }
  });

  it('handles an all-missing and a constant column', () => {
    expect(numericStats(Float64Array.from([NaN, NaN])).mean).toBeNull();
    const c = numericStats(new Float64Array(10).fill(3));
    expect([c.min, c.max, c.std, c.p5, c.p95]).toEqual([3, 3, 0, 3, 3]);
    expect(c.histogram!.counts[0]).toBe(10);
  });
});

/** The statistics loops written plainly (what stats.wat must reproduce bit for bit). */
function referenceStats(xs: Float64Array): { count: number; sum: number; min: number; max: number; std: number; counts: number[] } {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of xs) {
    if (Number.isNaN(v)) continue;
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / count;
  const scale = max > min ? 20 / (max - min) : 0;
  const counts = new Array<number>(20).fill(0);
  let ss = 0;
  for (const v of xs) {
    if (Number.isNaN(v)) continue;
    ss += (v - mean) * (v - mean);
    counts[Math.min(19, Math.trunc((v - min) * scale))]++;
  }
  return { count, sum, min, max, std: count > 1 ? Math.sqrt(ss / (count - 1)) : 0, counts };
}

describe('statistics kernels (stats.wat)', () => {
  it('give the bits of the plain loops: sums in order, min/max, std, histogram, across blocks', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const n of [1, 7, 65_535, 65_536, 65_537, 200_003]) {
      const xs = Float64Array.from({ length: n }, (_, i) => (i % 13 === 5 ? NaN : i % 17 === 0 ? -0 : (rnd() - 0.3) * 10 ** Math.floor(rnd() * 12)));
      const s = numericStats(xs);
      const r = referenceStats(xs);
      expect([s.count, s.min, s.max]).toEqual([r.count, r.min, r.max]);
      expect(s.mean).toBe(r.sum / r.count);
      expect(s.std).toBe(r.std);
      expect(s.histogram!.counts).toEqual(r.counts);
    }
  });

  it('HyperLogLog past the cap: the registers of adding each value\'s hash', () => {
    const values = Float64Array.from({ length: 150_000 }, (_, i) => (i % 11 === 0 ? NaN : i % 7 === 0 ? -0 : ((i * 7919) % 90_001) * 0.37 - 9000));
    const h = new HyperLogLog();
    for (const v of values) if (!Number.isNaN(v)) h.add(hashF64(v));
    for (const cap of [0, 100, 70_000]) expect(countDistinct(values, cap)).toEqual({ distinct: h.estimate(), approx: true });
  });
});

describe('distinct counting', () => {
  it('is exact below the cap and a close estimate above it', () => {
    expect(countDistinct(Float64Array.from([1, 1, 2, NaN, 0, -0]))).toEqual({ distinct: 3, approx: false });
    const many = Float64Array.from({ length: 200_000 }, (_, i) => i * 1.5);
    const r = countDistinct(many, 1000);
    expect(r.approx).toBe(true);
    expect(Math.abs(r.distinct - 200_000) / 200_000).toBeLessThan(0.05);
  });

  it('the estimate past the cap is the same wherever the cap falls (the values before it count too)', () => {
    // repeats and both zeros: the estimate is of distinct values, whichever were seen before the cap
    const values = Float64Array.from({ length: 50_000 }, (_, i) => (i % 7 === 0 ? -0 : (i * 7919) % 30_011) / 4);
    const estimates = [10, 1000, 20_000].map((cap) => countDistinct(values, cap));
    expect(estimates.every((e) => e.approx)).toBe(true);
    expect(new Set(estimates.map((e) => e.distinct)).size).toBe(1);
    expect(Math.abs(estimates[0].distinct - 30_011) / 30_011).toBeLessThan(0.1);
  });

  it('counts exactly through every growth of its table and across blocks, up to the cap and not past it', () => {
    const rnd = seededRandom(17);
    // up to 65,536 distinct values (the default cap), with repeats, NaN and both zeros, in pieces of odd sizes
    for (const distinct of [1, 63, 64, 5000, 65_535]) {
      const values = Float64Array.from({ length: 200_000 }, () => {
        const u = rnd();
        return u < 0.05 ? NaN : u < 0.08 ? (rnd() < 0.5 ? 0 : -0) : Math.floor(rnd() * distinct) * 0.37 - 11;
      });
      const want = new Set(Array.from(values).filter((v) => v === v).map((v) => (v === 0 ? 0 : v))).size;
      const pass = new FirstPass();
      for (let i = 0; i < values.length; ) {
        const n = 1 + Math.floor(rnd() * 90_000);
        pass.add(values.subarray(i, i + n));
        i += n;
      }
      expect(pass.distinct.result()).toEqual({ distinct: want, approx: false });
    }
    const ids = Float64Array.from({ length: 3000 }, (_, i) => i);
    expect(countDistinct(ids, 3000)).toEqual({ distinct: 3000, approx: false });
    expect(countDistinct(ids, 2999).approx).toBe(true);
  });

  it('HyperLogLog estimates within a few percent', () => {
    const h = new HyperLogLog();
    for (let i = 0; i < 100_000; i++) h.add(Math.imul(i, 2654435761) >>> 0);
    expect(Math.abs(h.estimate() - 100_000) / 100_000).toBeLessThan(0.05);
  });
});

describe('ByteDict', () => {
  it('assigns dense ids in first-seen order and counts occurrences', () => {
    const d = new ByteDict();
    const words = ['b', 'a', 'b', 'é', '', 'a', 'b'];
    const ids = words.map((w) => {
      const buf = Buffer.from(w);
      return d.add(buf, 0, buf.length);
    });
    expect(ids).toEqual([0, 1, 0, 2, 3, 1, 0]);
    expect(d.size).toBe(4);
    expect([d.text(0), d.text(2)]).toEqual(['b', 'é']);
    expect(Array.from(d.counts.subarray(0, 4))).toEqual([3, 2, 1, 1]);
  });

  it('survives growth past its initial table and arena', () => {
    const d = new ByteDict();
    for (let i = 0; i < 20_000; i++) {
      const buf = Buffer.from(`value-${i}-${'x'.repeat(i % 50)}`);
      expect(d.add(buf, 0, buf.length)).toBe(i);
    }
    const again = Buffer.from(`value-12345-${'x'.repeat(12345 % 50)}`);
    expect(d.add(again, 0, again.length)).toBe(12345);
    expect(d.text(19_999)).toBe(`value-19999-${'x'.repeat(19_999 % 50)}`);
  });
});
