// The Python framework adapter through the built CLI, with Debian's python3-sklearn and
// python3-xgboost (.ci/run installs them; skipped, saying why, where they cannot be imported):
// scikit-learn and XGBoost candidates compete with native ones, predict as Python itself does,
// are deterministic for a seed, record their versions, and fail with the right category.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainMatrix } from '../../src/ml/chain.js';
import { recordsFrame } from '../../src/runner/frames.js';
import { loadModel } from '../../src/runner/model-artifact.js';
import { bfly, makeCliWorkspace, sha256File, VEGA } from '../helpers.js';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import sklearn, xgboost'], { encoding: 'utf8' });
const available = probe.status === 0;
if (!available) console.log(`skipping the framework adapter tests: ${PYTHON} cannot import sklearn and xgboost (install python3-sklearn python3-xgboost)`);

let ws: string;
let cleanup: () => void;
const run = (args: string[], env?: Record<string, string>) => bfly(['-C', ws, ...args], env === undefined ? {} : { env: { ...process.env, ...env } });
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const runs = () => readdirSync(join(ws, '.butterfly', 'runs')).filter((d) => !d.startsWith('.')).sort();
const EXTRA = '{model: "sklearn:sklearn.ensemble.ExtraTreesClassifier", params: {n_estimators: 40}}';
const XGB = '{model: "xgboost:XGBClassifier", params: {n_estimators: 25, max_depth: 3}}';
const only = (candidate: string) => ['--set', `blocks.model_selection.config.candidates=[${candidate}]`];

