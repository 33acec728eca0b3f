import { MODELS, adapterModel, resolveModelParams, takesSampleWeight } from '../../core/catalog.js';
import { ValidationError } from '../../core/errors.js';
import { FINAL_PREPROCESS, applyChain, chainMatrixLazy, fitStageOnly } from '../../ml/chain.js';
import type { BlockContext } from '../context.js';
import { type ModelArtifact, modelArtifact, serializeModel } from '../model-artifact.js';
import { trainModel } from '../models.js';
import type { LeaderboardSlot, PartSlot, SelectionSlot } from '../slots.js';

/** `train`: fits the chosen model (the selection's best, or a named one) on all training rows, and keeps the leaderboard's runners-up (`keep_models`). */
export async function runTrain(ctx: BlockContext): Promise<void> {
  const c = ctx.block.config as { model: string; params: Record<string, unknown>; keep_models?: number };
  const train = ctx.read<PartSlot>('train');
  let name: string;
  let params: Record<string, unknown>;
  if (c.model === 'best') {
    const sel = ctx.read<SelectionSlot>('selection');
    name = sel.model;
    params = sel.params;
  } else {
    const info = MODELS[c.model] ?? adapterModel(c.model) ?? undefined;
    if (info === undefined) throw new ValidationError('UNKNOWN_MODEL', `unknown model ${c.model}`, { hint: 'see `bfly blocks`' });
    name = c.model;
    params = resolveModelParams(c.model, c.params, ctx.run.binding.task === 'classification' ? 'classification' : 'regression');
  }
  let stages = train.stages;
  if (stages.at(-1)?.kind !== 'preprocess') {
    stages = [...stages, fitStageOnly({ kind: 'preprocess', options: FINAL_PREPROCESS }, applyChain(stages, train.raw))];
    ctx.log('info', 'no preprocess block ends the chain: missing values imputed and categories one-hot encoded for the model');
  }
  // made when a model first reads it (a linear model writes the rows into its own memory instead)
  const X = chainMatrixLazy(stages, train.raw);
  if (train.weights !== undefined) {
    if (name !== 'ensemble' && !takesSampleWeight(name)) throw new ValidationError('WEIGHTS_UNSUPPORTED', `the rows are weighted (split.config.sample_weight) and ${name} takes no weights`, { hint: 'train linear or logistic regression, decision_tree, random_forest or gradient_boosting, or remove blocks.split.config.sample_weight' });
    X.weights = train.weights;
  }
  // the runners-up kept beside the best (model: best only): the leaderboard's next k-1 candidates
  const board = c.model === 'best' ? ctx.readOptional<LeaderboardSlot>('leaderboard') : undefined;
  const chosen = c.model === 'best' ? (ctx.read<SelectionSlot>('selection').candidate ?? null) : null;
  const others = (board?.candidates ?? []).filter((e) => e.id !== chosen).slice(0, Math.max(0, (c.keep_models ?? 3) - 1));
  const total = 1 + others.length;
  await ctx.yield();
  const fitted = await trainModel(name, params, X, train.y, train.classes.length, ctx.run.seed, (done, all) => ctx.progress(done, all * total, name), ctx.run.python);
  const artifactOf = (model: string, p: Record<string, unknown>, f: { toJSON(): ModelArtifact['model']['fitted'] }, candidate: string | null) =>
    modelArtifact({
      task: ctx.run.binding.task === 'classification' ? 'classification' : 'regression',
      target: ctx.run.binding.target,
      classes: train.classes,
      inputs: train.inputs,
      stages,
      model: { name: model, params: p, fitted: f.toJSON(), ...(candidate !== null ? { candidate } : {}) },
      lineage: { experiment: ctx.run.experiment, dataset: ctx.run.dataset.hash, executionKey: ctx.run.executionKey, seed: ctx.run.seed },
    });
  const artifact = artifactOf(name, params, fitted, chosen);
  const fittedJson = artifact.model.fitted;
  if (fittedJson.kind === 'python') {
    // the pickle: an artifact of its own, and in the model slot for the blocks after this one
    // (which may run in a later process, this block coming from the cache)
    const { pickleOf } = await import('../adapters/python.js');
    const pickle = pickleOf(fittedJson.sha256)!;
    ctx.artifact(fittedJson.file, 'model', pickle);
    ctx.write('model', { ...artifact, files: { [fittedJson.file]: pickle } });
  } else ctx.write('model', artifact);
  ctx.artifact('model.json', 'model', serializeModel(artifact));
  ctx.log('info', `trained ${name} on ${X.rows} rows × ${X.cols} features`);
  for (const [i, e] of others.entries()) {
    await ctx.yield();
    ctx.checkCancelled();
    const f = await trainModel(e.model, e.params, X, train.y, train.classes.length, ctx.run.seed, (done, all) => ctx.progress((i + 1) * all + done, all * total, e.id), ctx.run.python);
    const a = artifactOf(e.model, e.params, f, e.id);
    const j = a.model.fitted;
    // an adapter model's pickle sits beside its model file, under a name of its own
    if (j.kind === 'python') {
      const { pickleOf } = await import('../adapters/python.js');
      a.model.fitted = { ...j, file: `model-${e.id}.pkl` };
      ctx.artifact(`model-${e.id}.pkl`, 'model', pickleOf(j.sha256)!);
    }
    ctx.artifact(`model-${e.id}.json`, 'model', serializeModel(a));
    ctx.log('info', `kept ${e.id} (${e.label}) as model-${e.id}.json`);
  }
}
