import { z } from 'zod';
import { type Task } from './metrics-info.js';
import type { SearchSpace } from './search-space.js';

export { TASKS, type Task, type MetricInfo, METRICS, DEFAULT_METRIC, metricsFor } from './metrics-info.js';
export { type AdapterModel, ADAPTER_FORMS, adapterModel } from './adapter-model.js';

const positiveInt = z.number().int().positive();
const fraction = z.number().gt(0).lt(1);
// Optional, without a default: params written before it existed resolve as they did.
const classWeight = z.enum(['balanced']).nullable().optional().describe('classification: `balanced` weighs each class inversely to its frequency (n / (classes × count)); default: every row alike');

/** A model type: which tasks it serves, its hyper-parameters (zod, with defaults), a doc line. */
export interface ModelInfo {
  tasks: readonly Task[];
  params: z.ZodObject;
  doc: string;
  /** Defaults that depend on the task (they replace the schema's default for that task). */
  taskDefaults?: Partial<Record<Task, Record<string, unknown>>>;
  /** The space `search: default` explores (ranges around the defaults, as FLAML and optuna's examples do). */
  space: SearchSpace;
}

/** The models whose fits take row weights (a split's `sample_weight` column). */
const WEIGHTED_MODELS = new Set(['linear_regression', 'logistic_regression', 'decision_tree', 'random_forest', 'gradient_boosting']);

/** Whether model `name` takes row weights (kNN, the MLP and framework adapters do not). */
export function takesSampleWeight(name: string): boolean {
  return WEIGHTED_MODELS.has(name);
}

