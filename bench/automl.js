// npm run bench -- automl [--budget S] [--tables a,b] [--workers] [--memory[=S]] [--categorical]: bfly's model search (tpe over every model
// family's default space, `--time-budget S`) against, on the same tables, training rows, number
// of folds and budget: scikit-learn's defaults (HistGradientBoosting, RandomForest, Logistic /
// Ridge), and xgboost tuned by optuna's TPE for S seconds (Debian's python3-xgboost and
// python3-optuna: installed with apt when missing). Scores are the CV mean on the training rows
// bfly held in (its test rows are left out on both sides); the folds are drawn by each side
// (bfly's stream, scikit-learn's KFold with seed 0), so differences within the seed noise
// (the fold std / sqrt(k)) are ties. Threads are pinned: 2 on both sides.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BFLY, ROOT, fmt, table } from './lib.js';

const VEGA = join(ROOT, 'node_modules', 'vega-datasets', 'data');
const PY = '/usr/bin/python3';

// name, where it comes from, target, task
const TABLES = [
  ['iris', 'sklearn:load_iris', 'target', 'classification'],
  ['wine', 'sklearn:load_wine', 'target', 'classification'],
  ['breast_cancer', 'sklearn:load_breast_cancer', 'target', 'classification'],
  ['digits', 'sklearn:load_digits', 'target', 'classification'],
  ['diabetes', 'sklearn:load_diabetes', 'target', 'regression'],
  ['penguins', 'vega:penguins.json', 'Species', 'classification'],
  ['cars', 'vega:cars.json', 'Miles_per_Gallon', 'regression'],
  ['seattle_weather', 'vega:seattle-weather.csv', 'weather', 'classification'],
  ['movies', 'vega:movies.json', 'IMDB Rating', 'regression'],
];

const EXPORT = `
import sys, json
import pandas as pd
src, out = sys.argv[1], sys.argv[2]
kind, name = src.split(':', 1)
if kind == 'sklearn':
    import sklearn.datasets as d
    b = getattr(d, name)(as_frame=True)
    df = b.frame
    if 'target' in df and b.target.dtype.kind in 'iu' and name != 'load_diabetes':
        df['target'] = df['target'].map(lambda v: 'c%d' % v)
else:
    df = pd.read_json(name) if name.endswith('.json') else pd.read_csv(name)
df.to_csv(out, index=False)
print(json.dumps({'rows': len(df), 'columns': df.shape[1]}))
`;

const REFERENCE = `
import sys, json, time, warnings
warnings.filterwarnings('ignore')
import numpy as np, pandas as pd
csv, target, task, metric, rows_file, budget, folds = sys.argv[1:8]
budget = float(budget); folds = int(folds)
df = pd.read_csv(csv)
train = json.load(open(rows_file))
df = df.iloc[train]
df = df[df[target].notna()]
y = df[target]
X = df.drop(columns=[target])
# what a user does first: numbers as they are, categories one-hot, free text and ids dropped
for c in list(X.columns):
    if X[c].dtype == object:
        if X[c].nunique() > 50: X = X.drop(columns=[c])
X = pd.get_dummies(X, dummy_na=True).astype(float)
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler, LabelEncoder
cls = task == 'classification'
if cls: y = LabelEncoder().fit_transform(y)
cv = (StratifiedKFold if cls else KFold)(n_splits=folds, shuffle=True, random_state=0)
scoring = 'accuracy' if metric == 'accuracy' else 'r2'
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
defaults = {
  'HistGradientBoosting': HistGradientBoostingClassifier(random_state=0) if cls else HistGradientBoostingRegressor(random_state=0),
  'RandomForest': make_pipeline(SimpleImputer(), RandomForestClassifier(random_state=0, n_jobs=2) if cls else RandomForestRegressor(random_state=0, n_jobs=2)),
  'Logistic' if cls else 'Ridge': make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=1000) if cls else Ridge()),
}
out = {'defaults': {}}
for name, m in defaults.items():
    s = cross_val_score(m, X, y, cv=cv, scoring=scoring)
    out['defaults'][name] = {'mean': float(s.mean()), 'std': float(s.std())}
import optuna, xgboost as xgb
optuna.logging.set_verbosity(optuna.logging.WARNING)
def objective(trial):
    p = dict(n_estimators=trial.suggest_int('n_estimators', 50, 1000, log=True), max_depth=trial.suggest_int('max_depth', 2, 10),
             learning_rate=trial.suggest_float('learning_rate', 0.01, 0.3, log=True), subsample=trial.suggest_float('subsample', 0.5, 1.0),
             colsample_bytree=trial.suggest_float('colsample_bytree', 0.5, 1.0), min_child_weight=trial.suggest_float('min_child_weight', 1, 20, log=True),
             reg_lambda=trial.suggest_float('reg_lambda', 1e-3, 10, log=True))
    m = (xgb.XGBClassifier if cls else xgb.XGBRegressor)(tree_method='hist', n_jobs=2, random_state=0, **p)
    return cross_val_score(m, X, y, cv=cv, scoring=scoring).mean()
study = optuna.create_study(direction='maximize', sampler=optuna.samplers.TPESampler(seed=0))
t = time.perf_counter()
study.optimize(objective, timeout=budget)
out['optuna'] = {'best': float(study.best_value), 'trials': len(study.trials), 'seconds': time.perf_counter() - t}
print(json.dumps(out).replace('NaN', 'null'))
`;

