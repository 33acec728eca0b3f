import type { FittedStage } from '../ml/chain.js';
import type { LeaderboardEntry, SearchSummary, Trial } from '../ml/cv.js';
import type { Frame } from '../ml/frame.js';
import type { InputColumn } from './frames.js';

/** The `train` and `test` slots: rows of the dataset and the data chain fitted so far. */
export interface PartSlot {
  /** The rows' input columns as in the dataset. */
  raw: Frame;
  /** Class codes or target values. */
  y: Int32Array | Float64Array;
  /** Dataset row numbers. */
  rows: Int32Array;
  /** Feature steps and preprocessing fitted on the training rows, in pipeline order. */
  stages: FittedStage[];
  classes: string[];
  inputs: InputColumn[];
  /** Row weights from the split's `sample_weight` column (mean 1 over the training rows), when it names one. */
  weights?: Float64Array;
}

/** The `leaderboard` slot: cross-validation results, best first. */
export interface LeaderboardSlot {
  metric: string;
  higherIsBetter: boolean;
  folds: number;
  candidates: LeaderboardEntry[];
  /** What the search did (absent in leaderboards written before searches existed). */
  search?: SearchSummary;
  /** Every trial (in the slot, for the report's plot; the artifact trials.jsonl has them, leaderboard.json not). */
  trials?: Trial[];
}

/** The `selection` slot: the model the train block fits by default. */
export interface SelectionSlot {
  model: string;
  params: Record<string, unknown>;
  metric: string;
  /** Mean cross-validated score by `metric`. */
  score: number;
  /** Its standard deviation over the folds. */
  std?: number;
  /** The winning candidate's id; null when a hook chose a model that is not a candidate. */
  candidate?: string | null;
  /** The candidate's label, e.g. `knn (n_neighbors=15)`. */
  label?: string;
}

/** The `metrics` slot: test metrics (flat numbers) and the confusion matrix. */
export interface MetricsSlot {
  task: 'classification' | 'regression';
  metric: string;
  values: Record<string, number>;
  classes: string[];
  confusionMatrix: number[][] | null;
  rows: number;
}

/** The `predictions` slot. */
export interface PredictionsSlot {
  rows: Int32Array;
  actual: Int32Array | Float64Array;
  predicted: Float64Array;
  /** rows × classes (classification). */
  proba: Float64Array | null;
  classes: string[];
}

/** Permutation importance of one input column. */
export interface Importance {
  feature: string;
  mean: number;
  std: number;
  values: number[];
}

/** Partial dependence of the prediction on one input column. */
export interface PartialDependence {
  feature: string;
  kind: 'numeric' | 'categorical';
  grid: Array<number | string>;
  /** Mean prediction at each grid point: one series per class (classification), else one. */
  series: Array<{ name: string; values: number[] }>;
}

/** The `explanation` slot. */
export interface ExplanationSlot {
  method: 'permutation';
  metric: string;
  higherIsBetter: boolean;
  baseline: number;
  repeats: number;
  rows: number;
  importance: Importance[];
  partialDependence: PartialDependence[];
}
