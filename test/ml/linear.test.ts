import { describe, expect, it } from 'vitest';
import { RidgeRegression } from '../../src/ml/linear.js';
import { LogisticRegression } from '../../src/ml/logistic.js';
import { choleskySolve, type Matrix, matrixFromRows } from '../../src/ml/matrix.js';
import { classificationMetrics, regressionMetrics } from '../../src/ml/metrics.js';
import { rngStream } from '../../src/ml/random.js';

// The dataset of the reference solution: 24 rows x 3 features from a formula. The reference
// coefficients were computed with scikit-learn 1.2.1 (Ridge(alpha=1); LogisticRegression with
// tol=1e-12, max_iter=1e5 so that they are the exact optimum).
const X = matrixFromRows(Array.from({ length: 24 }, (_, i) => [Math.sin(i * 1.3) * 2, Math.cos(i * 0.7) + i / 24, ((i * 7) % 5) - 2]));
const row = (i: number) => Array.from(X.data.subarray(i * 3, i * 3 + 3));
const yReg = Float64Array.from({ length: 24 }, (_, i) => 1.5 * row(i)[0] - 2 * row(i)[1] + 0.5 * row(i)[2] + 3 + Math.sin(i * 3.1) * 0.3);
const yBin = Int32Array.from({ length: 24 }, (_, i) => (row(i)[0] - row(i)[1] + 0.4 * Math.sin(i * 2.3) > 0 ? 1 : 0));
const yMul = Int32Array.from({ length: 24 }, (_, i) => {
  const v = row(i)[0] + 0.3 * row(i)[2];
  return v < -0.8 ? 0 : v < 0.8 ? 1 : 2;
});
const REF = {
  ridge: { coef: [1.460157506453088, -1.8548219639288537, 0.4887215087484309], intercept: 2.93862102345292 },
  binary: { coef: [1.8623508276790695, -0.8174678853031028, 0.22934821805676847], intercept: -0.14095311523051324 },
  multinomial: {
    coef: [-1.2781863353623764, -0.15835405640694228, -0.23007779125800726, 0.037919396777598896, 0.21045587264785, -0.16693650424743653, 1.2402669385847773, -0.052101816240907976, 0.39701429550544354],
    intercept: [-0.2890506001978506, 0.3717444493906524, -0.08269384919280165],
  },
};
const LABELS = { ybin: [0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0], ymul: [1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 1, 0, 1, 2, 2, 1, 0] };

function expectRelClose(actual: ArrayLike<number>, expected: number[], rel = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(rel * Math.abs(expected[i]));
  }
}

describe('reference solutions (scikit-learn 1.2.1)', () => {
  it('the dataset is the one the reference was computed on', () => {
    expect(Array.from(yBin)).toEqual(LABELS.ybin);
    expect(Array.from(yMul)).toEqual(LABELS.ymul);
  });

  it('ridge coefficients and intercept match within 1e-4 relative', () => {
    const m = new RidgeRegression({ alpha: 1, fit_intercept: true }).fit(X, yReg);
    expectRelClose(m.coef, REF.ridge.coef);
    expectRelClose([m.intercept], [REF.ridge.intercept]);
  });

  it('binary logistic regression matches within 1e-4 relative', () => {
    const m = new LogisticRegression({ C: 1, max_iter: 1000, tol: 1e-8 }).fit(X, yBin, 2);
    expect(m.converged).toBe(true);
    expectRelClose(m.coef, REF.binary.coef);
    expectRelClose(m.intercept, [REF.binary.intercept]);
  });

  it('multinomial logistic regression matches within 1e-4 relative', () => {
    const m = new LogisticRegression({ C: 0.5, max_iter: 1000, tol: 1e-8 }).fit(X, yMul, 3);
    expect(m.converged).toBe(true);
    expectRelClose(m.coef, REF.multinomial.coef);
    expectRelClose(m.intercept, REF.multinomial.intercept);
  });
});

function synthetic(n: number, seed: number): { X: Matrix; score: Float64Array } {
  const rng = rngStream(seed, 'data');
  const d = 5;
  const data = Float64Array.from({ length: n * d }, () => rng.next() * 4 - 2);
  const w = [1.2, -0.8, 0.5, 0, 2];
  const score = Float64Array.from({ length: n }, (_, i) => w.reduce((s, wj, j) => s + wj * data[i * d + j], 0) + (rng.next() - 0.5) * 0.5);
  return { X: { rows: n, cols: d, data }, score };
}

describe('the models learn', () => {
  it('ridge recovers a noisy linear rule on held-out rows', () => {
    const train = synthetic(2000, 1);
    const test = synthetic(500, 2);
    const m = new RidgeRegression({ alpha: 1, fit_intercept: true }).fit(train.X, train.score);
    expect(regressionMetrics(test.score, m.predict(test.X)).r2).toBeGreaterThan(0.97);
    expect(Math.abs(m.coef[3])).toBeLessThan(0.05); // the feature with no effect
  });

  it('logistic regression separates held-out classes (binary and 3 classes)', () => {
    const train = synthetic(2000, 3);
    const test = synthetic(500, 4);
    const bin = (s: Float64Array) => Int32Array.from(s, (v) => (v > 0 ? 1 : 0));
    const m2 = new LogisticRegression({ C: 1, max_iter: 100, tol: 1e-4 }).fit(train.X, bin(train.score), 2);
    expect(classificationMetrics(bin(test.score), m2.predictProba(test.X), 2).accuracy).toBeGreaterThan(0.93);
    const tri = (s: Float64Array) => Int32Array.from(s, (v) => (v < -1 ? 0 : v < 1 ? 1 : 2));
    const m3 = new LogisticRegression({ C: 1, max_iter: 200, tol: 1e-4 }).fit(train.X, tri(train.score), 3);
    const metrics = classificationMetrics(tri(test.score), m3.predictProba(test.X), 3);
    expect(metrics.accuracy).toBeGreaterThan(0.85);
    expect(metrics.roc_auc!).toBeGreaterThan(0.95);
  });

  it('round-trips through JSON with identical predictions, and reports non-convergence', () => {
    const train = synthetic(300, 5);
    const y = Int32Array.from(train.score, (v) => (v > 0 ? 1 : 0));
    const m = new LogisticRegression({ C: 1, max_iter: 100, tol: 1e-4 }).fit(train.X, y, 2);
    const back = LogisticRegression.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(back.predictProba(train.X)).toEqual(m.predictProba(train.X));
    const r = new RidgeRegression({ alpha: 0.5, fit_intercept: true }).fit(train.X, train.score);
    expect(RidgeRegression.fromJSON(JSON.parse(JSON.stringify(r.toJSON()))).predict(train.X)).toEqual(r.predict(train.X));
    const short = new LogisticRegression({ C: 1, max_iter: 2, tol: 1e-10 }).fit(train.X, y, 2);
    expect([short.converged, short.iterations]).toEqual([false, 2]);
  });
});

describe('choleskySolve', () => {
  it('solves SPD systems and refuses non-positive-definite ones', () => {
    const x = choleskySolve(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2)!;
    expect(x[0]).toBeCloseTo(0.5, 12);
    expect(x[1]).toBeCloseTo(0, 12);
    expect(choleskySolve(Float64Array.from([1, 2, 2, 1]), Float64Array.from([1, 1]), 2)).toBeNull();
  });
});
