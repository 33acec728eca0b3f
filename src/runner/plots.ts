import { rocAuc } from '../ml/metrics.js';
import type { ExplanationSlot, LeaderboardSlot, MetricsSlot, PredictionsSlot } from './slots.js';

/** A Vega-Lite spec (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>;

/** One plot of a run: its artifact name (without extension), a title and its spec. */
export interface PlotSpec {
  name: string;
  title: string;
  spec: VegaLiteSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const base = (title: string, width = 360, height = 280): VegaLiteSpec => ({ $schema: SCHEMA, title, width, height, config: { font: 'sans-serif', view: { stroke: null } } });

/** ROC points (fpr, tpr) of scores for a 0/1 truth, one point per distinct threshold. */
export function rocCurve(positive: Uint8Array, scores: Float64Array): Array<{ fpr: number; tpr: number }> {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  const P = positive.reduce((a, b) => a + b, 0);
  const N = positive.length - P;
  const out = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    if (positive[order[k]]) tp++;
    else fp++;
    if (k === order.length - 1 || scores[order[k + 1]] !== scores[order[k]]) out.push({ fpr: N === 0 ? 0 : fp / N, tpr: P === 0 ? 0 : tp / P });
  }
  return out;
}

/** Precision-recall points, one per distinct threshold (recall from 0 to 1). */
export function prCurve(positive: Uint8Array, scores: Float64Array): Array<{ recall: number; precision: number }> {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  const P = positive.reduce((a, b) => a + b, 0);
  const out: Array<{ recall: number; precision: number }> = [];
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    if (positive[order[k]]) tp++;
    if (k === order.length - 1 || scores[order[k + 1]] !== scores[order[k]]) out.push({ recall: P === 0 ? 0 : tp / P, precision: tp / (k + 1) });
  }
  return out;
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3));

/**
 * The plots of a run, as Vega-Lite specs with their data inline: confusion matrix, ROC and
 * precision-recall curves (classification); residuals and predicted vs actual (regression);
 * permutation importance with error bars; partial dependence of the top features; the CV score
 * of each candidate per fold; a search's trials against time with the best so far.
 */
