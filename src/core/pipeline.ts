import { z } from 'zod';
import { parseDuration } from './duration.js';
import { METRICS, MODELS } from './catalog.js';

/** The `apiVersion` this bfly reads and writes. */
export const PIPELINE_API_VERSION = 'bfly/v1';

/** Block types in their canonical order. */
export const BLOCK_TYPES = ['split', 'features', 'preprocess', 'model_selection', 'train', 'evaluate', 'explain', 'report'] as const;
/** One of {@link BLOCK_TYPES}. */
export type BlockType = (typeof BLOCK_TYPES)[number];

/** Hook kinds. */
export const HOOK_KINDS = ['before', 'after', 'override'] as const;
/** One of {@link HOOK_KINDS}. */
export type HookKind = (typeof HOOK_KINDS)[number];

const columns = z.array(z.string().min(1)).default([]).describe('column names; empty means every column the step applies to');
const fraction = z.number().gt(0).lt(1);
const metricName = z.string().refine((m) => m in METRICS, { message: 'unknown metric' });

/** Config of `split`: how the rows are divided into training and test parts. */
export const splitConfig = z.strictObject({
  test_size: fraction.default(0.2).describe('share of rows held out for the test split'),
  stratify: z.union([z.boolean(), z.literal('auto')]).default('auto').describe('keep class proportions in both parts (auto: for classification)'),
  shuffle: z.boolean().default(true).describe('shuffle rows (seeded) before splitting'),
  // Optional without a default (absent means drop), so that pipelines written before it existed keep their hash.
  missing_target: z.enum(['drop', 'error']).optional().describe('rows without a target value: `drop` (the default: left out, their count recorded and shown) or `error`'),
  sample_weight: z
    .string()
    .min(1)
    .optional()
    .describe(
      "a numeric column whose values (>= 0, none missing) weigh each row in every fit (the folds of model_selection and train; scaled to a mean of 1 over the training rows): left out of the features and of the model's inputs. Models that take weights: linear and logistic regression, decision tree, random forest, gradient boosting. Metrics stay unweighted",
    ),
});

const featureStep = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('polynomial'),
    columns,
    degree: z.number().int().min(2).max(4).default(2),
    interaction_only: z.boolean().default(false),
  }),
  z.strictObject({
    op: z.literal('date_parts'),
    columns,
    parts: z.array(z.enum(['year', 'month', 'day', 'dayofweek', 'dayofyear', 'hour'])).min(1).default(['year', 'month', 'day', 'dayofweek']),
  }),
  z.strictObject({ op: z.literal('log1p'), columns }),
  z.strictObject({ op: z.literal('drop'), columns: z.array(z.string().min(1)).min(1) }),
  z
    .strictObject({
      op: z.literal('text'),
      columns: z.array(z.string().min(1)).default([]).describe('text (or category) columns to tokenize; empty means every free-text column'),
      ngram_range: z.tuple([z.number().int().min(1).max(3), z.number().int().min(1).max(3)]).default([1, 1]).describe('word n-gram lengths: [1, 1] words, [1, 2] words and word pairs'),
      char_ngrams: z.tuple([z.number().int().min(1).max(6), z.number().int().min(1).max(6)]).nullable().default(null).describe('character n-gram lengths within words, e.g. [2, 4] (null: none)'),
      method: z.enum(['vocabulary', 'hashing']).default('vocabulary').describe('vocabulary: the most frequent tokens of the training rows; hashing: tokens hashed into max_features buckets'),
      max_features: z.number().int().min(1).max(10_000).default(100).describe('features per column at most'),
      min_df: z.number().positive().default(2).describe('fewest training rows a token must appear in (below 1: a share of the rows)'),
      tfidf: z.boolean().default(true).describe('weigh tokens by inverse document frequency (rows are scaled to unit length either way)'),
    })
    .refine((s) => s.ngram_range[0] <= s.ngram_range[1] && (s.char_ngrams === null || s.char_ngrams[0] <= s.char_ngrams[1]), { message: 'an n-gram range is [shortest, longest]' }),
]);

