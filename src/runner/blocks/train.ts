import { MODELS, adapterModel, resolveModelParams } from '../../core/catalog.js';
import { ValidationError } from '../../core/errors.js';
import { FINAL_PREPROCESS, applyChain, chainMatrix, fitStage } from '../../ml/chain.js';
import type { BlockContext } from '../context.js';
import { modelArtifact, serializeModel } from '../model-artifact.js';
import { trainModel } from '../models.js';
import type { PartSlot, SelectionSlot } from '../slots.js';

/** `train`: fits the chosen model (the selection's best, or a named one) on all training rows. */
export async function runTrain(ctx: BlockContext): Promise<void> {
  const c = ctx.block.config as { model: string; params: Record<string, unknown> };
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
    stages = [...stages, fitStage({ kind: 'preprocess', options: FINAL_PREPROCESS }, applyChain(stages, train.raw)).stage];
    ctx.log('info', 'no preprocess block ends the chain: missing values imputed and categories one-hot encoded for the model');
  }
  const X = chainMatrix(stages, train.raw);
  await ctx.yield();
  const fitted = await trainModel(name, params, X, train.y, train.classes.length, ctx.run.seed, (done, total) => ctx.progress(done, total, name), ctx.run.python);
  const artifact = modelArtifact({
    task: ctx.run.binding.task === 'classification' ? 'classification' : 'regression',
    target: ctx.run.binding.target,
    classes: train.classes,
    inputs: train.inputs,
    stages,
    model: { name, params, fitted: fitted.toJSON() },
    lineage: { experiment: ctx.run.experiment, dataset: ctx.run.dataset.hash, executionKey: ctx.run.executionKey, seed: ctx.run.seed },
  });
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
}
