import { METRICS } from '../core/catalog.js';
import { resolveCandidates } from '../core/candidates.js';
import { type Frame, takeRows } from './frame.js';
import { flatMetrics } from './metrics.js';
import { type FitProgress, type FittedModel, fitModel } from './models.js';
import type { Matrix } from './matrix.js';
import type { PreprocessOptions } from './preprocess.js';
import { type StageSpec, chainMatrix, fitChain, frameMatrix, withFinalPreprocess } from './chain.js';
import { type Rng, rngStream } from './random.js';

/** One fold: positions of its training and test rows. */
export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

/**
 * k folds over rows 0..n-1, seeded. Stratified (with `strata`): each class is shuffled and dealt
 * round-robin across the folds, continuing where the previous class stopped, so every fold has
 * each class's share (±1 row) and the folds' sizes differ by at most one.
 */
export function kFold(n: number, k: number, rng: Rng, strata?: Int32Array): Fold[] {
  if (k < 2 || k > n) throw new RangeError(`cannot make ${k} folds of ${n} rows`);
  const foldOf = new Int32Array(n);
  if (strata === undefined) {
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    order.forEach((row, t) => (foldOf[row] = t % k));
  } else {
    const groups = new Map<number, number[]>();
    for (let i = 0; i < n; i++) (groups.get(strata[i]) ?? groups.set(strata[i], []).get(strata[i])!).push(i);
    let next = 0;
    for (const key of [...groups.keys()].sort((a, b) => a - b)) {
      const rows = rng.shuffle(Int32Array.from(groups.get(key)!));
      for (const row of rows) foldOf[row] = next++ % k;
    }
  }
  return Array.from({ length: k }, (_, f) => {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (foldOf[i] === f ? test : train).push(i);
    return { train: Int32Array.from(train), test: Int32Array.from(test) };
  });
}

/** A model to compare (`id` defaults to `<model>-<n>`). */
export interface Candidate {
  id?: string;
  model: string;
  params: Record<string, unknown>;
}

/** Options of {@link crossValidate}. */
export interface CvOptions {
  folds: number;
  seed: number;
  /** Number of classes (classification) or 0 (regression). */
  classes: number;
  /** The metric the leaderboard is ranked by. */
  metric: string;
  /** The data chain refitted within every fold (a final preprocessing is added when missing). */
  stages?: StageSpec[];
  /** Shorthand for `stages: [{ kind: 'preprocess', options }]`. */
  preprocess?: PreprocessOptions;
  /** Called after each fit: (fits done, fits in all, the candidate's label). */
  onProgress?: (done: number, total: number, label: string) => void;
  /** Called while a model trains (trees, iterations). */
  onFit?: FitProgress;
  /** The trainer (default: the native models of src/ml); the runner passes one that also trains the MLP. */
  fit?: (name: string, params: Record<string, unknown>, X: Matrix, y: Int32Array | Float64Array, classes: number, seed: number, onFit?: FitProgress) => FittedModel | Promise<FittedModel>;
}

/** One row of the leaderboard. */
export interface LeaderboardEntry {
  /** The candidate's stable id (`id:` in YAML, else `<model>-<n>`). */
  id: string;
  /** The model and the params that set it apart from its siblings, e.g. `knn (n_neighbors=15)`. */
  label: string;
  model: string;
  /** Params with defaults filled in. */
  params: Record<string, unknown>;
  /** Mean and standard deviation (population) over the folds, per metric. */
  metrics: Record<string, { mean: number; std: number }>;
  /** Per-fold values. */
  folds: Array<Record<string, number>>;
  /** Mean fit time per fold, in seconds (not part of any hash: it varies between runs). */
  fitSeconds: number;
}

/** What {@link crossValidate} returns. */
export interface CvResult {
  /** Best first by the metric (ties keep candidate order). */
  leaderboard: LeaderboardEntry[];
  metric: string;
  higherIsBetter: boolean;
}


/**
 * k-fold cross-validation of each candidate. Within every fold the preprocessing is fitted on
 * the fold's training rows only and the model trained on them, then scored on the held-out
 * rows, so no information from a fold's test rows reaches its model. Folds are stratified for
 * classification and come from the run seed's `model_selection` stream; each candidate sees the
 * same folds.
 *
 * @example
 * const cv = await crossValidate(train, labels, [{ model: 'random_forest', params: {} }], { folds: 5, seed: 42, classes: 3, metric: 'accuracy', preprocess });
 * cv.leaderboard[0].model // the best
 */
export async function crossValidate(frame: Frame, y: Int32Array | Float64Array, candidates: Candidate[], o: CvOptions): Promise<CvResult> {
  const info = METRICS[o.metric];
  if (info === undefined) throw new RangeError(`unknown metric ${o.metric}`);
  const folds = kFold(frame.rows, o.folds, rngStream(o.seed, 'model_selection'), o.classes > 0 ? (y as Int32Array) : undefined);
  const total = candidates.length * folds.length;
  let done = 0;
  const fit = o.fit ?? fitModel;
  const entries: LeaderboardEntry[] = [];
  const specs = withFinalPreprocess(o.stages ?? (o.preprocess === undefined ? [] : [{ kind: 'preprocess', options: o.preprocess }]));
  for (const [ci, c] of resolveCandidates(candidates, o.classes > 0 ? 'classification' : 'regression').entries()) {
    const params = c.params;
    const perFold: Array<Record<string, number>> = [];
    let seconds = 0;
    for (const [fi, fold] of folds.entries()) {
      const trainFrame = takeRows(frame, fold.train);
      const testFrame = takeRows(frame, fold.test);
      const { stages, out } = fitChain(specs, trainFrame);
      const Xtr = frameMatrix(out);
      const Xte = chainMatrix(stages, testFrame);
      const ytr = o.classes > 0 ? Int32Array.from(fold.train, (i) => y[i]) : Float64Array.from(fold.train, (i) => y[i]);
      const yte = o.classes > 0 ? Int32Array.from(fold.test, (i) => y[i]) : Float64Array.from(fold.test, (i) => y[i]);
      const t0 = performance.now();
      const model = await fit(c.model, params, Xtr, ytr, o.classes, o.seed + ci * 1000 + fi, o.onFit);
      seconds += (performance.now() - t0) / 1000;
      perFold.push(flatMetrics(yte, o.classes > 0 ? model.predictProba(Xte) : model.predict(Xte), o.classes));
      o.onProgress?.(++done, total, c.label);
    }
    const names = Object.keys(perFold[0]).filter((m) => perFold.every((f) => m in f));
    const metrics: LeaderboardEntry['metrics'] = {};
    for (const m of names) {
      const vals = perFold.map((f) => f[m]);
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      metrics[m] = { mean, std: Math.sqrt(vals.reduce((a, v) => a + (v - mean) ** 2, 0) / vals.length) };
    }
    entries.push({ id: c.id, label: c.label, model: c.model, params, metrics, folds: perFold, fitSeconds: seconds / folds.length });
  }
  const score = (e: LeaderboardEntry): number => e.metrics[o.metric]?.mean ?? (info.higherIsBetter ? -Infinity : Infinity);
  const order = entries.map((e, i) => i).sort((a, b) => (info.higherIsBetter ? score(entries[b]) - score(entries[a]) : score(entries[a]) - score(entries[b])) || a - b);
  return { leaderboard: order.map((i) => entries[i]), metric: o.metric, higherIsBetter: info.higherIsBetter };
}
