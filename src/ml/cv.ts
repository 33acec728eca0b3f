import { METRICS } from '../core/catalog.js';
import { resolveCandidates } from '../core/candidates.js';
import { resolveModelParams } from '../core/catalog.js';
import { type Observation, type SearchSpace, gridPoints, inSpace, sampleRandom, suggestTpe } from './search.js';
import { type Frame, takeRows } from './frame.js';
import { flatMetrics } from './metrics.js';
import { type FitProgress, type FittedModel, fitModel } from './models.js';
import { type Matrix, subsetRows } from './matrix.js';
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
  /** Params to search (values there replace `params`' for each trial). */
  search?: SearchSpace;
  /** The most trials of this candidate (random and tpe; grid tries every combination). */
  trials?: number;
}

/** How the candidates' search spaces are explored. */
export type Strategy = 'grid' | 'random' | 'tpe' | 'successive_halving';

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
  /** `grid` (default): each candidate once, or every combination of its `choice` space; `random` and `tpe` sample the spaces. */
  strategy?: Strategy;
  /** successive_halving's resource: boosting rounds / trees / epochs (`iterations`), training `rows`, or `auto` (iterations where the model has them). */
  resource?: 'auto' | 'rows' | 'iterations';
  /** Bounds on the whole search: wall time from the call (trials running at the end are stopped) and trials. */
  budget?: { timeMs?: number; trials?: number };
  /** Called after each fit: (fits done, fits planned (0 when only time bounds the search), the candidate's label). */
  onProgress?: (done: number, total: number, label: string) => void;
  /** Called after each trial. */
  onTrial?: (t: Trial) => void;
  /** Called while a model trains (trees, iterations). */
  onFit?: FitProgress;
  /** Keep each candidate's out-of-fold predictions at its best trial (for an ensemble). */
  oof?: boolean;
  /** The trainer (default: the native models of src/ml); the runner passes one that also trains the MLP. */
  fit?: (name: string, params: Record<string, unknown>, X: Matrix, y: Int32Array | Float64Array, classes: number, seed: number, onFit?: FitProgress) => FittedModel | Promise<FittedModel>;
}

/** One row of the leaderboard: a candidate at its best trial. */
export interface LeaderboardEntry {
  /** The candidate's stable id (`id:` in YAML, else `<model>-<n>`). */
  id: string;
  /** The model and the params that set it apart from its siblings, e.g. `knn (n_neighbors=15)`. */
  label: string;
  model: string;
  /** Params with defaults filled in (the best trial's, when searched). */
  params: Record<string, unknown>;
  /** Mean and standard deviation (population) over the folds, per metric. */
  metrics: Record<string, { mean: number; std: number }>;
  /** Per-fold values. */
  folds: Array<Record<string, number>>;
  /** Mean fit time per fold, in seconds (not part of any hash: it varies between runs). */
  fitSeconds: number;
  /** Trials of this candidate that finished (present when it has a search space). */
  trials?: number;
  /** The best trial's number (in trials.jsonl) and its searched values (present when searched). */
  trial?: number;
  searched?: Record<string, unknown>;
}

/** One cross-validated evaluation of a candidate at some params: a line of `trials.jsonl`. */
export interface Trial {
  /** 1, 2, … in the order they ran. */
  n: number;
  candidate: string;
  model: string;
  /** The searched values (empty for a candidate without a space). */
  searched: Record<string, unknown>;
  /** Every param, with defaults. */
  params: Record<string, unknown>;
  /** complete; stopped (the time budget ended during it); failed (the params could not be fitted). */
  status: 'complete' | 'stopped' | 'failed';
  /** The ranking metric's mean and std over the folds (null unless complete). */
  score: number | null;
  std: number | null;
  /** The ranking metric per finished fold. */
  foldScores: number[];
  /** Seconds from the search's start to this trial's start, and the trial's own seconds. */
  startS: number;
  seconds: number;
  /** The best score of every trial so far, this one included (null before the first complete). */
  bestSoFar: number | null;
  /** Why it failed. */
  error?: string;
  /** successive_halving: the rung (0 = the least resource) and the resource the trial had. */
  rung?: number;
  resource?: { kind: 'rows' | 'iterations'; value: number; fraction: number };
  /** successive_halving: its values never reached the full resource. */
  pruned?: boolean;
}

