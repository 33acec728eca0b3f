import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { sha256Hex } from '../core/hash.js';
import { BFLY_DIR } from '../store/layout.js';
import { readRunFile, readVerifiedRun } from '../store/run-state.js';
import { parseJsonNumbers, stringifyJsonNumbers } from '../core/codec.js';
import { IntegrityError, NotFoundError, ValidationError } from '../core/errors.js';
import { BFLY_VERSION } from '../core/version.js';
import { type FittedStage, chainMatrix } from '../ml/chain.js';
import type { Frame } from '../ml/frame.js';
import { type FittedModel, type ModelJson, modelFromJSON } from '../ml/models.js';
import { type InputColumn, recordsFrame } from './frames.js';
import { loadAdapterModel, pythonInterpreter } from './adapters/python.js';
import { readConfigSync } from '../store/hooks.js';
import { assertFrameworksAllowed } from './backend.js';
import { kernelPartners } from './kernel-partner.js';

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
  /** The model file's schema version (the same number as `version`, named as in every other file). */
  schemaVersion?: number;
  version: number;
  bfly: string;
  task: 'classification' | 'regression';
  target: string;
  /** Class labels (classification): a prediction's code indexes them. */
  classes: string[];
  inputs: InputColumn[];
  stages: FittedStage[];
  /** `candidate`: the leaderboard candidate it is (absent for a model named in train, and in files written before). */
  model: { name: string; params: Record<string, unknown>; fitted: ModelJson; candidate?: string };
  /** Where it came from. */
  lineage: { experiment: string; dataset: string; executionKey: string; seed: number };
  /**
   * Side files by name (an adapter model's `model.pkl`), carried in the run's `model` slot (and
   * so in the block cache) for the blocks after train; never written into model.json.
   */
  files?: Record<string, Uint8Array>;
}

/** Builds an artifact (the run fills in `lineage`). */
export function modelArtifact(a: Omit<ModelArtifact, 'format' | 'version' | 'bfly'>): ModelArtifact {
  return { format: MODEL_FORMAT, schemaVersion: MODEL_FORMAT_VERSION, version: MODEL_FORMAT_VERSION, bfly: BFLY_VERSION, ...a };
}

