import { readFileSync } from 'node:fs';
import { parseJsonNumbers, stringifyJsonNumbers } from '../core/codec.js';
import { ValidationError } from '../core/errors.js';
import { BFLY_VERSION } from '../core/version.js';
import { type FittedStage, chainMatrix } from '../ml/chain.js';
import type { Frame } from '../ml/frame.js';
import { type FittedModel, type ModelJson, modelFromJSON } from '../ml/models.js';
import { type InputColumn, recordsFrame } from './frames.js';

/** The model artifact format this bfly writes (`model.json`). */
export const MODEL_FORMAT = 'bfly-model';
/** Its version; a newer one is refused with the version that wrote it. */
export const MODEL_FORMAT_VERSION = 1;

/**
 * One file with everything needed to predict: the input columns, the fitted data chain
 * (feature steps and preprocessing) and the fitted model. Loadable without the workspace.
 */
export interface ModelArtifact {
  format: typeof MODEL_FORMAT;
  version: number;
  bfly: string;
  task: 'classification' | 'regression';
  target: string;
  /** Class labels (classification): a prediction's code indexes them. */
  classes: string[];
  inputs: InputColumn[];
  stages: FittedStage[];
  model: { name: string; params: Record<string, unknown>; fitted: ModelJson };
  /** Where it came from. */
  lineage: { experiment: string; dataset: string; executionKey: string; seed: number };
}

/** Builds an artifact (the run fills in `lineage`). */
export function modelArtifact(a: Omit<ModelArtifact, 'format' | 'version' | 'bfly'>): ModelArtifact {
  return { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, bfly: BFLY_VERSION, ...a };
}

/** The artifact's bytes: canonical JSON (same model, same bytes). */
export function serializeModel(a: ModelArtifact): string {
  return stringifyJsonNumbers(a) + '\n';
}

/** A model ready to predict, from {@link loadModel}. */
export interface LoadedModel {
  artifact: ModelArtifact;
  task: 'classification' | 'regression';
  classes: string[];
  /** Names of the columns the model reads. */
  inputs: string[];
  /** Predicted labels (classification) or values (regression), one per record, in order. */
  predict(records: ReadonlyArray<Record<string, unknown>>): Array<string | number>;
  /** One probability per class per record (classification). */
  predictProba(records: ReadonlyArray<Record<string, unknown>>): number[][];
  /** The same on a frame of input columns (what the run engine uses). */
  predictFrame(frame: Frame): { predicted: Float64Array; proba: Float64Array | null };
}

/** Checks the format and version of parsed artifact JSON. */
export function parseModelArtifact(value: unknown, source: string): ModelArtifact {
  const a = value as Partial<ModelArtifact> | null;
  if (a === null || typeof a !== 'object' || a.format !== MODEL_FORMAT) {
    throw new ValidationError('NOT_A_MODEL', `${source} is not a bfly model file`, { hint: 'give the model.json of a run (see `bfly artifacts <run>`)' });
  }
  if (typeof a.version !== 'number' || a.version > MODEL_FORMAT_VERSION) {
    throw new ValidationError('MODEL_TOO_NEW', `${source} was written by bfly ${a.bfly ?? '?'} (model format ${a.version}); this bfly reads format ${MODEL_FORMAT_VERSION}`, { hint: 'upgrade bfly to load it' });
  }
  return a as ModelArtifact;
}

/** A predictor from an artifact already in memory. */
export function modelFromArtifact(artifact: ModelArtifact): LoadedModel {
  const fitted: FittedModel = modelFromJSON(artifact.model.fitted);
  const predictFrame = (frame: Frame): { predicted: Float64Array; proba: Float64Array | null } => {
    const X = chainMatrix(artifact.stages, frame);
    if (artifact.task === 'classification') {
      const proba = fitted.predictProba(X);
      const k = artifact.classes.length;
      const predicted = new Float64Array(X.rows);
      for (let i = 0; i < X.rows; i++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (proba[i * k + c] > proba[i * k + best]) best = c;
        predicted[i] = best;
      }
      return { predicted, proba };
    }
    return { predicted: fitted.predict(X), proba: null };
  };
  return {
    artifact,
    task: artifact.task,
    classes: artifact.classes,
    inputs: artifact.inputs.map((c) => c.name),
    predictFrame,
    predict(records) {
      const { predicted } = predictFrame(recordsFrame(artifact.inputs, records));
      return Array.from(predicted, (v) => (artifact.task === 'classification' ? artifact.classes[v] : v));
    },
    predictProba(records) {
      if (artifact.task !== 'classification') throw new ValidationError('NOT_A_CLASSIFIER', 'predictProba is for classification models', { hint: 'use predict() for a regression model' });
      const { proba } = predictFrame(recordsFrame(artifact.inputs, records));
      const k = artifact.classes.length;
      return Array.from({ length: proba!.length / k }, (_, i) => Array.from(proba!.subarray(i * k, i * k + k)));
    },
  };
}

/**
 * Loads a run's model file (`runs/<id>/artifacts/model.json`, or a copy anywhere): no
 * workspace needed.
 *
 * @example
 * const model = loadModel('export/model.json');
 * model.predict([{ 'Beak Length (mm)': 39.1, Island: 'Torgersen', ... }]); // ['Adelie']
 */
export function loadModel(path: string): LoadedModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValidationError('MODEL_NOT_READABLE', `cannot read ${path}: ${(err as Error).message}`, { hint: 'check the path of the model file' });
  }
  let value: unknown;
  try {
    value = parseJsonNumbers(text);
  } catch {
    throw new ValidationError('NOT_A_MODEL', `${path} is not valid JSON`, { hint: 'give the model.json of a run' });
  }
  return modelFromArtifact(parseModelArtifact(value, path));
}