/** What the search did: how it ended and how many trials ran. */
export interface SearchSummary {
  strategy: Strategy;
  trials: number;
  complete: number;
  stopped: number;
  failed: number;
  /** successive_halving: trials of values that never reached the full resource. */
  pruned?: number;
  seconds: number;
  budget: { time_s?: number; trials?: number };
  /** every trial ran; the time budget ended; the trials budget was reached */
  ended: 'exhausted' | 'time' | 'trials';
}

/** What {@link crossValidate} returns. */
export interface CvResult {
  /** Best first by the metric (ties keep candidate order). */
  leaderboard: LeaderboardEntry[];
  metric: string;
  higherIsBetter: boolean;
  /** Every trial, in the order they ran. */
  trials: Trial[];
  search: SearchSummary;
  /** The folds every trial saw. */
  folds: Fold[];
  /** With `oof`: each candidate's out-of-fold predictions at its best trial (probabilities n × classes, or values), by id. */
  oof: Record<string, Float64Array>;
}

/** Mean and standard deviation (population) of each metric every fold has. */
export function summarizeFolds(perFold: ReadonlyArray<Record<string, number>>): LeaderboardEntry['metrics'] {
  const names = Object.keys(perFold[0] ?? {}).filter((m) => perFold.every((f) => m in f));
  const metrics: LeaderboardEntry['metrics'] = {};
  for (const m of names) {
    const vals = perFold.map((f) => f[m]);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    metrics[m] = { mean, std: Math.sqrt(vals.reduce((a, v) => a + (v - mean) ** 2, 0) / vals.length) };
  }
  return metrics;
}

/** Each fold's metrics of out-of-fold predictions (n × classes probabilities, or values). */
export function oofFoldMetrics(oof: Float64Array, y: Int32Array | Float64Array, folds: readonly Fold[], classes: number): Array<Record<string, number>> {
  const w = Math.max(1, classes);
  return folds.map((f) => {
    const out = new Float64Array(f.test.length * w);
    f.test.forEach((row, i) => out.set(oof.subarray(row * w, row * w + w), i * w));
    return flatMetrics(classes > 0 ? Int32Array.from(f.test, (i) => y[i]) : Float64Array.from(f.test, (i) => y[i]), out, classes);
  });
}

/** successive_halving keeps the best 1/ETA of each rung and gives them ETA times the resource. */
export const ETA = 3;

/** The param that counts a model's iterations (successive_halving's `iterations` resource). */
const ITERATION_PARAM: Record<string, string> = { gradient_boosting: 'max_iter', random_forest: 'n_estimators', mlp: 'epochs' };

/** A rung's finished evaluation (successive_halving). */
interface RungEntry {
  values: Record<string, unknown>;
  score: number;
  promoted: boolean;
}

/** Thrown inside a fit when the time budget ends: the trial is stopped, not waited for. */
class BudgetEnded extends Error {}

/** Trials a searched candidate gets under random or tpe without a trials budget or its own `trials`. */
export const DEFAULT_TRIALS = 20;

/** Below this many cells over all folds, the folds' prepared matrices are kept for every trial. */
const FOLD_CACHE_CELLS = 40_000_000;

/**
 * k-fold cross-validation of each candidate, searching the candidates' spaces. Within every fold
 * the data chain is fitted on the fold's training rows only and the model trained on them, then
 * scored on the held-out rows, so no information from a fold's test rows reaches its model.
 * Folds are stratified for classification and come from the run seed's `model_selection`
 * stream; every trial sees the same folds.
 *
 * Strategies: `grid` runs each candidate once (at its params), or every combination of its space
 * when the space is all `choice`s. `random` and `tpe` give each candidate with a space trials in
 * turn (round-robin, so a budget is shared): its first trial at its own params (when they lie
 * in its space), then values sampled uniformly (`random`) or by a tree-structured Parzen
 * estimator of its finished trials (`tpe`); a point already tried is not tried again. Trial order, seeds and samples depend only on the seed and the scores, so a search
 * replays exactly; the time budget only decides where it stops. A trial whose previous time
 * would overrun what is left is not started; one running when the budget ends is stopped.
 *
 * @example
 * const cv = await crossValidate(train, labels, [{ model: 'random_forest', params: {} }], { folds: 5, seed: 42, classes: 3, metric: 'accuracy', preprocess });
 * cv.leaderboard[0].model // the best
 */
