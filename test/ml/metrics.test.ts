import { describe, expect, it } from 'vitest';
import { classificationMetrics, confusionMatrix, logLoss, regressionMetrics, rocAuc } from '../../src/ml/metrics.js';

const i32 = (xs: number[]) => Int32Array.from(xs);
const f64 = (xs: number[]) => Float64Array.from(xs);

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0.5 for all ties, 0 for a reversed one', () => {
    expect(rocAuc(Uint8Array.from([0, 0, 1, 1]), f64([0.1, 0.2, 0.8, 0.9]))).toBe(1);
    expect(rocAuc(Uint8Array.from([0, 0, 1, 1]), f64([0.5, 0.5, 0.5, 0.5]))).toBe(0.5);
    expect(rocAuc(Uint8Array.from([1, 1, 0, 0]), f64([0.1, 0.2, 0.8, 0.9]))).toBe(0);
  });

  it('counts ties between a positive and a negative as half (hand-computed)', () => {
    // pairs (pos, neg): (0.35 vs 0.1) win, (0.35 vs 0.4) loss, (0.8 vs 0.1) win, (0.8 vs 0.4) win → 3/4
    expect(rocAuc(Uint8Array.from([0, 0, 1, 1]), f64([0.1, 0.4, 0.35, 0.8]))).toBe(0.75);
    // one tie: (0.4 vs 0.4) half, (0.4 vs 0.1) win, (0.9 vs both) wins → (1 + 0.5 + 2) / 4
    expect(rocAuc(Uint8Array.from([0, 0, 1, 1]), f64([0.1, 0.4, 0.4, 0.9]))).toBe(0.875);
    expect(rocAuc(Uint8Array.from([1, 1]), f64([0.1, 0.2]))).toBeNull();
  });
});

describe('logLoss', () => {
  it('matches -mean(log p_true), and clips 0 and 1 to eps', () => {
    expect(logLoss(i32([0, 1]), f64([0.8, 0.2, 0.4, 0.6]), 2)).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 15);
    // p_true = 0 would be infinite: clipped to 1e-15, and the row renormalised (1 - 1e-15 + 1e-15 = 1).
    expect(logLoss(i32([1]), f64([1, 0]), 2)).toBeCloseTo(-Math.log(1e-15), 10);
    expect(Number.isFinite(logLoss(i32([1]), f64([1, 0]), 2))).toBe(true);
    // rows that do not sum to 1 are renormalised
    expect(logLoss(i32([0]), f64([2, 2]), 2)).toBeCloseTo(Math.log(2), 15);
  });
});

describe('classificationMetrics', () => {
  it('binary: hand-computed confusion matrix, precision/recall/F1, AUC', () => {
    // truth 0 0 0 1 1; P(class 1) 0.2 0.6 0.1 0.7 0.4 → predicted 0 1 0 1 0
    const p1 = [0.2, 0.6, 0.1, 0.7, 0.4];
    const m = classificationMetrics(i32([0, 0, 0, 1, 1]), f64(p1.flatMap((p) => [1 - p, p])), 2);
    expect(m.confusion_matrix).toEqual([[2, 1], [1, 1]]);
    expect(m.accuracy).toBe(0.6);
    // class 0: p = 2/3, r = 2/3; class 1: p = 1/2, r = 1/2
    expect(m.precision_macro).toBeCloseTo((2 / 3 + 1 / 2) / 2, 15);
    expect(m.recall_macro).toBeCloseTo((2 / 3 + 1 / 2) / 2, 15);
    expect(m.f1_macro).toBeCloseTo((2 / 3 + 1 / 2) / 2, 15);
    expect(m.balanced_accuracy).toBeCloseTo((2 / 3 + 1 / 2) / 2, 15);
    // positives 0.7, 0.4 vs negatives 0.2, 0.6, 0.1: 0.7 beats 3, 0.4 beats 2 → 5/6
    expect(m.roc_auc).toBeCloseTo(5 / 6, 15);
  });

  it('multiclass: macro one-vs-rest AUC, and a class never predicted has precision 0', () => {
    const proba = f64([
      0.7, 0.2, 0.1, // true 0, pred 0
      0.6, 0.3, 0.1, // true 1, pred 0
      0.2, 0.5, 0.3, // true 1, pred 1
      0.3, 0.4, 0.3, // true 2, pred 1 (class 2 never predicted)
    ]);
    const m = classificationMetrics(i32([0, 1, 1, 2]), proba, 3);
    expect(m.confusion_matrix).toEqual([[1, 0, 0], [1, 1, 0], [0, 1, 0]]);
    expect(m.accuracy).toBe(0.5);
    expect(m.precision_macro).toBeCloseTo((1 / 2 + 1 / 2 + 0) / 3, 15);
    expect(m.recall_macro).toBeCloseTo((1 + 1 / 2 + 0) / 3, 15);
    expect(m.f1_macro).toBeCloseTo((2 / 3 + 1 / 2 + 0) / 3, 15);
    // OvR: class 0 scores (0.7 | 0.6, 0.2, 0.3) → 1; class 1 (0.3, 0.5 | 0.2, 0.4) → 3/4; class 2 (0.3 | 0.1, 0.1, 0.3) → (2 + 0.5)/3
    expect(m.roc_auc).toBeCloseTo((1 + 0.75 + 2.5 / 3) / 3, 15);
  });

  it('confusion matrix counts every row once', () => {
    const m = confusionMatrix(i32([0, 1, 2, 2]), i32([0, 2, 2, 1]), 3);
    expect(m.flat().reduce((a, b) => a + b, 0)).toBe(4);
  });
});

describe('regressionMetrics', () => {
  it('hand-computed rmse, mae, r2; constant truth', () => {
    const m = regressionMetrics(f64([3, -0.5, 2, 7]), f64([2.5, 0, 2, 8]));
    expect(m.mae).toBeCloseTo(0.5, 15);
    expect(m.rmse).toBeCloseTo(Math.sqrt(0.375), 15);
    expect(m.r2).toBeCloseTo(0.9486081370449679, 15); // scikit-learn's documented example
    expect(regressionMetrics(f64([2, 2]), f64([2, 2])).r2).toBe(1);
    expect(regressionMetrics(f64([2, 2]), f64([2, 3])).r2).toBe(0);
  });
});