/** Config of `features`: feature-engineering steps applied in order. */
export const featuresConfig = z.strictObject({
  steps: z.array(featureStep).default([]).describe('polynomial/interaction terms, date parts, log1p, drop columns, text (TF-IDF tokens, fitted on the training rows)'),
});

/** Config of `preprocess`: imputation, encoding and scaling, fitted on training rows only. */
export const preprocessConfig = z.strictObject({
  impute: z
    .strictObject({
      numeric: z.enum(['mean', 'median', 'most_frequent', 'constant']).default('median'),
      categorical: z.enum(['most_frequent', 'constant']).default('most_frequent'),
      fill_value: z.union([z.number(), z.string()]).optional().describe('used by the constant strategy'),
    })
    .prefault({})
    .describe('how missing values are filled'),
  encode: z
    .strictObject({
      categorical: z.enum(['onehot', 'ordinal']).default('onehot'),
      min_frequency: z.number().min(0).lt(1).default(0.01).describe('levels rarer than this share are grouped as "other"'),
      max_levels: z.number().int().min(2).default(30).describe('at most this many levels per column; the rest are grouped'),
    })
    .prefault({})
    .describe('how category columns become numbers'),
  scale: z.enum(['standard', 'minmax', 'none']).default('standard').describe('numeric scaling'),
  drop_constant: z.boolean().default(true).describe('drop columns with a single value in the training rows'),
  drop: z.array(z.string().min(1)).default([]).describe('columns to leave out'),
});

const rangeDim = <T extends 'float' | 'int'>(type: T) =>
  z
    .strictObject({
      type: z.literal(type),
      low: type === 'int' ? z.number().int() : z.number(),
      high: type === 'int' ? z.number().int() : z.number(),
      log: z.boolean().optional().describe('search on a log scale (low must be above 0)'),
    })
    .refine((d) => d.low < d.high, { message: 'low must be below high', path: ['high'] })
    .refine((d) => !d.log || d.low > 0, { message: 'a log scale needs low above 0', path: ['low'] });

/** One searched param of a candidate (see src/ml/search.ts). */
export const searchDim = z.discriminatedUnion('type', [rangeDim('float'), rangeDim('int'), z.strictObject({ type: z.literal('choice'), values: z.array(z.unknown()).min(1) })]);

const candidate = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'ids start with a letter and use letters, digits, _, . and -')
    .max(64)
    .optional()
    .describe('a stable name for the candidate (default `<model>-<n>`: knn-1, knn-2, …); used in the leaderboard, plots and `selection`'),
  model: z.string().describe(`one of: ${Object.keys(MODELS).join(', ')}`),
  params: z.record(z.string(), z.unknown()).default({}).describe("the model's hyper-parameters (see `bfly blocks`)"),
  search: z
    .union([z.literal('default'), z.record(z.string(), searchDim)])
    .optional()
    .describe("params to search: `default` (the model's space, see `bfly blocks`) or `{param: {type: float|int, low, high, log?} | {type: choice, values: [...]}}`"),
  trials: z.number().int().positive().optional().describe('the most trials of this candidate (random and tpe; default: as the budget allows, else 20)'),
});

/** Config of `model_selection`: k-fold cross-validation over candidate models. */
export const modelSelectionConfig = z.strictObject({
  cv: z.number().int().min(2).max(50).default(5).describe('number of folds (stratified for classification)'),
  metric: metricName.optional().describe("metric to pick the best candidate by (default: the experiment's)"),
  candidates: z.array(candidate).min(1).default([{ model: 'random_forest', params: {} }]).describe('models to compare'),
  // Optional, without defaults: a pipeline written before they existed resolves as it did.
  strategy: z
    .enum(['grid', 'random', 'tpe', 'successive_halving'])
    .optional()
    .describe('how `search` spaces are explored: grid (each candidate once, or every combination of choices; the default without ranges), random, tpe (a tree-structured Parzen estimator; the default with ranges), or successive_halving (random values on a third of the resource, the best third promoted, asynchronously)'),
  resource: z.enum(['auto', 'rows', 'iterations']).optional().describe('what successive_halving gives in rungs: boosting rounds, trees or epochs (`iterations`, for the models that have them), training `rows`, or `auto` (iterations where a model has them, else rows)'),
  budget: z
    .strictObject({
      time_s: z.number().positive().optional().describe('wall seconds for the whole block: no trial starts after, a running one is stopped'),
      trials: z.number().int().positive().optional().describe('the most trials in all'),
    })
    .optional()
    .describe('bounds on the search (`bfly run --time-budget 60s` sets time_s)'),
  ensemble: z
    .strictObject({
      method: z.literal('greedy').default('greedy').describe("greedy: Caruana's ensemble selection from the candidates' out-of-fold predictions"),
      size: z.number().int().min(1).max(100).default(10).describe('picks, with replacement: a candidate picked twice weighs twice'),
    })
    .optional()
    .describe('also build an ensemble of the candidates (at their best trials) from their out-of-fold predictions; it joins the leaderboard as `ensemble` and is trained, evaluated and saved like any model when it scores best'),
});

