// npm run bench -- frameworks: what the framework adapter and the ONNX export cost, each beside
// its reference in the same run, on a generated 100k × 20 binary table:
//  - adapter overhead: bfly's fit and predict of an sklearn estimator through the Python
//    adapter (matrices over the worker protocol) against the same estimator called directly
//    in Python on the same matrix (target: at most 1.2x, i.e. transfer and protocol <= 20%);
//  - ONNX: onnxruntime predicting 100k rows from the exported model.onnx against bfly's own
//    predict of the same model on the same rows (both in this process, from typed columns).
// Threads pinned to 1 on both sides (OMP_NUM_THREADS, n_jobs=1), timings interleaved.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BFLY, ROOT, fmt, prng, table } from './lib.js';

const PYTHON = '/usr/bin/python3';
const ROWS = 100_000;
const COLS = 20;

function matrix(seed) {
  const rnd = prng(seed);
  const X = new Float64Array(ROWS * COLS);
  const y = new Float64Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    let s = 0;
    for (let j = 0; j < COLS; j++) {
      const v = rnd() * 2 - 1;
      X[i * COLS + j] = v;
      if (j < 5) s += v * (j + 1);
    }
    y[i] = s + (rnd() - 0.5) > 0 ? 1 : 0;
  }
  return { X, y };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchFrameworks(args) {
  const reps = args.includes('--quick') ? 3 : 5;
  if (spawnSync(PYTHON, ['-c', 'import sklearn'], { encoding: 'utf8' }).status !== 0) {
    console.log(`\n## frameworks: skipped (${PYTHON} cannot import sklearn; install python3-sklearn)`);
    return;
  }
  process.env.OMP_NUM_THREADS = '1';
  const { fitAdapterModel } = await import(join(ROOT, 'dist', 'runner', 'adapters', 'python.js'));
  const tmp = mkdtempSync(join(tmpdir(), 'bfly-bench-fw-'));
  try {
    const { X, y } = matrix(7);
    const M = { rows: ROWS, cols: COLS, data: X };
    writeFileSync(join(tmp, 'X.f64'), Buffer.from(X.buffer));
    writeFileSync(join(tmp, 'y.f64'), Buffer.from(y.buffer));
    const spec = 'sklearn:sklearn.ensemble.HistGradientBoostingClassifier';
    const params = { max_iter: 50 };
    // Python alone: load the same bytes, fit, predict_proba, each timed inside Python
    const direct = `import time,numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier as C
X=np.fromfile("${join(tmp, 'X.f64')}",dtype="<f8").reshape(${ROWS},${COLS}); y=np.fromfile("${join(tmp, 'y.f64')}",dtype="<f8").astype(np.int64)
m=C(max_iter=50, random_state=1); t=time.perf_counter(); m.fit(X,y); f=time.perf_counter()-t
t=time.perf_counter(); m.predict_proba(X); p=time.perf_counter()-t
print(f, p)`;
    const rows = [];
    const py = { fit: [], predict: [] };
    const ours = { fit: [], predict: [] };
    for (let r = 0; r < reps; r++) {
      const out = spawnSync(PYTHON, ['-c', direct], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
      if (out.status !== 0) throw new Error(out.stderr);
      const [f, p] = out.stdout.trim().split(' ').map(Number);
      py.fit.push(f);
      py.predict.push(p);
      let t = process.hrtime.bigint();
      const m = fitAdapterModel(PYTHON, spec, { ...params, random_state: 1 }, M, Int32Array.from(y), 2, 1);
      ours.fit.push(Number(process.hrtime.bigint() - t) / 1e9);
      t = process.hrtime.bigint();
      m.predictProba(M);
      ours.predict.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
    for (const k of ['fit', 'predict']) {
      const a = median(ours[k]);
      const b = median(py[k]);
      rows.push([`${k === 'fit' ? 'fit' : 'predict_proba'} (${spec.split('.').pop()}, 100k × 20)`, fmt(a, 3), fmt(b, 3), `${fmt(a / b)}x`, `${fmt((a - b) * 1000, 0)} ms`]);
    }
    console.log(`\n## frameworks: the Python adapter against the same estimator called in Python (medians of ${reps}, interleaved; OMP_NUM_THREADS=1; target <= 1.2x)`);
    table(['call', 'bfly adapter s', 'python s', 'ratio', 'overhead'], rows);

    // ONNX: a bfly run on a smaller table of the same shape, exported; onnxruntime against bfly predict
    const ws = join(tmp, 'ws');
    const csvRows = ['label,' + Array.from({ length: COLS }, (_, j) => `f${j}`).join(',')];
    for (let i = 0; i < 20_000; i++) csvRows.push(`${y[i] === 1 ? 'yes' : 'no'},${Array.from(X.subarray(i * COLS, (i + 1) * COLS), (v) => v.toFixed(6)).join(',')}`);
    writeFileSync(join(tmp, 'train.csv'), csvRows.join('\n') + '\n');
    const cli = (a) => {
      const r = spawnSync(process.execPath, [BFLY, ...a], { encoding: 'utf8', maxBuffer: 1 << 28 });
      if (r.status !== 0) throw new Error(`bfly ${a.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    cli(['init', ws]);
    cli(['-C', ws, 'dataset', 'import', join(tmp, 'train.csv'), '--name', 't']);
    cli(['-C', ws, 'experiment', 'create', 't', '--dataset', 't', '--target', 'label']);
    cli(['-C', ws, 'run', 't', '--set', 'blocks.model_selection.config.candidates=[{model: gradient_boosting, params: {max_iter: 100}}]', '--set', 'blocks.explain.config.n_repeats=1']);
    cli(['-C', ws, 'export', 't@latest', join(tmp, 'out'), '--onnx']);
    const { loadModel } = await import(join(ROOT, 'dist', 'index.js'));
    const ort = (await import('onnxruntime-node')).default;
    const model = loadModel(join(tmp, 'out', 'artifacts', 'model.json'));
    const session = await ort.InferenceSession.create(join(tmp, 'out', 'model.onnx'), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const columns = model.artifact.inputs.map((c, j) => ({ kind: 'numeric', name: c.name, values: Float64Array.from({ length: ROWS }, (_, i) => X[i * COLS + j]) }));
    const frame = { rows: ROWS, columns, index: null };
    const feeds = Object.fromEntries(columns.map((c) => [c.name, new ort.Tensor('float64', c.values, [ROWS, 1])]));
    const tOrt = [];
    const tOurs = [];
    let check = 0;
    for (let r = 0; r < reps; r++) {
      let t = process.hrtime.bigint();
      const out = await session.run(feeds);
      tOrt.push(Number(process.hrtime.bigint() - t) / 1e9);
      t = process.hrtime.bigint();
      const p = model.predictFrame(frame);
      tOurs.push(Number(process.hrtime.bigint() - t) / 1e9);
      const q = out.probabilities.data;
      for (let i = 0; i < ROWS * 2; i++) check = Math.max(check, Math.abs(q[i] - p.proba[i]));
    }
    console.log(`\n## ONNX export: 100k rows through model.onnx (onnxruntime-node, 1 thread) and through bfly's predict (gradient boosting, 100 trees; medians of ${reps})`);
    table(
      ['predictor', 'seconds', 'rows/s', 'ratio to bfly'],
      [
        ['onnxruntime (model.onnx)', fmt(median(tOrt), 3), Math.round(ROWS / median(tOrt)).toLocaleString('en-US'), `${fmt(median(tOrt) / median(tOurs))}x`],
        ['bfly predict (in process)', fmt(median(tOurs), 3), Math.round(ROWS / median(tOurs)).toLocaleString('en-US'), '1.00x'],
      ],
    );
    console.log(`largest probability difference between the two: ${check.toExponential(2)}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
