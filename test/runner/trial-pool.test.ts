// Parallel and resumable searches (issue #23, part 7): the folds of a search fitted on worker
// threads give exactly the trials and leaderboard of one thread, under every strategy; a time
// budget stops a fit that cannot notice it by ending its worker; finished trials kept in a trial
// cache are taken instead of fitted when the search runs again, with the same results.
// The workers load dist/cli/trial-worker.cjs: `npm test` builds first.
import { describe, expect, it } from 'vitest';
import { BudgetEnded, type Candidate, type CvOptions, type CvResult, type Trial, SearchEmpty, crossValidate } from '../../src/ml/cv.js';
import { makeFrame, type NumericColumn } from '../../src/ml/frame.js';
import type { PreprocessOptions } from '../../src/ml/preprocess.js';
import { rngStream } from '../../src/ml/random.js';
import { TrialPool } from '../../src/runner/trial-pool.js';

const PRE: PreprocessOptions = { impute: { numeric: 'median', categorical: 'most_frequent' }, encode: { categorical: 'onehot', min_frequency: 0.01, max_levels: 30 }, scale: 'standard', drop_constant: true, drop: [] };

function table(n: number, seed: number, cols = 5) {
  const r = rngStream(seed, 'pool');
  const xs = Array.from({ length: cols }, () => new Float64Array(n));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = xs.map((c) => (c[i] = r.next() * 2 - 1));
    y[i] = x[0] * x[1] + 0.3 * x[2] + 0.2 * (r.next() - 0.5) > 0 ? 1 : 0;
  }
  return { frame: makeFrame(xs.map((values, j): NumericColumn => ({ kind: 'numeric', name: `x${j}`, values }))), y };
}

/** A trial without its times (they are the only thing that may differ). */
const timeless = ({ startS: _s, seconds: _t, ...t }: Trial) => t;
const board = (cv: CvResult) => cv.leaderboard.map(({ fitSeconds: _f, ...e }) => e);

async function withPool(frame: ReturnType<typeof table>['frame'], y: Int32Array | Float64Array, cands: Candidate[], o: CvOptions): Promise<{ cv: CvResult; jobs: number }> {
  const pool = new TrialPool(2);
  try {
    const cv = await crossValidate(frame, y, cands, { ...o, pool, poolAfterMs: 0 });
    return { cv, jobs: pool.jobs };
  } finally {
    await pool.close();
  }
}

const SPACES: Candidate[] = [
  { model: 'gradient_boosting', params: { max_iter: 27 }, search: { learning_rate: { type: 'float', low: 0.01, high: 0.5, log: true }, max_leaf_nodes: { type: 'int', low: 4, high: 31 } } },
  { model: 'random_forest', params: { n_estimators: 12 }, search: { min_samples_leaf: { type: 'int', low: 1, high: 20 }, max_features: { type: 'choice', values: ['sqrt', 0.5, 0.8] } } },
  { model: 'knn', params: {}, search: { n_neighbors: { type: 'int', low: 1, high: 60 }, weights: { type: 'choice', values: ['uniform', 'distance'] } } },
  { model: 'logistic_regression', params: {}, search: { C: { type: 'float', low: 1e-3, high: 1e2, log: true } } },
];

