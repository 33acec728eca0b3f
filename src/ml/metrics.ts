/**
 * Evaluation metrics, with scikit-learn's conventions (documented per function) so bfly's
 * numbers can be compared with it. Pure; no I/O.
 */

/** Probabilities are clipped to [eps, 1 - eps] in log loss (scikit-learn 1.2's default). */
export const LOG_LOSS_EPS = 1e-15;

/** Classification metrics (flat names, as in `metrics.json`). */
export interface ClassificationMetrics {
  accuracy: number;
  balanced_accuracy: number;
  precision_macro: number;
  recall_macro: number;
  f1_macro: number;
  /** Binary: AUC of the positive class; several classes: macro one-vs-rest. Null when undefined (one class only). */
  roc_auc: number | null;
  log_loss: number;
  /** Rows: true class; columns: predicted class; in the order of the class labels. */
  confusion_matrix: number[][];
}

/** Regression metrics. */
export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
}

/** Index of the largest value of row `i` of an n×k row-major matrix (first one on ties, like numpy). */
function argmaxRow(p: Float64Array, i: number, k: number): number {
  let best = 0;
  let bestValue = p[i * k];
  for (let c = 1; c < k; c++) {
    const v = p[i * k + c];
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/** The predicted class of each row (argmax of its probabilities). */
export function predictedClasses(proba: Float64Array, k: number): Int32Array {
  const n = proba.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = argmaxRow(proba, i, k);
  return out;
}

/** k×k confusion matrix: rows are true classes, columns predicted ones. */
export function confusionMatrix(yTrue: Int32Array, yPred: Int32Array, k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

/**
 * Area under the ROC curve of `scores` for `positive` labels, ties counted as half (the
 * Mann-Whitney U statistic with average ranks). Null when only one label is present.
 */
export function rocAuc(positive: Uint8Array, scores: Float64Array): number | null {
  const n = scores.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += positive[i];
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let t = i; t <= j; t++) if (positive[order[t]]) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Mean negative log-likelihood of the true class. Rows are renormalised to sum to 1 and
 * probabilities clipped to [eps, 1 - eps], as scikit-learn does.
 */
export function logLoss(yTrue: Int32Array, proba: Float64Array, k: number, eps = LOG_LOSS_EPS): number {
  let total = 0;
  for (let i = 0; i < yTrue.length; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.min(1 - eps, Math.max(eps, proba[i * k + c]));
    const p = Math.min(1 - eps, Math.max(eps, proba[i * k + yTrue[i]])) / sum;
    total -= Math.log(p);
  }
  return total / yTrue.length;
}

/**
 * All classification metrics from true class indices and an n×k matrix of predicted
 * probabilities (row-major). Macro averages run over the classes present in the true or the
 * predicted labels, a class with no predictions has precision 0 (scikit-learn's
 * `zero_division=0`), and balanced accuracy averages recall over the classes present in the
 * truth. ROC AUC is binary for k = 2 and macro one-vs-rest otherwise, over the classes present
 * in the truth.
 *
 * @example
 * classificationMetrics(Int32Array.from([0, 1]), Float64Array.from([0.8, 0.2, 0.3, 0.7]), 2).accuracy // 1
 */
export function classificationMetrics(yTrue: Int32Array, proba: Float64Array, k: number): ClassificationMetrics {
  const n = yTrue.length;
  if (n === 0) throw new RangeError('no rows to evaluate');
  const yPred = predictedClasses(proba, k);
  const cm = confusionMatrix(yTrue, yPred, k);
  let correct = 0;
  for (let c = 0; c < k; c++) correct += cm[c][c];
  const precisions: number[] = [];
  const recalls: number[] = [];
  const f1s: number[] = [];
  const truthRecalls: number[] = [];
  for (let c = 0; c < k; c++) {
    let actual = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      actual += cm[c][j];
      predicted += cm[j][c];
    }
    if (actual === 0 && predicted === 0) continue;
    const tp = cm[c][c];
    const p = predicted === 0 ? 0 : tp / predicted;
    const r = actual === 0 ? 0 : tp / actual;
    precisions.push(p);
    recalls.push(r);
    f1s.push(p + r === 0 ? 0 : (2 * p * r) / (p + r));
    if (actual > 0) truthRecalls.push(r);
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  let auc: number | null;
  if (k === 2) {
    auc = rocAuc(Uint8Array.from(yTrue, (y) => (y === 1 ? 1 : 0)), Float64Array.from({ length: n }, (_, i) => proba[i * 2 + 1]));
  } else {
    const aucs: number[] = [];
    for (let c = 0; c < k; c++) {
      const a = rocAuc(Uint8Array.from(yTrue, (y) => (y === c ? 1 : 0)), Float64Array.from({ length: n }, (_, i) => proba[i * k + c]));
      if (a !== null) aucs.push(a);
    }
    auc = aucs.length >= 2 ? mean(aucs) : null;
  }
  return {
    accuracy: correct / n,
    balanced_accuracy: mean(truthRecalls),
    precision_macro: mean(precisions),
    recall_macro: mean(recalls),
    f1_macro: mean(f1s),
    roc_auc: auc,
    log_loss: logLoss(yTrue, proba, k),
    confusion_matrix: cm,
  };
}

/**
 * RMSE, MAE and R². R² is 1 - SS_res / SS_tot; with a constant truth it is 1 for a perfect
 * prediction and 0 otherwise (scikit-learn's `force_finite`).
 *
 * @example
 * regressionMetrics(Float64Array.from([1, 2, 3]), Float64Array.from([1, 2, 4])).mae // 1/3
 */
export function regressionMetrics(yTrue: Float64Array, yPred: Float64Array): RegressionMetrics {
  const n = yTrue.length;
  if (n === 0) throw new RangeError('no rows to evaluate');
  let se = 0;
  let ae = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i];
  mean /= n;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const d = yTrue[i] - yPred[i];
    se += d * d;
    ae += Math.abs(d);
    ssTot += (yTrue[i] - mean) * (yTrue[i] - mean);
  }
  const r2 = ssTot === 0 ? (se === 0 ? 1 : 0) : 1 - se / ssTot;
  return { rmse: Math.sqrt(se / n), mae: ae / n, r2 };
}

/**
 * Every scalar metric of a task as flat numbers (`roc_auc` left out when it is undefined):
 * from class probabilities (classification, `k` classes) or predicted values (regression).
 */
export function flatMetrics(yTrue: Int32Array | Float64Array, output: Float64Array, k: number): Record<string, number> {
  if (k > 0) {
    const { confusion_matrix: _cm, roc_auc, ...rest } = classificationMetrics(yTrue as Int32Array, output, k);
    return roc_auc === null ? rest : { ...rest, roc_auc };
  }
  return { ...regressionMetrics(yTrue as Float64Array, output) };
}

/** Precision, recall and support of each class from a confusion matrix (rows: true class). */
export function perClass(cm: number[][]): Array<{ precision: number; recall: number; support: number }> {
  return cm.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = cm.reduce((a, r) => a + r[c], 0);
    return { precision: predicted === 0 ? NaN : row[c] / predicted, recall: support === 0 ? NaN : row[c] / support, support };
  });
}
