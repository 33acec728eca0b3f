import { describe, expect, it } from 'vitest';
import { resolveModelParams } from '../../src/core/catalog.js';
import { decideMetric } from '../../src/core/task.js';
import { balancedClassWeights } from '../../src/ml/class-weight.js';
import type { Matrix } from '../../src/ml/matrix.js';
import { classificationMetrics, perClass } from '../../src/ml/metrics.js';
import { rngStream } from '../../src/ml/random.js';
import { trainModel } from '../../src/runner/models.js';

/**
 * An imbalanced table: class 0 (90%) and class 1 (10%, or 5% of the rows for a third class)
 * overlapping, so that an unweighted model buys accuracy by ignoring the small classes.
 */
function imbalanced(n: number, seed: number, classes = 2): { X: Matrix; y: Int32Array } {
  const r = rngStream(seed, 'imbalanced');
  const d = 4;
  const y = Int32Array.from({ length: n }, () => {
    const u = r.next();
    return classes === 2 ? (u < 0.1 ? 1 : 0) : u < 0.06 ? 1 : u < 0.12 ? 2 : 0;
  });
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = (r.next() + r.next() + r.next() - 1.5) * 1.2 + (j === y[i] - 1 || (j === 0 && y[i] > 0) ? 0.9 : 0);
  return { X: { rows: n, cols: d, data }, y };
}

describe('class_weight: balanced', () => {
  it('weighs classes by n / (classes × count)', () => {
    expect(Array.from(balancedClassWeights(Int32Array.of(0, 0, 0, 1), 2))).toEqual([4 / 6, 2]);
    expect(Array.from(balancedClassWeights(Int32Array.of(0, 0), 3))).toEqual([1 / 3, 0, 0]);
  });

  for (const classes of [2, 3]) {
    for (const model of ['logistic_regression', 'decision_tree', 'random_forest', 'gradient_boosting', 'mlp']) {
      it(`${model}, ${classes} classes: raises the small classes' recall and the balanced accuracy; deterministic`, async () => {
        const train = imbalanced(3000, 1, classes);
        const test = imbalanced(2000, 2, classes);
        const extra: Record<string, unknown> = model === 'decision_tree' ? { max_depth: 4 } : model === 'random_forest' ? { n_estimators: 30, min_samples_leaf: 20 } : model === 'mlp' ? { epochs: 10 } : model === 'gradient_boosting' ? { max_iter: 30 } : {};
        const fit = async (cw: boolean) => {
          const params = resolveModelParams(model, { ...extra, ...(cw ? { class_weight: 'balanced' } : {}) }, 'classification');
          const m = await trainModel(model, params, train.X, train.y, classes, 7);
          const proba = m.predictProba(test.X);
          const metrics = classificationMetrics(test.y, proba, classes);
          return { proba, balanced: metrics.balanced_accuracy as number, recall: perClass(metrics.confusion_matrix as number[][]).map((p) => p.recall) };
        };
        const plain = await fit(false);
        const weighted = await fit(true);
        expect(weighted.balanced).toBeGreaterThan(plain.balanced + 0.05);
        for (let c = 1; c < classes; c++) expect(weighted.recall[c]).toBeGreaterThan(plain.recall[c]);
        expect(Array.from((await fit(true)).proba)).toEqual(Array.from(weighted.proba));
      }, 60_000);
    }
  }
});

describe('--metric auto', () => {
  it('accuracy for balanced classes, balanced accuracy from 3x, with the reason; rmse for regression', () => {
    expect(decideMetric('classification', new Map([['a', 50], ['b', 30], ['c', 20]]))).toEqual({ metric: 'accuracy', reason: 'balanced classes: the largest class (a, 50 rows) is 2.5x the smallest (c, 20 rows)' });
    expect(decideMetric('classification', new Map([['a', 60], ['b', 20]])).metric).toBe('balanced_accuracy');
    expect(decideMetric('classification', new Map([['rain', 641], ['snow', 26]])).reason).toMatch(/^imbalanced classes: the largest class \(rain, 641 rows\) is 24\.7x the smallest \(snow, 26 rows\)/);
    expect(decideMetric('regression', null).metric).toBe('rmse');
  });
});