/** Config of `train`: fit the chosen model on the whole training split. */
export const trainConfig = z.strictObject({
  model: z.string().default('best').describe('`best` (the model_selection winner) or a model name'),
  params: z.record(z.string(), z.unknown()).default({}).describe('hyper-parameters when a model is named'),
  // Optional, without a default in the schema (3 applies): pipelines written before keep their hash.
  keep_models: z.number().int().min(1).max(20).optional().describe('with model: best, the top k candidates of the leaderboard are trained and kept (`model.json` is the best, `model-<candidate>.json` the others; `bfly predict --model <candidate>`); default 3'),
});

/** Config of `evaluate`: metrics on the test split. */
export const evaluateConfig = z.strictObject({
  metrics: z.array(metricName).optional().describe("metrics to compute (default: every metric of the experiment's task)"),
});

/** Config of `explain`: permutation importance and partial dependence. */
export const explainConfig = z.strictObject({
  method: z.enum(['permutation']).default('permutation'),
  n_repeats: z.number().int().min(1).max(100).default(5).describe('shuffles per feature'),
  top_k: z.number().int().min(0).default(5).describe('partial dependence for the k most important features'),
  max_rows: z.number().int().positive().default(5000).describe('test rows used at most (seeded sample)'),
});

/** Config of `report`: the run's notebook and page. */
export const reportConfig = z.strictObject({
  formats: z.array(z.enum(['ipynb', 'html'])).min(1).default(['ipynb', 'html']),
  title: z.string().optional(),
});

/** What the registry knows about a block type. */
export interface BlockTypeInfo {
  type: BlockType;
  doc: string;
  config: z.ZodObject;
  /** Context slots the block reads and writes (enforced by the run engine). */
  reads: string[];
  writes: string[];
  /** At most one block of this type per pipeline. */
  single: boolean;
}

/** The block registry, in canonical order. */
export const BLOCKS: Record<BlockType, BlockTypeInfo> = {
  split: { type: 'split', doc: 'divide the rows into a training and a test split (seeded)', config: splitConfig, reads: ['dataset'], writes: ['train', 'test'], single: true },
  features: { type: 'features', doc: 'feature engineering: polynomial terms, date parts, log1p, drop columns, text tokens (TF-IDF)', config: featuresConfig, reads: ['train', 'test'], writes: ['train', 'test'], single: false },
  preprocess: { type: 'preprocess', doc: 'impute, encode categories, scale; fitted on the training split only', config: preprocessConfig, reads: ['train', 'test'], writes: ['train', 'test', 'transform'], single: false },
  model_selection: { type: 'model_selection', doc: 'k-fold cross-validation over candidate models; picks the best', config: modelSelectionConfig, reads: ['train'], writes: ['leaderboard', 'selection'], single: true },
  train: { type: 'train', doc: 'fit the chosen model on the whole training split', config: trainConfig, reads: ['train', 'selection', 'leaderboard'], writes: ['model'], single: true },
  evaluate: { type: 'evaluate', doc: "compute the task's metrics on the test split", config: evaluateConfig, reads: ['test', 'model'], writes: ['predictions', 'metrics'], single: true },
  explain: { type: 'explain', doc: 'permutation importance and partial dependence on the test split', config: explainConfig, reads: ['test', 'model'], writes: ['explanation'], single: true },
  report: { type: 'report', doc: 'plots (Vega-Lite specs and SVG) and the run report: a Jupyter notebook and an HTML page', config: reportConfig, reads: ['metrics', 'predictions', 'leaderboard', 'selection', 'explanation'], writes: ['report'], single: true },
};

