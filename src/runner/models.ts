import { adapterModel } from '../core/adapter-model.js';
import type { Matrix } from '../ml/matrix.js';
import { type FitProgress, type FittedModel, ensembleOf, fitModel, mlpModel, wrapModel } from '../ml/models.js';
import type { MlpParams } from '../ml/mlp.js';
import { trainMlp } from './adapters/mlp.js';
import type { ForestParams } from '../ml/forest.js';
import { fitForestParallel } from './parallel-forest.js';
import { type BoostingParams, GradientBoosting } from '../ml/gbdt.js';
import { kernelPartners } from './kernel-partner.js';

/**
 * Trains any catalogue model: the native ones in-process (src/ml), the MLP through its
 * framework adapter (loaded only when needed). Same interface for both.
 *
 * @example
 * const m = await trainModel('mlp', params, X, y, 3, 42);
 */
export async function trainModel(name: string, params: Record<string, unknown>, X: Matrix, y: Int32Array | Float64Array, classes: number, seed: number, onProgress?: FitProgress, python?: string): Promise<FittedModel> {
  if (name === 'ensemble') return trainEnsemble(params as unknown as EnsembleParams, X, y, classes, seed, onProgress, python);
  if (adapterModel(name) !== null) {
    const { fitAdapterModel, pythonInterpreter } = await import('./adapters/python.js');
    return fitAdapterModel(python ?? pythonInterpreter(), name, params, X, y, classes, seed);
  }
  if (name === 'mlp') return mlpModel(await trainMlp(params as unknown as MlpParams, X, y, classes, seed, onProgress));
  if (name === 'random_forest') return wrapModel(classes > 0 ? 'classification' : 'regression', (await fitForestParallel(params as unknown as ForestParams, X, y, classes, seed, onProgress)).threads(kernelPartners()));
  // boosting's large nodes are worked on by two threads (the same model as with one), and so are
  // the predictions of many rows of both ensembles (the same numbers)
  if (name === 'gradient_boosting') return wrapModel(classes > 0 ? 'classification' : 'regression', new GradientBoosting(params as unknown as BoostingParams, seed).fit(X, y, classes, onProgress, kernelPartners()));
  return fitModel(name, params, X, y, classes, seed, onProgress);
}

/** An ensemble's params, as model_selection writes them (src/runner/blocks/model-selection.ts). */
interface EnsembleParams {
  method: 'greedy';
  size: number;
  /** The picks kept (the best prefix of the size). */
  picks: number;
  members: Array<{ candidate: string; model: string; params: Record<string, unknown>; weight: number }>;
}

/** Fits every member of an ensemble (one after another, each with the run's seed) and averages them with their weights. */
async function trainEnsemble(p: EnsembleParams, X: Matrix, y: Int32Array | Float64Array, classes: number, seed: number, onProgress?: FitProgress, python?: string): Promise<FittedModel> {
  const members = [];
  for (const [i, m] of p.members.entries()) {
    const model = await trainModel(m.model, m.params, X, y, classes, seed, onProgress === undefined ? undefined : (done, all) => onProgress(i * all + done, all * p.members.length), python);
    members.push({ candidate: m.candidate, name: m.model, params: m.params, weight: m.weight, model });
  }
  return ensembleOf(classes > 0 ? 'classification' : 'regression', classes, members);
}
