// The tools a user would otherwise reach for, measured in the same bench run as bfly: pandas
// (Debian's python3-pandas) and DuckDB (@duckdb/node-api, a dev dependency used only here).
// Each is timed inside its own process around the work alone (read_csv into a table), so
// interpreter start-up and imports are left out: strict on bfly's side, whose figures are
// whole processes.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.js';

/** A Python with pandas, or undefined. */
export const PANDAS = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import pandas'], { stdio: 'ignore' }).status === 0);

/** Whether @duckdb/node-api is installed (npm ci installs the dev dependencies). */
export const DUCKDB = existsSync(join(ROOT, 'node_modules', '@duckdb', 'node-api'));

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function timed(cmd, args, env) {
  const full = GNU_TIME ? [GNU_TIME, ['-f', '__RSS_KB=%M', cmd, ...args]] : [cmd, args];
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ').slice(0, 200)} failed (${r.status}):\n${r.stderr}`);
  const rss = /__RSS_KB=(\d+)/.exec(r.stderr ?? '');
  return { ...JSON.parse(r.stdout.trim().split('\n').at(-1)), rssMB: rss ? Number(rss[1]) / 1024 : null };
}

const PANDAS_READ = `
import sys, time, json
import pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[1])
print(json.dumps({'seconds': time.perf_counter() - t, 'rows': len(df), 'columns': df.shape[1]}))
`;

/** pandas `read_csv` of `file` into a DataFrame: seconds (inside Python), rows, columns, peak RSS. */
export function pandasReadCsv(file) {
  return timed(PANDAS, ['-c', PANDAS_READ, file], { OMP_NUM_THREADS: '2' });
}

/** DuckDB `CREATE TABLE t AS SELECT * FROM read_csv(file)` in memory, 2 threads: seconds, rows, columns, peak RSS. */
export function duckdbReadCsv(file) {
  return timed(process.execPath, [join(ROOT, 'bench', 'duckdb-read.mjs'), file, '2']);
}
