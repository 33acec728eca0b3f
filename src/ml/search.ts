import type { SearchDim, SearchSpace } from '../core/search-space.js';
import type { Rng } from './random.js';

export type { SearchDim, SearchSpace };

/** A finished trial as the samplers see it: its searched values and its score (higher is better). */
export interface Observation {
  values: Record<string, unknown>;
  score: number;
}

// --- internal coordinates: numeric dims live on [lo, hi] (log scale when log), choices by index

const lo = (d: Exclude<SearchDim, { type: 'choice' }>): number => (d.log ? Math.log(d.low) : d.low);
const hi = (d: Exclude<SearchDim, { type: 'choice' }>): number => (d.log ? Math.log(d.high) : d.high);

function fromInternal(d: Exclude<SearchDim, { type: 'int' }>, u: number): unknown {
  if (d.type === 'choice') return d.values[u];
  return Math.min(d.high, Math.max(d.low, d.log ? Math.exp(u) : u));
}

function toInternal(d: SearchDim, v: unknown): number {
  if (d.type === 'choice') {
    const i = d.values.findIndex((x) => JSON.stringify(x) === JSON.stringify(v));
    return i < 0 ? NaN : i;
  }
  if (typeof v !== 'number' || v < d.low || v > d.high) return NaN;
  const x = d.type === 'int' ? v + 0.5 : v;
  return d.log ? Math.log(x) : x;
}

/** Whether every value lies in its dimension (a range's bounds, a choice's list; ints whole). */
export function inSpace(space: SearchSpace, values: Record<string, unknown>): boolean {
  return Object.entries(space).every(([k, d]) => Number.isFinite(toInternal(d, values[k])) && (d.type !== 'int' || Number.isInteger(values[k])));
}

/**
 * Values drawn uniformly from the space (log-uniformly where `log`), in the space's key order.
 *
 * @example
 * sampleRandom({ C: { type: 'float', low: 1e-3, high: 1e3, log: true } }, rng) // { C: 0.37… }
 */
export function sampleRandom(space: SearchSpace, rng: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(space)) {
    if (d.type === 'choice') out[name] = d.values[rng.int(d.values.length)];
    // an int is drawn on [low, high + 1) (its log when log) and rounded down: every value has its share
    else if (d.type === 'int') out[name] = intAt(d, d.log ? Math.log(d.low) + rng.next() * (Math.log(d.high + 1) - Math.log(d.low)) : d.low + rng.next() * (d.high + 1 - d.low));
    else out[name] = fromInternal(d, lo(d) + rng.next() * (hi(d) - lo(d)));
  }
  return out;
}

/** An int dimension's value at internal coordinate x (on [low, high + 1), or its log). */
function intAt(d: Extract<SearchDim, { type: 'int' }>, x: number): number {
  return Math.min(d.high, Math.max(d.low, Math.floor(d.log ? Math.exp(x) : x)));
}

/**
 * Every combination of a space whose dimensions are all `choice` (the `grid` strategy), in
 * order: the last dimension varies fastest. Returns null when a dimension is a range.
 *
 * @example
 * gridPoints({ a: { type: 'choice', values: [1, 2] }, b: { type: 'choice', values: ['x'] } }) // [{a:1,b:'x'},{a:2,b:'x'}]
 */
export function gridPoints(space: SearchSpace): Array<Record<string, unknown>> | null {
  let points: Array<Record<string, unknown>> = [{}];
  for (const [name, d] of Object.entries(space)) {
    if (d.type !== 'choice') return null;
    points = points.flatMap((p) => d.values.map((v) => ({ ...p, [name]: v })));
  }
  return points;
}

// --- the tree-structured Parzen estimator (Bergstra et al. 2011; as hyperopt and optuna do it)

/** Options of {@link suggestTpe}. */
export interface TpeOptions {
  /** Trials drawn at random before the model is used (default 8). */
  startup?: number;
  /** Points drawn from the good trials' density, of which the best ratio is kept (default 24). */
  candidates?: number;
}

const SQRT2 = Math.SQRT2;
/** The error function (Abramowitz & Stegun 7.1.26, absolute error < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const cdf = (x: number, mu: number, sigma: number): number => 0.5 * (1 + erf((x - mu) / (sigma * SQRT2)));

/** A 1-D Parzen estimator on [low, high]: Gaussians at the observations plus a wide prior, truncated to the range. */
interface Parzen {
  mus: number[];
  sigmas: number[];
  weights: number[];
  low: number;
  high: number;
}