describe.skipIf(!available)('framework adapters (scikit-learn, XGBoost)', () => {
  beforeAll(async () => {
    ({ ws, cleanup } = await makeCliWorkspace());
    await run(['dataset', 'import', join(VEGA, 'penguins.json')]);
    await run(['experiment', 'create', 'p', '--dataset', 'penguins', '--target', 'Species']);
    expect((await run(['config', 'set', `frameworks.python=${PYTHON}`])).exitCode).toBe(0);
  }, 60_000);
  afterAll(() => cleanup());

  it('ExtraTreesClassifier and XGBClassifier compete with native models; versions are recorded and part of the execution key', async () => {
    const r = await run(['run', 'p', '--set', `blocks.model_selection.config.candidates=[${EXTRA}, ${XGB}, {model: logistic_regression}, {model: random_forest, params: {n_estimators: 20}}]`, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const m = last(r.stdout);
    const board = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', m.id, 'artifacts', 'leaderboard.json'), 'utf8'));
    expect(board.candidates.map((c: { id: string }) => c.id).sort()).toEqual(['ExtraTreesClassifier-1', 'XGBClassifier-1', 'logistic_regression-1', 'random_forest-1']);
    for (const c of board.candidates) expect(c.metrics.accuracy.mean).toBeGreaterThan(0.9);
    const versions = spawnSync(PYTHON, ['-c', 'import sys,numpy,sklearn,xgboost; print("%d.%d.%d" % sys.version_info[:3], numpy.__version__, sklearn.__version__, xgboost.__version__)'], { encoding: 'utf8' }).stdout.trim().split(' ');
    expect(m.env.frameworks).toEqual({ interpreter: PYTHON, versions: { python: versions[0], numpy: versions[1], sklearn: versions[2], xgboost: versions[3] } });
    expect(m.env.backend).toBe(`js+python-${versions[0]}+numpy-${versions[1]}+sklearn-${versions[2]}+xgboost-${versions[3]}`);
  }, 180_000);

  it('an adapter model predicts through bfly predict exactly as Python predicts from its pickle, and explain and the report work', async () => {
    const r = await run(['run', 'p', ...only(EXTRA), '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const m = last(r.stdout);
    expect(m.selection).toMatchObject({ candidate: 'ExtraTreesClassifier-1', model: 'sklearn:sklearn.ensemble.ExtraTreesClassifier', params: { n_estimators: 40 } });
    const dir = join(ws, '.butterfly', 'runs', m.id, 'artifacts');
    const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(model.model.fitted).toMatchObject({ kind: 'python', framework: 'sklearn', file: 'model.pkl', sha256: `sha256:${sha256File(join(dir, 'model.pkl'))}` });
    expect(JSON.parse(readFileSync(join(dir, 'explain.json'), 'utf8')).importance.length).toBeGreaterThan(3);
    const rows = (JSON.parse(readFileSync(join(VEGA, 'penguins.json'), 'utf8')) as Array<Record<string, unknown>>).filter((_, i) => i % 7 === 0);
    writeFileSync(join(ws, 'rows.json'), JSON.stringify(rows));
    const p = await run(['predict', m.id, join(ws, 'rows.json'), '--proba', '--json']);
    expect(p.exitCode, p.stderr).toBe(0);
    const ours = p.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((x) => 'prediction' in x);
    // Python's own predict_proba on the same matrix (the chain applied by the library)
    const artifact = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const X = chainMatrix(artifact.stages, recordsFrame(artifact.inputs, rows));
    writeFileSync(join(ws, 'X.f64'), Buffer.from(X.data.buffer, X.data.byteOffset, X.rows * X.cols * 8));
    const py = spawnSync(PYTHON, ['-c', `import pickle,numpy,json; m=pickle.load(open("${join(dir, 'model.pkl')}","rb")); X=numpy.fromfile("${join(ws, 'X.f64')}", dtype="<f8").reshape(${X.rows},${X.cols}); print(json.dumps(m.predict_proba(X).tolist()))`], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const theirs = JSON.parse(py.stdout) as number[][];
    expect(ours).toHaveLength(rows.length);
    ours.forEach((o: Record<string, unknown>, i: number) => expect(artifact.classes.map((c: string) => (o.proba as Record<string, number>)[c])).toEqual(theirs[i]));
    // the library loads it too (the pickle beside model.json, checked against its sha256)
    const lib = loadModel(join(dir, 'model.json'));
    expect(lib.predict(rows.slice(0, 3))).toEqual(ours.slice(0, 3).map((o: Record<string, unknown>) => o.prediction));
    // export copies the pickle; ONNX needs the framework's own converter, which bfly does not ship
    // a loose model.json may only name a plain file beside it
    mkdirSync(join(ws, 'loose'));
    copyFileSync(join(dir, 'model.pkl'), join(ws, 'loose', 'model.pkl'));
    writeFileSync(join(ws, 'loose', 'model.json'), readFileSync(join(dir, 'model.json'), 'utf8').replace('"file":"model.pkl"', '"file":"../loose/model.pkl"'));
    expect(() => loadModel(join(ws, 'loose', 'model.json'))).toThrow('which is not a plain file name');
    const e = await run(['export', m.id, join(ws, 'export-extra')]);
    expect(e.exitCode, e.stderr).toBe(0);
    expect(sha256File(join(ws, 'export-extra', 'artifacts', 'model.pkl'))).toBe(sha256File(join(dir, 'model.pkl')));
    expect(loadModel(join(ws, 'export-extra', 'artifacts', 'model.json')).predict(rows.slice(0, 3))).toEqual(lib.predict(rows.slice(0, 3)));
    // ONNX through the framework's own converter (skl2onnx), when the interpreter has it; else refused, naming it
    const onnx = await run(['export', m.id, join(ws, 'export-onnx'), '--onnx', '--json']);
    if (spawnSync(PYTHON, ['-c', 'import skl2onnx'], { encoding: 'utf8' }).status === 0) expect(onnx.exitCode, onnx.stderr).toBe(0);
    else {
      console.log('skl2onnx is not importable here: the adapter model\'s ONNX export is checked to be refused');
      expect(JSON.parse(onnx.stderr).error).toMatchObject({ code: 'ONNX_UNSUPPORTED', message: 'the sklearn:sklearn.ensemble.ExtraTreesClassifier model has no faithful ONNX form in this export', hint: expect.stringContaining('skl2onnx') });
    }
  }, 180_000);

  it('same seed, same bytes: the pickle of a forced rerun is identical; another seed is another model', async () => {
    const a = last((await run(['run', 'p', ...only(XGB), '--seed', '5', '--json'])).stdout);
    const b = last((await run(['run', 'p', ...only(XGB), '--seed', '5', '--force', '--json'])).stdout);
    const c = last((await run(['run', 'p', ...only(EXTRA), '--seed', '6', '--json'])).stdout);
    const d = last((await run(['run', 'p', ...only(EXTRA), '--seed', '7', '--json'])).stdout);
    const pkl = (id: string) => sha256File(join(ws, '.butterfly', 'runs', id, 'artifacts', 'model.pkl'));
    expect(b.id).not.toBe(a.id);
    expect(pkl(b.id)).toBe(pkl(a.id));
    expect(pkl(c.id)).not.toBe(pkl(d.id));
    // a later run that reuses the trained model from the block cache (another process) explains it anew
    const e = await run(['run', 'p', ...only(XGB), '--seed', '5', '--set', 'blocks.explain.config.n_repeats=2', '--json']);
    expect(e.exitCode, e.stderr).toBe(0);
    const m = last(e.stdout);
    expect(m.blocks.find((x: { id: string }) => x.id === 'train')).toMatchObject({ cached: true });
    expect(m.blocks.find((x: { id: string }) => x.id === 'explain')).toMatchObject({ cached: false, status: 'succeeded' });
    expect(pkl(m.id)).toBe(pkl(a.id));
  }, 180_000);

  it('errors: no interpreter is infra before any run folder; a missing module, a Python exception (traceback in error.log) are framework; a dying worker and a call past its time limit are infra', async () => {
    const before = runs();
    expect((await run(['config', 'set', 'frameworks.python=/nonexistent/python3'])).exitCode).toBe(0);
    const none = await run(['run', 'p', ...only(EXTRA), '--json']);
    expect(JSON.parse(none.stderr).error).toMatchObject({ category: 'infra', code: 'PYTHON_NOT_FOUND', hint: expect.stringContaining('frameworks.python') });
    expect(runs()).toEqual(before);
    expect((await run(['config', 'set', `frameworks.python=${PYTHON}`])).exitCode).toBe(0);

    const failed = async (candidate: string, env?: Record<string, string>) => {
      const r = await run(['run', 'p', ...only(candidate), '--json'], env);
      expect(r.exitCode).not.toBe(0);
      return last(r.stdout);
    };
    const missing = await failed('{model: "sklearn:sklearn.nosuch.Thing"}');
    expect(missing.error).toMatchObject({ category: 'framework', code: 'ADAPTER_IMPORT', message: expect.stringContaining('cannot import sklearn.nosuch') });
    const raised = await failed('{model: "sklearn:sklearn.ensemble.ExtraTreesClassifier", params: {n_estimators: -1}}');
    expect(raised.error).toMatchObject({ category: 'framework', code: 'ADAPTER_EXCEPTION', message: expect.stringMatching(/InvalidParameterError: The 'n_estimators' parameter/) });
    const log = readFileSync(join(ws, '.butterfly', 'runs', raised.id, 'logs', 'error.log'), 'utf8');
    expect(log).toContain('Python traceback:');
    expect(log).toContain('Traceback (most recent call last)');
    const died = await failed('{model: "sklearn:os._exit", params: {status: 3}}');
    expect(died.error).toMatchObject({ category: 'infra', code: 'ADAPTER_DIED', message: 'the Python adapter process exited with code 3' });
    const slow = await failed('{model: "sklearn:sklearn.ensemble.RandomForestClassifier", params: {n_estimators: 5000}}', { BFLY_PYTHON_CALL_TIMEOUT_MS: '300' });
    expect(slow.error).toMatchObject({ category: 'infra', code: 'ADAPTER_TIMEOUT' });
    // (this test process's own adapter, started by loadModel above, is not a run's)
    // an adapter outliving its run is an orphan: its parent (the run's bfly) gone. Adapters of
    // other test files' live runs, running beside this one, have their parent; a killed one may
    // take a moment to be reaped.
    const orphans = () => {
      const rows = spawnSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).stdout.split('\n').map((l) => ({ pid: Number(l.trim().split(/\s+/)[0]), ppid: Number(l.trim().split(/\s+/)[1]), line: l }));
      const live = new Set(rows.map((r) => r.pid));
      return rows.filter((r) => r.line.includes('bfly_adapter.py') && r.ppid !== process.pid && (r.ppid === 1 || !live.has(r.ppid))).map((r) => r.line);
    };
    let left = orphans();
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = orphans();
    }
    expect(left, 'no adapter process outlives its run').toEqual([]);
  }, 180_000);

  it('validation: a Regressor in a classification experiment is refused at its line; the enterprise profile runs only allowed classes', async () => {
    const v = await run(['run', 'p', ...only('{model: "xgboost:XGBRegressor"}'), '--json']);
    expect(v.exitCode).toBe(4);
    expect(v.stderr).toContain('XGBRegressor is for regression, but this experiment is classification');
    const extra = last((await run(['run', 'p', ...only(EXTRA), '--seed', '11', '--json'])).stdout);
    expect((await run(['config', 'set', 'profile=enterprise'])).exitCode).toBe(0);
    const before = runs();
    const refused = await run(['run', 'p', ...only(XGB), '--json']);
    expect(refused.exitCode).toBe(6);
    expect(JSON.parse(refused.stderr).error).toMatchObject({ category: 'policy', code: 'FRAMEWORK_NOT_ALLOWED' });
    expect(runs()).toEqual(before);
    expect((await run(['config', 'set', 'frameworks.allowed=xgboost.*'])).exitCode).toBe(6);
    expect((await run(['config', 'set', 'frameworks.allowed=xgboost.*', '--force'])).exitCode).toBe(0);
    expect((await run(['run', 'p', ...only(XGB), '--seed', '9', '--json'])).exitCode).toBe(0);
    expect((await run(['run', 'p', ...only(EXTRA), '--seed', '9', '--json'])).exitCode).toBe(6);
    // loading a pickle runs its class's code: predicting with a model of a class not allowed is refused too
    const p = await run(['predict', extra.id, join(VEGA, 'penguins.json'), '--json']);
    expect(p.exitCode).toBe(6);
    expect(JSON.parse(p.stderr).error).toMatchObject({ category: 'policy', code: 'FRAMEWORK_NOT_ALLOWED' });
    const audit = await run(['log', '--json']);
    expect(audit.stdout).toContain('"forced":true');
  }, 180_000);
});
