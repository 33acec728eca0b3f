// npm run bench -- wide: wide tables. `bfly dataset import` of 500 rows x 2,000 columns and of
// 100 rows x 20,000 columns (numbers), against DuckDB `read_csv` and pandas `read_csv` of the
// same file in the same run (round-robin; each reference timed inside its process, bfly as the
// whole process), with peak RSS and the number of objects the dataset is stored in.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BFLY, fmt, measure, prng, table } from './lib.js';
import { DUCKDB, PANDAS, duckdbReadCsv, pandasReadCsv } from './refs.js';

function wideCsv(file, rows, cols) {
  const r = prng(rows + cols);
  const lines = [Array.from({ length: cols }, (_, j) => `c${j}`).join(',')];
  for (let i = 0; i < rows; i++) lines.push(Array.from({ length: cols }, () => (r() * 100).toFixed(3)).join(','));
  writeFileSync(file, lines.join('\n') + '\n');
  return lines.reduce((s, l) => s + l.length + 1, 0) / 1e6;
}

function objects(ws) {
  const root = join(ws, '.butterfly', 'objects');
  return readdirSync(root).reduce((n, d) => n + readdirSync(join(root, d)).length, 0);
}

export async function benchWide(args) {
  const quick = args.includes('--quick');
  const rounds = quick ? 1 : 3;
  const dir = mkdtempSync(join(tmpdir(), 'bfly-bench-wide-'));
  const rows = [];
  try {
    for (const [n, d, target] of [[500, 2000, 0.5], [100, 20_000, null]]) {
      const file = join(dir, `wide-${n}x${d}.csv`);
      const mb = wideCsv(file, n, d);
      const ours = [];
      const duck = [];
      const pandas = [];
      let count = 0;
      for (let k = 0; k < rounds; k++) {
        const ws = mkdtempSync(join(tmpdir(), 'bfly-bench-wide-ws-'));
        try {
          measure(process.execPath, [BFLY, 'init', ws]);
          ours.push(measure(process.execPath, [BFLY, '-C', ws, 'dataset', 'import', file]));
          count = objects(ws);
        } finally {
          rmSync(ws, { recursive: true, force: true });
        }
        if (DUCKDB) duck.push(duckdbReadCsv(file));
        if (PANDAS) pandas.push(pandasReadCsv(file));
      }
      const med = (xs) => xs.map((x) => x.seconds).sort((a, b) => a - b)[(xs.length - 1) >> 1];
      const peak = (xs) => Math.max(...xs.map((x) => x.rssMB ?? 0));
      const t = med(ours);
      const ref = (xs, name) => (xs.length ? `${fmt(med(xs), 2)} s (${fmt(t / med(xs))}x), ${fmt(peak(xs), 0)} MB` : `n/a (${name} not installed)`);
      rows.push([`${n} rows x ${d.toLocaleString('en-US')} columns (${fmt(mb, 1)} MB)`, `${fmt(t, 2)} s, ${fmt(peak(ours), 0)} MB, ${count} objects`, target === null ? 'works, memory per column small' : `<= ${target} s (${fmt(t / target)}x)`, ref(duck, '@duckdb/node-api'), ref(pandas, 'python3-pandas')]);
    }
    // memory as the rows grow at 20,000 columns (one run each): the columns' state is held a
    // pass of columns at a time, so it stays within a budget rather than growing with the rows
    const sweep = [];
    for (const n of [10, 100, 1000]) {
      const file = join(dir, `sweep-${n}.csv`);
      const mb = wideCsv(file, n, 20_000);
      const ws = mkdtempSync(join(tmpdir(), 'bfly-bench-wide-ws-'));
      try {
        measure(process.execPath, [BFLY, 'init', ws]);
        sweep.push({ n, mb, ...measure(process.execPath, [BFLY, '-C', ws, 'dataset', 'import', file]) });
      } finally {
        rmSync(ws, { recursive: true, force: true });
        rmSync(file, { force: true });
      }
    }
    const [first, , last] = sweep;
    rows.push([
      `20,000 columns by rows: ${sweep.map((x) => `${x.n.toLocaleString('en-US')} (${fmt(x.mb, 1)} MB)`).join(' / ')}`,
      sweep.map((x) => `${fmt(x.seconds, 2)} s, ${fmt(x.rssMB, 0)} MB`).join(' / '),
      `flat memory: ${fmt(last.rssMB / first.rssMB)}x from 10 to 1,000 rows`,
      '',
      '',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\n## wide tables: dataset import vs DuckDB and pandas read_csv (npm run bench -- wide; medians of ${rounds}, round-robin; ratio = bfly / reference)\n`);
  table(['table', 'bfly import (time, peak RSS, objects)', 'target', 'DuckDB read_csv (ratio), RSS', 'pandas read_csv (ratio), RSS'], rows);
}
