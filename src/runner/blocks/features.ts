import { ValidationError } from '../../core/errors.js';
import { applyChain, fitStage } from '../../ml/chain.js';
import type { FeatureStep } from '../../ml/features.js';
import type { BlockContext } from '../context.js';
import type { PartSlot } from '../slots.js';

/**
 * `features`: fits the feature steps on the training rows (a `text` step learns its vocabulary
 * there) and adds them to both parts' data chain.
 */
export function runFeatures(ctx: BlockContext): void {
  const { steps } = ctx.block.config as { steps: FeatureStep[] };
  const train = ctx.read<PartSlot>('train');
  const test = ctx.read<PartSlot>('test');
  try {
    const { stage, out } = fitStage({ kind: 'features', steps }, applyChain(train.stages, train.raw));
    if (stage.kind !== 'features') throw new Error('unreachable');
    for (const fits of stage.fits ?? []) for (const t of fits ?? []) ctx.log('info', `${t.column}: ${t.features.length} text feature(s)${t.terms === null ? ' (hashed)' : ''}`);
    ctx.log('info', `${out.columns.length} columns after ${steps.length} feature step(s)`);
    ctx.write('train', { ...train, stages: [...train.stages, stage] });
    ctx.write('test', { ...test, stages: [...test.stages, stage] });
  } catch (err) {
    if (err instanceof RangeError) throw new ValidationError('BAD_FEATURE_STEP', err.message, { hint: 'fix the step in the pipeline (`bfly pipeline edit <experiment>`)' });
    throw err;
  }
}
