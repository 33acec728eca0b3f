// Issue #22 through the built CLI: every column's role and reason, rows without a target,
// defaults that follow the task.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfly, makeCliWorkspace, makeTempDir, REPO, snapshotTree, VEGA } from '../helpers.js';

let ws: string;
let cleanup: () => void;
const run = (args: string[]) => bfly(['-C', ws, ...args]);
const draft = (name: string) => join(ws, '.butterfly', 'experiments', name, 'pipeline.yaml');

beforeAll(async () => {
  ({ ws, cleanup } = await makeCliWorkspace());
  await run(['dataset', 'import', join(VEGA, 'movies.json')]);
  await run(['experiment', 'create', 'movies', '--dataset', 'movies', '--target', 'IMDB Rating']);
  writeFileSync(
    draft('movies'),
    readFileSync(join(REPO, 'test', 'fixtures', 'fast-pipeline.yaml'), 'utf8')
      .replace('{model: logistic_regression}', '{model: linear_regression}')
      .replace('cv: 3', 'cv: 2')
      .replace('{id: report, type: report}', '{id: report, type: report, config: {formats: [html]}}'),
  );
});
afterAll(() => cleanup());

describe('column roles and dropped rows', () => {
  it('run.json records every column with its use and reason, and the row counts; run, show and the report show them', async () => {
    const r = await run(['run', 'movies']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('data: 3,201 rows (213 without a target dropped): 2,241 train, 747 test; 16 columns: 1 target, 7 numeric, 6 category, 1 date, 1 dropped');
    expect(r.stdout).toMatch(/IMDB Rating\s+number\s+target\s+the experiment's target \(213 rows without a value are left out\)/);
    expect(r.stdout).toMatch(/Title\s+text\s+dropped\s+free text \(3,176 distinct values\)/);
    expect(r.stderr).toContain('213 rows without a value in IMDB Rating left out');
    const show = await run(['show', '@latest', '--json']);
    const m = show.json();
    expect(m.data).toMatchObject({ rows: 3201, trainRows: 2241, testRows: 747, droppedRows: { missingTarget: 213 } });
    expect(m.data.trainRows + m.data.testRows + m.data.droppedRows.missingTarget).toBe(m.data.rows);
    expect(m.data.columns).toHaveLength(16);
    for (const c of m.data.columns) {
      expect(['target', 'numeric', 'category', 'text', 'date', 'dropped']).toContain(c.use);
      expect(c.reason.length).toBeGreaterThan(5);
    }
    expect(m.data.columns.find((c: { name: string }) => c.name === 'Director')).toMatchObject({ type: 'category', use: 'category', reason: '550 levels, 1,331 missing (imputed)' });
    const human = await run(['show', '@latest']);
    expect(human.stdout).toContain('data: 3,201 rows (213 without a target dropped): 2,241 train, 747 test');
    const html = readFileSync(join(ws, '.butterfly', 'runs', m.id, 'artifacts', 'report.html'), 'utf8');
    expect(html).toContain('<h2>Data</h2>');
    expect(html).toContain('3,201 rows (213 without a target dropped): 2,241 train, 747 test');
    expect(html).toContain('<td>Title</td><td>text</td><td>dropped</td>');
  });

  it('a column the pipeline drops says so; a cached run says the same', async () => {
    const set = await run(['pipeline', 'set', 'movies', 'blocks.preprocess.config.drop=[Director]']);
    expect(set.exitCode, set.stderr).toBe(0);
    const r = await run(['run', 'movies', '--json']);
    const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(m.data.columns.find((c: { name: string }) => c.name === 'Director')).toMatchObject({ use: 'dropped', reason: 'dropped by the pipeline (preprocess.drop)' });
    const again = await run(['run', 'movies', '--force', '--json']);
    const m2 = JSON.parse(again.stdout.trim().split('\n').at(-1)!);
    expect(m2.blocks.find((b: { id: string }) => b.id === 'split').cached).toBe(true);
    expect(m2.data).toEqual(m.data);
  });

  it('missing_target: error refuses rows without a target, naming the count and the fix', async () => {
    await run(['pipeline', 'set', 'movies', 'blocks.split.config.missing_target=error']);
    const before = snapshotTree(join(ws, '.butterfly', 'experiments'));
    const r = await run(['run', 'movies']);
    expect(r.exitCode).toBe(4);
    expect(r.stdout + r.stderr).toContain('213 of 3,201 rows have no value in the target "IMDB Rating"');
    expect(r.stdout + r.stderr).toContain('blocks.split.config.missing_target=drop');
    expect(snapshotTree(join(ws, '.butterfly', 'experiments'))).toEqual(before);
    const bad = await run(['pipeline', 'set', 'movies', 'blocks.split.config.missing_target=skip']);
    expect(bad.exitCode).toBe(4);
    expect(bad.stderr).toMatch(/missing_target/);
    await run(['pipeline', 'set', 'movies', 'blocks.split.config.missing_target=drop']);
  });
});

describe('the winner, everywhere', () => {
  const PIPELINE = `apiVersion: bfly/v1
seed: 42
blocks:
  - {id: split, type: split}
  - {id: preprocess, type: preprocess}
  - id: model_selection
    type: model_selection
    config:
      cv: 3
      candidates:
        - {model: knn, params: {n_neighbors: 5}}
        - {model: knn, params: {n_neighbors: 40}}
        - {model: knn, params: {n_neighbors: 40}}
        - {id: lr, model: logistic_regression, params: {C: 0.01}}
  - {id: train, type: train}
  - {id: evaluate, type: evaluate}
  - {id: report, type: report, config: {formats: [html]}}
`;
  beforeAll(async () => {
    await run(['dataset', 'import', join(VEGA, 'penguins.json')]);
    await run(['experiment', 'create', 'penguins', '--dataset', 'penguins', '--target', 'Species']);
    writeFileSync(draft('penguins'), PIPELINE);
  });

  it('every candidate has a stable id and a label naming what sets it apart; the winner is in run.json, runs, show, compare, the report and the plot', async () => {
    const r = await run(['run', 'penguins']);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const label of ['knn (n_neighbors=5) [knn-1]', 'knn (n_neighbors=40, knn-2) [knn-2]', 'knn (n_neighbors=40, knn-3) [knn-3]', 'logistic_regression [lr]']) expect(r.stderr).toContain(`${label}: accuracy`);
    const m = (await run(['show', '@latest', '--json'])).json();
    const board = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', m.id, 'artifacts', 'leaderboard.json'), 'utf8'));
    expect(board.candidates.map((c: { id: string }) => c.id).sort()).toEqual(['knn-1', 'knn-2', 'knn-3', 'lr']);
    const best = board.candidates[0];
    expect(m.selection).toEqual({ candidate: best.id, label: best.label, model: best.model, params: best.params, cv: { metric: 'accuracy', mean: best.metrics.accuracy.mean, std: best.metrics.accuracy.std } });
    expect(r.stdout).toContain(`model: ${best.label}`);
    expect((await run(['show', '@latest'])).stdout).toMatch(new RegExp(`model\\s+${best.label.replace(/[()[\]]/g, '\\$&')}`));
    const runs = await run(['runs', '--experiment', 'penguins']);
    expect(runs.stdout).toContain(best.label);
    expect((await run(['runs', '--json', '--experiment', 'penguins'])).json()[0].selection).toEqual({ candidate: best.id, label: best.label, model: best.model });
    // one box per candidate in the cv plot: 4 candidates × 3 folds, never pooled by model name
    const spec = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', m.id, 'artifacts', 'cv_scores.vl.json'), 'utf8'));
    const values = spec.data.values as Array<{ candidate: string }>;
    expect(new Set(values.map((v) => v.candidate)).size).toBe(4);
    expect(values).toHaveLength(12);
    const html = readFileSync(join(ws, '.butterfly', 'runs', m.id, 'artifacts', 'report.html'), 'utf8');
    expect(html).toContain('<td>knn (n_neighbors=40, knn-3)</td><td>knn-3</td>');
    expect(html).toContain(`<strong>${best.label}</strong> was trained`);

    // another winner: compare shows the model row
    await run(['pipeline', 'set', 'penguins', 'blocks.model_selection.config.candidates=[{id: lr, model: logistic_regression, params: {C: 0.01}}]']);
    const r2 = await run(['run', 'penguins', '--json']);
    const m2 = JSON.parse(r2.stdout.trim().split('\n').at(-1)!);
    expect(m2.selection).toMatchObject({ candidate: 'lr', label: 'logistic_regression', model: 'logistic_regression' });
    const cmp = await run(['compare', m.id, m2.id]);
    expect(cmp.stdout).toMatch(new RegExp(`model\\s+${best.label.replace(/[()[\]]/g, '\\$&')}.*\\s+logistic_regression \\[lr\\]`));
    // long values are summarised in tables; --json keeps them whole
    expect(cmp.stdout).toMatch(/blocks\.model_selection\.config\.candidates\s+4 candidates\s+1 candidate/);
  });

  it('refuses two candidates with the same id, at its line', async () => {
    const ok = await run(['pipeline', 'set', 'penguins', 'blocks.model_selection.config.candidates=[{model: knn}, {id: k2, model: knn}]']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const bad = await run(['pipeline', 'set', 'penguins', 'blocks.model_selection.config.candidates=[{model: knn}, {id: knn-1, model: knn, params: {n_neighbors: 3}}]']);
    expect(bad.exitCode).toBe(4);
    expect(bad.stderr).toMatch(/pipeline\.yaml:\d+:\d+: blocks\.model_selection\.config\.candidates\[1\]\.id: two candidates have the id `knn-1`/);
  });
});

describe('defaults that follow the task', () => {
  it('a regression forest tries every feature at each split; a classification forest sqrt', async () => {
    const r = await run(['run', 'movies', '--json']);
    const reg = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    const board = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', reg.id, 'artifacts', 'leaderboard.json'), 'utf8'));
    expect(board.candidates.find((c: { model: string }) => c.model === 'random_forest').params.max_features).toBe('all');
  });
});

describe('imbalanced classes', () => {
  beforeAll(async () => {
    await run(['dataset', 'import', join(VEGA, 'seattle-weather.csv')]);
  });

  it('experiment create picks balanced accuracy for an imbalanced target and says why; accuracy for balanced ones', async () => {
    const sw = await run(['experiment', 'create', 'weather', '--dataset', 'seattle-weather', '--target', 'weather', '--json']);
    expect(sw.json()).toMatchObject({ metric: 'balanced_accuracy', metricReason: expect.stringMatching(/^imbalanced classes: the largest class \(rain, 641 rows\) is 24\.7x the smallest \(snow, 26 rows\)/) });
    const shown = await run(['experiment', 'show', 'weather']);
    expect(shown.stdout).toMatch(/metric {4}balanced_accuracy — imbalanced classes/);
    const peng = (await run(['experiment', 'show', 'penguins', '--json'])).json();
    expect(peng).toMatchObject({ metric: 'accuracy', metricReason: expect.stringMatching(/^balanced classes: the largest class \(Adelie, 152 rows\) is 2\.2x the smallest \(Chinstrap, 68 rows\)/) });
    const forced = await run(['experiment', 'create', 'weather-acc', '--dataset', 'seattle-weather', '--target', 'weather', '--metric', 'accuracy', '--json']);
    expect(forced.json()).toMatchObject({ metric: 'accuracy', metricReason: 'chosen with --metric' });
    const changed = await run(['experiment', 'set', 'weather-acc', 'metric=f1_macro', '--json']);
    expect(changed.exitCode, changed.stderr).toBe(0);
    expect((await run(['experiment', 'show', 'weather-acc', '--json'])).json().metricReason).toBe('set with `bfly experiment set` (was accuracy)');
    expect((await run(['experiment', 'show', 'movies', '--json'])).json()).toMatchObject({ metric: 'rmse', metricReason: 'the default for regression' });
  });

  it('class_weight: balanced raises the small classes; the report flags classes recalled below 50%; regression refuses it', async () => {
    writeFileSync(
      draft('weather-acc'),
      `apiVersion: bfly/v1
seed: 42
blocks:
  - {id: split, type: split}
  - {id: preprocess, type: preprocess}
  - {id: train, type: train, config: {model: logistic_regression}}
  - {id: evaluate, type: evaluate}
  - {id: report, type: report, config: {formats: [html]}}
`,
    );
    const plain = await run(['run', 'weather-acc', '--json']);
    const a = JSON.parse(plain.stdout.trim().split('\n').at(-1)!);
    const warn = plain.stdout.split('\n').filter((l) => l.includes('"level":"warn"')).map((l) => JSON.parse(l).message as string);
    expect(warn).toEqual([expect.stringMatching(/^recalled below 50% on the test rows: .*fog \(\d+\/20\).*; try class_weight: balanced or the balanced_accuracy metric$/)]);
    const html = readFileSync(join(ws, '.butterfly', 'runs', a.id, 'artifacts', 'report.html'), 'utf8');
    expect(html).toContain('<h2>Per class</h2>');
    expect(html).toMatch(/<td>fog<\/td><td>[\d.]+<\/td><td>[\d.]+<\/td><td>20<\/td><td>⚠ recall below 50%<\/td>/);
    expect(a.selection).toMatchObject({ candidate: null, label: 'logistic_regression (named in train)', cv: null });
    const set = await run(['pipeline', 'set', 'weather-acc', 'blocks.train.config.params={class_weight: balanced}']);
    expect(set.exitCode, set.stderr).toBe(0);
    const weighted = await run(['run', 'weather-acc', '--json']);
    const b = JSON.parse(weighted.stdout.trim().split('\n').at(-1)!);
    expect(b.metrics.balanced_accuracy).toBeGreaterThan(a.metrics.balanced_accuracy + 0.05);

    const reg = await run(['pipeline', 'set', 'movies', 'blocks.model_selection.config.candidates[0].params.class_weight=balanced']);
    expect(reg.exitCode).toBe(4);
    expect(reg.stderr).toMatch(/candidates\[0\]\.params\.class_weight: class_weight is for classification, but this experiment is regression/);
  });
});

const ESC = String.fromCharCode(27);

describe('the newcomer path', () => {
  it('bfly example lists the bundled tables and writes one into the current folder, never over a file', async () => {
    const { dir, cleanup: done } = makeTempDir();
    try {
      const list = await bfly(['example', '--json'], { cwd: dir });
      expect(list.json().map((e: { name: string }) => e.name)).toEqual(['cars', 'penguins', 'seattle-weather']);
      const w = await bfly(['example', 'penguins'], { cwd: dir });
      expect([w.exitCode, w.stdout]).toEqual([0, `wrote penguins.csv (344 rows, 13.2 KiB) to ${dir}\nnext: bfly dataset import penguins.csv\n`]);
      expect(readFileSync(join(dir, 'penguins.csv'))).toEqual(readFileSync(join(REPO, 'examples', 'data', 'penguins.csv')));
      writeFileSync(join(dir, 'cars.csv'), 'mine');
      const again = await bfly(['example', 'cars'], { cwd: dir });
      expect(again.exitCode).toBe(4);
      expect(again.stderr).toMatch(/cars\.csv already exists[\s\S]*--force/);
      expect(readFileSync(join(dir, 'cars.csv'), 'utf8')).toBe('mine');
      expect((await bfly(['example', 'cars', '--force'], { cwd: dir })).exitCode).toBe(0);
      const bad = await bfly(['example', 'penguin'], { cwd: dir });
      expect(bad.exitCode).toBe(5);
      expect(bad.stderr).toMatch(/no example table "penguin".*penguins/);
    } finally {
      done();
    }
  });

  it('no colour codes with NO_COLOR, the live view on a terminal included', async () => {
    const { execa } = await import('execa');
    const r = await execa('script', ['-qec', `${process.execPath} ${join(REPO, 'bin', 'bfly.cjs')} -C ${ws} run penguins --force`, '/dev/null'], { env: { NO_COLOR: '1', CI: '' }, reject: false });
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).toContain('succeeded');
    expect(String(r.stdout)).not.toMatch(new RegExp(`${ESC}\\[[0-9;]*m`));
    const piped = await run(['run', 'penguins', '--force']);
    expect(piped.stdout + piped.stderr).not.toContain(ESC);
  });
});
