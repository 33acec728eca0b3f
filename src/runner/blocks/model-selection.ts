import { METRICS, MODELS, takesSampleWeight } from '../../core/catalog.js';
import { candidateName } from '../../core/candidates.js';
import { BflyError, ValidationError } from '../../core/errors.js';
import { chainSpecs } from '../../ml/chain.js';
import { type Candidate, type CvResult, type LeaderboardEntry, SearchEmpty, type Strategy, crossValidate, oofFoldMetrics, summarizeFolds } from '../../ml/cv.js';
import { greedyEnsemble } from '../../ml/ensemble.js';
import { adapterModel } from '../../core/adapter-model.js';
import type { SearchSpace } from '../../ml/search.js';
import type { BlockContext } from '../context.js';
import { trainModel } from '../models.js';
import { TrialPool, defaultWorkers } from '../trial-pool.js';
import type { LeaderboardSlot, PartSlot, SelectionSlot } from '../slots.js';

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4));

/** The block's config as validated (src/core/pipeline.ts). */
interface ModelSelectionConfig {
  cv: number;
  metric?: string;
  candidates: Array<Omit<Candidate, 'search'> & { search?: SearchSpace | 'default' }>;
  strategy?: Strategy;
  resource?: 'auto' | 'rows' | 'iterations';
  budget?: { time_s?: number; trials?: number };
  ensemble?: { method: 'greedy'; size: number };
}

/**
 * `model_selection`: k-fold cross-validation (stratified for classification) of every
 * candidate, searching their spaces by the strategy within the budget; within each fold the
 * whole data chain is refitted on the fold's training rows, so nothing leaks from the held-out
 * rows (and the test split is not read at all). Picks the best by the metric; a search writes
 * every trial to `trials.jsonl`.
 */
export async function runModelSelection(ctx: BlockContext): Promise<void> {
  const c = ctx.block.config as unknown as ModelSelectionConfig;
  const train = ctx.read<PartSlot>('train');
  const metric = c.metric ?? ctx.run.binding.metric;
  const classes = train.classes.length;
  let candidates: Candidate[] = c.candidates.map((x) => (x.search === 'default' ? { ...x, search: MODELS[x.model]?.space ?? {} } : (x as Candidate)));
  if (train.weights !== undefined) {
    // weighted rows: the candidates whose models cannot take weights are left out (all of them: refused)
    const unweighted = candidates.filter((x) => !takesSampleWeight(x.model));
    const names = [...new Set(unweighted.map((x) => x.model))].join(', ');
    if (unweighted.length === candidates.length) {
      throw new ValidationError('WEIGHTS_UNSUPPORTED', `the rows are weighted (split.config.sample_weight) and no candidate's model takes weights (${names})`, {
        hint: 'add a candidate that does (linear or logistic regression, decision_tree, random_forest, gradient_boosting), or remove blocks.split.config.sample_weight',
      });
    }
    if (unweighted.length > 0) {
      ctx.log('warn', `left out ${unweighted.map((x) => x.id ?? x.model).join(', ')}: ${names} take${unweighted.length === 1 ? 's' : ''} no sample weights`);
      candidates = candidates.filter((x) => takesSampleWeight(x.model));
    }
  }
  // ranges cannot be a grid: a space with one searches by tpe unless a strategy is named
  const ranges = candidates.some((x) => Object.values(x.search ?? {}).some((d) => d.type !== 'choice'));
  const strategy: Strategy = c.strategy ?? (ranges ? 'tpe' : 'grid');
  const timeMs = c.budget?.time_s === undefined ? undefined : c.budget.time_s * 1000;
  const started = performance.now();
  const lines: string[] = [];
  const workers = ctx.run.workers ?? defaultWorkers();
  const pool = workers > 1 ? new TrialPool(workers) : undefined;
  let resumed = 0;
  let cv;
  try {
    cv = await crossValidate(train.raw, train.y, candidates, {
      folds: c.cv,
      seed: ctx.run.seed,
      classes,
      metric,
      stages: chainSpecs(train.stages),
      ...(train.weights !== undefined ? { weights: train.weights } : {}),
      strategy,
      ...(c.resource !== undefined ? { resource: c.resource } : {}),
      budget: { ...(timeMs !== undefined ? { timeMs } : {}), ...(c.budget?.trials !== undefined ? { trials: c.budget.trials } : {}) },
      oof: c.ensemble !== undefined,
      onProgress: (done, total, label) => {
        if (total > 0) ctx.progress(done, total, `${label} (fold ${((done - 1) % c.cv) + 1}/${c.cv})`);
        else if (timeMs !== undefined) ctx.progress(Math.min(timeMs, Math.round(performance.now() - started)), timeMs, `${label} (${Math.round((performance.now() - started) / 1000)} of ${timeMs / 1000} s)`);
      },
      onTrial: (t) => {
        lines.push(JSON.stringify(t));
        if (t.cached) resumed++;
        if (t.status !== 'complete') ctx.log(t.status === 'failed' ? 'warn' : 'info', `trial ${t.n} (${t.candidate}) ${t.status}${t.error ? `: ${t.error}` : ''}`);
      },
      fit: async (name, params, X, y, k, seed, onFit) => {
        await ctx.yield();
        ctx.checkCancelled();
        return trainModel(name, params, X, y, k, seed, onFit, ctx.run.python);
      },
      ...(pool !== undefined ? { pool } : {}),
      checkpoint: async () => {
        await ctx.yield();
        ctx.checkCancelled();
      },
      ...(ctx.partial !== undefined ? { trialCache: ctx.partial } : {}),
    });
  } catch (err) {
    if (err instanceof SearchEmpty) {
      throw new BflyError('policy', 'BUDGET_TOO_SMALL', err.message, {
        hint: err.search.ended === 'time' ? 'raise the budget (e.g. --time-budget 120s or budget: {time_s: 120}), or list cheaper candidates first' : 'see the failed trials in the log: narrow the search space to values the model takes',
        data: { search: err.search },
      });
    }
    throw err;
  } finally {
    await pool?.close();
  }
  if (resumed > 0) ctx.log('info', `${resumed} finished trial${resumed === 1 ? '' : 's'} taken from the cache (an earlier run of this block stopped before it finished)`);
  if (c.ensemble !== undefined) {
    await ctx.yield();
    const entry = ensembleEntry(cv, train.y, classes, metric, c.ensemble.size);
    if (typeof entry === 'string') ctx.log('info', `no ensemble: ${entry}`);
    else {
      // it ranks among the candidates; a tie goes to the single model
      const higher = METRICS[metric].higherIsBetter;
      const score = (e: LeaderboardEntry): number => e.metrics[metric]?.mean ?? NaN;
      const at = cv.leaderboard.findIndex((e) => (higher ? score(e) < score(entry) : score(e) > score(entry)));
      cv.leaderboard.splice(at === -1 ? cv.leaderboard.length : at, 0, entry);
      ctx.log('info', `${entry.label}: ${metric} ${fmt(score(entry))} out of fold${at === 0 ? ', better than every single candidate' : ''}`);
    }
  }
  const board: LeaderboardSlot = { metric, higherIsBetter: METRICS[metric].higherIsBetter, folds: c.cv, candidates: cv.leaderboard, search: cv.search };
  ctx.write('leaderboard', { ...board, trials: cv.trials });
  const best = cv.leaderboard[0];
  const selection: SelectionSlot = { model: best.model, params: best.params, metric, score: best.metrics[metric]?.mean ?? NaN, std: best.metrics[metric]?.std ?? NaN, candidate: best.id, label: best.label };
  ctx.write('selection', selection);
  ctx.artifact('leaderboard.json', 'leaderboard', JSON.stringify(board, null, 2) + '\n');
  // a plain cross-validation (no space, no strategy) is its leaderboard; a search has its trials
  const searched = c.strategy !== undefined || candidates.some((x) => Object.keys(x.search ?? {}).length > 0);
  if (searched) ctx.artifact('trials.jsonl', 'trials', lines.join('\n') + '\n');
  for (const e of cv.leaderboard) ctx.log('info', `${candidateName(e)}: ${metric} ${fmt(e.metrics[metric]?.mean ?? NaN)} ± ${fmt(e.metrics[metric]?.std ?? NaN)}${e.trials !== undefined ? ` (best of ${e.trials} trials: ${JSON.stringify(e.searched)})` : ''}`);
  const s = cv.search;
  if (searched) ctx.log('info', `search: ${s.strategy}, ${s.trials} trials (${s.complete} complete${s.stopped ? `, ${s.stopped} stopped` : ''}${s.failed ? `, ${s.failed} failed` : ''}${s.pruned ? `, ${s.pruned} pruned` : ''}) in ${s.seconds.toFixed(1)} s${s.budget.time_s !== undefined ? ` of a ${s.budget.time_s} s budget` : ''}; ended: ${s.ended}`);
  ctx.log('info', `best: ${candidateName(best)}`);
}

