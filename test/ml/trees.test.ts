import { describe, expect, it } from 'vitest';
import { BinMapper, MISSING_BIN } from '../../src/ml/binning.js';
import { RandomForest, decisionTree } from '../../src/ml/forest.js';
import { LogisticRegression } from '../../src/ml/logistic.js';
import { type Matrix, matrixFromRows } from '../../src/ml/matrix.js';
import { classificationMetrics, regressionMetrics } from '../../src/ml/metrics.js';
import { rngStream } from '../../src/ml/random.js';

function xor(n: number, seed: number, noise = 0.05): { X: Matrix; y: Int32Array } {
  const r = rngStream(seed, 'xor');
  const d = 6;
  const data = Float64Array.from({ length: n * d }, () => r.next() * 2 - 1);
  const y = Int32Array.from({ length: n }, (_, i) => (data[i * d] * data[i * d + 1] > 0 ? 1 : 0) ^ (r.next() < noise ? 1 : 0));
  return { X: { rows: n, cols: d, data }, y };
}

describe('BinMapper', () => {
  it('one bin per distinct value when few, quantile edges when many, NaN to the missing bin', () => {
    const X = matrixFromRows([[1], [2], [2], [5], [NaN]]);
    const m = new BinMapper().fit(X);
    expect(Array.from(m.upper[0])).toEqual([1.5, 3.5]);
    expect(Array.from(m.transform(X))).toEqual([0, 1, 1, 2, MISSING_BIN]);
    const many = { rows: 10_000, cols: 1, data: Float64Array.from({ length: 10_000 }, (_, i) => i) };
    const mm = new BinMapper(255).fit(many);
    expect(mm.bins(0)).toBe(255);
    const counts = new Array(255).fill(0);
    for (const b of mm.transform(many)) counts[b]++;
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(2); // equal-frequency bins
  });
});

describe('decision tree', () => {
  it('fits separable training data exactly, with thresholds on real values', () => {
    const X = matrixFromRows([[0.1], [0.2], [0.35], [0.6], [0.8], [0.9]]);
    const y = Int32Array.from([0, 0, 0, 1, 1, 1]);
    const t = decisionTree({ max_depth: null, min_samples_leaf: 1 }, 1).fit(X, y, 2);
    expect(Array.from(t.predict(X))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(t.trees[0].size).toBe(3);
    expect(t.trees[0].threshold[0]).toBeCloseTo(0.475, 12); // midpoint of 0.35 and 0.6
  });

  it('regression stump: two leaves holding the means of each side', () => {
    const X = matrixFromRows([[1], [2], [3], [10], [11], [12]]);
    const y = Float64Array.from([1, 1.5, 2, 10, 10.5, 11]);
    const t = decisionTree({ max_depth: 1, min_samples_leaf: 1 }, 1).fit(X, y, 0);
    expect(Array.from(t.predict(matrixFromRows([[0], [100]])))).toEqual([1.5, 10.5]);
  });

  it('learns where missing values go', () => {
    // NaN behaves like the high values: the tree must send missing to their side
    const X = matrixFromRows([[1], [2], [3], [NaN], [NaN], [8], [9]]);
    const y = Int32Array.from([0, 0, 0, 1, 1, 1, 1]);
    const t = decisionTree({ max_depth: null, min_samples_leaf: 1 }, 1).fit(X, y, 2);
    expect(Array.from(t.predict(matrixFromRows([[NaN], [2.5], [7]])))).toEqual([1, 0, 1]);
  });

  it('respects min_samples_leaf and max_depth', () => {
    const { X, y } = xor(500, 1);
    const t = decisionTree({ max_depth: null, min_samples_leaf: 25 }, 1).fit(X, y, 2);
    const perLeaf = new Map<number, number>();
    for (let i = 0; i < X.rows; i++) perLeaf.set(t.trees[0].leafOf(X, i), (perLeaf.get(t.trees[0].leafOf(X, i)) ?? 0) + 1);
    expect(Math.min(...perLeaf.values())).toBeGreaterThanOrEqual(25);
    const shallow = decisionTree({ max_depth: 2, min_samples_leaf: 1 }, 1).fit(X, y, 2);
    expect(shallow.trees[0].size).toBeLessThanOrEqual(7);
  });
});

describe('random forest', () => {
  it('learns an interaction a linear model cannot, on held-out rows', () => {
    const train = xor(3000, 1);
    const test = xor(1000, 2);
    const rf = new RandomForest({ n_estimators: 30, max_depth: null, max_features: 'sqrt', min_samples_leaf: 1, bootstrap: true }, 42).fit(train.X, train.y, 2);
    const rfAcc = classificationMetrics(test.y, rf.predictProba(test.X), 2).accuracy;
    const lr = new LogisticRegression({ C: 1, max_iter: 100, tol: 1e-4 }).fit(train.X, train.y, 2);
    const lrAcc = classificationMetrics(test.y, lr.predictProba(test.X), 2).accuracy;
    expect(rfAcc).toBeGreaterThan(0.85);
    expect(lrAcc).toBeLessThan(0.6);
  });

  it('regression forest fits a nonlinear function', () => {
    const r = rngStream(3, 'reg');
    const n = 2000;
    const data = Float64Array.from({ length: n * 2 }, () => r.next() * 6 - 3);
    const y = Float64Array.from({ length: n }, (_, i) => Math.sin(data[i * 2]) * 3 + data[i * 2 + 1] ** 2 + (r.next() - 0.5) * 0.2);
    const X = { rows: n, cols: 2, data };
    const rf = new RandomForest({ n_estimators: 20, max_depth: null, max_features: 'all', min_samples_leaf: 2, bootstrap: true }, 1).fit({ ...X, rows: 1500, data: data.subarray(0, 3000) }, y.subarray(0, 1500), 0);
    const test = { rows: 500, cols: 2, data: data.subarray(3000) };
    expect(regressionMetrics(y.subarray(1500), rf.predict(test)).r2).toBeGreaterThan(0.9);
  });

  it('is deterministic for a seed and round-trips through JSON', () => {
    const { X, y } = xor(400, 5);
    const params = { n_estimators: 5, max_depth: null, max_features: 'sqrt' as const, min_samples_leaf: 1, bootstrap: true };
    const a = new RandomForest(params, 7).fit(X, y, 2);
    expect(JSON.stringify(new RandomForest(params, 7).fit(X, y, 2).toJSON())).toBe(JSON.stringify(a.toJSON()));
    expect(JSON.stringify(new RandomForest(params, 8).fit(X, y, 2).toJSON())).not.toBe(JSON.stringify(a.toJSON()));
    const back = RandomForest.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    expect(back.predictProba(X)).toEqual(a.predictProba(X));
  });
});