describe('a search on worker threads', () => {
  const { frame, y } = table(400, 3);
  const base = { folds: 4, seed: 11, classes: 2, metric: 'accuracy', preprocess: PRE, oof: true };

  it.each([
    ['tpe', { strategy: 'tpe', budget: { trials: 24 } }],
    ['random', { strategy: 'random', budget: { trials: 16 } }],
    ['successive_halving', { strategy: 'successive_halving', budget: { trials: 30 } }],
  ] as const)('%s: the same trials, leaderboard and out-of-fold predictions with two workers as with one', async (_name, extra) => {
    const o = { ...base, ...extra } as CvOptions;
    const one = await crossValidate(frame, y, SPACES, o);
    const { cv: two, jobs } = await withPool(frame, y, SPACES, o);
    expect(jobs).toBeGreaterThan(0.9 * one.trials.reduce((a, t) => a + t.foldScores.length, 0));
    expect(two.trials.map(timeless)).toEqual(one.trials.map(timeless));
    expect(board(two)).toEqual(board(one));
    expect(Object.keys(two.oof).sort()).toEqual(Object.keys(one.oof).sort());
    for (const id of Object.keys(one.oof)) expect(Buffer.from(two.oof[id].buffer).equals(Buffer.from(one.oof[id].buffer))).toBe(true);
  }, 120_000);

  it('grid, regression and successive halving on rows: the same with two workers', async () => {
    const r = rngStream(5, 'reg');
    const yr = Float64Array.from(y, (c, i) => c * 2 + (frame.columns[0] as NumericColumn).values[i] + 0.1 * r.next());
    const cands: Candidate[] = [
      { model: 'knn', params: {}, search: { n_neighbors: { type: 'choice', values: [3, 9, 27] } } },
      { model: 'linear_regression', params: {} },
      { model: 'decision_tree', params: {}, search: { max_depth: { type: 'choice', values: [2, 4, 8] } } },
    ];
    const o = { ...base, classes: 0, metric: 'rmse', strategy: 'grid' } as CvOptions;
    const one = await crossValidate(frame, yr, cands, o);
    const { cv: two } = await withPool(frame, yr, cands, o);
    expect(one.trials).toHaveLength(7);
    expect(two.trials.map(timeless)).toEqual(one.trials.map(timeless));
    expect(board(two)).toEqual(board(one));
    const rows = { ...base, strategy: 'successive_halving', resource: 'rows', budget: { trials: 12 } } as CvOptions;
    const knn: Candidate[] = [{ model: 'knn', params: {}, search: { n_neighbors: { type: 'int', low: 1, high: 60 } } }];
    const a = await crossValidate(frame, y, knn, rows);
    const b = await withPool(frame, y, knn, rows);
    expect(a.trials.some((t) => t.resource?.kind === 'rows' && t.resource.fraction < 1)).toBe(true);
    expect(b.cv.trials.map(timeless)).toEqual(a.trials.map(timeless));
  }, 120_000);

  it('under a time budget a slow kNN is stopped by its pace, on a worker and on the thread; a fit still running when it ends is stopped by ending its worker', async () => {
    // kNN predicting 20,000 held-out rows from 20,000: many seconds per fold, no iterations to check the clock between
    const big = table(40_000, 8, 20);
    const pool = new TrialPool(2);
    const t0 = performance.now();
    try {
      const err = await crossValidate(big.frame, big.y, [{ model: 'knn', params: { n_neighbors: 5 } }], { folds: 2, seed: 1, classes: 2, metric: 'accuracy', preprocess: PRE, pool, budget: { timeMs: 3000 } }).catch((e: unknown) => e);
      const took = performance.now() - t0;
      expect(err).toBeInstanceOf(SearchEmpty);
      expect((err as SearchEmpty).search.stopped).toBe(1);
      // stopped at 3 s (and a grace of 100 ms), not when the fits would have ended
      expect(took).toBeLessThan(4500);
      expect(pool.jobs).toBe(2);
    } finally {
      await pool.close();
    }
    // on this thread the predictions come in chunks of rows, the clock checked between them, and
    // their pace stops them early: ~15 s of kNN would not fit in 3 s, so the time is not spent on it
    const t1 = performance.now();
    const err = await crossValidate(big.frame, big.y, [{ model: 'knn', params: { n_neighbors: 5 } }], { folds: 2, seed: 1, classes: 2, metric: 'accuracy', preprocess: PRE, budget: { timeMs: 3000 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchEmpty);
    expect((err as SearchEmpty).search.stopped).toBe(1);
    expect((err as SearchEmpty).trials[0].seconds).toBeLessThan(2);
    expect(performance.now() - t1).toBeLessThan(4500);
    // a piece of work longer than what is left (256 query rows against 40,000): the worker is ended
    const one = new TrialPool(1);
    try {
      const n = 40_000;
      const r = rngStream(2, 'slow');
      const Xtr = { rows: n, cols: 20, data: Float64Array.from({ length: n * 20 }, () => r.next()) };
      const Xte = { rows: 2000, cols: 20, data: Float64Array.from({ length: 2000 * 20 }, () => r.next()) };
      one.open([{ Xtr, Xte, ytr: Int32Array.from({ length: n }, (_, i) => i % 2) }]);
      const job = { model: 'knn', params: { n_neighbors: 5 }, classes: 2, seed: 1, fold: 0 };
      await one.run({ ...job, model: 'logistic_regression', params: {} }, Infinity); // the worker started
      const t2 = performance.now();
      const stop = await one.run(job, performance.now() + 50).catch((e: unknown) => e);
      expect(stop).toBeInstanceOf(BudgetEnded);
      expect(one.ended).toBe(1);
      expect(performance.now() - t2).toBeLessThan(1000);
      // and the pool goes on with a new worker
      expect((await one.run({ ...job, model: 'logistic_regression', params: {} }, Infinity)).out.length).toBe(4000);
    } finally {
      await one.close();
    }
  }, 60_000);
});

describe('a trial cache (a killed search resumed)', () => {
  const { frame, y } = table(300, 4);
  const o = { folds: 3, seed: 2, classes: 2, metric: 'accuracy', preprocess: PRE, strategy: 'tpe', budget: { trials: 12 }, oof: true } as CvOptions;
  const cands = SPACES.slice(0, 3);

  it('takes finished trials instead of fitting them, with the same trials and leaderboard; damaged entries are fitted again', async () => {
    const store = new Map<string, Uint8Array>();
    const puts: string[] = [];
    const cache = { get: (id: string) => store.get(id) ?? null, put: (id: string, data: Uint8Array) => (puts.push(id), store.set(id, data)) };
    const first = await crossValidate(frame, y, cands, { ...o, trialCache: cache });
    expect(puts).toHaveLength(12);
    expect(first.trials.some((t) => t.cached)).toBe(false);
    // a run killed after its first 5 trials: those are kept, one of them damaged
    for (const id of puts.slice(5)) store.delete(id);
    store.set(puts[1], Buffer.from('{"v":1,"seconds":'));
    let fits = 0;
    const again = await crossValidate(frame, y, cands, { ...o, trialCache: cache, onProgress: (done) => void (fits = done) });
    expect(again.trials.map((t) => t.cached === true)).toEqual(first.trials.map((_, i) => i < 5 && i !== 1));
    const plain = ({ cached: _c, ...t }: Trial) => timeless(t);
    expect(again.trials.map(plain)).toEqual(first.trials.map(plain));
    expect(board(again)).toEqual(board(first));
    for (const id of Object.keys(first.oof)) expect(Buffer.from(again.oof[id].buffer).equals(Buffer.from(first.oof[id].buffer))).toBe(true);
    expect(fits).toBe(12 * 3); // cached trials count their folds as done
    // every trial kept now: nothing is fitted
    const third = await crossValidate(frame, y, cands, { ...o, trialCache: cache, fit: () => Promise.reject(new Error('fitted')) });
    expect(third.trials.every((t) => t.cached)).toBe(true);
    expect(board(third)).toEqual(board(first));
  }, 60_000);
});