// --categorical: scikit-learn's HistGradientBoosting with its native categorical support (category
// columns as ordinal codes, `categorical_features`) and on one-hot columns, on bfly's training rows
const CATEGORICAL_REFERENCE = `
import sys, json, time, warnings
warnings.filterwarnings('ignore')
import numpy as np, pandas as pd
csv, target, task, rows_file, folds = sys.argv[1:6]
folds = int(folds)
df = pd.read_csv(csv).iloc[json.load(open(rows_file))]
df = df[df[target].notna()]
y = df[target]
X = df.drop(columns=[target])
for c in list(X.columns):
    if X[c].dtype == object and X[c].nunique() > 250: X = X.drop(columns=[c])
cats = [c for c in X.columns if X[c].dtype == object]
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.preprocessing import LabelEncoder
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
cls = task == 'classification'
if cls: y = LabelEncoder().fit_transform(y)
cv = (StratifiedKFold if cls else KFold)(n_splits=folds, shuffle=True, random_state=0)
scoring = 'accuracy' if cls else 'r2'
make = lambda **kw: HistGradientBoostingClassifier(random_state=0, **kw) if cls else HistGradientBoostingRegressor(random_state=0, **kw)
native = X.copy()
for c in cats: native[c] = native[c].astype('category').cat.codes.replace(-1, np.nan).astype(float)
onehot = pd.get_dummies(X, columns=cats, dummy_na=True).astype(float)
out = {}
for name, data, kw in [('native', native, {'categorical_features': [c in cats for c in native.columns]}), ('onehot', onehot, {})]:
    t = time.perf_counter()
    s = cross_val_score(make(**kw), data, y, cv=cv, scoring=scoring)
    out[name] = {'mean': float(s.mean()), 'std': float(s.std()), 'seconds': time.perf_counter() - t, 'columns': data.shape[1]}
print(json.dumps(out))
`;

/**
 * Gradient boosting's native categorical splits against the same trees on one-hot columns, on
 * the tables with category columns and a generated one with a 25-level category of random
 * effects: 5-fold CV score and model_selection time, beside scikit-learn's HistGradientBoosting
 * both ways (threads pinned to 2 on both sides).
 */
