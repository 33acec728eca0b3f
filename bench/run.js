// npm run bench -- run: the run engine. Engine overhead = wall time of `bfly run` minus the sum
// of its blocks' durations (start-up, planning, snapshot, events, cache writes, freezing), on a
// 150-row dataset; and the wall time of a full default classification run on penguins.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BFLY, ROOT, fmt, interleavedMedians, measure, table } from './lib.js';

const PENGUINS = join(ROOT, 'node_modules', 'vega-datasets', 'data', 'penguins.json');

function workspace(dataFile, name) {
  const dir = mkdtempSync(join(tmpdir(), 'bfly-bench-run-'));
  measure(process.execPath, [BFLY, 'init', dir]);
  measure(process.execPath, [BFLY, '-C', dir, 'dataset', 'import', dataFile, '--name', name]);
  measure(process.execPath, [BFLY, '-C', dir, 'experiment', 'create', name, '--dataset', name, '--target', 'Species']);
  return dir;
}

function runOnce(dir, name, extra = [], withRss = false) {
  // Timed directly (no /usr/bin/time in between) unless peak RSS is wanted.
  let r;
  if (withRss) r = measure(process.execPath, [BFLY, '-C', dir, 'run', name, '--json', ...extra]);
  else {
    const t0 = process.hrtime.bigint();
    const p = spawnSync(process.execPath, [BFLY, '-C', dir, 'run', name, '--json', ...extra], { encoding: 'utf8', maxBuffer: 1 << 28 });
    r = { seconds: Number(process.hrtime.bigint() - t0) / 1e9, stdout: p.stdout, rssMB: null };
  }
  const run = JSON.parse(r.stdout.trim().split('\n').at(-1));
  if (run.status !== 'succeeded') throw new Error(`run ${run.id} ${run.status}: ${run.error?.message}`);
  const blocksMs = run.blocks.reduce((a, b) => a + (b.durationMs ?? 0), 0);
  return { wall: r.seconds, blocks: blocksMs / 1000, rss: r.rssMB, run };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchRun(args) {
  const quick = args.includes('--quick');
  const reps = quick ? 3 : 7;
  const tmp = mkdtempSync(join(tmpdir(), 'bfly-bench-data-'));
  const rows = [];
  try {
    // 150 rows of real data (every 2.3th penguin: all three species) with the default
    // classification template.
    const small = join(tmp, 'small.json');
    const all = JSON.parse(readFileSync(PENGUINS, 'utf8'));
    writeFileSync(small, JSON.stringify(Array.from({ length: 150 }, (_, i) => all[Math.floor((i * all.length) / 150)])));
    const ws150 = workspace(small, 'small');
    const penguinsWs = workspace(PENGUINS, 'penguins');
    try {
      runOnce(ws150, 'small'); // warm the page cache and tfjs' files
      const fresh = [];
      for (let i = 0; i < reps; i++) fresh.push(runOnce(ws150, 'small', ['--force', '--no-cache']));
      const overhead = median(fresh.map((r) => r.wall - r.blocks));
      rows.push(['engine overhead, 150 rows, every block executed', fmt(overhead * 1000, 0) + ' ms', '300 ms', fmt(overhead / 0.3) + 'x', `wall ${fmt(median(fresh.map((r) => r.wall)))} s − blocks ${fmt(median(fresh.map((r) => r.blocks)))} s`]);
      const cached = [];
      for (let i = 0; i < reps; i++) cached.push(runOnce(ws150, 'small', ['--force']));
      const cachedOverhead = median(cached.map((r) => r.wall - r.blocks));
      rows.push(['engine overhead, 150 rows, blocks from cache', fmt(cachedOverhead * 1000, 0) + ' ms', '300 ms', fmt(cachedOverhead / 0.3) + 'x', `wall ${fmt(median(cached.map((r) => r.wall)))} s`]);
      const [node0, upToDate] = interleavedMedians([[process.execPath, ['-e', '0']], [process.execPath, [BFLY, '-C', ws150, 'run', 'small', '--json']]], quick ? 5 : 11);
      rows.push(['`bfly run` up to date (reused) vs node -e 0', fmt(upToDate * 1000, 0) + ' ms', `${fmt(node0 * 1000, 0)} ms`, fmt(upToDate / node0) + 'x', 'start-up + plan + dedupe']);

      runOnce(penguinsWs, 'penguins');
      const full = [];
      for (let i = 0; i < (quick ? 1 : 3); i++) full.push(runOnce(penguinsWs, 'penguins', ['--force', '--no-cache'], true));
      const wall = median(full.map((r) => r.wall));
      const slowest = full[0].run.blocks.slice().sort((a, b) => b.durationMs - a.durationMs).slice(0, 3).map((b) => `${b.id} ${fmt(b.durationMs / 1000)} s`).join(', ');
      rows.push(['full default classification run, penguins (344 rows)', fmt(wall) + ' s', '5 s', fmt(wall / 5) + 'x', `peak RSS ${fmt(median(full.map((r) => r.rss)), 0)} MB; ${slowest}`]);
      const explainReport = median(full.map((r) => r.run.blocks.filter((b) => b.type === 'explain' || b.type === 'report').reduce((a, b) => a + b.durationMs, 0)));
      rows.push(['explain + plots + report blocks, penguins', fmt(explainReport, 0) + ' ms', '1500 ms', fmt(explainReport / 1500) + 'x', 'permutation importance, partial dependence, notebook, HTML']);
    } finally {
      rmSync(ws150, { recursive: true, force: true });
      rmSync(penguinsWs, { recursive: true, force: true });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log('\n## bfly run (npm run bench -- run)\n');
  table(['measure', 'bfly', 'target / reference', 'ratio', 'notes'], rows);
}
