// Search spaces and strategies (issue #23): the samplers, and crossValidate's trials under each
// strategy and budget.
import { describe, expect, it } from 'vitest';
import { type Candidate, SearchEmpty, crossValidate } from '../../src/ml/cv.js';
import { makeFrame, type NumericColumn } from '../../src/ml/frame.js';
import type { PreprocessOptions } from '../../src/ml/preprocess.js';
import { rngStream } from '../../src/ml/random.js';
import { type Observation, type SearchSpace, gridPoints, sampleRandom, suggestTpe } from '../../src/ml/search.js';

const PRE: PreprocessOptions = { impute: { numeric: 'median', categorical: 'most_frequent' }, encode: { categorical: 'onehot', min_frequency: 0.01, max_levels: 30 }, scale: 'standard', drop_constant: true, drop: [] };

function table(n: number, seed: number) {
  const r = rngStream(seed, 'search');
  const cols = Array.from({ length: 5 }, () => new Float64Array(n));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = cols.map((c) => (c[i] = r.next() * 2 - 1));
    y[i] = x[0] * x[1] + 0.3 * x[2] + 0.2 * (r.next() - 0.5) > 0 ? 1 : 0;
  }
  return { frame: makeFrame(cols.map((values, j): NumericColumn => ({ kind: 'numeric', name: `x${j}`, values }))), y };
}

const SPACE: SearchSpace = {
  C: { type: 'float', low: 1e-3, high: 1e3, log: true },
  k: { type: 'int', low: 1, high: 64, log: true },
  depth: { type: 'int', low: 2, high: 6 },
  weights: { type: 'choice', values: ['uniform', 'distance', null] },
};

describe('samplers', () => {
  it('random draws stay in the space, ints are whole, log scales spread over the decades, every choice and int shows up, and a seed replays', () => {
    const rng = rngStream(7, 's');
    const draws = Array.from({ length: 2000 }, () => sampleRandom(SPACE, rng));
    for (const d of draws) {
      expect(d.C).toBeGreaterThanOrEqual(1e-3);
      expect(d.C).toBeLessThanOrEqual(1e3);
      expect(Number.isInteger(d.k) && (d.k as number) >= 1 && (d.k as number) <= 64).toBe(true);
      expect([2, 3, 4, 5, 6]).toContain(d.depth);
    }
    // log-uniform: half the draws below the geometric middle (1), a sixth in each decade
    const below = draws.filter((d) => (d.C as number) < 1).length / draws.length;
    expect(below).toBeGreaterThan(0.45);
    expect(below).toBeLessThan(0.55);
    expect(new Set(draws.map((d) => d.depth)).size).toBe(5);
    expect(Math.min(...draws.filter((d) => d.depth === 2 || d.depth === 6).length === 0 ? [0] : [1])).toBe(1);
    const ends = (v: number) => draws.filter((d) => d.depth === v).length / draws.length;
    for (const v of [2, 4, 6]) expect(ends(v)).toBeGreaterThan(0.15); // 0.2 each: the ends are not halved
    expect(new Set(draws.map((d) => JSON.stringify(d.weights))).size).toBe(3);
    const again = rngStream(7, 's');
    expect(Array.from({ length: 2000 }, () => sampleRandom(SPACE, again))).toEqual(draws);
  });

  it('a grid is every combination of choices, and there is none of a range', () => {
    expect(gridPoints({ a: { type: 'choice', values: [1, 2] }, b: { type: 'choice', values: ['x', 'y', 'z'] } })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 1, b: 'z' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
      { a: 2, b: 'z' },
    ]);
    expect(gridPoints({ a: { type: 'choice', values: [1] }, C: SPACE.C })).toBeNull();
  });

  it('TPE finds better values than random search with the same number of trials, on average over seeds', () => {
    // a narrow optimum: C near 20 (log scale), k near 17, depth 4, weights 'distance'
    const f = (v: Record<string, unknown>) => -((Math.log10(v.C as number) - 1.3) ** 2) - ((Math.log2(v.k as number) - Math.log2(17)) ** 2) / 4 - (v.depth === 4 ? 0 : 0.5) - (v.weights === 'distance' ? 0 : 0.5);
    const search = (seed: number, tpe: boolean) => {
      const rng = rngStream(seed, 'tpe-vs-random');
      const history: Observation[] = [];
      for (let t = 0; t < 50; t++) {
        const values = tpe ? suggestTpe(SPACE, history, rng) : sampleRandom(SPACE, rng);
        history.push({ values, score: f(values) });
      }
      return Math.max(...history.map((h) => h.score));
    };
    const seeds = Array.from({ length: 12 }, (_, i) => i + 1);
    const tpe = seeds.map((s) => search(s, true));
    const rnd = seeds.map((s) => search(s, false));
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(tpe)).toBeGreaterThan(mean(rnd));
    expect(tpe.filter((t, i) => t >= rnd[i]).length).toBeGreaterThanOrEqual(8);
    // and it replays: the same seed and scores give the same suggestions
    expect(search(3, true)).toBe(tpe[2]);
  });
});