/** A hook entry in a block's `hooks:` list. */
export const hookEntry = z
  .strictObject({
    type: z.string().describe('before | after | override (or before_<stage> etc.)'),
    file: z.string().min(1).optional().describe('path of a JavaScript file inside the workspace'),
    code: z.string().min(1).optional().describe('inline JavaScript'),
    timeoutMs: z.number().int().positive().optional().describe('wall-clock limit per call (default 10000)'),
    memoryMb: z.number().int().positive().optional().describe('isolate memory limit (default 128)'),
  })
  .refine((h) => (h.file === undefined) !== (h.code === undefined), { message: 'a hook needs exactly one of `file` or `code`' });

/** A time limit: `90s`, `10m`, `1h30m`, or a number of seconds. */
const duration = z.union([z.number(), z.string()]).refine((v) => parseDuration(v) !== null, 'a duration such as 90s, 10m or 1h30m (or a number of seconds)');

/** One block of a pipeline, before its config is checked against its type. */
export const blockEnvelope = z.strictObject({
  id: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'ids start with a letter and use letters, digits, _ and -').max(64).describe('unique name of the block in the pipeline (letters, digits, _ and -); used in paths and hook ids'),
  type: z.enum(BLOCK_TYPES).describe('what the block does (one section below each)'),
  config: z.record(z.string(), z.unknown()).nullable().default({}).describe("the block type's settings; omitted fields take their defaults"),
  hooks: z.array(z.unknown()).default([]).describe('JavaScript hooks before, after or instead of the block'),
  timeout: duration.optional().describe('stop the run (status timed_out) when this block takes longer, e.g. 90s, 10m, 1h'),
});

/** The pipeline document, before blocks are checked one by one. */
export const pipelineEnvelope = z.strictObject({
  apiVersion: z.literal(PIPELINE_API_VERSION).describe('the format version; always bfly/v1'),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(42).describe('seed of every random choice in a run'),
  blocks: z.array(z.unknown()).min(1).describe('the blocks, executed in this order (at least one)'),
  timeout: duration.optional().describe('stop the run (status timed_out) when it takes longer in all, e.g. 30m, 2h'),
});

/** A hook after validation. */
export const hookSpec = z
  .object({
    kind: z.enum(HOOK_KINDS),
    file: z.string().optional().describe('path of the hook file, relative to the workspace'),
    code: z.string().optional().describe('inline JavaScript'),
    timeoutMs: z.number().int().optional(),
    memoryMb: z.number().int().optional(),
  })
  .meta({ id: 'HookSpec', description: 'A hook of a block, after validation.' });
/** A hook after validation. */
export type HookSpec = z.infer<typeof hookSpec>;

/** A block after validation, config with defaults filled in. */
export const blockSpec = z
  .object({
    id: z.string(),
    type: z.enum(BLOCK_TYPES),
    config: z.record(z.string(), z.unknown()).describe('the config with every default filled in'),
    hooks: z.array(hookSpec),
    timeout: z.union([z.string(), z.number()]).optional().describe('time limit of the block, as written; absent: none'),
  })
  .meta({ id: 'BlockSpec', description: 'A block after validation, its config with defaults filled in.' });
/** A block after validation, config with defaults filled in. */
export type BlockSpec = z.infer<typeof blockSpec>;

/** A validated pipeline with every default filled in. */
export const pipelineSpec = z
  .object({
    apiVersion: z.literal(PIPELINE_API_VERSION),
    seed: z.number().int(),
    blocks: z.array(blockSpec),
    timeout: z.union([z.string(), z.number()]).optional().describe('time limit of the whole run, as written; absent: none'),
  })
  .meta({ id: 'Pipeline', description: 'A validated pipeline with every default filled in.' });
/** A validated pipeline with every default filled in. */
export type Pipeline = z.infer<typeof pipelineSpec>;
