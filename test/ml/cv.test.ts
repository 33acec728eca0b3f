import { describe, expect, it } from 'vitest';
import { kFold, crossValidate } from '../../src/ml/cv.js';
import { makeFrame, type NumericColumn } from '../../src/ml/frame.js';
import { fitModel, modelFromJSON } from '../../src/ml/models.js';
import { fitPreprocess, type PreprocessOptions, transformPreprocess } from '../../src/ml/preprocess.js';
import { rngStream } from '../../src/ml/random.js';
import { classificationMetrics } from '../../src/ml/metrics.js';
import { MODELS } from '../../src/core/catalog.js';

const PRE: PreprocessOptions = { impute: { numeric: 'median', categorical: 'most_frequent' }, encode: { categorical: 'onehot', min_frequency: 0.01, max_levels: 30 }, scale: 'standard', drop_constant: true, drop: [] };

function table(n: number, seed: number, label: (x: number[], e: number) => number) {
  const r = rngStream(seed, 'cv');
  const cols = Array.from({ length: 4 }, () => new Float64Array(n));
  const y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = cols.map((c) => (c[i] = r.next() * 2 - 1));
    y[i] = label(x, r.next() - 0.5);
  }
  return { frame: makeFrame(cols.map((values, j): NumericColumn => ({ kind: 'numeric', name: `x${j}`, values }))), y };
}

describe('kFold', () => {
  it('puts every row in exactly one test fold; stratified folds keep class shares', () => {
    const strata = Int32Array.from({ length: 103 }, (_, i) => (i < 70 ? 0 : i < 95 ? 1 : 2));
    const folds = kFold(103, 5, rngStream(1, 'f'), strata);
    const seen = new Int32Array(103);
    for (const f of folds) {
      for (const i of f.test) seen[i]++;
      expect(f.train.length + f.test.length).toBe(103);
      const share = (c: number) => [...f.test].filter((i) => strata[i] === c).length;
      expect(Math.abs(share(0) - 14)).toBeLessThanOrEqual(1);
      expect(Math.abs(share(1) - 5)).toBeLessThanOrEqual(1);
      expect(Math.abs(share(2) - 1.6)).toBeLessThanOrEqual(1);
    }
    expect([...seen].every((s) => s === 1)).toBe(true);
    expect(Math.max(...folds.map((f) => f.test.length)) - Math.min(...folds.map((f) => f.test.length))).toBeLessThanOrEqual(1);
  });
});

describe('crossValidate', () => {
  it('ranks candidates by the metric, with mean/std per metric, deterministically', async () => {
    const { frame, y } = table(600, 1, (x, e) => (x[0] * x[1] + 0.05 * e > 0 ? 1 : 0));
    const labels = Int32Array.from(y);
    const candidates = [
      { model: 'logistic_regression', params: {} },
      { model: 'random_forest', params: { n_estimators: 20 } },
      { model: 'gradient_boosting', params: { max_iter: 30 } },
    ];
    const opts = { folds: 3, seed: 42, classes: 2, metric: 'accuracy', preprocess: PRE };
    const cv = await crossValidate(frame, labels, candidates, opts);
    expect(cv.leaderboard.map((e) => e.model).at(-1)).toBe('logistic_regression'); // cannot learn the interaction
    expect(cv.leaderboard[0].metrics.accuracy.mean).toBeGreaterThan(0.85);
    expect(cv.leaderboard[0].folds.length).toBe(3);
    expect(Object.keys(cv.leaderboard[0].metrics).sort()).toEqual(['accuracy', 'balanced_accuracy', 'f1_macro', 'log_loss', 'precision_macro', 'recall_macro', 'roc_auc']);
    expect(cv.leaderboard.find((e) => e.model === 'random_forest')!.params).toMatchObject({ n_estimators: 20, max_features: 'sqrt' });
    const again = await crossValidate(frame, labels, candidates, opts);
    expect(again.leaderboard.map((e) => [e.model, e.metrics])).toEqual(cv.leaderboard.map((e) => [e.model, e.metrics]));
  });

  it('lower-is-better metrics rank ascending (regression rmse)', async () => {
    const { frame, y } = table(400, 2, (x, e) => 3 * x[0] - x[1] + 0.1 * e);
    const cv = await crossValidate(frame, Float64Array.from(y), [{ model: 'knn', params: { n_neighbors: 50 } }, { model: 'linear_regression', params: {} }], { folds: 4, seed: 1, classes: 0, metric: 'rmse', preprocess: PRE });
    expect(cv.higherIsBetter).toBe(false);
    expect(cv.leaderboard[0].model).toBe('linear_regression');
    expect(cv.leaderboard[0].metrics.rmse.mean).toBeLessThan(cv.leaderboard[1].metrics.rmse.mean);
  });

  it('no leakage: with random labels, held-out accuracy stays at chance even for a 1-NN memoriser', async () => {
    const { frame } = table(400, 3, () => 0);
    const labels = new Int32Array(400);
    const r = rngStream(11, 'noise');
    for (let i = 0; i < 400; i++) labels[i] = r.next() < 0.5 ? 1 : 0;
    const cv = await crossValidate(frame, labels, [{ model: 'knn', params: { n_neighbors: 1 } }], { folds: 5, seed: 1, classes: 2, metric: 'accuracy', preprocess: PRE });
    expect(cv.leaderboard[0].metrics.accuracy.mean).toBeLessThan(0.62);
    // the same model scored on its own training rows memorises them: this is what a leak would show
    const pre = fitPreprocess(frame, PRE);
    const X = transformPreprocess(pre, frame).X;
    const m = fitModel('knn', MODELS.knn.params.parse({ n_neighbors: 1 }), X, labels, 2, 1);
    expect(classificationMetrics(labels, m.predictProba(X), 2).accuracy).toBe(1);
  });

  it('models save and load through the registry; mlp says what is missing', () => {
    const { frame, y } = table(200, 4, (x) => (x[0] > 0 ? 1 : 0));
    const X = transformPreprocess(fitPreprocess(frame, PRE), frame).X;
    for (const name of ['logistic_regression', 'decision_tree', 'random_forest', 'gradient_boosting', 'knn']) {
      const m = fitModel(name, MODELS[name].params.parse({}) as Record<string, unknown>, X, Int32Array.from(y), 2, 1);
      expect(modelFromJSON(JSON.parse(JSON.stringify(m.toJSON()))).predictProba(X), name).toEqual(m.predictProba(X));
    }
    expect(() => fitModel('mlp', {}, X, Int32Array.from(y), 2, 1)).toThrow(/tfjs framework adapter/);
  });
});
