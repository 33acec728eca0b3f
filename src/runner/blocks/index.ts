import type { BlockType } from '../../core/pipeline.js';
import type { BlockContext } from '../context.js';
import { runEvaluate } from './evaluate.js';
import { runExplain } from './explain.js';
import { runFeatures } from './features.js';
import { runModelSelection } from './model-selection.js';
import { runPreprocess } from './preprocess.js';
import { runReport } from './report.js';
import { runSplit } from './split.js';
import { runTrain } from './train.js';

/** The built-in executor of each block type (thin wrappers over src/ml). */
export const BLOCK_EXECUTORS: Record<BlockType, (ctx: BlockContext) => void | Promise<void>> = {
  split: runSplit,
  features: runFeatures,
  preprocess: runPreprocess,
  model_selection: runModelSelection,
  train: runTrain,
  evaluate: runEvaluate,
  explain: runExplain,
  report: runReport,
};

/**
 * Block types whose outputs are not cached: the report names the run it belongs to, and is
 * cheap to write again.
 */
export const UNCACHED_BLOCKS: ReadonlySet<BlockType> = new Set(['report']);
