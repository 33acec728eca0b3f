import { METRICS } from '../core/catalog.js';
import { resolveCandidates } from '../core/candidates.js';
import { resolveModelParams } from '../core/catalog.js';
import { type Observation, type SearchSpace, gridPoints, inSpace, sampleRandom, suggestTpe } from './search.js';
import { type Frame, takeRows } from './frame.js';
import { flatMetrics } from './metrics.js';
import { type FitProgress, type FittedModel, fitModel } from './models.js';
import { type Matrix, subsetRows, takeValues } from './matrix.js';
import type { PreprocessOptions } from './preprocess.js';
import { type FittedStage, type StageSpec, chainMatrix, chainMatrixLazy, fitChainLazy, fitChainStages, withFinalPreprocess } from './chain.js';
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
  /** Row weights (a split's sample_weight column): each fold's fits get its training rows' (held-out scores stay unweighted). */
  weights?: Float64Array;
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
  /** Threads for the folds' fits (opened once the search has run a while, or at once with a time budget): the same results as without, sooner. */
  pool?: FoldPool;
  /** Milliseconds of search before the pool opens (default 400: a thread's start costs more than a short search saves; 0 opens it at once). */
  poolAfterMs?: number;
  /** Called between fits, and at least every 100 ms while fits run on the pool (the caller's cancellation: it throws to end the search). */
  checkpoint?: () => Promise<void>;
  /** Finished trials kept under the caller's key (the block cache): a search run again after a kill takes them instead of fitting them again. */
  trialCache?: { get(id: string): Uint8Array | null; put(id: string, data: Uint8Array): void };
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
  /** Taken from the trial cache (a run resumed after it was killed): `seconds` are those of the run that fitted it. */
  cached?: boolean;
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
    return flatMetrics(takeValues(y, f.test), out, classes);
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
export class BudgetEnded extends Error {
  /** @param projectedMs when stopped early: how long the work would have taken in all (it would have ended after the budget) */
  constructor(readonly projectedMs?: number) {
    super(projectedMs === undefined ? 'the time budget ended' : `the time budget would end first (about ${Math.round(projectedMs / 1000)} s needed)`);
    this.name = 'BudgetEnded';
  }
}

/** Trials a searched candidate gets under random or tpe without a trials budget or its own `trials`. */
export const DEFAULT_TRIALS = 20;

/** Below this many cells over all folds, the folds' prepared matrices are kept for every trial. */
const FOLD_CACHE_CELLS = 40_000_000;

/** A search opens its pool of threads once it has run this long (a thread's start costs more than a short search), or at once with a time budget. */
const POOL_AFTER_MS = 400;

/** While fits run elsewhere, `checkpoint` (cancellation) is called at least this often. */
const CHECKPOINT_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A fold's prepared matrices (its data chain fitted on its training rows). */
export interface FoldMatrices {
  Xtr: Matrix;
  Xte: Matrix;
  ytr: Int32Array | Float64Array;
}

/** One fit of a trial: a model at params on a fold's training rows (`rows` of them only, when given), predicting its test rows. */
export interface FoldJob {
  model: string;
  params: Record<string, unknown>;
  classes: number;
  seed: number;
  fold: number;
  rows?: Int32Array;
}

/**
 * Threads that fit folds (src/runner/trial-pool.ts). A fit gives the same predictions there as
 * on the calling thread (same code, data and seed), so where a fold is fitted never changes a result.
 */
export interface FoldPool {
  /** Fits that run at once. */
  readonly size: number;
  /** True for the models it fits (others are fitted by `fit` on the calling thread). */
  accepts(model: string): boolean;
  /** Hands the folds' matrices over, once, before the first `run`; returns them as it holds them (in shared memory), for the caller to keep instead of its own. */
  open(folds: ReadonlyArray<FoldMatrices>): FoldMatrices[];
  /** The held-out predictions (probabilities or values) and the fit's seconds; rejects with {@link BudgetEnded} when still fitting at `deadline` (a `performance.now()` time). */
  run(job: FoldJob, deadline: number): Promise<{ out: Float64Array; fitSeconds: number }>;
}

