// npm run bench -- models: bfly's models and scikit-learn's on the same generated data and
// split, in one run: fit and predict times, accuracy / rmse, and the ratios.
// Synthetic: 100k train / 20k test rows, 20 numeric features, a seeded linear rule + noise
// (binary), its 5-class and regression variants. Predict times are the best of three calls on
// both sides (the first call of a JS function also pays for its compilation).
// (Build first: npm run build.)
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, ROOT, fmt, measure, prng, table } from './lib.js';

const PY = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0);

function generate(n, d, seed) {
  const r = prng(seed);
  const X = new Float64Array(n * d);
  for (let i = 0; i < X.length; i++) X[i] = r() * 2 - 1;
  const w = Array.from({ length: d }, (_, j) => ((j * 7919) % 11) / 5 - 1);
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += w[j] * X[i * d + j];
    score[i] = s + (r() - 0.5) * 0.8;
  }
  return { X, score };
}

const PY_XGB = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import xgboost'], { stdio: 'ignore' }).status === 0);

// XGBoost with the trees bfly grows: 100 rounds, leaf-wise (lossguide) with 31 leaves, 255
// bins, learning rate 0.1, no L2, no early stopping; threads as given (OMP pinned alike).
const XGB_SCRIPT = `
import json, sys, time, numpy as np, xgboost as xgb
d, ntr, nte, task, path, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
X = np.fromfile(path + '.X', dtype='<f8').reshape(-1, d); y = np.fromfile(path + '.y', dtype='<f8')
Xtr, ytr, Xte, yte = X[:ntr], y[:ntr], X[ntr:], y[ntr:]
kw = dict(n_estimators=100, learning_rate=0.1, tree_method='hist', grow_policy='lossguide', max_leaves=31, max_depth=0, max_bin=255, reg_lambda=0.0, n_jobs=threads, random_state=0)
m = xgb.XGBRegressor(**kw) if task == 'regression' else xgb.XGBClassifier(**kw)
t = time.perf_counter(); m.fit(Xtr, ytr if task == 'regression' else ytr.astype(int)); fit = time.perf_counter() - t
pred = float('inf')
for _ in range(3):
    t = time.perf_counter(); m.predict(X[:100000]); pred = min(pred, time.perf_counter() - t)
p = m.predict(Xte)
score = float(np.sqrt(np.mean((yte - p) ** 2))) if task == 'regression' else float(np.mean(p == yte.astype(int)))
print(json.dumps({'fit': fit, 'predict': pred, 'score': score}))
`;

const variants = {
  binary: (s) => (s > 0 ? 1 : 0),
  multiclass: (s) => (s < -1.2 ? 0 : s < -0.4 ? 1 : s < 0.4 ? 2 : s < 1.2 ? 3 : 4),
  regression: (s) => s,
};

const PY_SCRIPT = `
import json, sys, time, numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.neural_network import MLPClassifier
import warnings; warnings.filterwarnings('ignore')
d, ntr, nte, task, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
X = np.fromfile(path + '.X', dtype='<f8').reshape(-1, d); y = np.fromfile(path + '.y', dtype='<f8')
Xtr, ytr, Xte, yte = X[:ntr], y[:ntr], X[ntr:], y[ntr:]
models = {'binary': [('logistic_regression', LogisticRegression()), ('gradient_boosting', HistGradientBoostingClassifier()), ('random_forest', RandomForestClassifier(n_estimators=100, n_jobs=2)), ('mlp', MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=10, batch_size=200, random_state=0))],
          'multiclass': [('logistic_regression', LogisticRegression()), ('gradient_boosting', HistGradientBoostingClassifier())],
          'regression': [('linear_regression', Ridge()), ('gradient_boosting', HistGradientBoostingRegressor())]}[task]
out = {}
for name, m in models:
    t = time.perf_counter(); m.fit(Xtr, ytr if task == 'regression' else ytr.astype(int)); fit = time.perf_counter() - t
    pred = float('inf')
    for _ in range(3):
        t = time.perf_counter(); p = m.predict(X[:100000]); pred = min(pred, time.perf_counter() - t)
    p = m.predict(Xte)
    score = float(np.sqrt(mean_squared_error(yte, p))) if task == 'regression' else float(accuracy_score(yte.astype(int), p))
    out[name] = {'fit': fit, 'predict': pred, 'score': score}
print(json.dumps(out))
`;

/** The best of three predict times on `Xpred` (the first call also compiles), and the test score (accuracy or rmse). */
function predictAndScore(m, Xpred, Xte, yte, classes, { classificationMetrics, regressionMetrics }) {
  let pred = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const t = performance.now();
    m.predict(Xpred);
    pred = Math.min(pred, (performance.now() - t) / 1000);
  }
  const s = classes ? classificationMetrics(yte, m.predictProba(Xte), classes).accuracy : regressionMetrics(yte, m.predict(Xte)).rmse;
  return { pred, s };
}

