// `bfly export --onnx` through the built CLI: for every exportable model family, on penguins
// (three classes, and two: Sex) and cars (regression, with log1p and polynomial steps),
// onnxruntime predicts the held-out rows as the run did (same labels, probabilities and values
// within 1e-5), and ONNX's own checker (Debian's python3-onnx) accepts the file.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfly, makeCliWorkspace, VEGA } from '../helpers.js';

const PYTHON = '/usr/bin/python3';
const checker = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
if (!checker) console.log('skipping the ONNX checker: /usr/bin/python3 cannot import onnx (install python3-onnx)');

let ws: string;
let cleanup: () => void;
const run = (args: string[]) => bfly(['-C', ws, ...args]);
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

type Rec = Record<string, unknown>;
function records(file: string): Rec[] {
  if (file.endsWith('.json')) return JSON.parse(readFileSync(join(VEGA, file), 'utf8'));
  const [head, ...lines] = readFileSync(join(VEGA, file), 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], cols[i] === 'date' || cols[i] === 'weather' ? v : Number(v)])));
}

/** predictions.csv of a run: its test rows with what the run predicted. */
function predictions(runId: string): Array<Record<string, string>> {
  const [head, ...lines] = readFileSync(join(ws, '.butterfly', 'runs', runId, 'artifacts', 'predictions.csv'), 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

async function onnxPredict(file: string, rows: Rec[]): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(file);
  const model = JSON.parse(readFileSync(join(file, '..', 'artifacts', 'model.json'), 'utf8')) as { inputs: Array<{ name: string; type: string }> };
  const feeds: Record<string, ort.Tensor> = {};
  for (const c of model.inputs) {
    const str = c.type === 'category' || c.type === 'text';
    feeds[c.name] = str
      ? new ort.Tensor('string', rows.map((r) => (r[c.name] === null || r[c.name] === undefined ? '' : String(r[c.name]))), [rows.length, 1])
      : new ort.Tensor('float64', Float64Array.from(rows, (r) => (r[c.name] === null || r[c.name] === undefined ? NaN : typeof r[c.name] === 'string' ? Date.parse(r[c.name] as string) : Number(r[c.name]))), [rows.length, 1]);
  }
  return session.run(feeds);
}

beforeAll(async () => {
  ({ ws, cleanup } = await makeCliWorkspace());
  await run(['dataset', 'import', join(VEGA, 'penguins.json')]);
  await run(['dataset', 'import', join(VEGA, 'cars.json')]);
  await run(['experiment', 'create', 'species', '--dataset', 'penguins', '--target', 'Species']);
  await run(['experiment', 'create', 'sex', '--dataset', 'penguins', '--target', 'Sex']);
  await run(['experiment', 'create', 'mpg', '--dataset', 'cars', '--target', 'Miles_per_Gallon']);
  await run(['pipeline', 'set', 'mpg', 'blocks.features.config.steps=[{op: drop, columns: [Name]}, {op: log1p, columns: [Horsepower]}, {op: polynomial, columns: [Weight_in_lbs, Acceleration], degree: 2}]']);
  await run(['pipeline', 'set', 'species', 'blocks.preprocess.config.encode.categorical=ordinal']);
  // seattle-weather: every date part, from ISO dates
  await run(['dataset', 'import', join(VEGA, 'seattle-weather.csv'), '--name', 'weather']);
  await run(['experiment', 'create', 'dates', '--dataset', 'weather', '--target', 'weather']);
  await run(['pipeline', 'set', 'dates', 'blocks.features.config.steps=[{op: date_parts, columns: [date], parts: [year, month, day, dayofweek, dayofyear, hour]}]']);
}, 120_000);
afterAll(() => cleanup());

const CASES: Array<[string, string, string]> = [
  ['species', 'logistic_regression', '{}'],
  ['species', 'decision_tree', '{max_depth: 4}'],
  ['species', 'random_forest', '{n_estimators: 20}'],
  ['species', 'gradient_boosting', '{max_iter: 30}'],
  ['species', 'mlp', '{epochs: 5}'],
  ['sex', 'logistic_regression', '{}'],
  ['sex', 'gradient_boosting', '{max_iter: 30}'],
  ['sex', 'mlp', '{epochs: 5}'],
  ['mpg', 'linear_regression', '{}'],
  ['mpg', 'random_forest', '{n_estimators: 20}'],
  ['mpg', 'gradient_boosting', '{max_iter: 30}'],
  ['mpg', 'mlp', '{epochs: 5}'],
  ['dates', 'gradient_boosting', '{max_iter: 30}'],
  ['dates', 'logistic_regression', '{}'], // every date part weighs in: a wrong one changes the probabilities
];

/** Exports run `id` with --onnx; onnxruntime predicts its held-out rows as the run did, and ONNX's checker accepts the file. */
async function exportMatches(experiment: string, id: string, dir: string): Promise<void> {
  const e = await run(['export', id, dir, '--onnx']);
  expect(e.exitCode, e.stderr).toBe(0);
  expect(e.stdout).toContain('and model.onnx');
  const data = records(experiment === 'mpg' ? 'cars.json' : experiment === 'dates' ? 'seattle-weather.csv' : 'penguins.json');
  const expected = predictions(id);
  const rows = expected.map((p) => data[Number(p.row)]); // `row`: the dataset row, from 0
  const out = await onnxPredict(join(dir, 'model.onnx'), rows);
  if (experiment === 'mpg') {
    const got = out.prediction.data as Float64Array;
    expected.forEach((p, i) => expect(Math.abs(got[i] - Number(p.predicted))).toBeLessThan(1e-5 * Math.max(1, Math.abs(Number(p.predicted)))));
  } else {
    expect(Array.from(out.label.data as string[])).toEqual(expected.map((p) => p.predicted));
    const classes = Object.keys(expected[0]).filter((k) => k.startsWith('proba_'));
    const proba = out.probabilities.data as Float64Array;
    expected.forEach((p, i) => classes.forEach((c, k) => expect(Math.abs(proba[i * classes.length + k] - Number(p[c]))).toBeLessThan(1e-5)));
  }
  if (checker) {
    const check = spawnSync(PYTHON, ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', join(dir, 'model.onnx')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  }
}

describe('bfly export --onnx', () => {
  it.each(CASES)('%s with %s: onnxruntime predicts the held-out rows as the run did', async (experiment, model, params) => {
    const r = await run(['run', experiment, '--set', `blocks.model_selection.config.candidates=[{model: ${model}, params: ${params}}]`, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    if (model === 'gradient_boosting' && (experiment === 'species' || experiment === 'sex')) {
      // penguins' category columns (ordinal codes for species, one-hot for sex) split natively: chains of BRANCH_EQ in the graph
      const fitted = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', last(r.stdout).id, 'artifacts', 'model.json'), 'utf8')).model.fitted;
      expect(fitted.categorical.categories.length).toBeGreaterThan(0);
      expect(fitted.trees.some((t: { categories?: unknown[] }) => t.categories?.some((c) => c !== null))).toBe(true);
    }
    await exportMatches(experiment, last(r.stdout).id, join(ws, `export-${experiment}-${model}`));
  }, 120_000);

  it.each([
    ['mpg', '[{model: linear_regression}, {model: gradient_boosting, params: {max_iter: 30}}, {model: random_forest, params: {n_estimators: 20}}]'],
    ['dates', '[{model: logistic_regression}, {model: gradient_boosting, params: {max_iter: 30}}, {model: random_forest, params: {n_estimators: 20}}]'],
    // (accuracy moves in steps: log loss is what a mix of probabilities improves on)
  ])('%s with a greedy ensemble: its members weighted in one graph predict as the run did', async (experiment, candidates) => {
    const r = await run(['run', experiment, '--set', `blocks.model_selection.config.candidates=${candidates}`, '--set', 'blocks.model_selection.config.ensemble={size: 8}', ...(experiment === 'dates' ? ['--set', 'blocks.model_selection.config.metric=log_loss'] : []), '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const id = last(r.stdout).id;
    const fitted = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', id, 'artifacts', 'model.json'), 'utf8')).model.fitted;
    expect(fitted.kind).toBe('ensemble');
    expect(fitted.members.length).toBeGreaterThan(1);
    await exportMatches(experiment, id, join(ws, `export-${experiment}-ensemble`));
  }, 120_000);

  it('a model or step with no faithful ONNX form is refused, naming it, and nothing is written', async () => {
    const knn = await run(['run', 'species', '--set', 'blocks.model_selection.config.candidates=[{model: knn}]', '--json']);
    const dir = join(ws, 'export-knn');
    const e = await run(['export', last(knn.stdout).id, dir, '--onnx', '--json']);
    expect(e.exitCode).toBe(4);
    expect(JSON.parse(e.stderr).error).toMatchObject({ code: 'ONNX_UNSUPPORTED', message: 'the knn model has no faithful ONNX form in this export' });
    expect(existsSync(dir)).toBe(false);
    // an ensemble exports when all its members do: one kNN member refuses it, named
    const mixed = await run(['run', 'mpg', '--set', 'blocks.model_selection.config.candidates=[{model: gradient_boosting, params: {max_iter: 30}}, {model: knn}]', '--set', 'blocks.model_selection.config.ensemble={size: 6}', '--json']);
    expect(mixed.exitCode, mixed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', last(mixed.stdout).id, 'artifacts', 'model.json'), 'utf8')).model.fitted.members.map((m: { name: string }) => m.name)).toContain('knn');
    const m = await run(['export', last(mixed.stdout).id, join(ws, 'export-mixed'), '--onnx']);
    expect(m.exitCode).toBe(4);
    expect(m.stderr).toContain("the ensemble's member knn-1 (knn) has no faithful ONNX form in this export");
    expect(m.stderr).toContain('leave that model out of the candidates');
    expect(existsSync(join(ws, 'export-mixed'))).toBe(false);
    const texted = await run(['run', 'mpg', '--set', 'blocks.features.config.steps=[{op: text, columns: [Name]}]', '--set', 'blocks.model_selection.config.candidates=[{model: linear_regression}]', '--json']);
    expect(texted.exitCode, texted.stderr).toBe(0);
    const d = await run(['export', last(texted.stdout).id, join(ws, 'export-text'), '--onnx']);
    expect(d.exitCode).toBe(4);
    expect(d.stderr).toContain('the feature step text has no faithful ONNX form');
    expect(existsSync(join(ws, 'export-text'))).toBe(false);
  }, 120_000);
});