export async function crossValidate(frame: Frame, y: Int32Array | Float64Array, candidates: Candidate[], o: CvOptions): Promise<CvResult> {
  const t0 = performance.now();
  const deadline = o.budget?.timeMs === undefined ? Infinity : t0 + o.budget.timeMs;
  const info = METRICS[o.metric];
  if (info === undefined) throw new RangeError(`unknown metric ${o.metric}`);
  const sign = info.higherIsBetter ? 1 : -1;
  const strategy = o.strategy ?? 'grid';
  const task = o.classes > 0 ? 'classification' : 'regression';
  const folds = kFold(frame.rows, o.folds, rngStream(o.seed, 'model_selection'), o.classes > 0 ? (y as Int32Array) : undefined);
  const fit = o.fit ?? fitModel;
  const specs = withFinalPreprocess(o.stages ?? (o.preprocess === undefined ? [] : [{ kind: 'preprocess', options: o.preprocess }]));
  const resolved = resolveCandidates(candidates, task);

  // the folds' matrices: the chain does not depend on the model, so it is fitted once per fold
  // (kept for every trial when they fit in memory)
  const keep = frame.rows * Math.max(1, frame.columns.length) * o.folds <= FOLD_CACHE_CELLS;
  const cache = new Map<number, { Xtr: Matrix; Xte: Matrix; ytr: Int32Array | Float64Array; yte: Int32Array | Float64Array }>();
  const foldData = (fi: number) => {
    const hit = cache.get(fi);
    if (hit) return hit;
    const fold = folds[fi];
    const { stages, out } = fitChain(specs, takeRows(frame, fold.train));
    const d = {
      Xtr: frameMatrix(out),
      Xte: chainMatrix(stages, takeRows(frame, fold.test)),
      ytr: o.classes > 0 ? Int32Array.from(fold.train, (i) => y[i]) : Float64Array.from(fold.train, (i) => y[i]),
      yte: o.classes > 0 ? Int32Array.from(fold.test, (i) => y[i]) : Float64Array.from(fold.test, (i) => y[i]),
    };
    if (keep) cache.set(fi, d);
    return d;
  };

  // each candidate's queue of trials: grid points, or a sampler
  const rounds = resolved.map((c, ci) => {
    const input = candidates[ci];
    const space = input.search;
    const searched = space !== undefined && Object.keys(space).length > 0;
    const grid = strategy === 'grid' && searched ? gridPoints(space) : null;
    if (strategy === 'grid' && searched && grid === null) throw new RangeError(`candidate ${c.id}: the grid strategy needs a search space of choices only`);
    const max = !searched ? 1 : grid !== null ? grid.length : (input.trials ?? (o.budget?.trials !== undefined || o.budget?.timeMs !== undefined ? Infinity : DEFAULT_TRIALS));
    // a space of ints and choices only has so many points: never more trials than that
    const points = searched ? discretePoints(space) : 1;
    // successive_halving: rungs 0..K, rung k with ETA^(k-K) of the resource
    const param = o.resource !== 'rows' ? ITERATION_PARAM[c.model] : undefined;
    const kind: 'rows' | 'iterations' = param !== undefined && typeof c.params[param] === 'number' ? 'iterations' : 'rows';
    const full = kind === 'iterations' ? (c.params[param!] as number) : folds[0].train.length / Math.max(30, 10 * Math.max(1, o.classes));
    const K = strategy === 'successive_halving' && searched ? Math.max(0, Math.min(3, Math.floor(Math.log(full) / Math.log(ETA) + 1e-9))) : 0;
    const sh = { K, kind, param, rungs: Array.from({ length: K + 1 }, () => [] as RungEntry[]) };
    return { c, ci, input, space: space ?? {}, searched, grid, sh, max: Math.min(max, points * (K + 1)), tried: new Set<string>(), rng: rngStream(o.seed, `model_selection/search/${c.id}`), history: [] as Observation[], ran: 0, lastSeconds: 0, best: null as LeaderboardEntry | null, bestScore: -Infinity, bestOof: null as Float64Array | null, complete: 0 };
  });

  const trialCap = o.budget?.trials ?? Infinity;
  const planned = Math.min(trialCap, rounds.reduce((a, r) => a + r.max, 0));
  /** Fits the search will make at most (0 when only the time budget bounds it). */
  const plannedFits = Number.isFinite(planned) ? planned * folds.length : 0;
  const trials: Trial[] = [];
  let bestSoFar: number | null = null;
  let fitsDone = 0;
  let ended: SearchSummary['ended'] = 'exhausted';
  let cutForTime = false;
  search: for (;;) {
    let ranThisRound = 0;
    for (const r of rounds) {
      // grid: a candidate's trials one after another (as before searches); others: in turn
      for (let again = true; again; again = strategy === 'grid') {
        if (r.ran >= r.max) break;
        if (trials.length >= trialCap) {
          ended = 'trials';
          break search;
        }
        const now = performance.now();
        if (now >= deadline) {
          ended = 'time';
          break search;
        }
        // a trial that would overrun what is left (by this candidate's last trial) is not started
        if (r.ran > 0 && now + r.lastSeconds * 1000 > deadline) {
          r.max = r.ran;
          cutForTime = true;
          break;
        }
        const t = r.ran;
        let searchedValues: Record<string, unknown> = {};
        let rung = r.sh.K;
        // successive_halving: promote the best unpromoted of the highest rung that has one in its
        // top 1/ETA (asynchronously: as soon as it is there), else start new values at rung 0
        const promoted = strategy === 'successive_halving' && r.searched && t > 0 ? promote(r.sh.rungs) : null;
        if (promoted !== null) {
          searchedValues = promoted.values;
          rung = promoted.rung;
        } else if (r.searched) {
          if (strategy === 'successive_halving' && !(t === 0 && inSpace(r.space, pick(r.c.params, r.space)))) rung = 0;
          // a point already tried is drawn again (the sampler's state moves on); a space with no
          // new point left after many draws is done
          const draw = (): Record<string, unknown> => (r.grid !== null ? r.grid[t] : t === 0 && inSpace(r.space, pick(r.c.params, r.space)) ? pick(r.c.params, r.space) : strategy === 'tpe' ? suggestTpe(r.space, r.history, r.rng) : sampleRandom(r.space, r.rng));
          let tries = 0;
          do searchedValues = draw();
          while (r.tried.has(JSON.stringify(searchedValues)) && r.grid === null && ++tries < 50);
          if (r.tried.has(JSON.stringify(searchedValues)) && r.grid === null) {
            r.max = r.ran;
            break;
          }
          r.tried.add(JSON.stringify(searchedValues));
        }
        r.ran++;
        ranThisRound++;
        const trial = await runTrial(r, t, searchedValues, rung);
        trials.push(trial);
        o.onTrial?.(trial);
      }
    }
    if (ranThisRound === 0) break;
  }

  async function runTrial(r: (typeof rounds)[number], t: number, searchedValues: Record<string, unknown>, rung: number): Promise<Trial> {
    const start = performance.now();
    const fraction = ETA ** (rung - r.sh.K);
    const halving = strategy === 'successive_halving' && r.searched;
    const base = { n: trials.length + 1, candidate: r.c.id, model: r.c.model, searched: searchedValues, startS: (start - t0) / 1000, ...(halving ? { rung } : {}) };
    let params: Record<string, unknown>;
    let resource: Trial['resource'];
    try {
      params = r.searched ? resolveModelParams(r.c.model, { ...r.input.params, ...searchedValues }, task) : r.c.params;
      if (halving && r.sh.kind === 'iterations') {
        const value = Math.max(1, Math.round((params[r.sh.param!] as number) * fraction));
        params = { ...params, [r.sh.param!]: value };
        resource = { kind: 'iterations', value, fraction };
      } else if (halving) resource = { kind: 'rows', value: Math.ceil(folds[0].train.length * fraction), fraction };
    } catch (err) {
      return { ...base, params: { ...r.input.params, ...searchedValues }, status: 'failed', score: null, std: null, foldScores: [], seconds: 0, bestSoFar, error: errorText(err) };
    }
    const partial = fraction < 1;
    const perFold: Array<Record<string, number>> = [];
    const width = Math.max(1, o.classes);
    const oof = o.oof && !partial ? new Float64Array(frame.rows * width) : null;
    let fitSeconds = 0;
    const onFit: FitProgress = (done, total) => {
      if (performance.now() >= deadline) throw new BudgetEnded();
      o.onFit?.(done, total);
    };
    try {
      for (const fi of folds.keys()) {
        if (performance.now() >= deadline) throw new BudgetEnded();
        const d = resource?.kind === 'rows' && partial ? rowsShare(fi, fraction) : foldData(fi);
        const f0 = performance.now();
        // the first trial of each candidate keeps the seeds of a plain cross-validation
        const model = await fit(r.c.model, params, d.Xtr, d.ytr, o.classes, o.seed + r.ci * 1000 + fi + t * 100_003, onFit);
        fitSeconds += (performance.now() - f0) / 1000;
        const out = o.classes > 0 ? model.predictProba(d.Xte) : model.predict(d.Xte);
        if (oof !== null) folds[fi].test.forEach((row, i) => oof.set(out.subarray(i * width, i * width + width), row * width));
        perFold.push(flatMetrics(d.yte, out, o.classes));
        o.onProgress?.(++fitsDone, plannedFits, r.c.label);
      }
    } catch (err) {
      const seconds = (performance.now() - start) / 1000;
      r.lastSeconds = seconds;
      const foldScores = perFold.map((f) => f[o.metric]);
      if (err instanceof BudgetEnded) return { ...base, params, status: 'stopped', score: null, std: null, foldScores, seconds, bestSoFar };
      if (!r.searched) throw err;
      return { ...base, params, status: 'failed', score: null, std: null, foldScores, seconds, bestSoFar, error: errorText(err) };
    }
    const seconds = (performance.now() - start) / 1000;
    r.lastSeconds = seconds;
    const metrics = summarizeFolds(perFold);
    const score = metrics[o.metric]?.mean ?? NaN;
    const oriented = Number.isFinite(score) ? sign * score : -Infinity;
    const extra = resource !== undefined ? { resource } : {};
    if (halving) r.sh.rungs[rung].push({ values: searchedValues, score: oriented, promoted: false });
    // a score on part of the resource is not comparable with full ones: it ranks within its rung only
    if (partial) return { ...base, ...extra, params, status: 'complete', score, std: metrics[o.metric]?.std ?? null, foldScores: perFold.map((f) => f[o.metric]), seconds, bestSoFar };
    r.history.push({ values: searchedValues, score: oriented });
    r.complete++;
    if (oriented > r.bestScore || r.best === null) {
      r.bestScore = oriented;
      r.bestOof = oof;
      r.best = { id: r.c.id, label: r.c.label, model: r.c.model, params, metrics, folds: perFold, fitSeconds: fitSeconds / folds.length, ...(r.searched ? { trial: base.n, searched: searchedValues } : {}) };
    }
    if (Number.isFinite(score) && (bestSoFar === null || sign * score > sign * bestSoFar)) bestSoFar = score;
    return { ...base, ...extra, params, status: 'complete', score, std: metrics[o.metric]?.std ?? null, foldScores: perFold.map((f) => f[o.metric]), seconds, bestSoFar };
  }

  /** A fold with a seeded share of its training rows (the same rows for every trial of a rung). */
  function rowsShare(fi: number, fraction: number): ReturnType<typeof foldData> {
    const d = foldData(fi);
    const m = Math.max(2, Math.ceil(d.Xtr.rows * fraction));
    const order = rngStream(o.seed, `model_selection/rows/${fi}`).shuffle(Int32Array.from({ length: d.Xtr.rows }, (_, i) => i));
    const rows = order.subarray(0, m).sort();
    return { ...d, Xtr: subsetRows(d.Xtr, rows), ytr: d.ytr instanceof Int32Array ? Int32Array.from(rows, (i) => d.ytr[i]) : Float64Array.from(rows, (i) => d.ytr[i]) };
  }

  // successive_halving: values that never reached the full resource were pruned
  const reachedFull = new Set(trials.filter((t) => t.rung !== undefined && t.status === 'complete' && (t.resource?.fraction ?? 1) === 1).map((t) => `${t.candidate}\u0000${JSON.stringify(t.searched)}`));
  for (const t of trials) if (t.rung !== undefined && !reachedFull.has(`${t.candidate}\u0000${JSON.stringify(t.searched)}`)) t.pruned = true;
  const entries = rounds.flatMap((r) => (r.best === null ? [] : [r.searched ? { ...r.best, trials: r.complete } : r.best]));
  const search: SearchSummary = {
    strategy,
    trials: trials.length,
    complete: trials.filter((t) => t.status === 'complete').length,
    stopped: trials.filter((t) => t.status === 'stopped').length,
    failed: trials.filter((t) => t.status === 'failed').length,
    ...(strategy === 'successive_halving' ? { pruned: trials.filter((t) => t.pruned).length } : {}),
    seconds: (performance.now() - t0) / 1000,
    budget: { ...(o.budget?.timeMs !== undefined ? { time_s: o.budget.timeMs / 1000 } : {}), ...(o.budget?.trials !== undefined ? { trials: o.budget.trials } : {}) },
    ended: ended === 'exhausted' && (cutForTime || trials.some((t) => t.status === 'stopped')) ? 'time' : ended,
  };
  if (entries.length === 0) throw new SearchEmpty(search, trials);
  const score = (e: LeaderboardEntry): number => e.metrics[o.metric]?.mean ?? (info.higherIsBetter ? -Infinity : Infinity);
  const order = entries.map((e, i) => i).sort((a, b) => (info.higherIsBetter ? score(entries[b]) - score(entries[a]) : score(entries[a]) - score(entries[b])) || a - b);
  const oof: Record<string, Float64Array> = {};
  for (const r of rounds) if (r.best !== null && r.bestOof !== null) oof[r.c.id] = r.bestOof;
  return { leaderboard: order.map((i) => entries[i]), metric: o.metric, higherIsBetter: info.higherIsBetter, trials, search, folds, oof };
}

