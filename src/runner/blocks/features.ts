import { ValidationError } from '../../core/errors.js';
import { applyChain } from '../../ml/chain.js';
import type { FeatureStep } from '../../ml/features.js';
import type { BlockContext } from '../context.js';
import type { PartSlot } from '../slots.js';

/** `features`: adds the (stateless) feature steps to both parts' data chain. */
export function runFeatures(ctx: BlockContext): void {
  const { steps } = ctx.block.config as { steps: FeatureStep[] };
  for (const name of ['train', 'test']) {
    const part = ctx.read<PartSlot>(name);
    const stages = [...part.stages, { kind: 'features' as const, steps }];
    try {
      if (name === 'train') {
        const out = applyChain(stages, part.raw);
        ctx.log('info', `${out.columns.length} columns after ${steps.length} feature step(s)`);
      }
    } catch (err) {
      if (err instanceof RangeError) throw new ValidationError('BAD_FEATURE_STEP', err.message, { hint: 'fix the step in the pipeline (`bfly pipeline edit <experiment>`)' });
      throw err;
    }
    ctx.write(name, { ...part, stages });
  }
}