/** Every model type a pipeline can name. */
export const MODELS: Record<string, ModelInfo> = {
  logistic_regression: {
    tasks: ['classification'],
    space: { C: { type: 'float', low: 1e-3, high: 1e3, log: true } },
    doc: 'L2-regularised logistic regression (binary and multinomial)',
    params: z.strictObject({
      C: z.number().positive().default(1).describe('inverse regularisation strength (smaller: stronger L2 penalty)'),
      max_iter: positiveInt.default(100).describe('most L-BFGS iterations'),
      tol: z.number().positive().default(1e-4).describe('stop when the gradient norm falls below this'),
      class_weight: classWeight,
    }),
  },
  linear_regression: {
    tasks: ['regression'],
    space: { alpha: { type: 'float', low: 1e-4, high: 1e3, log: true } },
    doc: 'ridge regression, closed form',
    params: z.strictObject({ alpha: z.number().nonnegative().default(1).describe('L2 penalty (0: ordinary least squares)'), fit_intercept: z.boolean().default(true).describe('learn an intercept (not penalised)') }),
  },
  decision_tree: {
    tasks: ['classification', 'regression'],
    space: { max_depth: { type: 'int', low: 2, high: 30, log: true }, min_samples_leaf: { type: 'int', low: 1, high: 50, log: true } },
    doc: 'CART decision tree',
    params: z.strictObject({
      criterion: z.enum(['gini', 'entropy', 'mse']).optional().describe('split quality (default: gini for classification, mse for regression)'),
      max_depth: positiveInt.nullable().default(null).describe('deepest level (null: until leaves are pure or too small)'),
      min_samples_leaf: positiveInt.default(1).describe('fewest training rows in a leaf'),
      class_weight: classWeight,
    }),
  },
  random_forest: {
    tasks: ['classification', 'regression'],
    space: { n_estimators: { type: 'int', low: 50, high: 400, log: true }, max_features: { type: 'choice', values: ['sqrt', 'log2', 0.5, 'all'] }, min_samples_leaf: { type: 'int', low: 1, high: 20, log: true } },
    doc: 'random forest: bootstrap samples, feature subsampling, histogram splits',
    // As scikit-learn: classifiers try sqrt(features) per split, regressors every feature.
    taskDefaults: { regression: { max_features: 'all' } },
    params: z.strictObject({
      n_estimators: positiveInt.default(100).describe('number of trees'),
      max_depth: positiveInt.nullable().default(null).describe('deepest level of a tree (null: unlimited)'),
      max_features: z.union([z.enum(['sqrt', 'log2', 'all']), fraction]).default('sqrt').describe('features tried per split: sqrt, log2 or all of them, or a fraction (default: sqrt for classification, all for regression)'),
      min_samples_leaf: positiveInt.default(1).describe('fewest training rows in a leaf'),
      bootstrap: z.boolean().default(true).describe('each tree sees a bootstrap sample of the rows'),
      class_weight: classWeight,
    }),
  },
  gradient_boosting: {
    tasks: ['classification', 'regression'],
    space: {
      learning_rate: { type: 'float', low: 0.01, high: 0.3, log: true },
      max_iter: { type: 'int', low: 50, high: 500, log: true },
      max_leaf_nodes: { type: 'int', low: 4, high: 128, log: true },
      min_samples_leaf: { type: 'int', low: 2, high: 100, log: true },
      l2_regularization: { type: 'float', low: 1e-3, high: 10, log: true },
    },
    doc: 'histogram gradient boosting (as scikit-learn HistGradientBoosting)',
    params: z.strictObject({
      learning_rate: z.number().positive().default(0.1).describe('shrinkage of each tree'),
      max_iter: positiveInt.default(100).describe('boosting rounds (trees per class)'),
      max_leaf_nodes: positiveInt.min(2).default(31).describe('leaves per tree (grown best-first)'),
      max_depth: positiveInt.nullable().default(null).describe('deepest level of a tree (null: unlimited)'),
      min_samples_leaf: positiveInt.default(20).describe('fewest training rows in a leaf'),
      l2_regularization: z.number().nonnegative().default(0).describe('L2 penalty on leaf values'),
      max_bins: positiveInt.max(255).default(255).describe('histogram bins per feature (missing values get their own)'),
      early_stopping: z.union([z.boolean(), z.literal('auto')]).default('auto').describe('stop when the validation loss stops improving (auto: above 10,000 rows)'),
      validation_fraction: fraction.default(0.1).describe('training rows held out for early stopping'),
      n_iter_no_change: positiveInt.default(10).describe('rounds without improvement before stopping'),
      class_weight: classWeight,
      categorical: z
        .enum(['native', 'encoded'])
        .default('native')
        .describe("category columns: `native` splits on sets of a column's levels (sorted by gradient statistics, as LightGBM; up to 254 levels, the preprocessing's cap); `encoded` splits its one-hot or ordinal columns as numbers"),
    }),
  },
  knn: {
    tasks: ['classification', 'regression'],
    space: { n_neighbors: { type: 'int', low: 1, high: 50, log: true }, weights: { type: 'choice', values: ['uniform', 'distance'] } },
    doc: 'k-nearest neighbours',
    params: z.strictObject({ n_neighbors: positiveInt.default(5).describe('neighbours that vote'), weights: z.enum(['uniform', 'distance']).default('uniform').describe('equal votes, or weighted by inverse distance') }),
  },
  mlp: {
    tasks: ['classification', 'regression'],
    space: {
      hidden_layer_sizes: { type: 'choice', values: [[32], [64], [64, 64], [128, 64]] },
      learning_rate: { type: 'float', low: 1e-4, high: 1e-2, log: true },
      alpha: { type: 'float', low: 1e-6, high: 1e-2, log: true },
      epochs: { type: 'int', low: 10, high: 100, log: true },
    },
    doc: 'multi-layer perceptron (tfjs adapter)',
    params: z.strictObject({
      hidden_layer_sizes: z.array(positiveInt).min(1).default([64, 64]).describe('units of each hidden layer (ReLU)'),
      epochs: positiveInt.default(20).describe('passes over the training rows'),
      batch_size: positiveInt.default(200).describe('rows per Adam step'),
      learning_rate: z.number().positive().default(0.001).describe('Adam learning rate'),
      alpha: z.number().nonnegative().default(1e-4).describe('L2 penalty on the weights'),
      class_weight: classWeight,
    }),
  },
};

/**
 * A model's hyper-parameters with every default filled in for the task: the task's own
 * defaults first (e.g. a regression forest tries every feature per split), then the schema's.
 * Throws the zod error for invalid params.
 *
 * @example
 * resolveModelParams('random_forest', {}, 'regression').max_features // 'all'
 */
export function resolveModelParams(model: string, params: Record<string, unknown>, task: Task): Record<string, unknown> {
  const info = MODELS[model];
  if (info === undefined) return params; // adapter models: keyword arguments as given
  return info.params.parse({ ...info.taskDefaults?.[task], ...params }) as Record<string, unknown>;
}