function benchCategorical(dir) {
  const folds = 5;
  const synth = join(dir, 'stores.csv');
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const effect = Array.from({ length: 25 }, () => rnd() * 4 - 2);
  const slope = Array.from({ length: 8 }, () => rnd() * 2 - 1);
  const lines = ['x0,x1,x2,x3,store,region,sales'];
  for (let i = 0; i < 20_000; i++) {
    const x = Array.from({ length: 4 }, () => rnd() * 2 - 1);
    const a = Math.floor(rnd() * 25);
    const b = Math.floor(rnd() * 8);
    lines.push(`${x.map((v) => v.toFixed(4)).join(',')},s${a},r${b},${(effect[a] + slope[b] * x[0] * 2 + x[1] + (rnd() - 0.5)).toFixed(4)}`);
  }
  writeFileSync(synth, lines.join('\n') + '\n');
  const tables = [
    ['penguins', `vega:${join(VEGA, 'penguins.json')}`, 'Species', 'classification'],
    ['cars', `vega:${join(VEGA, 'cars.json')}`, 'Miles_per_Gallon', 'regression'],
    ['movies', `vega:${join(VEGA, 'movies.json')}`, 'IMDB Rating', 'regression'],
    ['stores (generated)', null, 'sales', 'regression'],
  ];
  const rows = [];
  for (const [name, src, target, task] of tables) {
    const id = name.split(' ')[0];
    const csv = src === null ? synth : join(dir, `${id}.csv`);
    if (src !== null) sh(PY, ['-c', EXPORT, src, csv]);
    const metric = task === 'classification' ? 'accuracy' : 'r2';
    bfly(dir, ['dataset', 'import', csv, '--name', id]);
    bfly(dir, ['experiment', 'create', id, '--dataset', id, '--target', target, '--metric', metric]);
    const side = {};
    for (const mode of ['native', 'encoded']) {
      const run = JSON.parse(bfly(dir, ['run', id, '--json', '--no-cache', '--workers', '1', '--set', `blocks.model_selection.config.cv=${folds}`, '--set', `blocks.model_selection.config.candidates=[{model: gradient_boosting, params: {categorical: ${mode}}}]`]).trim().split('\n').at(-1));
      if (run.status !== 'succeeded') throw new Error(`${id}: run ${run.status}: ${run.error?.message}`);
      const art = (f) => readFileSync(join(dir, '.butterfly', 'runs', run.id, 'artifacts', f), 'utf8');
      const events = readFileSync(join(dir, '.butterfly', 'runs', run.id, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const m = JSON.parse(art('leaderboard.json')).candidates[0].metrics[metric];
      side[mode] = { mean: m.mean, noise: m.std / Math.sqrt(folds), s: events.find((e) => e.type === 'block_finished' && e.block === 'model_selection').durationMs / 1000 };
      if (mode === 'native') {
        const fitted = JSON.parse(art('model.json')).model.fitted;
        side.categories = (fitted.categorical?.categories ?? []).map((c) => `${c.name} (${c.levels})`).join(', ');
        const test = new Set(art('predictions.csv').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0])));
        const n = Number(JSON.parse(sh(PY, ['-c', 'import pandas as pd, sys, json; print(json.dumps(len(pd.read_csv(sys.argv[1]))))', csv])));
        writeFileSync(join(dir, `${id}.rows.json`), JSON.stringify(Array.from({ length: n }, (_, i) => i).filter((i) => !test.has(i))));
      }
    }
    const ref = JSON.parse(sh(PY, ['-c', CATEGORICAL_REFERENCE, csv, target, task, join(dir, `${id}.rows.json`), String(folds)]).trim().split('\n').at(-1));
    rows.push([
      name,
      metric,
      side.categories || '-',
      `${fmt(side.native.mean, 4)} ± ${fmt(side.native.noise, 4)}`,
      `${fmt(side.encoded.mean, 4)} ± ${fmt(side.encoded.noise, 4)}`,
      `${side.native.mean - side.encoded.mean >= 0 ? '+' : ''}${fmt(side.native.mean - side.encoded.mean, 4)}`,
      `${fmt(ref.native.mean, 4)} / ${fmt(ref.onehot.mean, 4)}`,
      `${fmt(side.native.s, 2)} / ${fmt(side.encoded.s, 2)} s`,
      `${fmt(ref.native.seconds, 2)} / ${fmt(ref.onehot.seconds, 2)} s`,
    ]);
    console.log(`automl categorical: ${rows.at(-1).join(' | ')}`);
  }
  console.log(`\nautoml categorical: gradient boosting with default params, ${folds}-fold CV on bfly's training rows (2 threads each side)`);
  table(['table', 'metric', 'category columns (levels)', 'bfly native', 'bfly one-hot', 'native − one-hot', 'sklearn HGB native / one-hot', 'bfly CV time native / one-hot', 'sklearn CV time native / one-hot'], rows);
}