/** No candidate finished a trial (the budget ended first, or every trial failed). */
export class SearchEmpty extends Error {
  constructor(
    readonly search: SearchSummary,
    readonly trials: Trial[],
  ) {
    super(search.ended === 'time' ? `the time budget of ${search.budget.time_s} s ended before any trial finished (${search.trials} started)` : `no trial finished: ${trials.find((t) => t.error)?.error ?? 'every one failed'}`);
  }
}

const errorText = (err: unknown): string => {
  const issues = (err as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues;
  if (Array.isArray(issues)) return issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ');
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 500);
};

/** successive_halving's next promotion: from the highest rung down, the best of a rung's top 1/ETA not yet promoted. */
function promote(rungs: RungEntry[][]): { values: Record<string, unknown>; rung: number } | null {
  for (let k = rungs.length - 2; k >= 0; k--) {
    const top = [...rungs[k]].sort((a, b) => b.score - a.score).slice(0, Math.floor(rungs[k].length / ETA));
    const next = top.find((e) => !e.promoted);
    if (next !== undefined) {
      next.promoted = true;
      return { values: next.values, rung: k + 1 };
    }
  }
  return null;
}

/** How many points a space has when every dimension is an int or a choice (else Infinity). */
function discretePoints(space: SearchSpace): number {
  let n = 1;
  for (const d of Object.values(space)) n *= d.type === 'choice' ? d.values.length : d.type === 'int' ? d.high - d.low + 1 : Infinity;
  return n;
}

/** The space's params as the candidate sets them (its first trial). */
function pick(params: Record<string, unknown>, space: SearchSpace): Record<string, unknown> {
  return Object.fromEntries(Object.keys(space).map((k) => [k, params[k]]));
}
