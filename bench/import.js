// npm run bench -- import: end-to-end `bfly dataset import` vs sha256sum, DuckDB `read_csv`
// and pandas `read_csv` on the same file (see refs.js), peak RSS for a ~200 MB and a ~600 MB
// file, and start-up of `bfly --version` / `bfly dataset list --json` (100 datasets) vs
// `node -e 0`. Wide tables: npm run bench -- wide.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BFLY, fmt, interleavedMedians, measure, table } from './lib.js';
import { DUCKDB, PANDAS, duckdbReadCsv, pandasReadCsv } from './refs.js';
import { benchCsv, sizeMB } from './gen-csv.js';

function freshWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'bfly-bench-'));
  measure(process.execPath, [BFLY, 'init', dir]);
  return dir;
}

export async function benchImport(args) {
  const sizes = args.includes('--quick') ? [150_000] : [1_500_000, 4_500_000];
  const rows = [];
  const refRss = [];
  for (const n of sizes) {
    process.stderr.write(`generating ${n.toLocaleString()} rows...\n`);
    const file = benchCsv(n);
    const mb = sizeMB(file);
    measure('sha256sum', [file]); // warm the page cache
    // medians of `runs`, sampled round-robin so that drift in the machine's speed hits all alike
    const runs = args.includes('--quick') ? 1 : 3;
    const sha = [];
    const imports = { 1: [], 2: [] };
    const duck = [];
    const pandas = [];
    for (let k = 0; k < runs; k++) {
      sha.push(measure('sha256sum', [file]));
      if (DUCKDB) duck.push(duckdbReadCsv(file));
      if (PANDAS) pandas.push(pandasReadCsv(file));
      for (const threads of ['1', '2']) {
        const ws = freshWorkspace();
        try {
          const imp = measure(process.execPath, [BFLY, '-C', ws, 'dataset', 'import', file, '--json'], { env: { ...process.env, BFLY_IMPORT_THREADS: threads } });
          imports[threads].push({ ...imp, dataset: JSON.parse(imp.stdout) });
        } finally {
          rmSync(ws, { recursive: true, force: true });
        }
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a.seconds - b.seconds)[(xs.length - 1) >> 1];
    const shaS = median(sha).seconds;
    const duckS = duck.length ? median(duck).seconds : null;
    const pandasS = pandas.length ? median(pandas).seconds : null;
    const ref = (s, t) => (s === null ? 'n/a' : `${fmt(s)} (${fmt(t / s)}x)`);
    for (const threads of ['1', '2']) {
      const imp = median(imports[threads]);
      const rss = Math.max(...imports[threads].map((i) => i.rssMB ?? 0));
      const d = imp.dataset;
      rows.push([`${n.toLocaleString()} rows`, `${mb.toFixed(0)} MB`, threads, fmt(imp.seconds), fmt(mb / imp.seconds, 0), fmt(shaS), fmt(imp.seconds / shaS, 1) + 'x', ref(duckS, imp.seconds), ref(pandasS, imp.seconds), fmt(rss, 0), `${d.rows} rows, ${d.columns.length} cols`]);
    }
    if (duck.length || pandas.length) refRss.push(`${mb.toFixed(0)} MB: DuckDB ${duck.length ? fmt(Math.max(...duck.map((x) => x.rssMB)), 0) : 'n/a'} MB, pandas ${pandas.length ? fmt(Math.max(...pandas.map((x) => x.rssMB)), 0) : 'n/a'} MB`);
  }
  if (!DUCKDB) console.log('@duckdb/node-api not installed (npm ci installs it): no DuckDB reference');
  if (!PANDAS) console.log('pandas not found (apt-get install -y python3-pandas): no pandas reference');
  console.log(`\n## dataset import (targets: >= 100 MB/s, peak RSS <= 250 MB at any size); times: medians of ${args.includes('--quick') ? 1 : 3}, RSS: the largest`);
  console.log('DuckDB: CREATE TABLE AS read_csv in memory, 2 threads; pandas: read_csv; both timed inside their process (bfly: the whole process, with hashing, statistics and storage); ratio = bfly / reference');
  table(['file', 'size', 'threads', 'bfly s', 'bfly MB/s', 'sha256sum s', 'bfly/sha256sum', 'DuckDB s (ratio)', 'pandas s (ratio)', 'bfly RSS MB', 'result'], rows);
  if (refRss.length) console.log(`peak RSS of the references: ${refRss.join('; ')}`);

  // Start-up: 100 small datasets.
  const ws = freshWorkspace();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'bfly-bench-small-'));
    for (let i = 0; i < 100; i++) {
      const f = join(dir, `d${i}.csv`);
      writeFileSync(f, `a,b,c\n${i},x,1.5\n${i + 1},y,2.5\n`);
      measure(process.execPath, [BFLY, '-C', ws, 'dataset', 'import', f]);
    }
    rmSync(dir, { recursive: true, force: true });
    const [node0, version, list] = interleavedMedians([
      [process.execPath, ['-e', '0']],
      [process.execPath, [BFLY, '--version']],
      [process.execPath, [BFLY, '-C', ws, 'dataset', 'list', '--json']],
    ]);
    console.log('\n## start-up (target: within 1.5x of node -e 0), median of 21, sampled round-robin');
    table(['command', 'ms', 'ratio to node -e 0'], [
      ['node -e 0', fmt(node0 * 1000, 0), '1.00x'],
      ['bfly --version', fmt(version * 1000, 0), fmt(version / node0) + 'x'],
      ['bfly dataset list --json (100 datasets)', fmt(list * 1000, 0), fmt(list / node0) + 'x'],
    ]);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}
