// npm run bench -- predict: `bfly predict` of a 1M x 20 CSV (CSV out, with probabilities)
// through a gradient boosting model trained on 20k rows of the same shape, against what a user
// would otherwise write: pandas `read_csv` + scikit-learn's HistGradientBoostingClassifier
// `predict_proba` (same trees: 50 iterations, 31 leaves, 255 bins, no early stopping) +
// `to_csv`, measured in the same run, round-robin.
//
// bfly is timed as the whole `bfly predict` process (start-up, run seal and model checks, read,
// predict, write, fsync, rename); pandas + scikit-learn only from `read_csv` to the end of
// `to_csv` inside Python (interpreter start, imports and the fit are left out): the comparison
// is strict on bfly's side. scikit-learn predicts with OMP_NUM_THREADS=2 (both cores), bfly on one.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BFLY, DATA_DIR, fmt, measure, prng, table } from './lib.js';

const PY = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import sklearn, pandas'], { stdio: 'ignore' }).status === 0);

/** The bench's CSV: d uniform numbers in [-1, 1) with 4 decimals, and a label a/b from three of them. */
function makeCsv(file, rows, d, seed) {
  const r = prng(seed);
  const fd = openSync(file, 'w');
  writeSync(fd, [...Array.from({ length: d }, (_, j) => `x${j}`), 'y'].join(',') + '\n');
  let chunk = [];
  for (let i = 0; i < rows; i++) {
    const xs = Array.from({ length: d }, () => r() * 2 - 1);
    chunk.push([...xs.map((v) => v.toFixed(4)), xs[0] + xs[1] - xs[2] > 0 ? 'a' : 'b'].join(','));
    if (chunk.length === 10_000) {
      writeSync(fd, chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  if (chunk.length) writeSync(fd, chunk.join('\n') + '\n');
  closeSync(fd);
}

const REFERENCE = `
import sys, time, resource
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
train, big, out = sys.argv[1:4]
tr = pd.read_csv(train)
m = HistGradientBoostingClassifier(max_iter=50, max_leaf_nodes=31, max_bins=255, early_stopping=False, random_state=0).fit(tr.drop(columns='y'), tr['y'])
t0 = time.perf_counter()
df = pd.read_csv(big)
p = m.predict_proba(df[m.feature_names_in_])
res = pd.DataFrame({'prediction': m.classes_[p.argmax(1)], **{f'proba_{c}': p[:, i] for i, c in enumerate(m.classes_)}})
res.to_csv(out, index=False)
print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, m.n_iter_)
`;

export async function benchPredict(args) {
  const quick = args.includes('--quick');
  const n = quick ? 100_000 : 1_000_000;
  const d = 20;
  const rounds = quick ? 1 : 3;
  const big = join(DATA_DIR, `predict-${n}.csv`);
  if (!existsSync(big)) makeCsv(big, n, d, 5);
  const small = join(DATA_DIR, 'predict-train-20000.csv');
  if (!existsSync(small)) makeCsv(small, 20_000, d, 6);
  const dir = mkdtempSync(join(tmpdir(), 'bfly-bench-predict-'));
  try {
    measure(process.execPath, [BFLY, 'init', dir]);
    measure(process.execPath, [BFLY, '-C', dir, 'dataset', 'import', small, '--name', 'train']);
    measure(process.execPath, [BFLY, '-C', dir, 'experiment', 'create', 'p', '--dataset', 'train', '--target', 'y']);
    measure(process.execPath, [BFLY, '-C', dir, 'pipeline', 'set', 'p', 'blocks.model_selection.config.candidates=[{model: gradient_boosting, params: {max_iter: 50}}]', 'blocks.model_selection.config.cv=2']);
    measure(process.execPath, [BFLY, '-C', dir, 'run', 'p', '-q']);
    const ours = [];
    const theirs = [];
    for (let i = 0; i < rounds; i++) {
      const out = join(dir, 'preds.csv');
      ours.push(measure(process.execPath, [BFLY, '-C', dir, 'predict', 'p@latest', big, '--proba', '--out', out]));
      if (PY) {
        const r = spawnSync(PY, ['-c', REFERENCE, small, big, join(dir, 'ref.csv')], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } });
        if (r.status !== 0) throw new Error(`pandas + scikit-learn failed:\n${r.stderr}`);
        const [seconds, rssMB, trees] = r.stdout.trim().split(/\s+/).map(Number);
        theirs.push({ seconds, rssMB, trees });
      }
    }
    // memory is bounded by the batch, not the file: the same at a tenth of the rows
    let tenth = null;
    if (!quick) {
      const file = join(DATA_DIR, `predict-${n / 10}.csv`);
      if (!existsSync(file)) makeCsv(file, n / 10, d, 5);
      tenth = measure(process.execPath, [BFLY, '-C', dir, 'predict', 'p@latest', file, '--proba', '--out', join(dir, 'preds.csv')]);
    }
    const med = (xs, k) => xs.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const mb = statSync(big).size / 1e6;
    const t = med(ours, 'seconds');
    const rss = Math.max(...ours.map((x) => x.rssMB));
    const rows = [];
    if (theirs.length) {
      const ref = med(theirs, 'seconds');
      rows.push([`predict ${n.toLocaleString('en-US')} rows x ${d} CSV (${fmt(mb, 0)} MB) -> CSV with probabilities, 50 trees`, `${fmt(t)} s`, `${fmt(ref)} s (pandas + scikit-learn, ${theirs[0].trees} trees)`, `${fmt(t / ref)}x`, `target <= 1.0x; ${fmt(n / t / 1000, 0)}k rows/s`]);
      rows.push(['peak RSS', `${fmt(rss, 0)} MB`, `${fmt(Math.max(...theirs.map((x) => x.rssMB)), 0)} MB (pandas + scikit-learn)`, `${fmt(rss / 300)}x of 300 MB`, 'target <= 300 MB whatever the file size']);
    } else {
      console.log('pandas or scikit-learn not found (apt-get install -y python3-pandas python3-sklearn): printing bfly figures only');
      rows.push([`predict ${n.toLocaleString('en-US')} rows x ${d} CSV (${fmt(mb, 0)} MB)`, `${fmt(t)} s`, 'n/a', '', `${fmt(n / t / 1000, 0)}k rows/s`]);
      rows.push(['peak RSS', `${fmt(rss, 0)} MB`, '300 MB', `${fmt(rss / 300)}x`, '']);
    }
    if (tenth !== null) rows.push([`peak RSS at ${(n / 10).toLocaleString('en-US')} rows`, `${fmt(tenth.rssMB, 0)} MB`, '', '', `${fmt(tenth.seconds)} s: memory follows the batch (65,536 rows), not the file`]);
    console.log(`\n## bfly predict vs pandas + scikit-learn (npm run bench -- predict; medians of ${rounds}, round-robin)\n`);
    table(['measure', 'bfly', 'reference', 'ratio', 'notes'], rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