export function runPlots(m: MetricsSlot, p: PredictionsSlot | undefined, board: LeaderboardSlot | undefined, ex: ExplanationSlot | undefined, target: string): PlotSpec[] {
  const plots: PlotSpec[] = [];
  if (m.confusionMatrix !== null) {
    const values = m.confusionMatrix.flatMap((row, i) => row.map((count, j) => ({ actual: m.classes[i], predicted: m.classes[j], count })));
    plots.push({
      name: 'confusion_matrix',
      title: `Confusion matrix (test rows; accuracy ${fmt(m.values.accuracy ?? NaN)})`,
      spec: {
        ...base(`Confusion matrix — ${m.rows} test rows`, 300, 300),
        data: { values },
        encoding: { x: { field: 'predicted', type: 'nominal', title: 'Predicted class', sort: m.classes }, y: { field: 'actual', type: 'nominal', title: 'Actual class', sort: m.classes } },
        layer: [
          { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', title: 'Rows', scale: { scheme: 'blues' } } } },
          { mark: { type: 'text', fontSize: 13 }, encoding: { text: { field: 'count', type: 'quantitative' }, color: { condition: { test: `datum.count > ${Math.max(...values.map((v) => v.count)) / 2}`, value: 'white' }, value: 'black' } } },
        ],
      },
    });
  }
  if (p !== undefined && p.proba !== null && p.classes.length > 0) {
    const k = p.classes.length;
    const classes = k === 2 ? [1] : Array.from({ length: k }, (_, c) => c);
    const roc: Array<Record<string, unknown>> = [];
    const pr: Array<Record<string, unknown>> = [];
    for (const c of classes) {
      const positive = Uint8Array.from(p.actual, (y) => (y === c ? 1 : 0));
      const scores = Float64Array.from({ length: p.rows.length }, (_, i) => p.proba![i * k + c]);
      const auc = rocAuc(positive, scores);
      const label = `${p.classes[c]}${auc === null ? '' : ` (AUC ${auc.toFixed(3)})`}`;
      for (const pt of rocCurve(positive, scores)) roc.push({ ...pt, class: label });
      for (const pt of prCurve(positive, scores)) pr.push({ ...pt, class: p.classes[c] });
    }
    plots.push({
      name: 'roc_curve',
      title: k === 2 ? `ROC curve (positive class ${p.classes[1]})` : 'ROC curves (one class vs the rest)',
      spec: {
        ...base(k === 2 ? `ROC curve — positive class ${p.classes[1]}` : 'ROC curves — one class vs the rest'),
        layer: [
          { data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] }, mark: { type: 'line', strokeDash: [4, 4], color: '#999' }, encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } } },
          { data: { values: roc }, mark: { type: 'line', interpolate: 'step-after' }, encoding: { x: { field: 'fpr', type: 'quantitative', title: 'False positive rate', scale: { domain: [0, 1] } }, y: { field: 'tpr', type: 'quantitative', title: 'True positive rate', scale: { domain: [0, 1] } }, color: { field: 'class', type: 'nominal', title: 'Class' } } },
        ],
      },
    });
    plots.push({
      name: 'precision_recall',
      title: 'Precision-recall curves',
      spec: {
        ...base('Precision-recall curves'),
        data: { values: pr },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: { x: { field: 'recall', type: 'quantitative', title: 'Recall', scale: { domain: [0, 1] } }, y: { field: 'precision', type: 'quantitative', title: 'Precision', scale: { domain: [0, 1] } }, color: { field: 'class', type: 'nominal', title: 'Class' } },
      },
    });
  }
  if (p !== undefined && p.classes.length === 0) {
    const values = Array.from(p.rows, (_, i) => ({ actual: p.actual[i], predicted: p.predicted[i], residual: p.actual[i] - p.predicted[i] }));
    const lo = Math.min(...values.map((v) => Math.min(v.actual, v.predicted)));
    const hi = Math.max(...values.map((v) => Math.max(v.actual, v.predicted)));
    plots.push({
      name: 'predicted_vs_actual',
      title: `Predicted vs actual ${target} (rmse ${fmt(m.values.rmse ?? NaN)}, R² ${fmt(m.values.r2 ?? NaN)})`,
      spec: {
        ...base(`Predicted vs actual ${target} — test rows`),
        layer: [
          { data: { values: [{ actual: lo, predicted: lo }, { actual: hi, predicted: hi }] }, mark: { type: 'line', strokeDash: [4, 4], color: '#999' }, encoding: { x: { field: 'actual', type: 'quantitative' }, y: { field: 'predicted', type: 'quantitative' } } },
          { data: { values }, mark: { type: 'point', opacity: 0.6 }, encoding: { x: { field: 'actual', type: 'quantitative', title: `Actual ${target}`, scale: { zero: false } }, y: { field: 'predicted', type: 'quantitative', title: `Predicted ${target}`, scale: { zero: false } } } },
        ],
      },
    });
    plots.push({
      name: 'residuals',
      title: `Residuals (actual − predicted ${target})`,
      spec: {
        ...base(`Residuals — test rows`),
        layer: [
          { data: { values }, mark: { type: 'point', opacity: 0.6 }, encoding: { x: { field: 'predicted', type: 'quantitative', title: `Predicted ${target}`, scale: { zero: false } }, y: { field: 'residual', type: 'quantitative', title: `Residual (actual − predicted ${target})` } } },
          { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#999', strokeDash: [4, 4] }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
        ],
      },
    });
  }
  if (ex !== undefined && ex.importance.length > 0) {
    const values = ex.importance.slice(0, 20).map((i) => ({ feature: i.feature, mean: i.mean, lo: i.mean - i.std, hi: i.mean + i.std }));
    plots.push({
      name: 'feature_importance',
      title: `Permutation importance (${ex.higherIsBetter ? 'drop' : 'rise'} in ${ex.metric})`,
      spec: {
        ...base(`Permutation importance — ${ex.higherIsBetter ? 'drop' : 'rise'} in ${ex.metric} when a column is shuffled`, 360, Math.max(120, 22 * values.length)),
        data: { values },
        encoding: { y: { field: 'feature', type: 'nominal', title: 'Column', sort: values.map((v) => v.feature) } },
        layer: [
          { mark: 'bar', encoding: { x: { field: 'mean', type: 'quantitative', title: `Importance (${ex.metric}, mean ± std over ${ex.repeats} shuffles)` } } },
          { mark: { type: 'rule', color: 'black' }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
        ],
      },
    });
    ex.partialDependence.forEach((pd, n) => {
      const values = pd.series.flatMap((s) => pd.grid.map((g, i) => ({ value: g, prediction: s.values[i], series: s.name })));
      const classification = pd.series.length > 1 || pd.series[0]?.name !== target;
      plots.push({
        name: `partial_dependence_${n + 1}`,
        title: `Partial dependence on ${pd.feature}`,
        spec: {
          ...base(`Partial dependence on ${pd.feature}`),
          data: { values },
          mark: pd.kind === 'numeric' ? { type: 'line', point: true } : { type: 'point', filled: true, size: 60 },
          encoding: {
            x: { field: 'value', type: pd.kind === 'numeric' ? 'quantitative' : 'nominal', title: pd.feature, scale: pd.kind === 'numeric' ? { zero: false } : undefined },
            y: { field: 'prediction', type: 'quantitative', title: classification ? 'Mean predicted probability' : `Mean predicted ${target}` },
            color: { field: 'series', type: 'nominal', title: classification ? 'Class' : '' },
          },
        },
      });
    });
  }
  if (board !== undefined && board.candidates.length > 0) {
    // One box per candidate (never pooled by model name): labels are unique within a leaderboard.
    const name = (c: (typeof board.candidates)[number]): string => c.label ?? c.model;
    const values = board.candidates.flatMap((c) => c.folds.map((f, i) => ({ candidate: name(c), model: c.model, fold: i + 1, score: f[board.metric] })));
    plots.push({
      name: 'cv_scores',
      title: `Cross-validation ${board.metric} per candidate`,
      spec: {
        ...base(`Cross-validation ${board.metric} per fold — ${board.higherIsBetter ? 'higher' : 'lower'} is better`, 360, Math.max(120, 40 * board.candidates.length)),
        data: { values },
        encoding: { y: { field: 'candidate', type: 'nominal', title: 'Candidate', sort: board.candidates.map(name) } },
        layer: [
          { mark: { type: 'boxplot', extent: 'min-max', opacity: 0.4 }, encoding: { x: { field: 'score', type: 'quantitative', title: `${board.metric} (${board.folds} folds)`, scale: { zero: false } } } },
          { mark: { type: 'point', filled: true }, encoding: { x: { field: 'score', type: 'quantitative' } } },
        ],
      },
    });
  }
  const trials = board?.trials?.filter((t) => t.status === 'complete' && t.score !== null) ?? [];
  if (board !== undefined && trials.length > board.candidates.length) {
    // the search: each finished trial's score when it ended, and the best so far as a step line
    const values = trials.map((t) => ({ trial: t.n, candidate: t.candidate, time: +(t.startS + t.seconds).toFixed(3), score: t.score, best: t.bestSoFar, params: JSON.stringify(t.searched) }));
    const s = board.search;
    const title = `Search: ${board.metric} of each trial against time${s ? ` (${s.strategy}, ${s.trials} trials in ${s.seconds.toFixed(1)} s)` : ''}`;
    plots.push({
      name: 'trials',
      title,
      spec: {
        ...base(title, 480, 280),
        data: { values },
        layer: [
          {
            mark: { type: 'point', filled: true, opacity: 0.7 },
            encoding: {
              x: { field: 'time', type: 'quantitative', title: 'seconds since the search started' },
              y: { field: 'score', type: 'quantitative', title: `${board.metric} (mean over ${board.folds} folds)`, scale: { zero: false } },
              color: { field: 'candidate', type: 'nominal', title: 'Candidate' },
              tooltip: [{ field: 'trial' }, { field: 'candidate' }, { field: 'score', format: '.4f' }, { field: 'params' }],
            },
          },
          { mark: { type: 'line', interpolate: 'step-after', color: '#333' }, encoding: { x: { field: 'time', type: 'quantitative' }, y: { field: 'best', type: 'quantitative', title: 'best so far' } } },
        ],
      },
    });
  }
  return plots;
}
