import { type FeatureFits, type FeatureStep, applyFeatures, fitFeatures } from './features.js';
import { type Frame, type NumericColumn, makeFrame, rowOf } from './frame.js';
import type { Matrix } from './matrix.js';
import { type FittedPreprocess, type PreprocessOptions, fitPreprocess, preprocessMatrix, transformPreprocess } from './preprocess.js';

/** A step of the data chain as configured: feature steps or a preprocessing. */
export type StageSpec = { kind: 'features'; steps: FeatureStep[] } | { kind: 'preprocess'; options: PreprocessOptions };

/** A step of the data chain as fitted (of the feature steps, only `text` learns: `fits`). */
export type FittedStage = { kind: 'features'; steps: FeatureStep[]; fits?: FeatureFits } | { kind: 'preprocess'; fitted: FittedPreprocess };

/**
 * The preprocessing added at the end of a chain that does not end with one, so a model always
 * gets numbers: median / most-frequent imputation and one-hot codes, no scaling.
 */
export const FINAL_PREPROCESS: PreprocessOptions = {
  impute: { numeric: 'median', categorical: 'most_frequent' },
  encode: { categorical: 'onehot', min_frequency: 0.01, max_levels: 30 },
  scale: 'none',
  drop_constant: false,
  drop: [],
};

/** The specs with {@link FINAL_PREPROCESS} appended when the last one is not a preprocessing. */
export function withFinalPreprocess(specs: readonly StageSpec[]): StageSpec[] {
  return specs.at(-1)?.kind === 'preprocess' ? [...specs] : [...specs, { kind: 'preprocess', options: FINAL_PREPROCESS }];
}

function matrixFrame(X: Matrix, names: readonly string[]): Frame {
  const columns = names.map((name, j): NumericColumn => {
    const values = new Float64Array(X.rows);
    for (let i = 0; i < X.rows; i++) values[i] = X.data[i * X.cols + j];
    return { kind: 'numeric', name, values };
  });
  return columns.length === 0 ? { rows: X.rows, columns: [], index: null } : makeFrame(columns);
}

/** Applies one fitted stage. */
export function applyStage(stage: FittedStage, frame: Frame): Frame {
  if (stage.kind === 'features') return applyFeatures(frame, stage.steps, stage.fits);
  return matrixFrame(transformPreprocess(stage.fitted, frame).X, stage.fitted.features);
}

/** Fits one stage on `frame` and returns it with the transformed frame. */
export function fitStage(spec: StageSpec, frame: Frame): { stage: FittedStage; out: Frame } {
  if (spec.kind === 'features') {
    const { fits, out } = fitFeatures(frame, spec.steps);
    return { stage: fits.some((x) => x !== null) ? { kind: 'features', steps: spec.steps, fits } : { kind: 'features', steps: spec.steps }, out };
  }
  const stage = fitStageOnly(spec, frame);
  return { stage, out: applyStage(stage, frame) };
}

/**
 * Fits one stage on `frame` without transforming it: a preprocessing learns its statistics and
 * writes no matrix (on 800,000 rows × 73 features, the two copies of 467 MB that {@link fitStage}'s
 * output frame takes).
 */
export function fitStageOnly(spec: StageSpec, frame: Frame): FittedStage {
  if (spec.kind === 'features') return fitStage(spec, frame).stage;
  return { kind: 'preprocess', fitted: fitPreprocess(frame, spec.options) };
}

/**
 * Fits the stages in order on the training rows only (each preprocessing learns from the output
 * of the stages before it), without the training rows' output of the last: the model's matrix
 * is {@link chainMatrix}'s to write.
 */
export function fitChainStages(specs: readonly StageSpec[], train: Frame): FittedStage[] {
  return fitChainOn(specs, train).stages;
}

/** {@link fitChainStages}, and the frame its last stage was fitted on (the output of the stages before it). */
function fitChainOn(specs: readonly StageSpec[], train: Frame): { stages: FittedStage[]; last: Frame } {
  const stages: FittedStage[] = [];
  let out = train;
  specs.forEach((spec, i) => {
    if (i === specs.length - 1) stages.push(fitStageOnly(spec, out));
    else {
      const r = fitStage(spec, out);
      stages.push(r.stage);
      out = r.out;
    }
  });
  return { stages, last: out };
}

/**
 * Fits the chain on the training rows ({@link fitChainStages}) and gives with it their model
 * matrix, lazy ({@link chainMatrixLazy}), made from the output of the feature steps that the
 * fit made anyway: they are not applied to the training rows a second time.
 */
export function fitChainLazy(specs: readonly StageSpec[], train: Frame): { stages: FittedStage[]; X: Matrix } {
  const { stages, last } = fitChainOn(specs, train);
  const fitted = stages.at(-1);
  return { stages, X: fitted?.kind === 'preprocess' ? preprocessMatrix(fitted.fitted, last) : chainMatrixLazy(stages, train) };
}

/** Applies fitted stages in order to any frame (test rows, new data). */
export function applyChain(stages: readonly FittedStage[], frame: Frame): Frame {
  let out = frame;
  for (const s of stages) out = applyStage(s, out);
  return out;
}

/** The specs a fitted chain was fitted from (to refit it on other rows, e.g. a CV fold). */
export function chainSpecs(stages: readonly FittedStage[]): StageSpec[] {
  return stages.map((s) => (s.kind === 'features' ? { kind: 'features', steps: s.steps } : { kind: 'preprocess', options: s.fitted.options }));
}

/** An all-numeric frame as a row-major matrix (a chain ending in a preprocessing gives one). */
export function frameMatrix(frame: Frame): Matrix {
  const cols = frame.columns.length;
  const data = new Float64Array(frame.rows * cols);
  frame.columns.forEach((c, j) => {
    if (c.kind !== 'numeric') throw new TypeError(`column ${c.name} is not numeric; end the chain with a preprocessing`);
    for (let i = 0; i < frame.rows; i++) data[i * cols + j] = c.values[rowOf(frame, i)];
  });
  return { rows: frame.rows, cols, data };
}

/**
 * {@link chainMatrix} made when first read (a lazy matrix: a linear model's fit writes it into its
 * own memory instead, and the rows are never held twice), for a chain that ends with a preprocessing.
 */
export function chainMatrixLazy(stages: readonly FittedStage[], frame: Frame): Matrix {
  const last = stages.at(-1);
  if (last?.kind !== 'preprocess') return chainMatrix(stages, frame);
  return preprocessMatrix(last.fitted, applyChain(stages.slice(0, -1), frame));
}

/**
 * Applies fitted stages and returns the model's input matrix; the last stage, a preprocessing,
 * writes the matrix directly.
 */
export function chainMatrix(stages: readonly FittedStage[], frame: Frame): Matrix {
  const last = stages.at(-1);
  if (last?.kind !== 'preprocess') return frameMatrix(applyChain(stages, frame));
  return transformPreprocess(last.fitted, applyChain(stages.slice(0, -1), frame)).X;
}
