// Row weights (a split's sample_weight column, carried as Matrix.weights): a row of weight 2
// fits as the row twice, in every model that takes weights.
import { describe, expect, it } from 'vitest';
import { GradientBoosting, type BoostingParams } from '../../src/ml/gbdt.js';
import { RandomForest, decisionTree } from '../../src/ml/forest.js';
import { LogisticRegression } from '../../src/ml/logistic.js';
import { RidgeRegression } from '../../src/ml/linear.js';
import type { Matrix } from '../../src/ml/matrix.js';
import { rngStream } from '../../src/ml/random.js';
import { fitForestParallel } from '../../src/runner/parallel-forest.js';

const GB: BoostingParams = { learning_rate: 0.1, max_iter: 20, max_leaf_nodes: 8, max_depth: null, min_samples_leaf: 1, l2_regularization: 0, max_bins: 255, early_stopping: false, validation_fraction: 0.1, n_iter_no_change: 10 };

/** 400 rows of 3 features with few distinct values (so duplicating rows leaves the bins as they are), a class and a value. */
function rows(seed: number): { X: Matrix; cls: Int32Array; value: Float64Array } {
  const r = rngStream(seed, 'weights');
  const n = 400;
  const d = 3;
  const data = new Float64Array(n * d);
  const cls = new Int32Array(n);
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) data[i * d + j] = Math.floor(r.next() * 20);
    const s = data[i * d] - data[i * d + 1] + 0.5 * data[i * d + 2] + (r.next() - 0.5) * 8;
    cls[i] = s > 5 ? 1 : 0;
    value[i] = s;
  }
  return { X: { rows: n, cols: d, data }, cls, value };
}

/** The table with row i given weight w[i] (integers), and the table with row i repeated w[i] times. */
function weightedAndRepeated<T extends Int32Array | Float64Array>(X: Matrix, y: T, w: number[]): { weighted: Matrix; repeated: Matrix; yr: T } {
  const idx: number[] = [];
  w.forEach((k, i) => {
    for (let t = 0; t < k; t++) idx.push(i);
  });
  const data = new Float64Array(idx.length * X.cols);
  idx.forEach((i, t) => data.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), t * X.cols));
  const yr = (y instanceof Int32Array ? Int32Array.from(idx, (i) => y[i]) : Float64Array.from(idx, (i) => y[i])) as T;
  return { weighted: { ...X, weights: Float64Array.from(w) }, repeated: { rows: idx.length, cols: X.cols, data }, yr };
}

const close = (a: Float64Array, b: Float64Array, tol: number): void => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThan(tol);
};

describe('sample weights', () => {
  const { X, cls, value } = rows(1);
  // every row once, twice or three times
  const w = Array.from({ length: X.rows }, (_, i) => 1 + (i % 3));
  const c = weightedAndRepeated(X, cls, w);
  const v = weightedAndRepeated(X, value, w);

  it('gradient boosting: weight k is the row k times (binary and regression)', () => {
    close(new GradientBoosting(GB, 1).fit(c.weighted, cls, 2).predictProba(X), new GradientBoosting(GB, 1).fit(c.repeated, c.yr, 2).predictProba(X), 1e-9);
    close(new GradientBoosting(GB, 1).fit(v.weighted, value, 0).predict(X), new GradientBoosting(GB, 1).fit(v.repeated, v.yr, 0).predict(X), 1e-9);
    // and weights change the model
    expect(new GradientBoosting(GB, 1).fit(v.weighted, value, 0).predict(X)).not.toEqual(new GradientBoosting(GB, 1).fit(X, value, 0).predict(X));
  });

  it('a decision tree (no bootstrap): weight k is the row k times', () => {
    // (min_samples_leaf counts weight, as a repeated row counts its copies)
    const p = { max_depth: 6, min_samples_leaf: 1, criterion: 'gini' as const };
    close(decisionTree(p, 1).fit(c.weighted, cls, 2).predictProba(X), decisionTree(p, 1).fit(c.repeated, c.yr, 2).predictProba(X), 1e-12);
    const pr = { max_depth: 6, min_samples_leaf: 1, criterion: 'mse' as const };
    close(decisionTree(pr, 1).fit(v.weighted, value, 0).predict(X), decisionTree(pr, 1).fit(v.repeated, v.yr, 0).predict(X), 1e-9);
  });

  it('logistic and ridge regression: weight k is the row k times', () => {
    const lp = { C: 1, max_iter: 500, tol: 1e-8 };
    close(new LogisticRegression(lp).fit(c.weighted, cls, 2).predictProba(X), new LogisticRegression(lp).fit(c.repeated, c.yr, 2).predictProba(X), 1e-5);
    const y3 = Int32Array.from(value, (s) => (s < 0 ? 0 : s < 8 ? 1 : 2));
    const c3 = weightedAndRepeated(X, y3, w);
    close(new LogisticRegression(lp).fit(c3.weighted, y3, 3).predictProba(X), new LogisticRegression(lp).fit(c3.repeated, c3.yr, 3).predictProba(X), 1e-5);
    const rp = { alpha: 1, fit_intercept: true };
    close(new RidgeRegression(rp).fit(v.weighted, value).predict(X), new RidgeRegression(rp).fit(v.repeated, v.yr).predict(X), 1e-9);
  });

  it('a random forest: the weights reach the worker threads (the same forest on 1 and 2 threads), and weight 0 leaves a row out', async () => {
    const big = rows(2);
    const n = big.X.rows;
    const X = { ...big.X, weights: Float64Array.from({ length: n }, (_, i) => (big.cls[i] === 1 ? 0 : 1 + (i % 2))) };
    const p = { n_estimators: 600, max_depth: null, max_features: 'sqrt' as const, min_samples_leaf: 1, bootstrap: true };
    const one = new RandomForest(p, 3).fit(X, big.cls, 2);
    const two = await fitForestParallel(p, X, big.cls, 2, 3, undefined, 2);
    expect(JSON.stringify(two.toJSON())).toBe(JSON.stringify(one.toJSON()));
    // class 1's rows weigh 0: no tree sees them, so every leaf holds class 0 only
    expect(Array.from(one.predictProba(big.X)).filter((_, k) => k % 2 === 1).every((p1) => p1 === 0)).toBe(true);
  });
});