describe('crossValidate with search', () => {
  const { frame, y } = table(300, 3);
  const base = { folds: 3, seed: 42, classes: 2, metric: 'accuracy', preprocess: PRE };

  it('grid tries every combination of a choice space; the leaderboard keeps each candidate at its best trial', async () => {
    const cv = await crossValidate(frame, y, [{ model: 'knn', params: {}, search: { n_neighbors: { type: 'choice', values: [1, 5, 25] }, weights: { type: 'choice', values: ['uniform', 'distance'] } } }, { model: 'logistic_regression', params: {} }], { ...base, strategy: 'grid' });
    expect(cv.trials.length).toBe(7);
    expect(cv.trials.slice(0, 6).map((t) => [t.searched.n_neighbors, t.searched.weights])).toEqual([
      [1, 'uniform'],
      [1, 'distance'],
      [5, 'uniform'],
      [5, 'distance'],
      [25, 'uniform'],
      [25, 'distance'],
    ]);
    const knn = cv.leaderboard.find((e) => e.model === 'knn')!;
    expect(knn.trials).toBe(6);
    const bestKnn = Math.max(...cv.trials.filter((t) => t.candidate === 'knn-1').map((t) => t.score!));
    expect(knn.metrics.accuracy.mean).toBe(bestKnn);
    expect(knn.params).toMatchObject(cv.trials[knn.trial! - 1].searched);
    expect(cv.leaderboard.find((e) => e.model === 'logistic_regression')!.trials).toBeUndefined();
    expect(cv.search).toMatchObject({ strategy: 'grid', trials: 7, complete: 7, stopped: 0, failed: 0, ended: 'exhausted' });
    // bestSoFar only improves
    const bests = cv.trials.map((t) => t.bestSoFar!);
    expect(bests.every((b, i) => i === 0 || b >= bests[i - 1])).toBe(true);
  });

  it('without a space, grid gives the same scores as before searches existed (the first trial keeps the seeds)', async () => {
    const plain = await crossValidate(frame, y, [{ model: 'random_forest', params: { n_estimators: 10 } }], base);
    const searched = await crossValidate(frame, y, [{ model: 'random_forest', params: { n_estimators: 10 }, search: { min_samples_leaf: { type: 'int', low: 1, high: 10 } }, trials: 3 }], { ...base, strategy: 'random' });
    expect(searched.trials[0].searched).toEqual({ min_samples_leaf: 1 });
    expect(searched.trials[0].score).toBe(plain.leaderboard[0].metrics.accuracy.mean);
  });

  it.each(['random', 'tpe'] as const)('%s: the first trial is the candidate as written, then samples; trials alternate between candidates; the same seed replays the search', async (strategy) => {
    const cands: Candidate[] = [
      { model: 'knn', params: { n_neighbors: 5 }, search: { n_neighbors: { type: 'int', low: 1, high: 40, log: true } }, trials: 12 },
      { model: 'logistic_regression', params: {}, search: { C: { type: 'float', low: 1e-3, high: 1e2, log: true } }, trials: 12 },
    ];
    const cv = await crossValidate(frame, y, cands, { ...base, strategy });
    expect(cv.trials.length).toBe(24);
    expect(cv.trials.map((t) => t.candidate).slice(0, 4)).toEqual(['knn-1', 'logistic_regression-1', 'knn-1', 'logistic_regression-1']);
    expect(cv.trials[0].searched).toEqual({ n_neighbors: 5 });
    expect(cv.trials[1].searched).toEqual({ C: 1 });
    expect(new Set(cv.trials.filter((t) => t.candidate === 'knn-1').map((t) => t.searched.n_neighbors)).size).toBeGreaterThan(4);
    for (const t of cv.trials) expect(t.foldScores.length).toBe(3);
    const again = await crossValidate(frame, y, cands, { ...base, strategy });
    expect(again.trials.map((t) => [t.candidate, t.searched, t.score])).toEqual(cv.trials.map((t) => [t.candidate, t.searched, t.score]));
    // the best entry is at least as good as the candidate as written
    for (const e of cv.leaderboard) expect(e.metrics.accuracy.mean).toBeGreaterThanOrEqual(cv.trials.find((t) => t.candidate === e.id)!.score!);
  });

  it('a trials budget caps the search; a space value the model refuses fails that trial, not the search', async () => {
    const cv = await crossValidate(frame, y, [{ model: 'knn', params: {}, search: { n_neighbors: { type: 'int', low: -3, high: 30 } } }], { ...base, strategy: 'random', budget: { trials: 9 } });
    expect(cv.trials.length).toBe(9);
    expect(cv.search.ended).toBe('trials');
    const failed = cv.trials.filter((t) => t.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const t of failed) {
      expect(t.searched.n_neighbors as number).toBeLessThan(1);
      expect(t.error).toMatch(/too small|>=?\s*1|greater than/i);
    }
    expect(cv.leaderboard[0].trials).toBe(9 - failed.length);
  });

  it('the time budget stops a trial that runs past it, and a search with nothing finished says so', async () => {
    const slow = [{ model: 'gradient_boosting', params: { max_iter: 100000, learning_rate: 0.001, early_stopping: false }, search: { min_samples_leaf: { type: 'int' as const, low: 2, high: 50 } } }];
    const fast = { model: 'logistic_regression', params: {} };
    const t0 = performance.now();
    const cv = await crossValidate(frame, y, [fast, ...slow], { ...base, strategy: 'random', budget: { timeMs: 1500 } });
    const took = performance.now() - t0;
    // one gradient boosting trial alone would take minutes: it was stopped, not waited for
    expect(took).toBeLessThan(6000);
    expect(cv.search.ended).toBe('time');
    expect(cv.trials.some((t) => t.candidate === 'gradient_boosting-1' && t.status === 'stopped')).toBe(true);
    expect(cv.leaderboard.map((e) => e.id)).toEqual(['logistic_regression-1']);
    const err = await crossValidate(frame, y, slow, { ...base, strategy: 'random', budget: { timeMs: 300 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchEmpty);
    expect((err as SearchEmpty).message).toMatch(/time budget of 0.3 s ended before any trial finished/);
  });
});

describe('crossValidate: spaces with few points, and params outside the space', () => {
  const { frame, y } = table(200, 5);
  const base = { folds: 3, seed: 1, classes: 2, metric: 'accuracy', preprocess: PRE };

  it.each(['random', 'tpe'] as const)('%s tries each point of a small discrete space once, then stops', async (strategy) => {
    const cv = await crossValidate(frame, y, [{ model: 'knn', params: {}, search: { n_neighbors: { type: 'int', low: 3, high: 5 }, weights: { type: 'choice', values: ['uniform', 'distance'] } }, trials: 50 }], { ...base, strategy });
    expect(cv.trials.length).toBe(6);
    expect(new Set(cv.trials.map((t) => JSON.stringify(t.searched))).size).toBe(6);
    expect(cv.search.ended).toBe('exhausted');
  });

  it('a candidate whose params lie outside its space starts from a sample of the space', async () => {
    const cv = await crossValidate(frame, y, [{ model: 'knn', params: { n_neighbors: 5 }, search: { n_neighbors: { type: 'int', low: 20, high: 40 } }, trials: 3 }], { ...base, strategy: 'random' });
    for (const t of cv.trials) expect(t.searched.n_neighbors as number).toBeGreaterThanOrEqual(20);
  });
});

describe('crossValidate: successive halving', () => {
  const { frame, y } = table(300, 9);
  const base = { folds: 3, seed: 4, classes: 2, metric: 'accuracy', preprocess: PRE };

  it('on boosting rounds: a pyramid of rungs, the best third promoted, the rest pruned; only full-resource scores rank; it replays', async () => {
    const cands: Candidate[] = [{ model: 'gradient_boosting', params: { max_iter: 81 }, search: { learning_rate: { type: 'float', low: 0.01, high: 0.5, log: true }, max_leaf_nodes: { type: 'int', low: 4, high: 31 } }, trials: 40 }];
    const cv = await crossValidate(frame, y, cands, { ...base, strategy: 'successive_halving' });
    expect(cv.trials.length).toBe(40);
    // the candidate as written first, at the full resource
    expect(cv.trials[0]).toMatchObject({ rung: 3, resource: { kind: 'iterations', value: 81, fraction: 1 }, searched: { learning_rate: 0.1, max_leaf_nodes: 31 } });
    const at = (k: number) => cv.trials.filter((t) => t.rung === k);
    expect(at(0).map((t) => t.resource!.value)).toEqual(at(0).map(() => 3));
    expect(at(1).every((t) => t.resource!.value === 9 && t.params.max_iter === 9)).toBe(true);
    expect(at(0).length).toBeGreaterThan(at(1).length);
    expect(at(1).length).toBeGreaterThan(at(2).length);
    expect(at(2).length).toBeGreaterThan(0);
    // every promotion was in the top third of its rung when it was made
    for (const [i, t] of cv.trials.entries()) {
      if (t.rung === undefined || t.rung === 0 || i === 0) continue;
      const below = cv.trials.slice(0, i).filter((u) => u.rung === t.rung! - 1);
      const mine = below.find((u) => JSON.stringify(u.searched) === JSON.stringify(t.searched))!;
      expect(mine).toBeDefined();
      expect(below.filter((u) => u.score! > mine.score!).length).toBeLessThan(Math.floor(below.length / 3));
    }
    const full = cv.trials.filter((t) => t.resource!.fraction === 1);
    expect(cv.trials.filter((t) => !t.pruned).every((t) => full.some((f) => JSON.stringify(f.searched) === JSON.stringify(t.searched)))).toBe(true);
    expect(cv.search.pruned).toBe(cv.trials.filter((t) => t.pruned).length);
    expect(cv.search.pruned).toBeGreaterThan(20);
    expect(cv.leaderboard[0].metrics.accuracy.mean).toBe(Math.max(...full.map((t) => t.score!)));
    expect(cv.leaderboard[0].params.max_iter).toBe(81);
    const again = await crossValidate(frame, y, cands, { ...base, strategy: 'successive_halving' });
    expect(again.trials.map((t) => [t.rung, t.searched, t.score])).toEqual(cv.trials.map((t) => [t.rung, t.searched, t.score]));
  });

  it('on rows, for a model without iterations: each rung trains on a seeded share of the fold', async () => {
    const cv = await crossValidate(frame, y, [{ model: 'knn', params: {}, search: { n_neighbors: { type: 'int', low: 1, high: 60 } }, trials: 15 }], { ...base, strategy: 'successive_halving' });
    // 200 training rows per fold, at least 30 per rung: rungs 0..1 (a third, then all)
    expect(new Set(cv.trials.map((t) => t.rung))).toEqual(new Set([0, 1]));
    for (const t of cv.trials) expect(t.resource).toMatchObject({ kind: 'rows', value: t.rung === 0 ? 67 : 200 });
  });
});