export async function benchModels(args) {
  const { trainModel } = await import(join(ROOT, 'dist', 'runner', 'models.js'));
  const { MODELS } = await import(join(ROOT, 'dist', 'core', 'catalog.js'));
  const { classificationMetrics, regressionMetrics } = await import(join(ROOT, 'dist', 'ml', 'metrics.js'));
  const quick = args.includes('--quick');
  const ntr = quick ? 20_000 : 100_000;
  const nte = quick ? 5_000 : 20_000;
  const d = 20;
  const scriptPath = join(DATA_DIR, 'models_ref.py');
  writeFileSync(scriptPath, PY_SCRIPT);
  if (!PY) console.log('scikit-learn not found (apt-get install -y python3-sklearn): printing bfly figures only');
  const rows = [];
  for (const [task, label] of Object.entries(variants)) {
    const { X, score } = generate(ntr + nte, d, task.length * 7919);
    const y = Float64Array.from(score, label);
    const path = join(DATA_DIR, `models-${task}-${ntr}`);
    if (!existsSync(path + '.X')) {
      writeFileSync(path + '.X', Buffer.from(X.buffer));
      writeFileSync(path + '.y', Buffer.from(y.buffer));
    }
    let ref = {};
    if (PY) {
      const r = spawnSync(PY, [scriptPath, String(d), String(ntr), String(nte), task, path], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`scikit-learn reference failed:\n${r.stderr}`);
      ref = JSON.parse(r.stdout);
    }
    const classes = task === 'binary' ? 2 : task === 'multiclass' ? 5 : 0;
    const Xtr = { rows: ntr, cols: d, data: X.subarray(0, ntr * d) };
    const Xte = { rows: nte, cols: d, data: X.subarray(ntr * d) };
    const Xpred = { rows: Math.min(100_000, ntr + nte), cols: d, data: X.subarray(0, Math.min(100_000, ntr + nte) * d) };
    const ytr = classes > 0 ? Int32Array.from(y.subarray(0, ntr)) : y.subarray(0, ntr);
    const yte = classes > 0 ? Int32Array.from(y.subarray(ntr)) : y.subarray(ntr);
    for (const name of Object.keys(ref).length ? Object.keys(ref) : classes ? ['logistic_regression', 'gradient_boosting'] : ['linear_regression', 'gradient_boosting']) {
      const params = MODELS[name].params.parse(name === 'random_forest' ? { n_estimators: 100 } : name === 'mlp' ? { hidden_layer_sizes: [64, 64], epochs: 10, batch_size: 200 } : {});
      const t = performance.now();
      const m = await trainModel(name, params, Xtr, ytr, classes, 42);
      const fit = (performance.now() - t) / 1000;
      const { pred, s } = predictAndScore(m, Xpred, Xte, yte, classes, { classificationMetrics, regressionMetrics });
      const r = ref[name];
      rows.push([task, name, fmt(fit), r ? fmt(r.fit) : 'n/a', r ? fmt(fit / r.fit, 1) + 'x' : '', fmt(pred, 3), r ? fmt(r.predict, 3) : 'n/a', r ? fmt(pred / r.predict, 1) + 'x' : '', fmt(s, 4), r ? fmt(r.score, 4) : 'n/a', classes ? 'accuracy' : 'rmse']);
    }
  }
  console.log(`\n## models: bfly vs scikit-learn, ${ntr.toLocaleString()} train / ${nte.toLocaleString()} test, ${d} features (predict on ${Math.min(100_000, ntr + nte).toLocaleString()} rows)`);
  console.log('targets: fit logistic <= 2x, gradient boosting <= 1.5x, random forest (100 trees vs n_jobs=2) <= 1x, MLP 64-64 (10 epochs, batch 200) <= 5x; predict <= 2x; score within 0.005 (0.01 for the forest)');
  table(['task', 'model', 'bfly fit s', 'sklearn fit s', 'ratio', 'bfly predict s', 'sklearn predict s', 'ratio', 'bfly score', 'sklearn score', 'metric'], rows);
  await benchAgainstXgboost(quick, { trainModel, MODELS, classificationMetrics, regressionMetrics });
  // Peak memory of gradient boosting on 1M x 20 (the data itself is 160 MB of float64).
  const big = quick ? 200_000 : 1_000_000;
  const m = measure(process.execPath, [join(ROOT, 'bench', 'gbdt-rss.js'), String(big)]);
  const res = JSON.parse(m.stdout);
  console.log(`\ngradient boosting on ${big.toLocaleString()} x 20 (binary): peak RSS ${fmt(m.rssMB, 0)} MB (target <= 1536 MB, ratio ${fmt(m.rssMB / 1536)}x), fit ${fmt(res.seconds)} s, ${res.iterations} iterations`);
}

/**
 * Gradient boosting against XGBoost `hist` with the same trees (see XGB_SCRIPT), on the same
 * data: 100k x 20 for the three tasks and 1M x 20 binary (not with --quick), XGBoost with one
 * thread (as bfly's fit) and with two, round-robin.
 */
