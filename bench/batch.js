// npm run bench -- batch: throughput of a batch of CPU-bound runs with --jobs 2 against --jobs 1
// (target: >= 1.6x), on a generated 20,000-row classification table. Every run executes all its
// blocks (--force --no-cache), so both batches do the same work.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BFLY, fmt, measure, prng, table } from './lib.js';

const PIPELINE = `apiVersion: bfly/v1
seed: 42
blocks:
  - {id: split, type: split, config: {test_size: 0.2}}
  - {id: features, type: features}
  - {id: preprocess, type: preprocess}
  - id: model_selection
    type: model_selection
    config:
      cv: 3
      candidates:
        - {model: logistic_regression}
        - {model: gradient_boosting, params: {max_iter: 40}}
  - {id: train, type: train}
  - {id: evaluate, type: evaluate}
`;

/** A workspace in `dir` with a 20,000-row table and experiment `e` of CPU-bound runs (also the cluster bench's). */
export function setupBatchWorkspace(dir) {
  const csv = join(dir, 'data.csv');
  const fd = openSync(csv, 'w');
  const r = prng(3);
  writeSync(fd, `${Array.from({ length: 10 }, (_, j) => `x${j}`).join(',')},y\n`);
  const lines = [];
  for (let i = 0; i < 20_000; i++) {
    const x = Array.from({ length: 10 }, () => r() * 2 - 1);
    lines.push(`${x.map((v) => v.toFixed(4)).join(',')},${x[0] + 0.5 * x[1] - x[2] + 0.3 * (r() - 0.5) > 0 ? 'yes' : 'no'}`);
  }
  writeSync(fd, lines.join('\n') + '\n');
  closeSync(fd);
  const bfly = (a) => measure(process.execPath, [BFLY, '-C', dir, ...a]);
  bfly(['init']);
  bfly(['dataset', 'import', csv, '--name', 'data']);
  writeFileSync(join(dir, 'p.yaml'), PIPELINE);
  bfly(['experiment', 'create', 'e', '--dataset', 'data', '--target', 'y', '--template', join(dir, 'p.yaml')]);
  return bfly;
}

export async function benchBatch(args) {
  const quick = args.includes('--quick');
  const runs = quick ? 4 : 8;
  const dir = mkdtempSync(join(tmpdir(), 'bfly-bench-batch-'));
  try {
    const bfly = setupBatchWorkspace(dir);
    const batch = (jobs) => {
      const m = bfly(['run', 'e', '--seeds', `1-${runs}`, '--jobs', String(jobs), '--force', '--no-cache', '--json']);
      const end = JSON.parse(m.stdout.trim().split('\n').at(-1));
      if (end.counts.succeeded !== runs) throw new Error(`batch with --jobs ${jobs}: ${JSON.stringify(end.counts)}`);
      return m.seconds;
    };
    batch(1); // warm the page cache and the V8 code cache
    const one = batch(1);
    const two = batch(2);
    console.log(`\nbatch: ${runs} CPU-bound runs (20,000 rows, 3-fold CV of logistic regression and gradient boosting), every block executed`);
    table(
      ['measure', 'bfly', 'target', 'ratio'],
      [
        ['--jobs 1: runs per minute', fmt((60 * runs) / one, 1), '-', '-'],
        ['--jobs 2: runs per minute', fmt((60 * runs) / two, 1), '-', '-'],
        ['--jobs 2 / --jobs 1 throughput', `${fmt(one / two)}x`, '1.6x', `${fmt(1.6 / (one / two))}x`],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