/** A trial chosen for a round. */
interface Proposal {
  r: {
    c: { id: string; model: string; label: string; params: Record<string, unknown> };
    ci: number;
    input: Candidate;
    searched: boolean;
    sh: { K: number; kind: 'rows' | 'iterations'; param: string | undefined; rungs: RungEntry[][] };
    max: number;
    ran: number;
    lastFoldSeconds: number;
    history: Observation[];
    complete: number;
    best: LeaderboardEntry | null;
    bestScore: number;
    bestOof: Float64Array | null;
  };
  /** The candidate's trial index (0 = its first). */
  t: number;
  searched: Record<string, unknown>;
  rung: number;
}

/** A proposal's state while its round runs, then its result. */
interface Outcome {
  status: 'pending' | 'running' | 'complete' | 'stopped' | 'failed' | 'skipped';
  params: Record<string, unknown>;
  fraction: number;
  resource?: Trial['resource'];
  /** Per fold: metrics, fit seconds, wall seconds (fit and predict). */
  perFold: Array<Record<string, number>>;
  foldSeconds: number[];
  foldWall: number[];
  foldsDone: number;
  oof: Float64Array | null;
  start?: number;
  end?: number;
  /** A cached trial's own seconds (when it ran). */
  seconds?: number;
  error?: string;
  cacheId?: string;
  cached?: boolean;
}

/** What the trial cache keeps of a finished trial. */
interface CachedTrial {
  seconds: number;
  perFold: Array<Record<string, number>>;
  foldSeconds: number[];
  foldWall: number[];
  oof: Float64Array | null;
}

/** A finished trial as the trial cache keeps it: JSON, its out-of-fold predictions as the bytes of their doubles (exact). */
function writeTrial(t: CachedTrial): Uint8Array {
  const oof = t.oof === null ? null : Buffer.from(t.oof.buffer, t.oof.byteOffset, t.oof.byteLength).toString('base64');
  return Buffer.from(JSON.stringify({ v: 1, seconds: t.seconds, perFold: t.perFold, foldSeconds: t.foldSeconds, foldWall: t.foldWall, oof }), 'utf8');
}

