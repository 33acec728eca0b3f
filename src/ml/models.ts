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
import type { EnsembleJson } from './ensemble.js';

/** A fitted model's JSON (the model part of a run's model artifact). */
export type ModelJson = RidgeJson | LogisticJson | ForestJson | BoostingJson | KnnJson | MlpJson | EnsembleJson | ExternalModelJson;

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
    case 'ensemble':
      return ensembleOf(j.task, j.classes, j.members.map((m) => ({ ...m, model: modelFromJSON(m.fitted, partners) })));
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

/**
 * An ensemble of fitted models: the weighted mean of their probabilities (classification; the
 * class predicted is the mean's argmax) or of their values (regression). Weights sum to 1.
 */
export function ensembleOf(task: 'classification' | 'regression', classes: number, members: ReadonlyArray<{ candidate: string; name: string; params: Record<string, unknown>; weight: number; model: FittedModel }>): FittedModel {
  const mean = (X: Matrix, one: (m: FittedModel) => Float64Array): Float64Array => {
    let out: Float64Array | null = null;
    for (const m of members) {
      const p = one(m.model);
      out ??= new Float64Array(p.length);
      for (let i = 0; i < p.length; i++) out[i] += m.weight * p[i];
    }
    return out ?? new Float64Array(X.rows * Math.max(1, classes));
  };
  const proba = (X: Matrix): Float64Array => {
    if (task !== 'classification') throw new Error('predictProba is for classification');
    return mean(X, (m) => m.predictProba(X));
  };
  return {
    task,
    predict: (X) => (task === 'classification' ? Float64Array.from(predictedClasses(proba(X), classes)) : mean(X, (m) => m.predict(X))),
    predictProba: proba,
    toJSON: (): EnsembleJson => ({ kind: 'ensemble', method: 'greedy', task, classes, members: members.map((m) => ({ candidate: m.candidate, name: m.name, params: m.params, weight: m.weight, fitted: m.model.toJSON() })) }),
  };
}