/**
 * The greedy ensemble of the candidates' best trials (those bfly predicts itself), from their
 * out-of-fold predictions, as a leaderboard entry: model `ensemble`, its members and weights in
 * `params` (what train fits), its metrics per fold from the ensemble's out-of-fold predictions.
 * A string (why not) when fewer than two candidates could be members, or the selection picked one alone (the ensemble would be that candidate).
 */
function ensembleEntry(cv: CvResult, y: Int32Array | Float64Array, classes: number, metric: string, size: number): LeaderboardEntry | string {
  const pool = cv.leaderboard.filter((e) => cv.oof[e.id] !== undefined && adapterModel(e.model) === null);
  if (pool.length < 2) return 'fewer than two candidates bfly predicts itself finished a trial';
  const g = greedyEnsemble(
    pool.map((e) => cv.oof[e.id]),
    y,
    classes,
    metric,
    size,
  );
  const picked = pool.map((e, i) => ({ e, count: g.counts[i], weight: g.weights[i] })).filter((p) => p.count > 0);
  if (picked.length === 1) return `mixing another candidate into ${picked[0].e.id} never scored better out of fold (greedy selection, ${size} picks)`;
  const folds = oofFoldMetrics(g.oof, y, cv.folds, classes);
  return {
    id: 'ensemble',
    label: `ensemble of ${picked.map((p) => `${p.e.id}×${p.count}`).join(', ')}`,
    model: 'ensemble',
    params: { method: 'greedy', size, picks: g.picks, members: picked.map((p) => ({ candidate: p.e.id, model: p.e.model, params: p.e.params, weight: p.weight })) },
    metrics: summarizeFolds(folds),
    folds,
    fitSeconds: picked.reduce((a, p) => a + p.e.fitSeconds, 0),
  };
}
