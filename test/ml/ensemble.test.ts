// Ensembles (issue #23): Caruana's greedy selection from out-of-fold predictions, crossValidate's
// out-of-fold predictions, and a fitted ensemble that predicts its members' weighted mean.
import { describe, expect, it } from 'vitest';
import { crossValidate, oofFoldMetrics, summarizeFolds } from '../../src/ml/cv.js';
import { greedyEnsemble } from '../../src/ml/ensemble.js';
import { makeFrame, type NumericColumn } from '../../src/ml/frame.js';
import { matrixFromRows } from '../../src/ml/matrix.js';
import { ensembleOf, fitModel, modelFromJSON } from '../../src/ml/models.js';
import { rngStream } from '../../src/ml/random.js';
import type { PreprocessOptions } from '../../src/ml/preprocess.js';

const PRE: PreprocessOptions = { impute: { numeric: 'median', categorical: 'most_frequent' }, encode: { categorical: 'onehot', min_frequency: 0.01, max_levels: 30 }, scale: 'standard', drop_constant: true, drop: [] };

/** Two-class probabilities (n × 2) from each row's P(class 1). */
const proba = (p1: number[]): Float64Array => Float64Array.from(p1.flatMap((p) => [1 - p, p]));

describe('greedyEnsemble', () => {
  it('two members wrong on different rows: the ensemble is right on every row, each weighing half', () => {
    const y = Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]);
    // a is confidently right on the first half and mildly wrong on the second; b the other way round
    const a = proba([0.1, 0.9, 0.1, 0.9, 0.6, 0.4, 0.6, 0.4]);
    const b = proba([0.6, 0.4, 0.6, 0.4, 0.1, 0.9, 0.1, 0.9]);
    const g = greedyEnsemble([a, b], y, 2, 'accuracy', 4);
    expect(g.path[0]).toBe(0.5); // the best single member
    expect(g.picks).toBe(2); // the earliest best prefix
    expect(g.counts).toEqual([1, 1]);
    expect(g.weights).toEqual([0.5, 0.5]);
    expect(g.path.length).toBe(4);
    expect(Math.max(...g.path)).toBe(1);
    for (let i = 0; i < g.oof.length; i++) expect(g.oof[i]).toBeCloseTo((a[i] + b[i]) / 2, 12);
  });

  it('a member that adds nothing is never picked; equal members go to the first; a worse one after the best prefix is dropped', () => {
    const y = Float64Array.from([1, 2, 3, 4]);
    const good = Float64Array.from([1.1, 2.1, 3.1, 4.1]);
    const g = greedyEnsemble([good, Float64Array.from(good), Float64Array.from([9, 9, 9, 9])], y, 0, 'rmse', 5);
    expect(g.counts).toEqual([1, 0, 0]);
    expect(g.picks).toBe(1);
    expect(g.weights).toEqual([1, 0, 0]);
  });

  it('regression: members biased up and down average to the truth (rmse 0)', () => {
    const y = Float64Array.from([1, 5, 2, 8, 3]);
    const up = y.map((v) => v + 1);
    const down = y.map((v) => v - 1);
    const g = greedyEnsemble([up, down], y, 0, 'rmse', 6);
    expect(g.weights).toEqual([0.5, 0.5]);
    expect(g.path[1]).toBe(0);
    expect(Array.from(g.oof)).toEqual(Array.from(y));
  });

  it('refuses no members and an unknown metric', () => {
    expect(() => greedyEnsemble([], Int32Array.of(0), 2, 'accuracy', 3)).toThrow(/needs a member/);
    expect(() => greedyEnsemble([proba([0.5])], Int32Array.of(0), 2, 'nope', 3)).toThrow(/unknown metric nope/);
  });
});

describe('out-of-fold predictions and a fitted ensemble', () => {
  const n = 240;
  const r = rngStream(7, 'ensemble');
  const cols = Array.from({ length: 4 }, () => new Float64Array(n));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = cols.map((c) => (c[i] = r.next() * 2 - 1));
    y[i] = x[0] * x[1] + 0.4 * x[2] + 0.3 * (r.next() - 0.5) > 0 ? 1 : 0;
  }
  const frame = makeFrame(cols.map((values, j): NumericColumn => ({ kind: 'numeric', name: `x${j}`, values })));

  it("crossValidate keeps each candidate's out-of-fold probabilities: scored per fold they give its leaderboard metrics", async () => {
    const cv = await crossValidate(frame, y, [{ model: 'logistic_regression', params: {} }, { model: 'knn', params: {} }], { folds: 4, seed: 3, classes: 2, metric: 'accuracy', preprocess: PRE, oof: true });
    expect(Object.keys(cv.oof).sort()).toEqual(['knn-1', 'logistic_regression-1']);
    for (const e of cv.leaderboard) {
      const oof = cv.oof[e.id];
      expect(oof.length).toBe(n * 2);
      for (let i = 0; i < n; i++) expect(oof[2 * i] + oof[2 * i + 1]).toBeCloseTo(1, 9); // every row predicted once
      const folds = oofFoldMetrics(oof, y, cv.folds, 2);
      expect(folds.map((f) => f.accuracy)).toEqual(e.folds.map((f) => f.accuracy));
      expect(summarizeFolds(folds).accuracy.mean).toBeCloseTo(e.metrics.accuracy.mean, 12);
    }
    // without the option nothing is kept
    const plain = await crossValidate(frame, y, [{ model: 'logistic_regression', params: {} }], { folds: 4, seed: 3, classes: 2, metric: 'accuracy', preprocess: PRE });
    expect(plain.oof).toEqual({});
  });

  it("a fitted ensemble predicts its members' weighted mean, and its JSON predicts the same", () => {
    const X = matrixFromRows(Array.from({ length: n }, (_, i) => cols.map((c) => c[i])));
    const lr = fitModel('logistic_regression', { C: 1, max_iter: 200, class_weight: null }, X, y, 2, 1);
    const knn = fitModel('knn', { n_neighbors: 7, weights: 'uniform' }, X, y, 2, 1);
    const e = ensembleOf('classification', 2, [
      { candidate: 'lr', name: 'logistic_regression', params: {}, weight: 0.25, model: lr },
      { candidate: 'knn', name: 'knn', params: {}, weight: 0.75, model: knn },
    ]);
    const p = e.predictProba(X);
    const a = lr.predictProba(X);
    const b = knn.predictProba(X);
    for (let i = 0; i < p.length; i++) expect(p[i]).toBeCloseTo(0.25 * a[i] + 0.75 * b[i], 12);
    const labels = e.predict(X);
    for (let i = 0; i < n; i++) expect(labels[i]).toBe(p[2 * i + 1] > p[2 * i] ? 1 : 0);
    const back = modelFromJSON(JSON.parse(JSON.stringify(e.toJSON())));
    expect(Array.from(back.predictProba(X))).toEqual(Array.from(p));
    expect(e.toJSON()).toMatchObject({ kind: 'ensemble', method: 'greedy', classes: 2, members: [{ candidate: 'lr', weight: 0.25 }, { candidate: 'knn', weight: 0.75 }] });
  });
});
