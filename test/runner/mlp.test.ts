import { describe, expect, it } from 'vitest';
import { MODELS } from '../../src/core/catalog.js';
import { crossValidate } from '../../src/ml/cv.js';
import { makeFrame, type NumericColumn } from '../../src/ml/frame.js';
import type { Matrix } from '../../src/ml/matrix.js';
import { classificationMetrics, regressionMetrics } from '../../src/ml/metrics.js';
import { modelFromJSON } from '../../src/ml/models.js';
import { rngStream } from '../../src/ml/random.js';
import { loadTfjs } from '../../src/runner/adapters/tfjs.js';
import { trainModel } from '../../src/runner/models.js';

function data(n: number, seed: number, label: (x: number[]) => number): { X: Matrix; y: number[] } {
  const r = rngStream(seed, 'mlp');
  const d = 4;
  const X = Float64Array.from({ length: n * d }, () => r.next() * 2 - 1);
  return { X: { rows: n, cols: d, data: X }, y: Array.from({ length: n }, (_, i) => label(Array.from(X.subarray(i * d, i * d + d)))) };
}
const params = (p: Record<string, unknown>) => MODELS.mlp.params.parse(p) as Record<string, unknown>;

describe('MLP through the tfjs adapter', () => {
  it('runs on the WebAssembly backend unless tfjs-node is installed', async () => {
    expect(['tfjs-wasm', 'tfjs-node']).toContain((await loadTfjs()).backend);
  });

  it('learns an interaction (binary) that a linear model cannot, on held-out rows', async () => {
    const rule = (x: number[]) => (x[0] * x[1] > 0 ? 1 : 0);
    const tr = data(2000, 1, rule);
    const te = data(500, 2, rule);
    const m = await trainModel('mlp', params({ hidden_layer_sizes: [32, 32], epochs: 60, batch_size: 64, learning_rate: 0.01 }), tr.X, Int32Array.from(tr.y), 2, 42);
    expect(classificationMetrics(Int32Array.from(te.y), m.predictProba(te.X), 2).accuracy).toBeGreaterThan(0.9);
    expect(m.toJSON()).toMatchObject({ kind: 'mlp', classes: 2 });
  }, 120_000);

  it('multiclass (softmax) and regression outputs', async () => {
    const tri = (x: number[]) => (x[0] < -0.33 ? 0 : x[0] < 0.33 ? 1 : 2);
    const tr = data(1500, 3, tri);
    const te = data(300, 4, tri);
    const m3 = await trainModel('mlp', params({ hidden_layer_sizes: [16], epochs: 60, batch_size: 64, learning_rate: 0.01 }), tr.X, Int32Array.from(tr.y), 3, 1);
    const p = m3.predictProba(te.X);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 6);
    expect(classificationMetrics(Int32Array.from(te.y), p, 3).accuracy).toBeGreaterThan(0.9);
    const reg = (x: number[]) => 2 * x[0] - x[1] * x[1];
    const rtr = data(1500, 5, reg);
    const rte = data(300, 6, reg);
    const mr = await trainModel('mlp', params({ hidden_layer_sizes: [32], epochs: 80, batch_size: 64, learning_rate: 0.01 }), rtr.X, Float64Array.from(rtr.y), 0, 1);
    expect(regressionMetrics(Float64Array.from(rte.y), mr.predict(rte.X)).r2).toBeGreaterThan(0.9);
  }, 120_000);

  it('learns a regression target far from zero in few epochs (the target is standardised)', async () => {
    const reg = (x: number[]) => 1000 + 50 * x[0] - 30 * x[1];
    const rtr = data(500, 11, reg);
    const rte = data(200, 12, reg);
    const m = await trainModel('mlp', params({ hidden_layer_sizes: [16], epochs: 20, batch_size: 32, learning_rate: 0.01 }), rtr.X, Float64Array.from(rtr.y), 0, 3);
    expect(regressionMetrics(Float64Array.from(rte.y), m.predict(rte.X)).r2).toBeGreaterThan(0.95);
    expect(modelFromJSON(JSON.parse(JSON.stringify(m.toJSON()))).predict(rte.X)).toEqual(m.predict(rte.X));
  }, 120_000);

  it('is deterministic for a seed; the saved JSON predicts without the framework', async () => {
    const tr = data(400, 7, (x) => (x[0] > 0 ? 1 : 0));
    const p = params({ hidden_layer_sizes: [8], epochs: 5, batch_size: 50 });
    const a = await trainModel('mlp', p, tr.X, Int32Array.from(tr.y), 2, 9);
    const b = await trainModel('mlp', p, tr.X, Int32Array.from(tr.y), 2, 9);
    const c = await trainModel('mlp', p, tr.X, Int32Array.from(tr.y), 2, 10);
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    expect(JSON.stringify(a.toJSON())).not.toBe(JSON.stringify(c.toJSON()));
    expect(modelFromJSON(JSON.parse(JSON.stringify(a.toJSON()))).predictProba(tr.X)).toEqual(a.predictProba(tr.X));
  }, 120_000);

  it('takes part in cross-validation through the runner trainer', async () => {
    const tr = data(300, 8, (x) => (x[0] + x[1] > 0 ? 1 : 0));
    const frame = makeFrame(Array.from({ length: 4 }, (_, j): NumericColumn => ({ kind: 'numeric', name: `x${j}`, values: Float64Array.from({ length: 300 }, (_, i) => tr.X.data[i * 4 + j]) })));
    const pre = { impute: { numeric: 'median' as const, categorical: 'most_frequent' as const }, encode: { categorical: 'onehot' as const, min_frequency: 0.01, max_levels: 30 }, scale: 'standard' as const, drop_constant: true, drop: [] };
    const cv = await crossValidate(frame, Int32Array.from(tr.y), [{ model: 'mlp', params: { hidden_layer_sizes: [8], epochs: 20, batch_size: 32, learning_rate: 0.01 } }, { model: 'logistic_regression', params: {} }], { folds: 3, seed: 1, classes: 2, metric: 'accuracy', preprocess: pre, fit: trainModel });
    expect(cv.leaderboard.map((e) => e.model).sort()).toEqual(['logistic_regression', 'mlp']);
    expect(cv.leaderboard.find((e) => e.model === 'mlp')!.metrics.accuracy.mean).toBeGreaterThan(0.85);
  }, 120_000);
});
