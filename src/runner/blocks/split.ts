import { ValidationError } from '../../core/errors.js';
import { compactFrame, takeRows } from '../../ml/frame.js';
import { rngStream } from '../../ml/random.js';
import { trainTestSplit } from '../../ml/split.js';
import type { BlockContext } from '../context.js';
import type { DatasetSlot } from '../frames.js';
import type { PartSlot } from '../slots.js';

/** `split`: seeded (stratified for classification by default) train/test split of the rows. */
export function runSplit(ctx: BlockContext): void {
  const c = ctx.block.config as { test_size: number; stratify: boolean | 'auto'; shuffle: boolean; missing_target?: 'drop' | 'error' };
  const ds = ctx.read<DatasetSlot>('dataset');
  const missing = ds.missingTarget ?? 0;
  if (missing > 0) {
    const target = ctx.run.binding.target;
    if (c.missing_target === 'error') {
      throw new ValidationError('MISSING_TARGET', `${missing.toLocaleString('en-US')} of ${(missing + ds.rows.length).toLocaleString('en-US')} rows have no value in the target ${JSON.stringify(target)}`, {
        hint: `fill them in and import the dataset again, or let the run leave them out: bfly pipeline set ${ctx.run.experiment} blocks.${ctx.block.id}.config.missing_target=drop`,
        data: { rows: missing },
      });
    }
    ctx.log('info', `${missing.toLocaleString('en-US')} rows without a value in ${target} left out`);
  }
  const classification = ctx.run.binding.task === 'classification';
  const stratify = c.stratify === 'auto' ? classification : c.stratify;
  if (stratify && !classification) throw new ValidationError('STRATIFY_REGRESSION', 'stratify needs classes; this experiment is a regression', { hint: 'set blocks.split.config.stratify=false' });
  const { train, test } = trainTestSplit(ds.frame.rows, rngStream(ctx.run.seed, 'split'), { testSize: c.test_size, strata: stratify ? (ds.y as Int32Array) : undefined, shuffle: c.shuffle });
  const part = (rows: Int32Array): PartSlot => ({
    raw: compactFrame(takeRows(ds.frame, rows)),
    y: classification ? Int32Array.from(rows, (i) => ds.y[i]) : Float64Array.from(rows, (i) => ds.y[i]),
    rows: Int32Array.from(rows, (i) => ds.rows[i]),
    stages: [],
    classes: ds.classes,
    inputs: ds.inputs,
  });
  ctx.write('train', part(train));
  ctx.write('test', part(test));
  ctx.log('info', `${train.length} training rows, ${test.length} test rows${stratify ? ' (stratified)' : ''}`);
}
