import { METRICS } from '../core/catalog.js';
import { flatMetrics } from './metrics.js';
import type { ModelJson } from './models.js';

/** A fitted ensemble: members' predictions averaged with their weights (the model part of `model.json`). */
export interface EnsembleJson {
  kind: 'ensemble';
  method: 'greedy';
  task: 'classification' | 'regression';
  /** Number of classes (0 for regression). */
  classes: number;
  /** Weights sum to 1; a member's probabilities (classification) or values (regression) count by its weight. */
  members: Array<{ candidate: string; name: string; params: Record<string, unknown>; weight: number; fitted: ModelJson }>;
}

/** What {@link greedyEnsemble} chose. */
export interface GreedyResult {
  /** Times each member was picked (with replacement), in the members' order, in the best prefix of the picks. */
  counts: number[];
  /** counts / picks. */
  weights: number[];
  /** How many of the `size` picks the ensemble keeps: the prefix that scored best (the earliest of equals). */
  picks: number;
  /** The ensemble's out-of-fold predictions (probabilities n × k, or values). */
  oof: Float64Array;
  /** The metric of the ensemble after each of the `size` picks (pick 1 is the best single member). */
  path: number[];
}

/**
 * Caruana et al.'s ensemble selection ("Ensemble selection from libraries of models", 2004), as
 * AutoGluon and auto-sklearn use it: starting from nothing, `size` times add (with replacement)
 * the member whose addition makes the average of the chosen members' out-of-fold predictions
 * score best on `metric`. A member picked twice weighs twice. Ties go to the earlier member, so
 * the result is deterministic. Of the `size` nested ensembles, the one that scored best is kept
 * (the earliest of equals, as Caruana et al. do); the first pick is the best single member, so
 * the kept ensemble's out-of-fold score is never below it.
 *
 * @example
 * greedyEnsemble([oofA, oofB], y, 2, 'accuracy', 10).weights // e.g. [0.6, 0.4]
 */
export function greedyEnsemble(oof: readonly Float64Array[], y: Int32Array | Float64Array, classes: number, metric: string, size: number): GreedyResult {
  if (oof.length === 0) throw new RangeError('an ensemble needs a member');
  const info = METRICS[metric];
  if (info === undefined) throw new RangeError(`unknown metric ${metric}`);
  const sign = info.higherIsBetter ? 1 : -1;
  const len = oof[0].length;
  const sum = new Float64Array(len);
  const trial = new Float64Array(len);
  const counts = new Array<number>(oof.length).fill(0);
  const picks: number[] = [];
  const path: number[] = [];
  let keep = 0;
  let keepScore = -Infinity;
  for (let step = 1; step <= size; step++) {
    let best = -1;
    let bestScore = -Infinity;
    for (let m = 0; m < oof.length; m++) {
      const p = oof[m];
      for (let i = 0; i < len; i++) trial[i] = (sum[i] + p[i]) / step;
      const s = flatMetrics(y, trial, classes)[metric];
      const oriented = Number.isFinite(s) ? sign * s : -Infinity;
      if (best === -1 || oriented > bestScore) {
        best = m;
        bestScore = oriented;
      }
    }
    const p = oof[best];
    for (let i = 0; i < len; i++) sum[i] += p[i];
    picks.push(best);
    path.push(sign * bestScore);
    if (bestScore > keepScore) {
      keep = step;
      keepScore = bestScore;
    }
  }
  for (const m of picks.slice(0, keep)) counts[m]++;
  const out = new Float64Array(len);
  for (const m of picks.slice(0, keep)) for (let i = 0; i < len; i++) out[i] += oof[m][i] / keep;
  return { counts, weights: counts.map((c) => c / keep), picks: keep, oof: out, path };
}
