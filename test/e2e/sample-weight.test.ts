// A split's `sample_weight` column through the built CLI: it weighs the rows in every fit, is no
// feature and no model input (`bfly predict` needs no weights), and a bad column is refused
// naming it (exit 4) before any fit. Models without weights are left out of the candidates, or
// refused when named.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfly, makeCliWorkspace, seededRandom } from '../helpers.js';

let ws: string;
let dir: string;
let cleanup: () => void;
const run = (args: string[]) => bfly(['-C', ws, ...args]);
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
/** A run's log lines (its events.jsonl). */
const logOf = (id: string): string => readFileSync(join(ws, '.butterfly', 'runs', id, 'events.jsonl'), 'utf8');
const ONE = (model: string) => `blocks.model_selection.config.candidates=[{model: ${model}, params: {}}]`;

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
  // y is 'hi' when x > 0; rows with x in (0, 1) say 'lo' in a tenth of the table, which weights
  // 0 there silence: the weighted model learns the clean rule
  const r = seededRandom(5);
  const rows = ['x,z,city,w,neg,kind,y'];
  for (let i = 0; i < 1500; i++) {
    const x = r() * 4 - 2;
    const noisy = x > 0 && x < 1 && r() < 0.8;
    rows.push([x.toFixed(4), (r() * 10).toFixed(2), ['a', 'b', 'c'][i % 3], noisy ? '0' : String(1 + (i % 3)), i === 700 ? '-1' : '1', ['p', 'q'][i % 2], x > 0 && !noisy ? 'hi' : 'lo'].join(','));
  }
  writeFileSync(join(dir, 'w.csv'), rows.join('\n') + '\n');
  expect((await run(['dataset', 'import', join(dir, 'w.csv'), '--name', 'w'])).exitCode).toBe(0);
  expect((await run(['experiment', 'create', 'wx', '--dataset', 'w', '--target', 'y'])).exitCode).toBe(0);
}, 120_000);

afterAll(() => cleanup());

describe('split.config.sample_weight', () => {
  it('weighs the rows: the weighted model differs, the weight column is no input, and predict needs no weights', async () => {
    // the same run without weights (w dropped from the features, so both models see the same columns)
    const plain = await run(['run', 'wx', '--set', ONE('gradient_boosting'), '--set', 'blocks.features.config.steps=[{op: drop, columns: [w]}]', '--json']);
    expect(plain.exitCode, plain.stderr).toBe(0);
    const r = await run(['run', 'wx', '--set', 'blocks.split.config.sample_weight=w', '--set', ONE('gradient_boosting'), '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const id = last(r.stdout).id;
    const model = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', id, 'artifacts', 'model.json'), 'utf8'));
    expect(model.inputs.map((c: { name: string }) => c.name)).toEqual(['x', 'z', 'city', 'neg', 'kind']);
    const features = model.stages.at(-1).fitted.features as string[];
    expect(features.some((f) => f === 'w' || f.startsWith('w='))).toBe(false);
    const plainModel = readFileSync(join(ws, '.butterfly', 'runs', last(plain.stdout).id, 'artifacts', 'model.json'), 'utf8');
    expect(JSON.stringify(model.model.fitted.trees)).not.toBe(JSON.stringify(JSON.parse(plainModel).model.fitted.trees));
    expect(logOf(id)).toContain('rows weighted by w (left out of the features)');
    // new rows without w: rows at x = 0.5 are 'hi' once the noisy rows weigh nothing
    writeFileSync(join(dir, 'new.csv'), 'x,z,city,neg,kind\n0.5,3,a,1,p\n0.6,7,b,1,q\n-1.5,1,c,1,p\n');
    const p = await run(['predict', `${id}`, join(dir, 'new.csv'), '--json']);
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout.trim().split('\n').map((l) => JSON.parse(l).prediction)).toEqual(['hi', 'hi', 'lo']);
    // the unweighted model learnt the noise: 'lo' there (its inputs still list w, which its features drop)
    writeFileSync(join(dir, 'new-w.csv'), 'x,z,city,w,neg,kind\n0.5,3,a,1,1,p\n0.6,7,b,1,1,q\n-1.5,1,c,1,1,p\n');
    const q = await run(['predict', last(plain.stdout).id, join(dir, 'new-w.csv'), '--json']);
    expect(q.exitCode, q.stderr).toBe(0);
    expect(q.stdout.trim().split('\n').map((l) => JSON.parse(l).prediction)).toEqual(['lo', 'lo', 'lo']);
  }, 180_000);

  it('every model that takes weights runs with them; kNN and the MLP are left out of the candidates, and refused when named', async () => {
    const r = await run(['run', 'wx', '--set', 'blocks.split.config.sample_weight=w', '--set', 'blocks.model_selection.config.candidates=[{model: logistic_regression}, {model: random_forest, params: {n_estimators: 20}}, {model: decision_tree}, {model: knn}]', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const id = last(r.stdout).id;
    expect(logOf(id)).toMatch(/left out knn.*: knn takes no sample weights/);
    const board = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', id, 'artifacts', 'leaderboard.json'), 'utf8'));
    expect(board.candidates.map((c: { model: string }) => c.model).sort()).toEqual(['decision_tree', 'logistic_regression', 'random_forest']);
    const knn = await run(['run', 'wx', '--set', 'blocks.split.config.sample_weight=w', '--set', ONE('knn'), '--json']);
    expect(knn.exitCode).toBe(4);
    expect(last(knn.stdout).error).toMatchObject({ code: 'WEIGHTS_UNSUPPORTED', block: 'model_selection' });
    const named = await run(['run', 'wx', '--set', 'blocks.split.config.sample_weight=w', '--set', 'blocks.train.config.model=knn', '--json']);
    expect(named.exitCode).toBe(4);
    expect(last(named.stdout).error).toMatchObject({ code: 'WEIGHTS_UNSUPPORTED', message: expect.stringContaining('knn takes no weights') });
  }, 240_000);

  it.each([
    ['nope', 'NO_WEIGHT_COLUMN', /no column "nope".*numeric columns: x, z, w, neg/s],
    ['city', 'WEIGHT_NOT_NUMERIC', /"city" is a category, not numbers/],
    ['neg', 'BAD_WEIGHTS', /1 rows of the sample_weight column "neg" are missing, negative or infinite \(the first: dataset row 701, -1\)/],
    ['y', 'WEIGHT_IS_TARGET', /"y" is the target/],
  ])('a bad sample_weight column (%s) is refused with %s, exit 4, naming it', async (column, code, text) => {
    const r = await run(['run', 'wx', '--set', `blocks.split.config.sample_weight=${column}`, '--json']);
    expect(r.exitCode).toBe(4);
    const summary = last(r.stdout);
    expect(summary.error.code).toBe(code);
    expect(summary.error.block).toBe('split');
    expect(`${summary.error.message} ${summary.error.hint}`).toMatch(text);
    // the run failed at split: no block after it ran, no model
    expect(summary.status).toBe('failed');
    expect(summary.blocks.filter((b: { status: string }) => b.status !== 'skipped').map((b: { id: string }) => b.id)).toEqual(['split']);
    expect(summary.artifacts).toEqual([]);
  }, 120_000);
});
