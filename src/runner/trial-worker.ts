// A worker thread fitting model_selection's folds (see trial-pool.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { BudgetEnded, predictBefore } from '../ml/cv.js';
import { subsetRows, takeValues } from '../ml/matrix.js';
import { trainModel } from './models.js';
import type { TrialWorkerData, TrialWorkerJob, TrialWorkerReply } from './trial-pool.js';

const { folds } = workerData as TrialWorkerData;

parentPort!.on('message', (m: TrialWorkerJob) => {
  void fitOne(m).then((reply) => parentPort!.postMessage(reply, 'out' in reply ? [reply.out.buffer as ArrayBuffer] : []));
});

async function fitOne({ id, job, remainingMs }: TrialWorkerJob): Promise<TrialWorkerReply> {
  const deadline = performance.now() + remainingMs;
  try {
    const d = folds[job.fold];
    const rows = job.rows;
    const X = rows === undefined ? d.Xtr : subsetRows(d.Xtr, rows);
    const y = rows === undefined ? d.ytr : takeValues(d.ytr, rows);
    const f0 = performance.now();
    const model = await trainModel(job.model, job.params, X, y, job.classes, job.seed, () => {
      if (performance.now() >= deadline) throw new BudgetEnded();
    });
    const fitSeconds = (performance.now() - f0) / 1000;
    const pred = predictBefore(model, d.Xte, job.classes, deadline);
    // a copy of its own when the predictions are a view: the buffer is moved, not copied, to the run's thread
    const out = pred.byteOffset === 0 && pred.byteLength === pred.buffer.byteLength && !(pred.buffer instanceof SharedArrayBuffer) ? pred : Float64Array.from(pred);
    return { id, out, fitSeconds };
  } catch (err) {
    return { id, error: err instanceof Error ? err.message : String(err), budget: err instanceof BudgetEnded, ...(err instanceof BudgetEnded && err.projectedMs !== undefined ? { projectedMs: err.projectedMs } : {}) };
  }
}