function parzen(points: number[], low: number, high: number): Parzen {
  const width = high - low || 1;
  const prior = (low + high) / 2;
  const mus = [...points, prior].sort((a, b) => a - b);
  const at = mus.indexOf(prior);
  const n = mus.length;
  const minSigma = width / Math.min(100, n + 1);
  const sigmas = mus.map((m, i) => {
    const left = i > 0 ? m - mus[i - 1] : m - low;
    const right = i < n - 1 ? mus[i + 1] - m : high - m;
    return Math.min(width, Math.max(minSigma, left, right));
  });
  sigmas[at] = width; // the prior is as wide as the range
  return { mus, sigmas, weights: mus.map(() => 1 / n), low, high };
}

function parzenLogPdf(p: Parzen, x: number): number {
  let s = 0;
  for (let i = 0; i < p.mus.length; i++) {
    const mu = p.mus[i];
    const sg = p.sigmas[i];
    const mass = cdf(p.high, mu, sg) - cdf(p.low, mu, sg) || 1e-12;
    s += (p.weights[i] * Math.exp(-0.5 * ((x - mu) / sg) ** 2)) / (sg * Math.sqrt(2 * Math.PI) * mass);
  }
  return Math.log(s + 1e-300);
}

function parzenSample(p: Parzen, rng: Rng): number {
  const i = rng.int(p.mus.length);
  for (let tries = 0; tries < 100; tries++) {
    // Box-Muller
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    const x = p.mus[i] + p.sigmas[i] * z;
    if (x >= p.low && x <= p.high) return x;
  }
  return Math.min(p.high, Math.max(p.low, p.mus[i]));
}

/** A categorical estimator: each value's count among the observations, plus one (the prior). */
function categorical(indices: number[], k: number): number[] {
  const w = new Array<number>(k).fill(1);
  for (const i of indices) w[i] += 1;
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

/**
 * The next values to try by TPE: after `startup` random trials, the finished trials are split
 * into the best γ (γ(n) = min(⌈n/4⌉, 25)) and the rest; each dimension gets a Parzen density
 * of each group, `candidates` points are drawn from the good density and the one with the
 * highest ratio good/bad is returned. Deterministic for the rng's state and the history.
 *
 * @example
 * const next = suggestTpe(space, history, rng); // history: [{ values, score }], higher is better
 */
export function suggestTpe(space: SearchSpace, history: readonly Observation[], rng: Rng, o: TpeOptions = {}): Record<string, unknown> {
  const done = history.filter((h) => Number.isFinite(h.score));
  if (done.length < (o.startup ?? 8)) return sampleRandom(space, rng);
  const order = [...done].sort((a, b) => b.score - a.score);
  const nGood = Math.max(1, Math.min(Math.ceil(done.length / 4), 25));
  const good = order.slice(0, nGood);
  const bad = order.slice(nGood);
  const draws = o.candidates ?? 24;
  const pointsDims: Array<{ name: string; d: SearchDim; l: (x: number) => number; g: (x: number) => number; sample: () => number }> = [];
  for (const [name, d] of Object.entries(space)) {
    // a value outside the space (a default such as max_depth: null) tells the density nothing
    const inside = (x: number): boolean => Number.isFinite(x);
    const gv = good.map((h) => toInternal(d, h.values[name])).filter(inside);
    const bv = bad.map((h) => toInternal(d, h.values[name])).filter(inside);
    if (d.type === 'choice') {
      const pl = categorical(gv, d.values.length);
      const pg = categorical(bv, d.values.length);
      pointsDims.push({
        name,
        d,
        l: (x) => Math.log(pl[x]),
        g: (x) => Math.log(pg[x]),
        sample: () => {
          let r = rng.next();
          for (let i = 0; i < pl.length; i++) if ((r -= pl[i]) < 0) return i;
          return pl.length - 1;
        },
      });
    } else {
      // ints live on [low, high + 1) (or its log), as sampleRandom draws them, observed at value + 0.5
      const [a, b] = d.type === 'int' ? (d.log ? [Math.log(d.low), Math.log(d.high + 1)] : [d.low, d.high + 1]) : [lo(d), hi(d)];
      const pl = parzen(gv, a, b);
      const pg = parzen(bv, a, b);
      pointsDims.push({ name, d, l: (x) => parzenLogPdf(pl, x), g: (x) => parzenLogPdf(pg, x), sample: () => parzenSample(pl, rng) });
    }
  }
  let best: number[] = [];
  let bestScore = -Infinity;
  for (let c = 0; c < draws; c++) {
    const xs = pointsDims.map((p) => p.sample());
    const s = pointsDims.reduce((acc, p, i) => acc + p.l(xs[i]) - p.g(xs[i]), 0);
    if (s > bestScore) {
      bestScore = s;
      best = xs;
    }
  }
  const out: Record<string, unknown> = {};
  pointsDims.forEach((p, i) => {
    const x = best[i];
    out[p.name] = p.d.type === 'int' ? intAt(p.d, x) : fromInternal(p.d, x);
  });
  return out;
}
