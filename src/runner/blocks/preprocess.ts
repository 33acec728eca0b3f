import { applyChain, fitStageOnly } from '../../ml/chain.js';
import type { PreprocessOptions } from '../../ml/preprocess.js';
import { unknownLevels } from '../../ml/preprocess.js';
import type { BlockContext } from '../context.js';
import type { PartSlot } from '../slots.js';

/** `preprocess`: fits imputation, encoding and scaling on the training rows only. */
export function runPreprocess(ctx: BlockContext): void {
  const options = ctx.block.config as unknown as PreprocessOptions;
  const train = ctx.read<PartSlot>('train');
  const test = ctx.read<PartSlot>('test');
  const stage = fitStageOnly({ kind: 'preprocess', options }, applyChain(train.stages, train.raw));
  if (stage.kind !== 'preprocess') throw new Error('unreachable');
  const stages = [...train.stages, stage];
  ctx.write('train', { ...train, stages });
  ctx.write('test', { ...test, stages });
  ctx.write('transform', stages);
  for (const d of stage.fitted.dropped) ctx.log('info', `left out ${d.name}: ${d.reason}`);
  const unknown = unknownLevels(stage.fitted, applyChain(test.stages, test.raw));
  for (const [col, n] of Object.entries(unknown)) ctx.log('info', `${col}: ${n} test value(s) with a level unseen in training (encoded as other)`);
  ctx.log('info', `${stage.fitted.features.length} model features from ${train.raw.columns.length} columns`);
}
