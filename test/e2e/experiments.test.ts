import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfly, makeCliWorkspace, snapshotTree, VEGA } from '../helpers.js';

let ws: string;
let dir: string;
let cleanup: () => void;
const run = (args: string[], options = {}) => bfly(['-C', ws, ...args], options);

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
  await run(['dataset', 'import', join(VEGA, 'penguins.json')]);
  await run(['dataset', 'import', join(VEGA, 'cars.json')]);
});
afterAll(() => cleanup());

describe('bfly experiment', () => {
  it('creates penguins (classification) and cars (regression) with the JSON contract', async () => {
    const p = await run(['experiment', 'create', 'penguins', '--dataset', 'penguins', '--target', 'Species', '--json']);
    expect(p.exitCode).toBe(0);
    const e = p.json();
    expect(Object.keys(e)).toEqual(expect.arrayContaining(['name', 'dataset', 'target', 'task', 'taskReason', 'metric', 'pipelinePath', 'createdAt']));
    expect(e).toMatchObject({ name: 'penguins', target: 'Species', task: 'classification', metric: 'accuracy', taskReason: 'Species is a category column (3 distinct values)' });
    expect(e.dataset).toMatchObject({ name: 'penguins', hash: expect.stringMatching(/^sha256:/), id: expect.any(String) });
    expect(e.pipelinePath).toBe(join(ws, '.butterfly', 'experiments', 'penguins', 'pipeline.yaml'));

    const c = await run(['experiment', 'create', 'cars', '--dataset', 'cars', '--target', 'Miles_per_Gallon']);
    expect(c.stdout).toContain('task      regression — Miles_per_Gallon is a number column with 129 distinct values');
    expect(c.stdout).toContain('metric    rmse');

    const list = await run(['experiment', 'list', '--json']);
    expect(list.json().map((x: { name: string }) => x.name)).toEqual(['cars', 'penguins']);
    const show = await run(['experiment', 'show', 'penguins']);
    expect(show.stdout).toContain('(valid: split → features → preprocess → model_selection → train → evaluate → explain → report)');
  });

  it('refuses unknown datasets and columns with the closest names, and colliding or bad names', async () => {
    const before = snapshotTree(join(ws, '.butterfly'));
    const badDs = await run(['experiment', 'create', 'x', '--dataset', 'pengiuns', '--target', 'Species']);
    expect([badDs.exitCode, badDs.stderr]).toEqual([5, expect.stringContaining('did you mean `penguins`?')]);
    const badCol = await run(['experiment', 'create', 'x', '--dataset', 'penguins', '--target', 'species', '--json']);
    expect(badCol.exitCode).toBe(4);
    expect(JSON.parse(badCol.stderr).error).toMatchObject({ code: 'UNKNOWN_COLUMN', message: expect.stringContaining('did you mean `Species`?') });
    const taken = await run(['experiment', 'create', 'penguins', '--dataset', 'penguins', '--target', 'Island']);
    expect([taken.exitCode, taken.stderr]).toEqual([4, expect.stringContaining('already exists')]);
    for (const name of ['a/b', '..', '../escape']) expect((await run(['experiment', 'create', name, '--dataset', 'penguins', '--target', 'Species'])).exitCode, name).toBe(4);
    const badMetric = await run(['experiment', 'create', 'y', '--dataset', 'cars', '--target', 'Miles_per_Gallon', '--metric', 'accuracy']);
    expect([badMetric.exitCode, badMetric.stderr]).toEqual([4, expect.stringContaining('metric accuracy is for classification')]);
    expect(snapshotTree(join(ws, '.butterfly'))).toEqual(before);
  });

  it('an ambiguous dataset hash prefix lists the candidates', async () => {
    // Find two small files whose sha256 share the first 4 hex digits.
    const seen = new Map<string, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const text = `v\n${i}\n`;
      const prefix = createHash('sha256').update(text).digest('hex').slice(0, 4);
      if (seen.has(prefix)) pair = [seen.get(prefix)!, text];
      else seen.set(prefix, text);
    }
    const prefix = createHash('sha256').update(pair[0]).digest('hex').slice(0, 4);
    writeFileSync(join(dir, 'amb1.csv'), pair[0]);
    writeFileSync(join(dir, 'amb2.csv'), pair[1]);
    await run(['dataset', 'import', join(dir, 'amb1.csv')]);
    await run(['dataset', 'import', join(dir, 'amb2.csv')]);
    const r = await run(['experiment', 'create', 'amb', '--dataset', prefix, '--target', 'v', '--json']);
    expect(r.exitCode).toBe(4);
    const err = JSON.parse(r.stderr).error;
    expect(err).toMatchObject({ code: 'AMBIGUOUS_REF', message: `${prefix} matches 2 datasets` });
    expect(err.hint).toContain('amb1');
    expect(err.hint).toContain('amb2');
  });
});