/** A cached trial, or null when there is none or it is not one of `folds` folds (with `oofLength` predictions when wanted). */
function readTrial(bytes: Uint8Array | null, folds: number, oofLength: number | undefined): CachedTrial | null {
  if (bytes === null) return null;
  try {
    const j = JSON.parse(Buffer.from(bytes).toString('utf8')) as { v?: number; seconds?: number; perFold?: Array<Record<string, number>>; foldSeconds?: number[]; foldWall?: number[]; oof?: string | null };
    if (j.v !== 1 || typeof j.seconds !== 'number' || !Array.isArray(j.perFold) || j.perFold.length !== folds || !Array.isArray(j.foldSeconds) || !Array.isArray(j.foldWall)) return null;
    let oof: Float64Array | null = null;
    if (oofLength !== undefined) {
      if (typeof j.oof !== 'string') return null;
      const b = Buffer.from(j.oof, 'base64');
      if (b.length !== oofLength * 8) return null;
      oof = new Float64Array(oofLength);
      new Uint8Array(oof.buffer).set(b);
    }
    return { seconds: j.seconds, perFold: j.perFold, foldSeconds: j.foldSeconds, foldWall: j.foldWall, oof };
  } catch {
    return null;
  }
}

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
 * The search runs in rounds (each candidate's next trial; every grid point), chosen from earlier
 * rounds only; a round's folds are fitted `pool.size` at a time on the pool's threads (once
 * opened), and its trials recorded in the round's order, so the pool changes only the times.
 * With a `trialCache`, each finished trial is kept as it ends, and a trial found there is taken
 * instead of fitted (marked `cached`).
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
  const cache = new Map<number, { Xtr: Matrix; Xte: Matrix; ytr: Int32Array | Float64Array }>();
  const targets: Array<Int32Array | Float64Array> = [];
  // each fold's fitted chain (small: what the preprocessing learnt), made once
  const stagesOf = new Map<number, FittedStage[]>();
  const foldStages = (fi: number): FittedStage[] => {
    let s = stagesOf.get(fi);
    if (s === undefined) stagesOf.set(fi, (s = fitChainStages(specs, takeRows(frame, folds[fi].train))));
    return s;
  };
  // the model's matrices, written directly by the last stage (no frame of them on the way)
  const foldTrain = (fi: number): Matrix => {
    const rows = takeRows(frame, folds[fi].train);
    let Xtr: Matrix;
    const fitted = stagesOf.get(fi);
    if (fitted !== undefined) Xtr = chainMatrixLazy(fitted, rows);
    else {
      // the first time: the chain fitted, and the matrix made from what its fit made
      const first = fitChainLazy(specs, rows);
      stagesOf.set(fi, first.stages);
      Xtr = first.X;
    }
    if (o.weights !== undefined) Xtr.weights = takeValues(o.weights, folds[fi].train);
    return Xtr;
  };
  const foldTest = (fi: number): Matrix => chainMatrix(foldStages(fi), takeRows(frame, folds[fi].test));
  const foldY = (fi: number): Int32Array | Float64Array => takeValues(y, folds[fi].train);
  const foldData = (fi: number) => {
    const hit = cache.get(fi);
    if (hit) return hit;
    const d = { Xtr: foldTrain(fi), Xte: foldTest(fi), ytr: foldY(fi) };
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
    return { c, ci, input, space: space ?? {}, searched, grid, sh, max: Math.min(max, points * (K + 1)), tried: new Set<string>(), rng: rngStream(o.seed, `model_selection/search/${c.id}`), history: [] as Observation[], ran: 0, lastFoldSeconds: 0, best: null as LeaderboardEntry | null, bestScore: -Infinity, bestOof: null as Float64Array | null, complete: 0 };
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
  let poolOpen = false;
  /** Fits that may run at once: the pool's threads once it is open (its folds handed over), else one. */
  const width = (): number => (poolOpen ? o.pool!.size : 1);
  /** How long a candidate's next trial should take at the current width (0 before its first). */
  const estimateMs = (r: Proposal['r']): number => r.lastFoldSeconds * 1000 * Math.ceil(folds.length / Math.max(1, width()));
  // Rounds: the trials of a round are chosen from the results of the rounds before it only (each
  // candidate's next trial; every grid point), in a fixed order, so the same trials with the same
  // seeds run whether their folds are fitted one after another or on many threads.
  for (;;) {
    const round: Proposal[] = [];
    let stop = false;
    propose: for (const r of rounds) {
      // grid: a candidate's trials one after another (as before searches); others: in turn
      for (let again = true; again; again = strategy === 'grid') {
        if (r.ran >= r.max) break;
        if (trials.length + round.length >= trialCap) {
          ended = 'trials';
          stop = true;
          break propose;
        }
        const now = performance.now();
        if (now >= deadline) {
          ended = 'time';
          stop = true;
          break propose;
        }
        // a trial that would overrun what is left (by this candidate's last trial) is not started
        if (r.ran > 0 && now + estimateMs(r) > deadline) {
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
        round.push({ r, t, searched: searchedValues, rung });
      }
    }
    if (round.length === 0) break;
    const outcomes = await runRound(round);
    // trials numbered and recorded in the round's order (not the order their folds finished)
    for (const [i, p] of round.entries()) {
      if (outcomes[i].status === 'skipped') continue;
      const trial = record(p, outcomes[i]);
      trials.push(trial);
      o.onTrial?.(trial);
    }
    if (stop) break;
  }

  /** A round's trials as outcomes (in its order): from the trial cache, or their folds fitted `width()` at a time. */
  async function runRound(round: Proposal[]): Promise<Outcome[]> {
    const out: Outcome[] = round.map((p) => prepare(p));
    const queue: Array<{ i: number; fi: number }> = [];
    for (const [i, x] of out.entries()) if (x.status === 'pending') for (const fi of folds.keys()) queue.push({ i, fi });
    const running = new Set<Promise<void>>();
    let local = 0;
    let fatal: unknown = null;
    while (queue.length > 0 || running.size > 0) {
      if (fatal !== null) throw fatal;
      // the pool opens once the search has run a while (threads cost a start) or has a time budget
      if (!poolOpen && o.pool !== undefined && keep && (deadline < Infinity || performance.now() - t0 >= (o.poolAfterMs ?? POOL_AFTER_MS))) {
        // the folds' matrices in shared memory from now on, in place of this thread's copies
        o.pool.open(folds.map((_, fi) => foldData(fi))).forEach((d, fi) => cache.set(fi, { ...cache.get(fi)!, ...d }));
        poolOpen = true;
      }
      while (running.size < width() && queue.length > 0) {
        const u = queue[0];
        const x = out[u.i];
        const p = round[u.i];
        if (x.status !== 'pending' && x.status !== 'running') {
          queue.shift(); // failed, stopped or not started: its other folds are not fitted
          continue;
        }
        const pooled = poolOpen && o.pool!.accepts(p.r.c.model);
        if (!pooled && local > 0) break; // a fit on this thread holds it: one at a time
        queue.shift();
        if (x.status === 'pending') {
          const now = performance.now();
          if (now >= deadline || (p.r.lastFoldSeconds > 0 && now + estimateMs(p.r) > deadline)) {
            x.status = 'skipped';
            p.r.max = Math.min(p.r.max, p.r.ran);
            cutForTime = true;
            continue;
          }
          x.status = 'running';
          x.start = now;
        }
        if (!pooled) local++;
        const job = fitFold(p, x, u.fi, pooled)
          .catch((err: unknown) => {
            if (x.status !== 'running') return;
            if (err instanceof BudgetEnded) {
              x.status = 'stopped';
              // a fold stopped early for what it would take: the candidate's next trial is judged by it
              if (err.projectedMs !== undefined) p.r.lastFoldSeconds = Math.max(p.r.lastFoldSeconds, err.projectedMs / 1000);
            }
            else if (!p.r.searched) fatal = err;
            else {
              x.status = 'failed';
              x.error = errorText(err);
            }
            x.end = performance.now();
          })
          .finally(() => {
            if (!pooled) local--;
            running.delete(job);
          });
        running.add(job);
        // a fit on this thread starts at once and holds it until done: let the others be sent first
        if (!pooled) break;
      }
      if (running.size > 0) await Promise.race(o.checkpoint === undefined ? [...running] : [...running, sleep(CHECKPOINT_MS)]);
      await o.checkpoint?.();
    }
    if (fatal !== null) throw fatal;
    return out;
  }

  /** A proposal's params and resource, or its outcome already: failed (params refused) or from the trial cache. */
  function prepare(p: Proposal): Outcome {
    const fraction = ETA ** (p.rung - p.r.sh.K);
    const halving = strategy === 'successive_halving' && p.r.searched;
    const x: Outcome = { status: 'pending', params: {}, fraction, perFold: new Array(folds.length), foldSeconds: new Array(folds.length).fill(0), foldWall: new Array(folds.length).fill(0), oof: null, foldsDone: 0 };
    try {
      x.params = p.r.searched ? resolveModelParams(p.r.c.model, { ...p.r.input.params, ...p.searched }, task) : p.r.c.params;
      if (halving && p.r.sh.kind === 'iterations') {
        const value = Math.max(1, Math.round((x.params[p.r.sh.param!] as number) * fraction));
        x.params = { ...x.params, [p.r.sh.param!]: value };
        x.resource = { kind: 'iterations', value, fraction };
      } else if (halving) x.resource = { kind: 'rows', value: Math.ceil(folds[0].train.length * fraction), fraction };
    } catch (err) {
      const now = performance.now();
      return { ...x, params: { ...p.r.input.params, ...p.searched }, status: 'failed', error: errorText(err), start: now, end: now };
    }
    x.oof = o.oof && fraction === 1 ? new Float64Array(frame.rows * Math.max(1, o.classes)) : null;
    x.cacheId = o.trialCache === undefined ? undefined : JSON.stringify({ v: 1, candidate: p.r.c.id, model: p.r.c.model, params: x.params, seed: seedOf(p, 0), fraction, folds: folds.length, oof: x.oof !== null });
    const hit = x.cacheId === undefined ? null : readTrial(o.trialCache!.get(x.cacheId), folds.length, x.oof?.length);
    if (hit === null) return x;
    fitsDone += folds.length;
    o.onProgress?.(fitsDone, plannedFits, p.r.c.label);
    p.r.lastFoldSeconds = hit.foldWall.reduce((a, b) => a + b, 0) / folds.length;
    const now = performance.now();
    return { ...x, ...hit, status: 'complete', foldsDone: folds.length, cached: true, start: now, end: now };
  }

  /** The seed of a trial's fold: the first trial of each candidate keeps the seeds of a plain cross-validation. */
  function seedOf(p: Proposal, fi: number): number {
    return o.seed + p.r.ci * 1000 + fi + p.t * 100_003;
  }

  /** Fits a trial's fold (on the pool, or on this thread by `fit`), scores it, and keeps the trial once its last fold is in. */
  async function fitFold(p: Proposal, x: Outcome, fi: number, pooled: boolean): Promise<void> {
    const w0 = performance.now();
    const rows = x.resource?.kind === 'rows' && x.fraction < 1 ? shareRows(fi, x.fraction) : null;
    const seed = seedOf(p, fi);
    let out: Float64Array;
    let fitSeconds: number;
    if (pooled) ({ out, fitSeconds } = await o.pool!.run({ model: p.r.c.model, params: x.params, classes: o.classes, seed, fold: fi, ...(rows !== null ? { rows } : {}) }, deadline));
    else {
      if (performance.now() >= deadline) throw new BudgetEnded();
      // folds not kept in memory: the held-out matrix is made after the fit, the training one let
      // go first (a fit's own copy of it, e.g. the linear models' in WebAssembly memory, and both
      // matrices are never held at once)
      const kept = keep ? foldData(fi) : null;
      let full: Matrix | null = kept?.Xtr ?? foldTrain(fi);
      let Xtr: Matrix | null = rows === null ? full : subsetRows(full, rows);
      const ytrFull = kept?.ytr ?? foldY(fi);
      const ytr = rows === null ? ytrFull : takeValues(ytrFull, rows);
      const onFit: FitProgress = (done, total) => {
        if (performance.now() >= deadline) throw new BudgetEnded();
        o.onFit?.(done, total);
      };
      const f0 = performance.now();
      const model = await fit(p.r.c.model, x.params, Xtr, ytr, o.classes, seed, onFit);
      Xtr = full = null;
      fitSeconds = (performance.now() - f0) / 1000;
      out = predictBefore(model, kept?.Xte ?? foldTest(fi), o.classes, deadline);
    }
    if (x.status !== 'running') return; // the trial failed or was stopped meanwhile
    const w = Math.max(1, o.classes);
    if (x.oof !== null) folds[fi].test.forEach((row, i) => x.oof!.set(out.subarray(i * w, i * w + w), row * w));
    x.perFold[fi] = flatMetrics(foldTargets(fi), out, o.classes);
    x.foldSeconds[fi] = fitSeconds;
    x.foldWall[fi] = (performance.now() - w0) / 1000;
    o.onProgress?.(++fitsDone, plannedFits, p.r.c.label);
    if (++x.foldsDone < folds.length) return;
    x.status = 'complete';
    x.end = performance.now();
    p.r.lastFoldSeconds = x.foldWall.reduce((a, b) => a + b, 0) / folds.length;
    if (x.cacheId !== undefined) o.trialCache!.put(x.cacheId, writeTrial({ seconds: (x.end - x.start!) / 1000, perFold: x.perFold, foldSeconds: x.foldSeconds, foldWall: x.foldWall, oof: x.oof }));
  }

  /** A finished trial's line, and what it teaches the search (its candidate's history, rungs and best). */
  function record(p: Proposal, x: Outcome): Trial {
    const r = p.r;
    const halving = strategy === 'successive_halving' && r.searched;
    const n = trials.length + 1;
    const seconds = x.seconds ?? ((x.end ?? 0) - (x.start ?? 0)) / 1000;
    const base = { n, candidate: r.c.id, model: r.c.model, searched: p.searched, startS: ((x.start ?? t0) - t0) / 1000, ...(halving ? { rung: p.rung } : {}), ...(x.cached ? { cached: true } : {}) };
    const done = x.perFold.filter((f) => f !== undefined);
    const foldScores = done.map((f) => f[o.metric]);
    if (x.status === 'failed') return { ...base, params: x.params, status: 'failed', score: null, std: null, foldScores, seconds, bestSoFar, error: x.error };
    if (x.status !== 'complete') return { ...base, params: x.params, status: 'stopped', score: null, std: null, foldScores, seconds, bestSoFar };
    const metrics = summarizeFolds(x.perFold);
    const score = metrics[o.metric]?.mean ?? NaN;
    const oriented = Number.isFinite(score) ? sign * score : -Infinity;
    const extra = x.resource !== undefined ? { resource: x.resource } : {};
    if (halving) r.sh.rungs[p.rung].push({ values: p.searched, score: oriented, promoted: false });
    // a score on part of the resource is not comparable with full ones: it ranks within its rung only
    if (x.fraction < 1) return { ...base, ...extra, params: x.params, status: 'complete', score, std: metrics[o.metric]?.std ?? null, foldScores, seconds, bestSoFar };
    r.history.push({ values: p.searched, score: oriented });
    r.complete++;
    if (oriented > r.bestScore || r.best === null) {
      r.bestScore = oriented;
      r.bestOof = x.oof;
      r.best = { id: r.c.id, label: r.c.label, model: r.c.model, params: x.params, metrics, folds: x.perFold, fitSeconds: x.foldSeconds.reduce((a, b) => a + b, 0) / folds.length, ...(r.searched ? { trial: n, searched: p.searched } : {}) };
    }
    if (Number.isFinite(score) && (bestSoFar === null || sign * score > sign * bestSoFar)) bestSoFar = score;
    return { ...base, ...extra, params: x.params, status: 'complete', score, std: metrics[o.metric]?.std ?? null, foldScores, seconds, bestSoFar };
  }

  /** A fold's held-out targets (made once per fold). */
  function foldTargets(fi: number): Int32Array | Float64Array {
    const test = folds[fi].test;
    return (targets[fi] ??= takeValues(y, test));
  }


  /** A seeded share of a fold's training rows (the same rows for every trial of a rung), as positions in its training matrix. */
  function shareRows(fi: number, fraction: number): Int32Array {
    const n = folds[fi].train.length;
    const m = Math.max(2, Math.ceil(n * fraction));
    const order = rngStream(o.seed, `model_selection/rows/${fi}`).shuffle(Int32Array.from({ length: n }, (_, i) => i));
    return order.subarray(0, m).sort();
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

/** Under a time budget, predictions come in chunks of rows taking about this long (the clock is checked between them). */
const PREDICT_CHUNK_MS = 100;

/** A prediction is judged by its pace (to stop it early) once it has run this long. */
const PROJECT_AFTER_MS = 200;

/**
 * The held-out predictions (probabilities, or values), in chunks of rows under a time budget so
 * that a slow predictor (kNN over many rows: ~0.7 ms a row at 20,000 × 20) is stopped when it
 * ends, or as soon as its pace says it would end after it ({@link BudgetEnded} with the time it
 * would have taken): the time left goes to other trials. The first chunk is 256 rows, the next
 * sized to take ~100 ms at the rate measured. Each row's prediction does not depend on the
 * others, so the chunks give the numbers of one call.
 */
export function predictBefore(model: Pick<FittedModel, 'predict' | 'predictProba'>, X: Matrix, classes: number, deadline: number): Float64Array {
  const one = (m: Matrix): Float64Array => (classes > 0 ? model.predictProba(m) : model.predict(m));
  if (deadline === Infinity || X.rows <= 256) return one(X);
  const w = Math.max(1, classes);
  const out = new Float64Array(X.rows * w);
  const t0 = performance.now();
  let chunk = 256;
  for (let start = 0; start < X.rows; ) {
    const now = performance.now();
    if (now >= deadline) throw new BudgetEnded();
    if (start > 0 && now - t0 >= PROJECT_AFTER_MS) {
      const projected = ((now - t0) / start) * X.rows;
      if (t0 + projected > deadline) throw new BudgetEnded(projected);
    }
    const rows = Math.min(chunk, X.rows - start);
    out.set(one({ rows, cols: X.cols, data: X.data.subarray(start * X.cols, (start + rows) * X.cols) }), start * w);
    const perRow = (performance.now() - now) / rows;
    chunk = Math.max(256, Math.min(65_536, Math.floor(PREDICT_CHUNK_MS / Math.max(perRow, 1e-6))));
    start += rows;
  }
  return out;
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
