import { z } from 'zod';
import { type Task } from './metrics-info.js';

export { TASKS, type Task, type MetricInfo, METRICS, DEFAULT_METRIC, metricsFor } from './metrics-info.js';

const positiveInt = z.number().int().positive();
const fraction = z.number().gt(0).lt(1);

/** A model type: which tasks it serves, its hyper-parameters (zod, with defaults), a doc line. */
export interface ModelInfo {
  tasks: readonly Task[];
  params: z.ZodObject;
  doc: string;
}

/** Every model type a pipeline can name. */
export const MODELS: Record<string, ModelInfo> = {
  logistic_regression: {
    tasks: ['classification'],
    doc: 'L2-regularised logistic regression (binary and multinomial)',
    params: z.strictObject({ C: z.number().positive().default(1), max_iter: positiveInt.default(100), tol: z.number().positive().default(1e-4) }),
  },
  linear_regression: {
    tasks: ['regression'],
    doc: 'ridge regression, closed form',
    params: z.strictObject({ alpha: z.number().nonnegative().default(1), fit_intercept: z.boolean().default(true) }),
  },
  decision_tree: {
    tasks: ['classification', 'regression'],
    doc: 'CART decision tree',
    params: z.strictObject({
      criterion: z.enum(['gini', 'entropy', 'mse']).optional(),
      max_depth: positiveInt.nullable().default(null),
      min_samples_leaf: positiveInt.default(1),
    }),
  },
  random_forest: {
    tasks: ['classification', 'regression'],
    doc: 'random forest: bootstrap samples, feature subsampling, histogram splits',
    params: z.strictObject({
      n_estimators: positiveInt.default(100),
      max_depth: positiveInt.nullable().default(null),
      max_features: z.union([z.enum(['sqrt', 'log2', 'all']), fraction]).default('sqrt'),
      min_samples_leaf: positiveInt.default(1),
      bootstrap: z.boolean().default(true),
    }),
  },
  gradient_boosting: {
    tasks: ['classification', 'regression'],
    doc: 'histogram gradient boosting (as scikit-learn HistGradientBoosting)',
    params: z.strictObject({
      learning_rate: z.number().positive().default(0.1),
      max_iter: positiveInt.default(100),
      max_leaf_nodes: positiveInt.min(2).default(31),
      max_depth: positiveInt.nullable().default(null),
      min_samples_leaf: positiveInt.default(20),
      l2_regularization: z.number().nonnegative().default(0),
      max_bins: positiveInt.max(255).default(255),
      early_stopping: z.union([z.boolean(), z.literal('auto')]).default('auto'),
      validation_fraction: fraction.default(0.1),
      n_iter_no_change: positiveInt.default(10),
    }),
  },
  knn: {
    tasks: ['classification', 'regression'],
    doc: 'k-nearest neighbours',
    params: z.strictObject({ n_neighbors: positiveInt.default(5), weights: z.enum(['uniform', 'distance']).default('uniform') }),
  },
  mlp: {
    tasks: ['classification', 'regression'],
    doc: 'multi-layer perceptron (tfjs adapter)',
    params: z.strictObject({
      hidden_layer_sizes: z.array(positiveInt).min(1).default([64, 64]),
      epochs: positiveInt.default(20),
      batch_size: positiveInt.default(200),
      learning_rate: z.number().positive().default(0.001),
      alpha: z.number().nonnegative().default(1e-4),
    }),
  },
};
