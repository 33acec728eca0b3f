import { METRICS } from '../../core/catalog.js';
import { candidateName } from '../../core/candidates.js';
import { chainSpecs } from '../../ml/chain.js';
import { type Candidate, crossValidate } from '../../ml/cv.js';
import type { BlockContext } from '../context.js';
import { trainModel } from '../models.js';
import type { LeaderboardSlot, PartSlot, SelectionSlot } from '../slots.js';

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4));

/**
 * `model_selection`: k-fold cross-validation (stratified for classification) of every
 * candidate; within each fold the whole data chain is refitted on the fold's training rows,
 * so nothing leaks from the held-out rows. Picks the best by the metric.
 */
export async function runModelSelection(ctx: BlockContext): Promise<void> {
  const c = ctx.block.config as { cv: number; metric?: string; candidates: Candidate[] };
  const train = ctx.read<PartSlot>('train');
  const metric = c.metric ?? ctx.run.binding.metric;
  const classes = train.classes.length;
  const cv = await crossValidate(train.raw, train.y, c.candidates, {
    folds: c.cv,
    seed: ctx.run.seed,
    classes,
    metric,
    stages: chainSpecs(train.stages),
    onProgress: (done, total, label) => ctx.progress(done, total, `${label} (fold ${((done - 1) % c.cv) + 1}/${c.cv})`),
    fit: async (name, params, X, y, k, seed, onFit) => {
      await ctx.yield();
      ctx.checkCancelled();
      return trainModel(name, params, X, y, k, seed, onFit, ctx.run.python);
    },
  });
  const board: LeaderboardSlot = { metric, higherIsBetter: METRICS[metric].higherIsBetter, folds: c.cv, candidates: cv.leaderboard };
  const best = cv.leaderboard[0];
  const selection: SelectionSlot = { model: best.model, params: best.params, metric, score: best.metrics[metric]?.mean ?? NaN, std: best.metrics[metric]?.std ?? NaN, candidate: best.id, label: best.label };
  ctx.write('leaderboard', board);
  ctx.write('selection', selection);
  ctx.artifact('leaderboard.json', 'leaderboard', JSON.stringify(board, null, 2) + '\n');
  for (const e of cv.leaderboard) ctx.log('info', `${candidateName(e)}: ${metric} ${fmt(e.metrics[metric]?.mean ?? NaN)} ± ${fmt(e.metrics[metric]?.std ?? NaN)}`);
  ctx.log('info', `best: ${candidateName(best)}`);
}
