// Compares bfly's preprocessing + models with scikit-learn's equivalent pipeline on real data,
// same rows, same split. Needs Debian's python3-sklearn (installed by .ci/run when it can);
// skipped, with the reason printed, when it is not there. The rest of the suite needs no Python.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../../src/core/catalog.js';
import { type FrameColumn, makeFrame } from '../../src/ml/frame.js';
import { classificationMetrics, regressionMetrics } from '../../src/ml/metrics.js';
import { fitModel } from '../../src/ml/models.js';
import { fitPreprocess, type PreprocessOptions, transformPreprocess } from '../../src/ml/preprocess.js';
import { rngStream } from '../../src/ml/random.js';
import { trainTestSplit } from '../../src/ml/split.js';
import { VEGA } from '../helpers.js';

const PYTHON = '/usr/bin/python3';
const SKLEARN_DATA = '/usr/lib/python3/dist-packages/sklearn/datasets/data';
const probe = spawnSync(PYTHON, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' });
const available = probe.status === 0;
if (!available) console.log(`skipping the scikit-learn comparison: ${PYTHON} cannot import sklearn (install python3-sklearn)`);

/** A table: numeric and categorical feature columns (null = missing) and a target. */
interface Table {
  name: string;
  numeric: Record<string, Array<number | null>>;
  categorical: Record<string, Array<string | null>>;
  target: Array<number | string>;
  task: 'classification' | 'regression';
}

function sklearnCsv(file: string, name: string): Table {
  const lines = readFileSync(join(SKLEARN_DATA, file), 'utf8').trim().split('\n');
  const rows = lines.slice(1).map((l) => l.split(',').map(Number));
  const d = rows[0].length - 1;
  const numeric: Table['numeric'] = {};
  for (let j = 0; j < d; j++) numeric[`f${j}`] = rows.map((r) => r[j]);
  return { name, numeric, categorical: {}, target: rows.map((r) => r[d]), task: 'classification' };
}

function vega(file: string, target: string, task: Table['task'], drop: string[] = []): Table {
  const recs = JSON.parse(readFileSync(join(VEGA, file), 'utf8')) as Array<Record<string, unknown>>;
  const keep = recs.filter((r) => r[target] !== null && r[target] !== undefined);
  const numeric: Table['numeric'] = {};
  const categorical: Table['categorical'] = {};
  for (const key of Object.keys(keep[0])) {
    if (key === target || drop.includes(key)) continue;
    if (keep.every((r) => r[key] === null || typeof r[key] === 'number')) numeric[key] = keep.map((r) => (r[key] as number | null) ?? null);
    else categorical[key] = keep.map((r) => (r[key] === null || r[key] === undefined ? null : String(r[key])));
  }
  return { name: file, numeric, categorical, target: keep.map((r) => r[target] as number | string), task };
}

const PRE: PreprocessOptions = { impute: { numeric: 'median', categorical: 'most_frequent' }, encode: { categorical: 'onehot', min_frequency: 0.01, max_levels: 1000 }, scale: 'standard', drop_constant: false, drop: [] };

function ours(t: Table, model: string, train: Int32Array, test: Int32Array): number {
  const classes = t.task === 'classification' ? [...new Set(t.target.map(String))].sort() : [];
  const columns: FrameColumn[] = [
    ...Object.entries(t.numeric).map(([name, v]): FrameColumn => ({ kind: 'numeric', name, values: Float64Array.from(v, (x) => (x === null ? NaN : x)) })),
    ...Object.entries(t.categorical).map(([name, v]): FrameColumn => {
      const levels = [...new Set(v.filter((x): x is string => x !== null))].sort();
      return { kind: 'categorical', name, levels, codes: Int32Array.from(v, (x) => (x === null ? -1 : levels.indexOf(x))) };
    }),
  ];
  const frame = makeFrame(columns);
  const take = (rows: Int32Array) => ({ ...frame, rows: rows.length, index: rows });
  const pre = fitPreprocess(take(train), PRE);
  const Xtr = transformPreprocess(pre, take(train)).X;
  const Xte = transformPreprocess(pre, take(test)).X;
  const params = MODELS[model].params.parse({}) as Record<string, unknown>;
  if (t.task === 'classification') {
    const y = Int32Array.from(t.target, (v) => classes.indexOf(String(v)));
    const m = fitModel(model, params, Xtr, Int32Array.from(train, (i) => y[i]), classes.length, 42);
    return classificationMetrics(Int32Array.from(test, (i) => y[i]), m.predictProba(Xte), classes.length).accuracy;
  }
  const y = Float64Array.from(t.target as number[]);
  const m = fitModel(model, params, Xtr, Float64Array.from(train, (i) => y[i]), 0, 42);
  return regressionMetrics(Float64Array.from(test, (i) => y[i]), m.predict(Xte)).rmse;
}

const PY = `
import json, sys, numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler, OneHotEncoder
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor, HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, mean_squared_error
t = json.load(sys.stdin)
num, cat = list(t['numeric'].values()), list(t['categorical'].values())
n = len(t['target'])
df = np.empty((n, len(num) + len(cat)), dtype=object)
for j, col in enumerate(num): df[:, j] = [np.nan if v is None else float(v) for v in col]
for j, col in enumerate(cat): df[:, len(num) + j] = col
y = np.array(t['target']); tr, te = np.array(t['train']), np.array(t['test'])
parts = [('num', make_pipeline(SimpleImputer(strategy='median'), StandardScaler()), list(range(len(num))))]
if cat: parts.append(('cat', make_pipeline(SimpleImputer(strategy='most_frequent', missing_values=None), OneHotEncoder(handle_unknown='infrequent_if_exist', min_frequency=0.01)), list(range(len(num), len(num) + len(cat)))))
pre = ColumnTransformer(parts)
cls = t['task'] == 'classification'
model = {'logistic_regression': LogisticRegression(), 'linear_regression': Ridge(),
         'random_forest': RandomForestClassifier(random_state=0) if cls else RandomForestRegressor(random_state=0, max_features='sqrt'),
         'gradient_boosting': HistGradientBoostingClassifier(random_state=0) if cls else HistGradientBoostingRegressor(random_state=0)}[t['model']]
p = make_pipeline(pre, model).fit(df[tr], y[tr]).predict(df[te])
print(accuracy_score(y[te], p) if cls else float(np.sqrt(mean_squared_error(y[te], p))))
`;

function theirs(t: Table, model: string, train: Int32Array, test: Int32Array): number {
  const r = spawnSync(PYTHON, ['-c', PY], { input: JSON.stringify({ ...t, model, train: Array.from(train), test: Array.from(test) }), encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}

// Stated tolerances: linear models share the optimum, so scores agree closely; forests and
// boosting differ in their random draws, so they agree within a few points.
const CASES: Array<{ table: () => Table; models: Array<[string, number]> }> = [
  { table: () => vega('penguins.json', 'Species', 'classification'), models: [['logistic_regression', 0.015], ['random_forest', 0.04], ['gradient_boosting', 0.04]] },
  { table: () => sklearnCsv('iris.csv', 'iris'), models: [['logistic_regression', 0.035], ['random_forest', 0.07], ['gradient_boosting', 0.07]] },
  { table: () => sklearnCsv('wine_data.csv', 'wine'), models: [['logistic_regression', 0.03], ['random_forest', 0.06], ['gradient_boosting', 0.06]] },
  { table: () => sklearnCsv('breast_cancer.csv', 'breast cancer'), models: [['logistic_regression', 0.01], ['random_forest', 0.04], ['gradient_boosting', 0.04]] },
  { table: () => vega('cars.json', 'Miles_per_Gallon', 'regression', ['Name']), models: [['linear_regression', 0.02], ['random_forest', 0.12], ['gradient_boosting', 0.12]] },
];

describe.runIf(available)(`bfly vs scikit-learn ${probe.stdout.trim()} on real data (same rows, same split)`, () => {
  for (const c of CASES) {
    it(`${c.table().name}`, () => {
      const t = c.table();
      const n = t.target.length;
      const strata = t.task === 'classification' ? Int32Array.from(t.target, (v) => [...new Set(t.target.map(String))].sort().indexOf(String(v))) : undefined;
      const { train, test } = trainTestSplit(n, rngStream(42, 'split'), { testSize: 0.2, strata });
      for (const [model, tol] of c.models) {
        const a = ours(t, model, train, test);
        const b = theirs(t, model, train, test);
        const gap = t.task === 'classification' ? Math.abs(a - b) : Math.abs(a - b) / b;
        console.log(`${t.name.padEnd(16)} ${model.padEnd(20)} bfly ${a.toFixed(4)}  sklearn ${b.toFixed(4)}  ${t.task === 'classification' ? 'accuracy' : 'rmse'} (tolerance ${tol}${t.task === 'regression' ? ' relative' : ''})`);
        expect(gap, `${model}: bfly ${a} vs scikit-learn ${b}`).toBeLessThanOrEqual(tol);
      }
    });
  }
});