async function benchAgainstXgboost(quick, { trainModel, MODELS, classificationMetrics, regressionMetrics }) {
  if (!PY_XGB) {
    console.log('\nXGBoost not found (apt-get install -y python3-xgboost): no XGBoost reference');
    return;
  }
  const d = 20;
  const rows = [];
  const cases = quick ? [['binary', 20_000, 5_000]] : [['binary', 100_000, 20_000], ['multiclass', 100_000, 20_000], ['regression', 100_000, 20_000], ['binary', 1_000_000, 20_000]];
  const scriptPath = join(DATA_DIR, 'models_xgb.py');
  writeFileSync(scriptPath, XGB_SCRIPT);
  for (const [task, ntr, nte] of cases) {
    const { X, score } = generate(ntr + nte, d, task.length * 7919 + ntr);
    const y = Float64Array.from(score, variants[task]);
    const path = join(DATA_DIR, `xgb-${task}-${ntr}`);
    writeFileSync(path + '.X', Buffer.from(X.buffer));
    writeFileSync(path + '.y', Buffer.from(y.buffer));
    const classes = task === 'binary' ? 2 : task === 'multiclass' ? 5 : 0;
    const Xtr = { rows: ntr, cols: d, data: X.subarray(0, ntr * d) };
    const Xte = { rows: nte, cols: d, data: X.subarray(ntr * d) };
    const Xpred = { rows: 100_000, cols: d, data: X.subarray(0, 100_000 * d) };
    const ytr = classes > 0 ? Int32Array.from(y.subarray(0, ntr)) : y.subarray(0, ntr);
    const yte = classes > 0 ? Int32Array.from(y.subarray(ntr)) : y.subarray(ntr);
    const params = MODELS.gradient_boosting.params.parse({ max_iter: 100, early_stopping: false });
    const xgbRun = (threads) => {
      const r = spawnSync(PY_XGB, [scriptPath, String(d), String(ntr), String(nte), task, path, String(threads)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
      if (r.status !== 0) throw new Error(`XGBoost reference failed:\n${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    // bfly with BFLY_THREADS=1 (one thread) or 2 (a kernel partner thread: src/runner/kernel-partner.ts)
    const bflyRun = async (threads) => {
      const before = process.env.BFLY_THREADS;
      process.env.BFLY_THREADS = String(threads);
      try {
        const t = performance.now();
        const m = await trainModel('gradient_boosting', params, Xtr, ytr, classes, 42);
        return { m, fit: (performance.now() - t) / 1000 };
      } finally {
        if (before === undefined) delete process.env.BFLY_THREADS;
        else process.env.BFLY_THREADS = before;
      }
    };
    // round-robin: XGBoost 1 thread, bfly 1 thread, XGBoost 2 threads, bfly 2 threads
    const x1 = xgbRun(1);
    const b1 = await bflyRun(1);
    const x2 = xgbRun(2);
    const b2 = await bflyRun(2);
    const same = JSON.stringify(b1.m.toJSON()) === JSON.stringify(b2.m.toJSON());
    if (!same) throw new Error(`bfly's ${task} model with two threads differs from the one-thread model`);
    // each model predicts with the threads it was fitted with (the two-thread one through a partner thread)
    const p1 = predictAndScore(b1.m, Xpred, Xte, yte, classes, { classificationMetrics, regressionMetrics });
    const p2 = predictAndScore(b2.m, Xpred, Xte, yte, classes, { classificationMetrics, regressionMetrics });
    if (p1.s !== p2.s) throw new Error(`bfly's ${task} predictions with two threads differ from one thread's`);
    const s = p2.s;
    rows.push([`${task}, ${ntr.toLocaleString('en-US')} x ${d}`, `${fmt(b1.fit)} / ${fmt(b2.fit)}`, `${fmt(x1.fit)} / ${fmt(x2.fit)}`, `**${fmt(b1.fit / x1.fit)}x / ${fmt(b2.fit / x2.fit)}x**`, `${fmt(p1.pred, 3)} / ${fmt(p2.pred, 3)}`, `${fmt(x1.predict, 3)} / ${fmt(x2.predict, 3)}`, `**${fmt(p1.pred / x1.predict)}x / ${fmt(p2.pred / x2.predict)}x**`, fmt(s, 4), fmt(x1.score, 4), classes ? 'accuracy' : 'rmse']);
  }
  console.log('\n## gradient boosting vs XGBoost 1.7 hist, the same trees (100 rounds, lossguide, 31 leaves, 255 bins, lr 0.1, no L2, no early stopping)');
  console.log('each with 1 and with 2 threads, fit and predict (bfly: BFLY_THREADS; its two models and their test scores are checked identical)');
  console.log('targets: fit <= 1.0x XGBoost with the same threads, predict <= 1.0x (100k rows), score within 0.005');
  table(['data', 'bfly fit s (1 / 2 threads)', 'XGBoost fit s (1 / 2 threads)', 'ratio (1 / 2)', 'bfly predict s (1 / 2)', 'XGBoost predict s (1 / 2)', 'ratio (1 / 2)', 'bfly score', 'XGBoost score', 'metric'], rows);
}