function sh(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, OMP_NUM_THREADS: '2', ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ').slice(0, 300)} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
const bfly = (dir, args) => sh(process.execPath, ['--no-node-snapshot', BFLY, '-C', dir, ...args]);

function ensurePython() {
  const ok = () => spawnSync(PY, ['-c', 'import optuna, xgboost, sklearn, pandas'], { stdio: 'ignore' }).status === 0;
  if (ok()) return true;
  console.log('automl: installing python3-optuna python3-xgboost python3-sklearn python3-pandas with apt…');
  spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq python3-optuna python3-xgboost python3-sklearn python3-pandas'], { stdio: 'ignore' });
  return ok();
}

/** Peak RSS (MB) and wall seconds of a command: run under Python, which reads its child's max RSS from getrusage. */
function peakRss(cmd, args) {
  const wrap = 'import resource, subprocess, sys, time, json\nt = time.time()\nr = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)\nprint(json.dumps({"rc": r.returncode, "seconds": time.time() - t, "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "out": (r.stdout.decode().strip().split("\\n") or [""])[-1]}))';
  const j = JSON.parse(sh(PY, ['-c', wrap, cmd, ...args]).trim().split('\n').at(-1));
  if (j.rc !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${j.rc}`);
  return { mb: j.maxrss_kb / 1024, seconds: j.seconds, out: j.out };
}

/** The search's memory on 1M rows x 20 columns (16 numbers, 3 categories, a class) with a time budget: the process's peak RSS. */
function benchMemory(dir, budget) {
  const csv = join(dir, 'big.csv');
  const n = 1_000_000;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines = [`${Array.from({ length: 16 }, (_, j) => `x${j}`).join(',')},c0,c1,c2,label`];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: 16 }, () => rnd() * 2 - 1);
    const c = [Math.floor(rnd() * 5), Math.floor(rnd() * 12), Math.floor(rnd() * 40)];
    const z = x[0] * x[1] + 0.5 * x[2] - 0.3 * x[3] + (c[0] === 2 ? 0.4 : 0) + 0.3 * (rnd() - 0.5);
    lines.push(`${x.map((v) => v.toFixed(4)).join(',')},a${c[0]},b${c[1]},k${c[2]},${z > 0 ? 'yes' : 'no'}`);
  }
  writeFileSync(csv, lines.join('\n') + '\n');
  lines.length = 0;
  bfly(dir, ['dataset', 'import', csv, '--name', 'big']);
  bfly(dir, ['experiment', 'create', 'big', '--dataset', 'big', '--target', 'label']);
  bfly(dir, ['pipeline', 'set', 'big', 'blocks.model_selection.config.cv=5', 'blocks.model_selection.config.strategy=tpe', 'blocks.model_selection.config.candidates=[{model: logistic_regression, search: default}, {model: knn, search: default}, {model: gradient_boosting, search: default}, {model: random_forest, search: default}]']);
  const r = peakRss(process.execPath, ['--no-node-snapshot', BFLY, '-C', dir, 'run', 'big', '--json', '--time-budget', `${budget}s`]);
  const run = JSON.parse(r.out.trim().split('\n').at(-1));
  if (run.status !== 'succeeded') throw new Error(`big: run ${run.status}: ${run.error?.message}`);
  const events = readFileSync(join(dir, '.butterfly', 'runs', run.id, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const blockS = events.find((e) => e.type === 'block_finished' && e.block === 'model_selection').durationMs / 1000;
  const board = JSON.parse(readFileSync(join(dir, '.butterfly', 'runs', run.id, 'artifacts', 'leaderboard.json'), 'utf8'));
  console.log(`\nautoml memory: 1,000,000 rows x 20 columns, ${budget} s budget`);
  table(
    ['measure', 'bfly', 'target'],
    [
      ['peak RSS of bfly run', `${fmt(r.mb, 0)} MB`, '<= 1024 MB'],
      ['model_selection / budget', `${fmt(blockS, 1)} s (${fmt(blockS / budget, 3)}x)`, '<= 1.1x'],
      ['trials', `${board.search.trials} (${board.search.complete} complete, ended: ${board.search.ended})`, ''],
      ['best', `${board.candidates[0].id} accuracy ${fmt(board.candidates[0].metrics.accuracy.mean, 4)}`, ''],
      ['bfly run wall', `${fmt(r.seconds, 1)} s`, ''],
    ],
  );
  console.log(`peak RSS <= 1 GB: ${r.mb <= 1024 ? 'met' : 'NOT MET'}; budget within 10%: ${blockS <= budget * 1.1 ? 'met' : 'NOT MET'}`);
}

/** The same search (a trials budget) on one worker and on two: the same trials, in how long. */
function benchWorkers(dir) {
  const csv = join(dir, 'digits.csv');
  sh(PY, ['-c', EXPORT, 'sklearn:load_digits', csv]);
  bfly(dir, ['dataset', 'import', csv, '--name', 'digits']);
  bfly(dir, ['experiment', 'create', 'digits', '--dataset', 'digits', '--target', 'target']);
  bfly(dir, ['pipeline', 'set', 'digits', 'blocks.model_selection.config.cv=5', 'blocks.model_selection.config.strategy=tpe', 'blocks.model_selection.config.budget={trials: 40}', 'blocks.model_selection.config.candidates=[{model: logistic_regression, search: default}, {model: knn, search: default}, {model: gradient_boosting, search: default}, {model: random_forest, search: default}]']);
  const out = {};
  // round-robin, three times each: the machine's load changes slowly
  for (let rep = 0; rep < 3; rep++) {
    for (const w of [1, 2]) {
      const run = JSON.parse(bfly(dir, ['run', 'digits', '--json', '--workers', String(w), '--no-cache', '--force']).trim().split('\n').at(-1));
      const events = readFileSync(join(dir, '.butterfly', 'runs', run.id, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const s = events.find((e) => e.type === 'block_finished' && e.block === 'model_selection').durationMs / 1000;
      const trials = readFileSync(join(dir, '.butterfly', 'runs', run.id, 'artifacts', 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((t) => [t.candidate, t.searched, t.score]);
      (out[w] ??= { s: [], trials: null }).s.push(s);
      if (out[w].trials === null) out[w].trials = JSON.stringify(trials);
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log('\nautoml workers: digits, tpe, 40 trials of 4 model families, 5-fold CV (median of 3, round-robin)');
  table(
    ['workers', 'model_selection', 'vs 1 worker', 'trials'],
    [1, 2].map((w) => [String(w), `${fmt(med(out[w].s), 2)} s`, `${fmt(med(out[1].s) / med(out[w].s), 2)}x faster`, out[w].trials === out[1].trials ? 'the same as 1 worker' : 'DIFFERENT']),
  );
}

export async function benchAutoml(args) {
  const budgetArg = args.find((a) => a.startsWith('--budget='));
  const budget = budgetArg ? Number(budgetArg.split('=')[1]) : args.includes('--quick') ? 10 : 60;
  const only = args.find((a) => a.startsWith('--tables='))?.split('=')[1].split(',');
  const folds = 5;
  if (!ensurePython()) {
    console.log('automl: skipped — no Python with optuna, xgboost, scikit-learn and pandas (apt-get install python3-optuna python3-xgboost python3-sklearn python3-pandas)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bfly-bench-automl-'));
  const rows = [];
  const checks = [];
  try {
    bfly(dir, ['init']);
    // --workers: one worker against two; --memory[=S]: 1M x 20 with an S s budget (default 300)
    if (args.includes('--workers')) return benchWorkers(dir);
    if (args.includes('--categorical')) return benchCategorical(dir);
    const mem = args.find((a) => a === '--memory' || a.startsWith('--memory='));
    if (mem !== undefined) return benchMemory(dir, mem.includes('=') ? Number(mem.split('=')[1]) : 300);
    for (const [name, src, target, task] of TABLES) {
      if (only && !only.includes(name)) continue;
      const csv = join(dir, `${name}.csv`);
      sh(PY, ['-c', EXPORT, src.startsWith('vega:') ? `vega:${join(VEGA, src.slice(5))}` : src, csv]);
      const metric = task === 'classification' ? 'accuracy' : 'r2';
      bfly(dir, ['dataset', 'import', csv, '--name', name]);
      bfly(dir, ['experiment', 'create', name, '--dataset', name, '--target', target, '--metric', metric]);
      const linear = task === 'classification' ? 'logistic_regression' : 'linear_regression';
      bfly(dir, ['pipeline', 'set', name, `blocks.model_selection.config.cv=${folds}`, 'blocks.model_selection.config.strategy=tpe', `blocks.model_selection.config.candidates=[{model: ${linear}, search: default}, {model: knn, search: default}, {model: gradient_boosting, search: default}, {model: random_forest, search: default}]`]);
      const t0 = performance.now();
      const run = JSON.parse(bfly(dir, ['run', name, '--json', '--time-budget', `${budget}s`]).trim().split('\n').at(-1));
      const wall = (performance.now() - t0) / 1000;
      if (run.status !== 'succeeded') throw new Error(`${name}: run ${run.status}: ${run.error?.message}`);
      const art = (f) => readFileSync(join(dir, '.butterfly', 'runs', run.id, 'artifacts', f), 'utf8');
      const board = JSON.parse(art('leaderboard.json'));
      const events = readFileSync(join(dir, '.butterfly', 'runs', run.id, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const blockS = events.find((e) => e.type === 'block_finished' && e.block === 'model_selection').durationMs / 1000;
      const best = board.candidates[0];
      const score = best.metrics[metric].mean;
      const noise = best.metrics[metric].std / Math.sqrt(folds);
      // the reference gets the rows bfly trained on (all but its test rows)
      const test = new Set(art('predictions.csv').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0])));
      const n = Number(JSON.parse(sh(PY, ['-c', 'import pandas as pd, sys, json; print(json.dumps(len(pd.read_csv(sys.argv[1]))))', csv])));
      const trainRows = Array.from({ length: n }, (_, i) => i).filter((i) => !test.has(i));
      writeFileSync(join(dir, `${name}.rows.json`), JSON.stringify(trainRows));
      const ref = JSON.parse(sh(PY, ['-c', REFERENCE, csv, target, task, metric, join(dir, `${name}.rows.json`), String(budget), String(folds)]).trim().split('\n').at(-1));
      const [bestDefaultName, bestDefault] = Object.entries(ref.defaults)
        .filter(([, v]) => v.mean !== null)
        .sort((a, b) => b[1].mean - a[1].mean)[0];
      const vsOptuna = score - ref.optuna.best;
      const vsDefault = score - bestDefault.mean;
      const tie = Math.max(noise, bestDefault.std / Math.sqrt(folds));
      checks.push({ name, beatsOptuna: vsOptuna >= -noise, withinDefault: vsDefault >= -tie, budgetMet: blockS <= budget * 1.1 });
      rows.push([
        name,
        `${metric}`,
        `${fmt(score, 4)} ± ${fmt(noise, 4)}`,
        `${best.id} (${board.search.trials} trials)`,
        fmt(ref.optuna.best, 4),
        `${ref.optuna.trials}`,
        `${fmt(bestDefault.mean, 4)} ${bestDefaultName}`,
        `${vsOptuna >= 0 ? '+' : ''}${fmt(vsOptuna, 4)}`,
        `${fmt(blockS, 1)} s (${fmt(blockS / budget, 3)}x)`,
        `${fmt(wall, 1)} s`,
      ]);
      console.log(`automl: ${rows.at(-1).join(' | ')}`); // as it goes: a table takes about 2 budgets
    }
    console.log(`\nautoml: ${budget} s budget per table, ${folds}-fold CV on bfly's training rows (2 threads each side)`);
    table(['table', 'metric', 'bfly CV ± noise', 'bfly best (trials)', 'optuna+xgboost', 'its trials', 'sklearn best default', 'bfly − optuna', 'model_selection / budget', 'bfly run wall'], rows);
    const won = checks.filter((c) => c.beatsOptuna).length;
    console.log(`bfly >= optuna+xgboost (within noise) on ${won} of ${checks.length} tables (goal: ${Math.ceil((2 * checks.length) / 3)}): ${won * 3 >= 2 * checks.length ? 'met' : 'NOT MET'}`);
    const under = checks.filter((c) => !c.withinDefault).map((c) => c.name);
    console.log(`never below scikit-learn's best default by more than seed noise: ${under.length === 0 ? 'met' : `NOT MET (${under.join(', ')})`}`);
    const over = checks.filter((c) => !c.budgetMet).map((c) => c.name);
    console.log(`the budget met within 10% on every table: ${over.length === 0 ? 'met' : `NOT MET (${over.join(', ')})`}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