/** The artifact's bytes: canonical JSON (same model, same bytes). */
export function serializeModel(a: ModelArtifact): string {
  const { files: _files, ...stored } = a;
  return stringifyJsonNumbers(stored) + '\n';
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

/** Where a model's side files (an adapter model's pickle) and its Python come from. */
export interface ModelFiles {
  /** The bytes of a file beside model.json (verified by the caller). */
  read?: (name: string) => Uint8Array;
  /** The interpreter for adapter models (default: BFLY_PYTHON, else python3); asked only for one. */
  python?: () => string | undefined;
  /** Refuses an adapter model the workspace's policy does not allow to run (throws). */
  allow?: (spec: string) => void;
}

/** A predictor from an artifact already in memory. */
export function modelFromArtifact(artifact: ModelArtifact, files: ModelFiles = {}): LoadedModel {
  const j = artifact.model.fitted;
  const read = files.read ?? (artifact.files === undefined ? undefined : (f: string) => artifact.files![f]);
  let fitted: FittedModel;
  if (j.kind === 'python') {
    files.allow?.(j.spec);
    // the pickle sits beside model.json: a plain file name, never a path
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(j.file)) throw new IntegrityError('BAD_MODEL_FILE', `model.json names its model file ${JSON.stringify(j.file)}, which is not a plain file name`, { hint: 'use the model.json bfly wrote (or export the run again)' });
    fitted = loadAdapterModel(pythonInterpreter(files.python?.()), j, read?.(j.file));
  } else fitted = modelFromJSON(j, kernelPartners()); // tree ensembles predict many rows on two threads
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

/** Parses model file bytes (from a verified read, or a file outside any run). */
export function modelFromBytes(bytes: Uint8Array, label: string, files: ModelFiles = {}): LoadedModel {
  let value: unknown;
  try {
    value = parseJsonNumbers(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ValidationError('NOT_A_MODEL', `${label} is not valid JSON`, { hint: 'give the model.json of a run' });
  }
  return modelFromArtifact(parseModelArtifact(value, label), files);
}

/** A workspace's interpreter and policy for adapter models (its config read only when one is loaded). */
function workspaceAdapter(root: string): Pick<ModelFiles, 'python' | 'allow'> {
  return { python: () => readConfigSync(root).frameworks?.python, allow: (spec) => assertFrameworksAllowed(readConfigSync(root), [spec]) };
}

/**
 * The file of a run's model for a candidate: `model.json` for the one trained as the run's model,
 * `model-<candidate>.json` for a runner-up the train block kept (`keep_models`). Throws, listing
 * the run's models, for any other.
 *
 * @example
 * loadRunModel(root, id, runModelFile(root, id, 'knn-1'))
 */
export function runModelFile(root: string, id: string, candidate: string): string {
  const run = readVerifiedRun(root, id);
  const names = run.manifest.artifacts.map((a) => a.name);
  if (names.includes(`model-${candidate}.json`)) return `model-${candidate}.json`;
  let main: string | undefined;
  try {
    main = (JSON.parse(Buffer.from(readRunFile(run, run.manifest.artifacts.find((a) => a.name === 'model.json')?.path ?? '')).toString('utf8')) as ModelArtifact).model.candidate;
  } catch {
    main = undefined;
  }
  if (main === candidate) return 'model.json';
  const kept = [main, ...names.filter((n) => /^model-.+\.json$/.test(n)).map((n) => n.slice(6, -5))].filter((x): x is string => x !== undefined);
  throw new NotFoundError('NO_SUCH_MODEL', `run ${id} has no model of candidate ${JSON.stringify(candidate)}`, { hint: kept.length > 0 ? `its models: ${kept.join(', ')} (the first is model.json)` : 'this run kept one model: predict without --model', data: { run: id, models: kept } });
}

/**
 * The model of a run, read for use: the run's seal and the model file's sha256 are checked
 * first (a changed byte is an {@link IntegrityError}, never a silently different prediction).
 */
export function loadRunModel(root: string, id: string, name = 'model.json'): LoadedModel {
  const run = readVerifiedRun(root, id);
  const artifact = run.manifest.artifacts.find((a) => a.name === name);
  if (artifact === undefined) {
    throw new NotFoundError('NO_MODEL', `run ${id} has no model (status ${run.manifest.status})`, { hint: 'predict with a run that trained a model, e.g. <experiment>@latest', data: { run: id } });
  }
  const dir = dirname(artifact.path);
  return modelFromBytes(readRunFile(run, artifact.path), join(run.dir, artifact.path), { read: (f) => readRunFile(run, `${dir}/${f}`), ...workspaceAdapter(root) });
}

/**
 * Loads a model file (`runs/<id>/artifacts/model.json`, an exported copy, or a loose file): no
 * workspace needed. A file inside a run folder of a workspace is verified against that run's
 * seal and hash list; an exported copy (`<dir>/artifacts/model.json` beside `<dir>/run.json`)
 * against the exported run.json's hash. A mismatch is an {@link IntegrityError}.
 *
 * @example
 * const model = loadModel('export/artifacts/model.json');
 * model.predict([{ 'Beak Length (mm)': 39.1, Island: 'Torgersen', ... }]); // ['Adelie']
 */
export function loadModel(path: string): LoadedModel {
  let real: string;
  let bytes: Buffer;
  try {
    real = realpathSync(path);
    bytes = readFileSync(real);
  } catch (err) {
    throw new ValidationError('MODEL_NOT_READABLE', `cannot read ${path}: ${(err as Error).message}`, { hint: 'check the path of the model file' });
  }
  const runDir = dirname(dirname(real));
  const rel = `${basename(dirname(real))}/${basename(real)}`;
  const inRun = /^\d{8}-\d{9}-[0-9a-f]{6}$/.test(basename(runDir)) && basename(dirname(runDir)) === 'runs' && basename(dirname(dirname(runDir))) === BFLY_DIR;
  if (inRun) {
    const root = dirname(dirname(dirname(runDir)));
    const run = readVerifiedRun(root, basename(runDir));
    return modelFromBytes(readRunFile(run, rel), path, { read: (f) => readRunFile(run, `${basename(dirname(real))}/${f}`), ...workspaceAdapter(root) });
  }
  let exported: { files?: Array<{ path: string; hash: string }> } | null = null;
  try {
    exported = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { files?: Array<{ path: string; hash: string }> };
  } catch {
    exported = null;
  }
  const listed = exported?.files?.find((f) => f.path === rel);
  if (listed !== undefined && `sha256:${sha256Hex(bytes)}` !== listed.hash) {
    throw new IntegrityError('MODEL_CHANGED', `${path} does not match the sha256 its run.json lists (${listed.hash.slice(0, 19)}…): it changed after export`, { hint: 'export the run again (`bfly export <run> <dir>`)', data: { path } });
  }
  // an adapter model's pickle: checked against the sha256 model.json records when it is loaded
  return modelFromBytes(bytes, path, { read: (f) => readFileSync(join(dirname(real), f)) });
}
