import { ValidationError } from '../../core/errors.js';
import { compactFrame, rowOf, takeRows } from '../../ml/frame.js';
import { takeValues } from '../../ml/matrix.js';
import { rngStream } from '../../ml/random.js';
import { trainTestSplit } from '../../ml/split.js';
import type { BlockContext } from '../context.js';
import type { DatasetSlot } from '../frames.js';
import type { PartSlot } from '../slots.js';

/** `split`: seeded (stratified for classification by default) train/test split of the rows. */
export function runSplit(ctx: BlockContext): void {
  const c = ctx.block.config as { test_size: number; stratify: boolean | 'auto'; shuffle: boolean; missing_target?: 'drop' | 'error'; sample_weight?: string };
  const read = ctx.read<DatasetSlot>('dataset');
  const { ds, weights } = c.sample_weight === undefined ? { ds: read, weights: null } : weightColumn(read, c.sample_weight, ctx);
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
  // weights scaled to a mean of 1 over the training rows
  let scale = 1;
  if (weights !== null) {
    let sum = 0;
    for (const i of train) sum += weights[i];
    if (!(sum > 0)) throw new ValidationError('ZERO_WEIGHTS', `every training row weighs 0 in ${JSON.stringify(c.sample_weight)}`, { hint: 'give some training rows a positive weight, or remove blocks.split.config.sample_weight' });
    scale = train.length / sum;
  }
  const part = (rows: Int32Array): PartSlot => ({
    raw: compactFrame(takeRows(ds.frame, rows)),
    y: takeValues(ds.y, rows),
    rows: Int32Array.from(rows, (i) => ds.rows[i]),
    stages: [],
    classes: ds.classes,
    inputs: ds.inputs,
    ...(weights === null ? {} : { weights: Float64Array.from(rows, (i) => weights[i] * scale) }),
  });
  ctx.write('train', part(train));
  ctx.write('test', part(test));
  if (weights !== null) ctx.log('info', `rows weighted by ${c.sample_weight} (left out of the features)`);
  ctx.log('info', `${train.length} training rows, ${test.length} test rows${stratify ? ' (stratified)' : ''}`);
}

/**
 * The dataset without its `sample_weight` column (not a feature, not a model input) and that
 * column's values; refuses a column that is absent, the target, not numbers, missing or negative.
 */
function weightColumn(ds: DatasetSlot, name: string, ctx: BlockContext): { ds: DatasetSlot; weights: Float64Array } {
  const set = `blocks.${ctx.block.id}.config.sample_weight`;
  if (name === ctx.run.binding.target) throw new ValidationError('WEIGHT_IS_TARGET', `the sample_weight column ${JSON.stringify(name)} is the target`, { hint: `name another column in ${set}` });
  const col = ds.frame.columns.find((x) => x.name === name);
  if (col === undefined) {
    throw new ValidationError('NO_WEIGHT_COLUMN', `the dataset has no column ${JSON.stringify(name)} for sample_weight`, {
      hint: `its numeric columns: ${ds.frame.columns.filter((x) => x.kind === 'numeric' && x.semantic !== 'datetime').map((x) => x.name).join(', ') || 'none'}; set ${set} to one of them`,
    });
  }
  if (col.kind !== 'numeric' || col.semantic === 'datetime' || col.semantic === 'boolean') {
    throw new ValidationError('WEIGHT_NOT_NUMERIC', `the sample_weight column ${JSON.stringify(name)} is ${col.kind === 'numeric' ? col.semantic : col.kind === 'categorical' ? 'a category' : 'text'}, not numbers`, { hint: `name a numeric column in ${set}` });
  }
  const values = Float64Array.from({ length: ds.frame.rows }, (_, i) => col.values[rowOf(ds.frame, i)]);
  const bad = values.findIndex((v) => !(v >= 0 && v < Infinity));
  if (bad >= 0) {
    const count = values.filter((v) => !(v >= 0 && v < Infinity)).length;
    throw new ValidationError('BAD_WEIGHTS', `${count.toLocaleString('en-US')} rows of the sample_weight column ${JSON.stringify(name)} are missing, negative or infinite (the first: dataset row ${ds.rows[bad] + 1}, ${Number.isNaN(values[bad]) ? 'missing' : values[bad]})`, {
      hint: 'weights are numbers >= 0 in every row: fill them in and import the dataset again',
      data: { rows: count, first: ds.rows[bad] + 1 },
    });
  }
  const frame = { ...ds.frame, columns: ds.frame.columns.filter((x) => x !== col) };
  return { ds: { ...ds, frame, inputs: ds.inputs.filter((x) => x.name !== name) }, weights: values };
}
