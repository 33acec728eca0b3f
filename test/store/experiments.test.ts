import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/core/errors.js';
import { createExperiment, editPipeline, getExperiment, hookFileChecker, listExperiments, listTemplates, pipelinePath, resolvePipeline, setPipelineValues, writePipeline } from '../../src/store/experiments.js';
import { importDataset } from '../../src/store/import/import-dataset.js';
import { makeWorkspace, snapshotTree, VEGA } from '../helpers.js';

let w: Awaited<ReturnType<typeof makeWorkspace>>;
beforeEach(async () => {
  w = await makeWorkspace();
  await importDataset(w.root, join(VEGA, 'penguins.json'));
  await importDataset(w.root, join(VEGA, 'cars.json'));
});
afterEach(() => w.cleanup());

describe('createExperiment', () => {
  it('penguins/Species is classification, cars/Miles_per_Gallon regression, with the right templates', () => {
    const p = createExperiment(w.root, { name: 'penguins', dataset: 'penguins', target: 'Species' });
    expect(p).toMatchObject({ task: 'classification', metric: 'accuracy', template: 'classification', dataset: { name: 'penguins', version: 1 } });
    expect(p.taskReason).toBe('Species is a category column (3 distinct values)');
    const c = createExperiment(w.root, { name: 'cars', dataset: 'cars', target: 'Miles_per_Gallon', metric: 'mae' });
    expect(c).toMatchObject({ task: 'regression', metric: 'mae', template: 'regression' });
    expect(readFileSync(c.pipelinePath, 'utf8')).toContain('model: linear_regression');
    expect(getExperiment(w.root, 'cars')).toEqual(c);
    expect(listExperiments(w.root).map((e) => e.name)).toEqual(['cars', 'penguins']);
    expect(listTemplates()).toEqual(['auto', 'classification', 'regression']);
  });

  it('refuses a name in use, bad names, unknown templates, and writes nothing then', () => {
    createExperiment(w.root, { name: 'p', dataset: 'penguins', target: 'Species' });
    const before = snapshotTree(w.root);
    expect(() => createExperiment(w.root, { name: 'p', dataset: 'penguins', target: 'Island' })).toThrow(/already exists/);
    for (const name of ['a/b', '..', 'x\u0000y', '']) expect(() => createExperiment(w.root, { name, dataset: 'penguins', target: 'Species' })).toThrow(ValidationError);
    expect(() => createExperiment(w.root, { name: 'q', dataset: 'penguins', target: 'Species', template: 'clasification' })).toThrow('did you mean `classification`?');
    expect(() => createExperiment(w.root, { name: 'q', dataset: 'penguins', target: 'Species', template: 'regression' })).toThrow(/linear_regression is for regression/);
    expect(snapshotTree(w.root)).toEqual(before);
    expect(() => getExperiment(w.root, 'pp')).toThrow(NotFoundError);
    expect(() => getExperiment(w.root, 'pp')).toThrow('did you mean `p`?');
  });
});

describe('hook file checks', () => {
  it('inside the workspace, existing, a regular file (no link, no .. escape, no folder linked out), not in .butterfly/, UTF-8 text', () => {
    mkdirSync(join(w.root, 'hooks'));
    writeFileSync(join(w.root, 'hooks', 'ok.js'), 'export default () => {}');
    writeFileSync(join(w.files, 'outside.js'), '');
    symlinkSync(join(w.files, 'outside.js'), join(w.root, 'hooks', 'link.js'));
    symlinkSync(join(w.root, 'hooks', 'ok.js'), join(w.root, 'hooks', 'inner-link.js'));
    symlinkSync(w.files, join(w.root, 'linked-dir'));
    writeFileSync(join(w.root, 'hooks', 'binary.js'), Buffer.from([0x65, 0x78, 0xff, 0xfe]));
    writeFileSync(join(w.root, 'hooks', 'nul.js'), 'export default 1;\0');
    execFileSync('mkfifo', [join(w.root, 'hooks', 'fifo.js')]);
    const check = hookFileChecker(w.root);
    expect(check('hooks/ok.js')).toBeNull();
    expect(check('hooks/inner-link.js')!.message).toMatch(/is a symbolic link/);
    expect(check('../files/outside.js')!.message).toMatch(/outside the workspace/);
    expect(check('hooks/../../files/outside.js')!.message).toMatch(/outside the workspace/);
    expect(check('hooks/link.js')!.message).toMatch(/is a symbolic link/);
    expect(check('linked-dir/outside.js')!.message).toMatch(/resolves to .*outside the workspace/);
    expect(check(join(w.root, 'hooks', 'ok.js'))!.message).toMatch(/absolute path/);
    expect(check('hooks/missing.js')!.message).toMatch(/does not exist/);
    expect(check('.butterfly/config.yaml')!.message).toMatch(/inside \.butterfly/);
    expect(check('hooks')!.message).toMatch(/not a regular file/);
    expect(check('hooks/fifo.js')!.message).toMatch(/not a regular file/); // and it did not hang
    expect(check('hooks/binary.js')!.message).toMatch(/not valid UTF-8/);
    expect(check('hooks/nul.js')!.message).toMatch(/NUL bytes/);
  });
});

