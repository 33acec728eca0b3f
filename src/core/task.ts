import { DEFAULT_METRIC, METRICS, type Task, metricsFor } from './catalog.js';
import type { DatasetColumn, DatasetManifest } from './dataset.js';
import { ValidationError } from './errors.js';
import { didYouMean } from './suggest.js';

/** An integer target with at most this many distinct values (and under 5% of rows) is a class label. */
export const MAX_CLASSES_FOR_INTEGER = 20;

/** The decided task and why. */
export interface TaskDecision {
  task: Task;
  reason: string;
}

/** Finds the target column, or throws with the closest column names. */
export function findTargetColumn(dataset: DatasetManifest, target: string): DatasetColumn {
  const col = dataset.columns.find((c) => c.name === target);
  if (col === undefined) {
    throw new ValidationError('UNKNOWN_COLUMN', `dataset ${dataset.name} has no column ${JSON.stringify(target)}${didYouMean(target, dataset.columns.map((c) => c.name))}`, {
      hint: `columns: ${dataset.columns.map((c) => c.name).join(', ')}`,
      data: { column: target },
    });
  }
  return col;
}

/**
 * Decides classification or regression from the target column's stored schema:
 * category/boolean/text targets are classification; an integer target with few distinct values
 * (<= 20 and < 5% of rows) is classification; other numbers are regression. A target that
 * cannot be learned (one value, all missing, a datetime) is a validation error. `requested`
 * (classification/regression) overrides the decision but not those errors.
 */
export function decideTask(dataset: DatasetManifest, target: string, requested: Task | 'auto' = 'auto'): TaskDecision {
  const col = findTargetColumn(dataset, target);
  const present = dataset.rows - col.missing;
  if (present === 0) {
    throw new ValidationError('TARGET_ALL_MISSING', `target ${JSON.stringify(target)} has only missing values`, { hint: 'choose a column with values to learn from' });
  }
  if (col.distinct <= 1) {
    throw new ValidationError('TARGET_CONSTANT', `target ${JSON.stringify(target)} has one distinct value in ${present} rows: there is nothing to learn`, { hint: 'choose a column whose values vary' });
  }
  if (col.type === 'datetime') {
    throw new ValidationError('TARGET_DATETIME', `target ${JSON.stringify(target)} is a datetime column`, { hint: 'predict a number or a label; derive one from the date first' });
  }
  if (requested !== 'auto') {
    if (requested === 'regression' && col.type !== 'number' && col.type !== 'integer') {
      throw new ValidationError('TASK_MISMATCH', `target ${JSON.stringify(target)} is a ${col.type} column: regression needs numbers`, { hint: 'use --task classification, or another target' });
    }
    return { task: requested, reason: `chosen with --task (${target} is a ${col.type} column with ${col.distinct} distinct values)` };
  }
  if (col.type === 'category' || col.type === 'boolean' || col.type === 'text') {
    return { task: 'classification', reason: `${target} is a ${col.type} column (${col.distinct} distinct values)` };
  }
  if (col.type === 'integer' && col.distinct <= MAX_CLASSES_FOR_INTEGER && col.distinct < 0.05 * dataset.rows) {
    return { task: 'classification', reason: `${target} holds whole numbers with only ${col.distinct} distinct values in ${dataset.rows} rows` };
  }
  return { task: 'regression', reason: `${target} is a ${col.type} column with ${col.distinct} distinct values` };
}

/** A class whose rows are at least this many times those of another makes a target imbalanced. */
export const IMBALANCE_RATIO = 3;

/** The decided metric and why. */
export interface MetricDecision {
  metric: string;
  reason: string;
}

/**
 * `--metric auto`: rmse for regression; for classification, accuracy when the classes are
 * balanced, balanced accuracy when the largest class has at least {@link IMBALANCE_RATIO} times
 * the rows of the smallest (accuracy would reward a model that ignores the small classes).
 * `counts`: rows per class (null when unknown: accuracy).
 *
 * @example
 * decideMetric('classification', new Map([['sun', 641], ['fog', 101]])).metric // 'balanced_accuracy'
 */
export function decideMetric(task: Task, counts: ReadonlyMap<string, number> | null): MetricDecision {
  if (task === 'regression' || counts === null || counts.size < 2) return { metric: DEFAULT_METRIC[task], reason: `the default for ${task}` };
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const [big, small] = [sorted[0], sorted[sorted.length - 1]];
  const ratio = big[1] / small[1];
  const n = (x: number): string => x.toLocaleString('en-US');
  const both = `the largest class (${big[0]}, ${n(big[1])} rows) is ${ratio.toFixed(1)}x the smallest (${small[0]}, ${n(small[1])} rows)`;
  if (ratio >= IMBALANCE_RATIO) return { metric: 'balanced_accuracy', reason: `imbalanced classes: ${both}; balanced accuracy weighs every class alike` };
  return { metric: DEFAULT_METRIC[task], reason: `balanced classes: ${both}` };
}

/** The metric to optimise: `requested` if it fits the task, else the task's default. */
export function chooseMetric(task: Task, requested?: string): string {
  if (requested === undefined || requested === 'auto') return DEFAULT_METRIC[task];
  const info = METRICS[requested];
  if (info === undefined) {
    throw new ValidationError('UNKNOWN_METRIC', `unknown metric ${JSON.stringify(requested)}${didYouMean(requested, Object.keys(METRICS))}`, { hint: `metrics for ${task}: ${metricsFor(task).join(', ')}` });
  }
  if (info.task !== task) {
    throw new ValidationError('METRIC_TASK_MISMATCH', `metric ${requested} is for ${info.task}, but this experiment is ${task}`, { hint: `metrics for ${task}: ${metricsFor(task).join(', ')}` });
  }
  return requested;
}
