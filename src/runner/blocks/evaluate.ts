import { csvCell } from '../../core/csv.js';
import { BflyError } from '../../core/errors.js';
import { classificationMetrics, flatMetrics, perClass } from '../../ml/metrics.js';
import type { BlockContext } from '../context.js';
import { type ModelArtifact, modelFromArtifact } from '../model-artifact.js';
import type { MetricsSlot, PartSlot, PredictionsSlot } from '../slots.js';

/** The predictions as CSV: dataset row, actual, predicted, and one probability column per class. */
export function predictionsCsv(p: PredictionsSlot): string {
  const k = p.classes.length;
  const label = (v: number): string | number => (k > 0 ? p.classes[v] : v);
  const head = ['row', 'actual', 'predicted', ...p.classes.map((c) => `proba_${c}`)];
  const lines = [head.map(csvCell).join(',')];
  for (let i = 0; i < p.rows.length; i++) {
    const cells: Array<string | number> = [p.rows[i], label(p.actual[i]), label(p.predicted[i])];
    for (let c = 0; c < k; c++) cells.push(p.proba![i * k + c]);
    lines.push(cells.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

/** `evaluate`: the trained model on the test rows; every metric of the task (or the listed ones). */
export function runEvaluate(ctx: BlockContext): void {
  const test = ctx.read<PartSlot>('test');
  const artifact = ctx.read<ModelArtifact>('model');
  const { predicted, proba } = modelFromArtifact(artifact, { python: () => ctx.run.python }).predictFrame(test.raw);
  writeEvaluation(ctx, test, predicted, proba);
}

/**
 * Scores predictions of the test rows and writes the `metrics` and `predictions` slots and
 * artifacts (shared by the block and by an `override_evaluate` hook's predictions).
 */
export function writeEvaluation(ctx: BlockContext, test: PartSlot, predicted: Float64Array, proba: Float64Array | null): void {
  const c = ctx.block.config as { metrics?: string[] };
  const k = test.classes.length;
  const all = flatMetrics(test.y, k > 0 ? proba! : predicted, k);
  const values: Record<string, number> = {};
  for (const [name, v] of Object.entries(all)) if (c.metrics === undefined || c.metrics.includes(name)) values[name] = v;
  // A run never succeeds with a metric that is not a number (JSON would write it as null).
  for (const [name, v] of Object.entries(values)) {
    if (Number.isFinite(v)) continue;
    if (name === ctx.run.binding.metric) {
      throw new BflyError('framework', 'METRIC_NOT_FINITE', `the experiment's metric ${name} is ${v} on the test rows: the predictions or the targets hold non-finite values`, {
        hint: 'check the model (`bfly show` the leaderboard) and any hook that returns predictions; an extreme target value can also overflow',
        data: { metric: name, value: String(v) },
      });
    }
    delete values[name];
    ctx.log('warn', `${name} is ${v} on these test rows and is left out of the metrics`);
  }
  const metrics: MetricsSlot = {
    task: k > 0 ? 'classification' : 'regression',
    metric: ctx.run.binding.metric,
    values,
    classes: test.classes,
    confusionMatrix: k > 0 ? classificationMetrics(test.y as Int32Array, proba!, k).confusion_matrix : null,
    rows: test.rows.length,
  };
  const predictions: PredictionsSlot = { rows: test.rows, actual: test.y, predicted, proba, classes: test.classes };
  ctx.write('metrics', metrics);
  ctx.write('predictions', predictions);
  ctx.artifact('metrics.json', 'metrics', JSON.stringify(metrics, null, 2) + '\n');
  ctx.artifact('predictions.csv', 'predictions', predictionsCsv(predictions));
  ctx.log('info', Object.entries(values).map(([n, v]) => `${n} ${v.toFixed(4)}`).join(', '));
  if (metrics.confusionMatrix !== null) {
    const low = perClass(metrics.confusionMatrix).flatMap((p, i) => (p.support > 0 && p.recall < 0.5 ? [`${test.classes[i]} (${p.recall === 0 ? 0 : Math.round(p.recall * p.support)}/${p.support})`] : []));
    if (low.length > 0) ctx.log('warn', `recalled below 50% on the test rows: ${low.join(', ')}; try class_weight: balanced or the balanced_accuracy metric`);
  }
}
