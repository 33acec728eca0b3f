// A worker thread growing some trees of a random forest (see parallel-forest.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { binnedFrom, growForestTree } from '../ml/forest.js';
import type { ForestJob } from './parallel-forest.js';

const job = workerData as ForestJob;
const bins = new Uint8Array(job.bins);
const y = job.yKind === 'int' ? new Int32Array(job.y) : new Float64Array(job.y);
const data = binnedFrom(bins, job.rows, job.cols, job.mapper);
for (const t of job.trees) {
  const tree = growForestTree({ data, y, classes: job.classes, params: job.params, seed: job.seed, kind: job.kind, ...(job.weights !== undefined ? { sampleWeight: job.weights } : {}) }, t);
  parentPort!.postMessage({ t, tree: tree.toJSON() });
}
