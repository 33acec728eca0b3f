import { BflyError } from '../core/errors.js';
import { type BoostingJson, type BoostingParams, GradientBoosting } from './gbdt.js';
import { type ForestJson, type ForestParams, RandomForest, type TreeParams, decisionTree } from './forest.js';
import { type KnnJson, type KnnParams, KNearestNeighbors } from './knn.js';
import { type RidgeJson, type RidgeParams, RidgeRegression } from './linear.js';
import { type LogisticJson, type LogisticParams, LogisticRegression } from './logistic.js';
import type { Matrix } from './matrix.js';
import { type MlpJson, mlpForward } from './mlp.js';
import { predictedClasses } from './metrics.js';
import type { PartnerFactory } from './wasm/kernels.js';

/** A fitted model's JSON (the model part of a run's model artifact). */
export type ModelJson = RidgeJson | LogisticJson | ForestJson | BoostingJson | KnnJson | MlpJson | ExternalModelJson;

/** A model fitted by a framework adapter (see src/runner/adapters): predicted there, not here. */
export interface ExternalModelJson {
  kind: 'python';
  spec: string;
  framework: 'sklearn' | 'xgboost';
  params: Record<string, unknown>;
  task: 'classification' | 'regression';
  classes: number;
  file: string;
  sha256: string;
  versions: Record<string, string>;
}

/** The uniform interface of a fitted model. */
export interface FittedModel {
  readonly task: 'classification' | 'regression';
  /** Class codes (classification) or values (regression). */
  predict(X: Matrix): Float64Array;
  /** n × classes probabilities (classification only). */
  predictProba(X: Matrix): Float64Array;
  toJSON(): ModelJson;
}

/** Called as a model trains: trees, iterations. */
export type FitProgress = (done: number, total: number) => void;

/** A model class as a {@link FittedModel}. */
export function wrapModel(task: 'classification' | 'regression', m: { predict(X: Matrix): Float64Array | Int32Array; predictProba?(X: Matrix): Float64Array; toJSON(): ModelJson }): FittedModel {
  return {
    task,
    predict: (X) => {
      const p = m.predict(X);
      return p instanceof Float64Array ? p : Float64Array.from(p);
    },
    predictProba: (X) => {
      if (task !== 'classification' || m.predictProba === undefined) throw new Error('predictProba is for classification');
      return m.predictProba(X);
    },
    toJSON: () => m.toJSON(),
  };
}

/**
 * Trains catalogue model `name` (params already validated and defaulted, see MODELS in
 * src/core/catalog.ts). `classes` > 0 for classification (labels 0..classes-1), 0 for
 * regression. Deterministic for a seed.
 *
 * @example
 * const m = fitModel('gradient_boosting', params, X, y, 3, 42);
 * m.predictProba(Xtest);
 */
export function fitModel(name: string, params: Record<string, unknown>, X: Matrix, y: Int32Array | Float64Array, classes: number, seed: number, onProgress?: FitProgress): FittedModel {
  const task = classes > 0 ? 'classification' : 'regression';
  switch (name) {
    case 'linear_regression':
      return wrapModel(task, new RidgeRegression(params as unknown as RidgeParams).fit(X, Float64Array.from(y)));
    case 'logistic_regression':
      return wrapModel(task, new LogisticRegression(params as unknown as LogisticParams).fit(X, y as Int32Array, classes));
    case 'decision_tree':
      return wrapModel(task, decisionTree(params as unknown as TreeParams, seed).fit(X, y, classes, onProgress));
    case 'random_forest':
      return wrapModel(task, new RandomForest(params as unknown as ForestParams, seed).fit(X, y, classes, onProgress));
    case 'gradient_boosting':
      return wrapModel(task, new GradientBoosting(params as unknown as BoostingParams, seed).fit(X, y, classes, onProgress));
    case 'knn':
      return wrapModel(task, new KNearestNeighbors(params as unknown as KnnParams).fit(X, y, classes));
    case 'mlp':
      throw new BflyError('framework', 'NEEDS_ADAPTER', 'the mlp model trains through the tfjs framework adapter', {
        hint: 'train it with trainModel() from src/runner/models.ts, which loads the adapter',
      });
    default:
      throw new BflyError('framework', 'UNKNOWN_MODEL', `unknown model ${JSON.stringify(name)}`, { hint: 'see `bfly blocks` for the model types' });
  }
}

/** A fitted model from its JSON; `partners`: a second thread for the tree ensembles' predictions of many rows (src/runner/kernel-partner.ts). */
export function modelFromJSON(j: ModelJson, partners?: PartnerFactory): FittedModel {
  switch (j.kind) {
    case 'ridge':
      return wrapModel('regression', RidgeRegression.fromJSON(j));
    case 'logistic':
      return wrapModel('classification', LogisticRegression.fromJSON(j));
    case 'random_forest':
    case 'decision_tree':
      return wrapModel(j.task, RandomForest.fromJSON(j).threads(partners));
    case 'gradient_boosting':
      return wrapModel(j.task, GradientBoosting.fromJSON(j).threads(partners));
    case 'knn':
      return wrapModel(j.task, KNearestNeighbors.fromJSON(j));
    case 'mlp':
      return mlpModel(j);
    case 'python':
      throw new BflyError('framework', 'NEEDS_ADAPTER', `the ${j.spec} model predicts through the Python framework adapter`, { hint: 'load it with loadModel() or modelFromArtifact() from src/runner/model-artifact.ts, which start the adapter' });
  }
}

/** A trained MLP as a fitted model: predictions from its JSON, without a framework. */
export function mlpModel(j: MlpJson): FittedModel {
  return {
    task: j.task,
    predict: (X) => (j.task === 'regression' ? mlpForward(j, X) : Float64Array.from(predictedClasses(mlpForward(j, X), j.classes))),
    predictProba: (X) => {
      if (j.task !== 'classification') throw new Error('predictProba is for classification');
      return mlpForward(j, X);
    },
    toJSON: () => j,
  };
}
