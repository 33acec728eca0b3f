/** Tasks and metrics: what the UI needs to know about them, without the zod model schemas. */

/** Learning tasks. */
export const TASKS = ['classification', 'regression'] as const;
/** One of {@link TASKS}. */
export type Task = (typeof TASKS)[number];

/** A metric: which task it belongs to and which direction is better. */
export interface MetricInfo {
  task: Task;
  higherIsBetter: boolean;
  doc: string;
}

/** Every metric bfly computes, by its flat name (as in `metrics.json`). */
export const METRICS: Record<string, MetricInfo> = {
  accuracy: { task: 'classification', higherIsBetter: true, doc: 'share of rows predicted right' },
  balanced_accuracy: { task: 'classification', higherIsBetter: true, doc: 'mean recall over classes (robust to imbalance)' },
  precision_macro: { task: 'classification', higherIsBetter: true, doc: 'precision averaged over classes' },
  recall_macro: { task: 'classification', higherIsBetter: true, doc: 'recall averaged over classes' },
  f1_macro: { task: 'classification', higherIsBetter: true, doc: 'F1 averaged over classes' },
  roc_auc: { task: 'classification', higherIsBetter: true, doc: 'area under the ROC curve (macro one-vs-rest for several classes)' },
  log_loss: { task: 'classification', higherIsBetter: false, doc: 'cross-entropy of the predicted probabilities' },
  rmse: { task: 'regression', higherIsBetter: false, doc: 'root mean squared error' },
  mae: { task: 'regression', higherIsBetter: false, doc: 'mean absolute error' },
  r2: { task: 'regression', higherIsBetter: true, doc: 'coefficient of determination' },
};

/** The default metric of each task. */
export const DEFAULT_METRIC: Record<Task, string> = { classification: 'accuracy', regression: 'rmse' };

/** The metrics of a task, in a stable order. */
export function metricsFor(task: Task): string[] {
  return Object.keys(METRICS).filter((m) => METRICS[m].task === task);
}