describe('editing the draft', () => {
  beforeEach(() => {
    createExperiment(w.root, { name: 'p', dataset: 'penguins', target: 'Species' });
  });

  it('set keeps comments and layout, types values by the schema, and applies several at once', () => {
    const before = readFileSync(pipelinePath(w.root, 'p'), 'utf8');
    const r = setPipelineValues(w.root, 'p', ['blocks.model_selection.config.cv=10', 'blocks.4.config.model=random_forest', 'blocks.train.config.params={n_estimators: 300}', 'blocks.report.config.title=123']);
    expect(r.set).toEqual([
      { path: 'blocks.model_selection.config.cv', value: 10 },
      { path: 'blocks.4.config.model', value: 'random_forest' },
      { path: 'blocks.train.config.params', value: { n_estimators: 300 } },
      { path: 'blocks.report.config.title', value: '123' },
    ]);
    const after = readFileSync(pipelinePath(w.root, 'p'), 'utf8');
    for (const comment of before.split('\n').filter((l) => l.trim().startsWith('#'))) expect(after).toContain(comment);
    expect(after).toContain('      cv: 10');
    expect(resolvePipeline(w.root, 'p').blocks.find((b) => b.id === 'train')!.config).toEqual({ model: 'random_forest', params: { n_estimators: 300 } });
  });

  it('set refuses an invalid result and names the path; nothing is written', () => {
    const before = readFileSync(pipelinePath(w.root, 'p'), 'utf8');
    expect(() => setPipelineValues(w.root, 'p', ['blocks.model_selection.config.cv=ten'])).toThrow(/blocks\.model_selection\.config\.cv: expected number/);
    expect(() => setPipelineValues(w.root, 'p', ['blocks.trian.config.model=knn'])).toThrow('did you mean `train`?');
    let err: ValidationError | undefined;
    try {
      setPipelineValues(w.root, 'p', ['blocks.split.config.tset_size=0.3']);
    } catch (e) {
      err = e as ValidationError;
    }
    expect(err!.message).toMatch(/pipeline\.yaml:\d+:\d+: blocks\.split\.config\.tset_size: unknown key `tset_size`$/);
    expect(err!.hint).toBe('did you mean `test_size`?');
    expect(() => setPipelineValues(w.root, 'p', ['nonsense'])).toThrow(/expected <path>=<value>/);
    expect(readFileSync(pipelinePath(w.root, 'p'), 'utf8')).toBe(before);
  });

  it('edit: unchanged is a no-op; invalid offers a retry; a valid result is saved', () => {
    const copy = join(w.files, 'edit.yaml');
    expect(editPipeline(w.root, 'p', copy, { edit: () => undefined, retry: () => false })).toBeNull();
    let round = 0;
    const shown: string[] = [];
    const p = editPipeline(w.root, 'p', copy, {
      edit: (path) => {
        const text = readFileSync(path, 'utf8');
        writeFileSync(path, round++ === 0 ? text.replace('cv: 5', 'cv: five') : text.replace('cv: five', 'cv: 3'));
      },
      retry: (problems) => (shown.push(...problems.map((x) => x.path)), true),
    });
    expect(shown).toEqual(['blocks.model_selection.config.cv']);
    expect(p!.blocks.find((b) => b.id === 'model_selection')!.config.cv).toBe(3);
    const before = readFileSync(pipelinePath(w.root, 'p'), 'utf8');
    expect(() => editPipeline(w.root, 'p', copy, { edit: (path) => writeFileSync(path, 'apiVersion: nope\n'), retry: () => false })).toThrow(ValidationError);
    expect(readFileSync(pipelinePath(w.root, 'p'), 'utf8')).toBe(before);
    expect(readFileSync(copy, 'utf8')).toBe('apiVersion: nope\n'); // the abandoned edit is kept
  });

  it('writePipeline writes only a valid pipeline', () => {
    expect(() => writePipeline(w.root, 'p', 'apiVersion: bfly/v1\nblocks: []\n')).toThrow(ValidationError);
    writePipeline(w.root, 'p', 'apiVersion: bfly/v1\nseed: 7\nblocks:\n  - {id: s, type: split}\n  - {id: t, type: train, config: {model: knn}}\n');
    expect(resolvePipeline(w.root, 'p').seed).toBe(7);
  });
});