describe('bfly pipeline', () => {
  const file = () => join(ws, '.butterfly', 'experiments', 'penguins', 'pipeline.yaml');

  it('validate: valid, then every problem with file:line:column and a fix; JSON contract; exit code', async () => {
    const ok = await run(['pipeline', 'validate', 'penguins', '--json']);
    expect(ok.exitCode).toBe(0);
    expect(ok.json()).toMatchObject({ valid: true, problems: [] });
    const good = readFileSync(file(), 'utf8');
    writeFileSync(file(), good.replace('cv: 5', 'cv: five').replace('scale: standard', 'scale: standardd').replace('  - id: train\n', '  - id: split\n').replace('stratify: auto', 'stratfy: auto'));
    const bad = await run(['pipeline', 'validate', 'penguins']);
    expect(bad.exitCode).toBe(4);
    expect(bad.stdout).toMatch(/pipeline\.yaml:\d+:\d+: blocks\.preprocess\.config\.scale: "standardd" is not allowed here\n {4}hint: did you mean `standard`\?/);
    expect(bad.stdout).toMatch(/pipeline\.yaml:\d+:\d+: blocks\.model_selection\.config\.cv: expected number, received string/);
    expect(bad.stdout).toMatch(/duplicate block id `split`/);
    expect(bad.stdout).toMatch(/blocks\[0\]\.config\.stratfy: unknown key `stratfy`\n {4}hint: did you mean `stratify`\?/);
    expect(bad.stdout).toContain('4 problems');
    writeFileSync(file(), 'apiVersion: bfly/v1\nblocks:\n  - {id: t, type: train, config: {model: knn}}\n  - {id: s, type: split}\n');
    const order = await run(['pipeline', 'validate', 'penguins']);
    expect(order.stdout).toMatch(/pipeline\.yaml:3:19: blocks\.t\.type: train must come after split \(block 2\)/);
    const j = await run(['pipeline', 'validate', 'penguins', '--json']);
    expect(j.exitCode).toBe(4);
    const body = j.json();
    expect(body.valid).toBe(false);
    for (const p of body.problems) expect(Object.keys(p).sort()).toEqual(['column', 'hint', 'line', 'message', 'path']);
    writeFileSync(file(), 'apiVersion: bfly/v1\nblocks:\n  - id: a\n   type: split\n');
    const syntax = await run(['pipeline', 'validate', 'penguins', '--json']);
    expect(syntax.json().problems[0]).toMatchObject({ line: 4, message: expect.stringMatching(/^YAML syntax/) });
    writeFileSync(file(), good);
  });

  it('validate catches hook files outside the workspace or through a symlink', async () => {
    const good = readFileSync(file(), 'utf8');
    mkdirSync(join(ws, 'hooks'), { recursive: true });
    writeFileSync(join(dir, 'evil.js'), 'export default () => {}');
    symlinkSync(join(dir, 'evil.js'), join(ws, 'hooks', 'evil.js'));
    writeFileSync(file(), good.replace('    type: preprocess\n', '    type: preprocess\n    hooks:\n      - {type: before, file: ../evil.js}\n      - {type: after, file: hooks/evil.js}\n'));
    const r = await run(['pipeline', 'validate', 'penguins']);
    expect(r.exitCode).toBe(4);
    expect(r.stdout).toMatch(/hooks\[0\]\.file: hook file \.\.\/evil\.js is outside the workspace/);
    expect(r.stdout).toMatch(/hooks\[1\]\.file: hook file hooks\/evil\.js is a symbolic link/);
    writeFileSync(file(), good);
  });

  it('show prints the draft; --resolved fills in every default', async () => {
    const raw = await run(['pipeline', 'show', 'penguins']);
    expect(raw.stdout).toBe(readFileSync(file(), 'utf8'));
    const resolved = await run(['pipeline', 'show', 'penguins', '--resolved']);
    expect(resolved.stdout).toContain('drop_constant: true');
    expect(resolved.stdout).toContain('shuffle: true');
  });

  it('set changes typed values, keeps comments, refuses invalid values with the line', async () => {
    const r = await run(['pipeline', 'set', 'penguins', 'blocks.model_selection.config.cv=10']);
    expect([r.exitCode, r.stdout]).toEqual([0, 'set blocks.model_selection.config.cv = 10\n']);
    expect(readFileSync(file(), 'utf8')).toContain('# 5-fold stratified cross-validation');
    const bad = await run(['pipeline', 'set', 'penguins', 'blocks.model_selection.config.cv=1']);
    expect(bad.exitCode).toBe(4);
    expect(bad.stderr).toMatch(/pipeline\.yaml:\d+:\d+: blocks\.model_selection\.config\.cv: Too small/);
    await run(['pipeline', 'set', 'penguins', 'blocks.model_selection.config.cv=5']);
  });

  it('set takes a[4].b and a.4.b paths and changes only the lines it sets (a diff of the file)', async () => {
    const before = readFileSync(file(), 'utf8').split('\n');
    const sets = [
      'blocks.model_selection.config.candidates[1].params.n_estimators=50',
      'blocks.model_selection.config.candidates.3.params={hidden_layer_sizes: [32], epochs: 5}',
      'blocks.model_selection.config.candidates[4]={model: knn, params: {n_neighbors: 7}}',
    ];
    const r = await run(['pipeline', 'set', 'penguins', ...sets, 'blocks.split.config.test_size=2']);
    // one invalid value: the whole set is refused, nothing written
    expect(r.exitCode).toBe(4);
    expect(readFileSync(file(), 'utf8').split('\n')).toEqual(before);
    const ok = await run(['pipeline', 'set', 'penguins', ...sets, 'blocks.split.config.test_size=0.25', 'blocks.explain.config.max_rows=1000']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const after = readFileSync(file(), 'utf8').split('\n');
    const changed = (a: string[], b: string[]): string[] => a.filter((l) => !b.includes(l));
    expect(changed(after, before)).toEqual([
      '      test_size: 0.25',
      '          params: {n_estimators: 50}',
      '          params: {hidden_layer_sizes: [32], epochs: 5}',
      '        - {model: knn, params: {n_neighbors: 7}}',
      '      max_rows: 1000',
    ]);
    expect(changed(before, after)).toEqual(['      test_size: 0.2', '          params: {n_estimators: 100}', '          params: {hidden_layer_sizes: [64, 64], epochs: 20}']);
    // every other line, comments and `{C: 1.0}` included, is byte for byte the same
    expect(after.filter((l) => before.includes(l))).toEqual(before.filter((l) => after.includes(l)));
    expect(after).toContain('          params: {C: 1.0}');

    for (const [path, message] of [
      ['blocks.model_selection.config.candidates[x].params', /\[x\] is not a list index/],
      ['blocks.model_selection.config.candidates[1.params', /a `\[` without its `\]`/],
      ['blocks.model_selection.config.candidates]1', /a `\]` without its `\[`/],
      ['blocks.model_selection.config.candidates[1]params', /"p" after `\]`/],
      ['blocks.model_selection.config.candidates[9].model', /index 9 is past the end of a list of 5/],
    ] as const) {
      const b = await run(['pipeline', 'set', 'penguins', `${path}=knn`]);
      expect([b.exitCode, b.stderr]).toEqual([4, expect.stringMatching(message)]);
    }
    expect(readFileSync(file(), 'utf8').split('\n')).toEqual(after);
    const help = await run(['pipeline', 'set', '--help']);
    expect(help.stdout).toContain('candidates[1].params.n_neighbors=15');
    writeFileSync(file(), before.join('\n'));
  });

  it('edit: a valid edit is saved; an invalid one is shown and can be re-opened, like kubectl edit', async () => {
    const editor = join(dir, 'editor.sh');
    const counter = join(dir, 'count');
    writeFileSync(counter, '0');
    // First call: break the file; second call: fix it.
    writeFileSync(editor, `#!/bin/sh\nn=$(cat ${counter}); echo $((n+1)) > ${counter}\nif [ "$n" = 0 ]; then sed -i 's/cv: 5/cv: many/' "$1"; else sed -i 's/cv: many/cv: 4/' "$1"; fi\n`);
    chmodSync(editor, 0o755);
    const r = await run(['pipeline', 'edit', 'penguins'], { env: { EDITOR: editor, VISUAL: '' }, input: 'y\n' });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('blocks.model_selection.config.cv: expected number, received string');
    expect(r.stderr).toContain('Edit again? [Y/n]');
    expect(r.stdout).toMatch(/^saved: /);
    expect(readFileSync(file(), 'utf8')).toContain('cv: 4');

    writeFileSync(counter, '0');
    const before = readFileSync(file(), 'utf8');
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/cv: 4/cv: never/' "$1"\n`);
    const no = await run(['pipeline', 'edit', 'penguins'], { env: { EDITOR: editor, VISUAL: '' }, input: 'n\n' });
    expect(no.exitCode).toBe(4);
    expect(no.stderr).toMatch(/your edits are kept in .*pipeline\.yaml/);
    expect(readFileSync(file(), 'utf8')).toBe(before);
  });

  it('blocks documents every block type and model, generated from the schemas', async () => {
    const j = (await run(['blocks', '--json'])).json();
    expect(j.blocks.map((b: { type: string }) => b.type)).toEqual(['split', 'features', 'preprocess', 'model_selection', 'train', 'evaluate', 'explain', 'report']);
    expect(j.models.map((m: { model: string }) => m.model)).toContain('gradient_boosting');
    const human = (await run(['blocks'])).stdout;
    expect(human).toMatch(/test_size\s+number \(0, 1\)\s+0\.2\s+share of rows held out for the test split/);
    // defaults that depend on the task are shown per task (a regression forest tries every feature)
    const rf = j.models.find((m: { model: string }) => m.model === 'random_forest');
    expect(rf.defaultsByTask.classification.max_features).toBe('sqrt');
    expect(rf.defaultsByTask.regression.max_features).toBe('all');
    expect(rf.fields.find((f: { path: string }) => f.path === 'max_features').defaultByTask).toEqual({ classification: 'sqrt', regression: 'all' });
    expect(human).toMatch(/max_features\s+.*"sqrt" \(classification\), "all" \(regression\)/);
  });
});
