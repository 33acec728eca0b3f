import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BinMapperJson } from '../ml/binning.js';
import { type ForestParams, RandomForest } from '../ml/forest.js';
import type { Matrix } from '../ml/matrix.js';
import { Tree, type TreeJson } from '../ml/tree.js';
import { packageRoot } from '../store/package-root.js';
import { fitThreads } from './kernel-partner.js';

/** What a forest worker gets: shared bins and targets, and which trees to grow. */
export interface ForestJob {
  bins: SharedArrayBuffer;
  rows: number;
  cols: number;
  y: SharedArrayBuffer;
  yKind: 'int' | 'float';
  classes: number;
  params: ForestParams;
  seed: number;
  kind: 'random_forest' | 'decision_tree';
  mapper: BinMapperJson;
  trees: number[];
  /** Row weights (X.weights), copied to each worker. */
  weights?: Float64Array;
}

/** Below this much work (rows × trees) threads cost more than they save. */
const MIN_PARALLEL_WORK = 200_000;

function workerScript(): string {
  const bundled = join(packageRoot(), 'dist', 'cli', 'forest-worker.cjs');
  return existsSync(bundled) ? bundled : join(packageRoot(), 'dist', 'runner', 'forest-worker.js');
}

/**
 * Fits a random forest with its trees grown by `threads` worker threads (default: BFLY_THREADS, else the CPUs, at
 * most 4) sharing the binned data. Every tree depends only on the seed and its index, so the
 * forest is identical to the one-thread fit, whatever the thread count or timing.
 *
 * @example
 * const rf = await fitForestParallel(params, X, y, 2, 42);
 */
export async function fitForestParallel(params: ForestParams, X: Matrix, y: Int32Array | Float64Array, classes: number, seed: number, onTree?: (done: number, total: number) => void, threads = fitThreads()): Promise<RandomForest> {
  const forest = new RandomForest(params, seed);
  if (threads < 2 || X.rows * params.n_estimators < MIN_PARALLEL_WORK || params.n_estimators < 2) return forest.fit(X, y, classes, onTree);
  const data = forest.prepare(X, classes);
  const bins = new SharedArrayBuffer(data.bins.length);
  new Uint8Array(bins).set(data.bins);
  const ys = new SharedArrayBuffer(y.byteLength);
  (y instanceof Int32Array ? new Int32Array(ys) : new Float64Array(ys)).set(y as never);
  // Trees dealt round-robin: similar work per thread.
  const shares = Array.from({ length: threads }, (_, w) => Array.from({ length: params.n_estimators }, (_, t) => t).filter((t) => t % threads === w));
  const trees: Tree[] = new Array(params.n_estimators);
  let done = 0;
  const workers = shares.map((share) => new Worker(workerScript(), { workerData: { bins, rows: X.rows, cols: X.cols, y: ys, yKind: y instanceof Int32Array ? 'int' : 'float', classes, params, seed, kind: 'random_forest', mapper: forest.mapper.toJSON(), trees: share, ...(X.weights !== undefined ? { weights: X.weights } : {}) } satisfies ForestJob }));
  try {
    await Promise.all(
      workers.map(
        (w, i) =>
          new Promise<void>((resolve, reject) => {
            let got = 0;
            w.on('message', (m: { t: number; tree: TreeJson }) => {
              trees[m.t] = Tree.fromJSON(m.tree);
              // the caller's progress may throw (a time budget ended, a cancel): the fit ends with it
              // (thrown in this listener it would end the process)
              try {
                onTree?.(++done, params.n_estimators);
              } catch (err) {
                reject(err);
                return;
              }
              if (++got === shares[i].length) resolve();
            });
            w.once('error', reject);
            w.once('exit', (code) => (got === shares[i].length ? resolve() : reject(new Error(`a forest worker exited with code ${code}`))));
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  forest.trees = trees;
  return forest;
}
