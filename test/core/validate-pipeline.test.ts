import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeBlocks, describeModels } from '../../src/core/describe-blocks.js';
import { BLOCKS } from '../../src/core/pipeline.js';
import { type ValidationContext, validatePipelineText } from '../../src/core/validate-pipeline.js';
import { REPO } from '../helpers.js';

const columns = [
  { name: 'Species', type: 'category' as const },
  { name: 'Island', type: 'category' as const },
  { name: 'Body Mass (g)', type: 'integer' as const },
];
const ctx: ValidationContext = { columns, target: 'Species', task: 'classification' };
const template = (name: string) => readFileSync(join(REPO, 'templates', `${name}.yaml`), 'utf8');
const MINIMAL = 'apiVersion: bfly/v1\nblocks:\n  - {id: split, type: split}\n  - {id: train, type: train, config: {model: random_forest}}\n';

function problems(text: string, c: ValidationContext = ctx): string[] {
  return validatePipelineText(text, c).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}${p.hint ? ` | ${p.hint}` : ''}`);
}

describe('validatePipelineText', () => {
  it('accepts both templates for their task and fills every default', () => {
    const c = validatePipelineText(template('classification'), ctx);
    expect(c.problems).toEqual([]);
    expect(c.pipeline!.blocks.map((b) => b.type)).toEqual(['split', 'features', 'preprocess', 'model_selection', 'train', 'evaluate', 'explain', 'report']);
    expect(c.pipeline!.blocks[2].config).toMatchObject({ scale: 'standard', drop_constant: true, impute: { numeric: 'median' } });
    const r = validatePipelineText(template('regression'), { columns, target: 'Body Mass (g)', task: 'regression' });
    expect(r.problems).toEqual([]);
    expect(validatePipelineText(template('regression'), ctx).problems.map((p) => p.message)).toEqual(['linear_regression is for regression, but this experiment is classification']);
  });

  it('a minimal pipeline is valid; defaults come from the schemas', () => {
    const r = validatePipelineText(MINIMAL, ctx);
    expect(r.valid).toBe(true);
    expect(r.pipeline!.seed).toBe(42);
    expect(r.pipeline!.blocks[0].config).toEqual(BLOCKS.split.config.parse({}));
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('apiVersion: bfly/v1\nblocks:\n  - id: a\n   type: b\n')).toEqual(['4:1 : YAML syntax: Sequence item without - indicator | fix the YAML syntax (indentation, colons, quotes)']);
    const p = validatePipelineText('a: [1, 2\n', ctx).problems;
    expect(p[0].message).toMatch(/^YAML syntax/);
    expect(p[0].line).toBeGreaterThan(0);
    expect(problems('seed: 1\nseed: 2\n')[0]).toMatch(/2:1 : YAML syntax: map keys must be unique: `seed` appears again/);
  });

  it('reports ALL problems at once, each with its line, column, path and a did-you-mean', () => {
    const text = [
      'apiVersion: bfly/v2', //                          1
      'seed: -3', //                                     2
      'blocks:', //                                      3
      '  - id: split', //                                4
      '    type: split', //                              5
      '    config: {test_size: 1.5, stratfy: true}', //  6
      '  - id: split', //                                7
      '    type: preprocess', //                         8
      '    config:', //                                  9
      '      scale: standardd', //                       10
      '      drop: [Specie, Species]', //                11
      '  - id: train', //                                12
      '    type: trian', //                              13
    ].join('\n');
    expect(problems(text)).toEqual([
      '1:13 apiVersion: "bfly/v2" is not allowed here | did you mean `bfly/v1`?',
      '2:7 seed: Too small: expected number to be >=0',
      '6:25 blocks[0].config.test_size: Too big: expected number to be <1',
      '6:30 blocks[0].config.stratfy: unknown key `stratfy` | did you mean `stratify`?',
      '7:9 blocks[1].id: duplicate block id `split` (also block 1) | give every block its own id',
      '10:14 blocks[1].config.scale: "standardd" is not allowed here | did you mean `standard`?',
      '11:14 blocks[1].config.drop[0]: no column `Specie` in the dataset | did you mean `Species`?',
      '11:22 blocks[1].config.drop[1]: `Species` is the target: block split does not receive it | name a feature column',
      '13:11 blocks.train.type: "trian" is not allowed here | did you mean `train`?',
    ]);
  });

  it('checks stage order, required stages and what train needs', () => {
    const outOfOrder = 'apiVersion: bfly/v1\nblocks:\n  - {id: t, type: train, config: {model: knn}}\n  - {id: s, type: split}\n  - {id: e, type: evaluate}\n';
    expect(problems(outOfOrder)).toEqual(['3:19 blocks.t.type: train must come after split (block 2) | the order is split → features → preprocess → model_selection → train → evaluate → explain → report (features and preprocess in either order)']);
    expect(problems('apiVersion: bfly/v1\nblocks:\n  - {id: s, type: split}\n  - {id: t, type: train}\n')).toEqual([
      expect.stringMatching(/^4:\d+ blocks\.t\.config\.model: train uses the best model of model_selection, but there is no model_selection block/),
    ]);
    expect(problems('apiVersion: bfly/v1\nblocks:\n  - {id: p, type: preprocess}\n')).toEqual([
      '3:3 blocks: the pipeline has no split block | add `- {id: split, type: split}` as the first block',
      '3:3 blocks: the pipeline has no train block | add a train block after model_selection',
    ]);
    const twoSplits = MINIMAL + '  - {id: split2, type: split}\n';
    expect(problems(twoSplits).join()).toContain('at most one split block');
    const featuresAfterPrep = 'apiVersion: bfly/v1\nblocks:\n  - {id: s, type: split}\n  - {id: p, type: preprocess}\n  - {id: f, type: features}\n  - {id: t, type: train, config: {model: knn}}\n';
    expect(problems(featuresAfterPrep)).toEqual([]);
  });

  it('checks models, their params and metrics against the task', () => {
    const text = MINIMAL.replace('model: random_forest', 'model: linear_regression, params: {alpha: -1}') + '  - {id: e, type: evaluate, config: {metrics: [rmse, accuracy, nope]}}\n';
    const got = problems(text);
    expect(got.some((p) => p.includes('linear_regression is for regression, but this experiment is classification | did you mean `logistic_regression`?'))).toBe(true);
    expect(got.some((p) => p.includes('params.alpha: Too small'))).toBe(true);
    expect(got.some((p) => p.includes('metrics[0]: metric rmse is for regression'))).toBe(true);
    expect(got.some((p) => p.includes('metrics[2]: unknown metric'))).toBe(true);
  });

  it('checks hook entries and, through the context, hook files', () => {
    const hooks = (entries: string) => MINIMAL.replace('config: {model: random_forest}}', `config: {model: random_forest}, hooks: [${entries}]}`);
    expect(validatePipelineText(hooks('{type: before, code: "x"}, {type: after_train, file: h.js}'), ctx).valid).toBe(true);
    expect(problems(hooks('{type: befor, code: "x"}'))).toEqual([expect.stringContaining('unknown hook type "befor" | did you mean `before`?')]);
    expect(problems(hooks('{type: before_trian, code: "x"}'))).toEqual([expect.stringContaining('unknown stage `trian` in hook type before_trian | did you mean `train`?')]);
    expect(problems(hooks('{type: before_split, code: "x"}'))).toEqual([expect.stringContaining('hook before_split is attached to a train block')]);
    expect(problems(hooks('{type: before, code: "x", file: a.js}'))).toEqual([expect.stringContaining('exactly one of `file` or `code`')]);
    const withCheck = { ...ctx, checkHookFile: (p: string) => (p === 'ok.js' ? null : { message: `hook file ${p} is outside the workspace` }) };
    expect(problems(hooks('{type: before, file: ../x.js}'), withCheck)).toEqual([expect.stringMatching(/hooks\[0\]\.file: hook file \.\.\/x\.js is outside the workspace$/)]);
  });
});

describe('describeBlocks', () => {
  it('documents every block type and model from the schemas', () => {
    const blocks = describeBlocks();
    expect(blocks.map((b) => b.type)).toEqual(Object.keys(BLOCKS));
    const cv = blocks.find((b) => b.type === 'model_selection')!.fields.find((f) => f.path === 'cv')!;
    expect(cv).toEqual({ path: 'cv', type: 'integer [2, 50]', default: 5, doc: 'number of folds (stratified for classification)' });
    expect(blocks.find((b) => b.type === 'preprocess')!.defaults).toMatchObject({ encode: { min_frequency: 0.01 } });
    const gb = describeModels().find((m) => m.model === 'gradient_boosting')!;
    expect(gb.defaults).toMatchObject({ learning_rate: 0.1, max_leaf_nodes: 31, max_bins: 255 });
  });
});
