/**
 * Threads that fit model_selection's folds (src/ml/cv.ts {@link FoldPool}): each worker gets the
 * folds' matrices once, in shared memory, then fits (model, params, seed, fold) jobs and sends
 * back the held-out predictions. A fit there runs the same code on the same data with the same
 * seed as on the run's thread (one thread each: no kernel partner, no forest threads), so the
 * search's results do not depend on how many workers it had.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { adapterModel } from '../core/adapter-model.js';
import { MODELS } from '../core/catalog.js';
import { BudgetEnded, type FoldJob, type FoldMatrices, type FoldPool } from '../ml/cv.js';
import type { Matrix } from '../ml/matrix.js';
import { packageRoot } from '../store/package-root.js';
import { fitThreads } from './kernel-partner.js';

/** A job still fitting this long past the deadline is stopped by ending its worker (a fit that cannot notice the deadline: kNN, linear models). */
const GRACE_MS = 100;

/** What a trial worker is sent: the folds (once, at its start), then jobs. */
export interface TrialWorkerData {
  folds: FoldMatrices[];
}
export interface TrialWorkerJob {
  id: number;
  job: FoldJob;
  /** Milliseconds until the time budget ends (Infinity without one). */
  remainingMs: number;
}
export type TrialWorkerReply = { id: number; out: Float64Array; fitSeconds: number } | { id: number; error: string; budget: boolean; projectedMs?: number };

function workerScript(): string {
  const bundled = join(packageRoot(), 'dist', 'cli', 'trial-worker.cjs');
  return existsSync(bundled) ? bundled : join(packageRoot(), 'dist', 'runner', 'trial-worker.js');
}

/** Workers a search uses by default: BFLY_WORKERS, else as many as fits may use threads (BFLY_THREADS, else the CPUs, at most 4). */
export function defaultWorkers(): number {
  return Number(process.env.BFLY_WORKERS) || fitThreads();
}

function shared<T extends Float64Array | Int32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const buf = new SharedArrayBuffer(a.byteLength);
  const copy = (a instanceof Int32Array ? new Int32Array(buf) : new Float64Array(buf)) as T;
  copy.set(a as never);
  return copy;
}
// (the fields a worker needs: no function of a lazy matrix, which cannot be posted)
const sharedMatrix = (m: Matrix): Matrix => ({ rows: m.rows, cols: m.cols, data: shared(m.data), ...(m.categories !== undefined ? { categories: m.categories } : {}), ...(m.weights !== undefined ? { weights: m.weights } : {}) });

interface Slot {
  worker: Worker;
  /** The job it fits, with how to settle it. */
  current: { resolve: (r: { out: Float64Array; fitSeconds: number }) => void; reject: (err: Error) => void; timer: NodeJS.Timeout | null } | null;
}

/**
 * A pool of `size` worker threads for a search's folds, started on the first job; `close()` ends them.
 *
 * @example
 * const pool = new TrialPool(2);
 * try { await crossValidate(frame, y, candidates, { ...o, pool }); } finally { await pool.close(); }
 */
export class TrialPool implements FoldPool {
  private folds: FoldMatrices[] | null = null;
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  /** Fits sent to the workers so far. */
  jobs = 0;
  /** Workers ended because their fit was still running when the budget ended. */
  ended = 0;

  constructor(readonly size: number) {}

  accepts(model: string): boolean {
    // the MLP (tfjs) and adapter models (a Python process) are fitted on the run's thread
    return adapterModel(model) === null && model !== 'mlp' && model in MODELS;
  }

  open(folds: ReadonlyArray<FoldMatrices>): FoldMatrices[] {
    this.folds = folds.map((f) => ({ Xtr: sharedMatrix(f.Xtr), Xte: sharedMatrix(f.Xte), ytr: shared(f.ytr) }));
    return this.folds;
  }

  run(job: FoldJob, deadline: number): Promise<{ out: Float64Array; fitSeconds: number }> {
    if (this.folds === null || this.closed) return Promise.reject(new Error('the trial pool is not open'));
    const remainingMs = deadline - performance.now();
    if (remainingMs <= 0) return Promise.reject(new BudgetEnded());
    let slot = this.slots.find((s) => s.current === null);
    if (slot === undefined) {
      if (this.slots.length >= this.size) return Promise.reject(new Error(`the trial pool has ${this.size} workers, all busy`));
      slot = this.spawn();
    }
    const s = slot;
    return new Promise((resolve, reject) => {
      // past the deadline (and a grace to notice it), the fit is stopped, not waited for
      const timer = Number.isFinite(remainingMs)
        ? setTimeout(() => {
            if (s.current === null) return;
            s.current = null;
            this.ended++;
            this.drop(s);
            reject(new BudgetEnded());
          }, remainingMs + GRACE_MS)
        : null;
      s.current = { resolve, reject, timer };
      this.jobs++;
      s.worker.postMessage({ id: this.nextId++, job, remainingMs } satisfies TrialWorkerJob);
    });
  }

  /** Ends every worker (a fit still running is abandoned). */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const s of slots) {
      if (s.current?.timer) clearTimeout(s.current.timer);
      s.current?.reject(new Error('the trial pool was closed'));
      s.current = null;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    // one thread per fit in a worker: the pool is the parallelism
    const worker = new Worker(workerScript(), { workerData: { folds: this.folds! } satisfies TrialWorkerData, env: { ...process.env, BFLY_THREADS: '1' } });
    const s: Slot = { worker, current: null };
    const settle = (fn: (c: NonNullable<Slot['current']>) => void): void => {
      const c = s.current;
      if (c === null) return;
      s.current = null;
      if (c.timer) clearTimeout(c.timer);
      fn(c);
    };
    worker.on('message', (m: TrialWorkerReply) => settle((c) => ('error' in m ? c.reject(m.budget ? new BudgetEnded(m.projectedMs) : new Error(m.error)) : c.resolve({ out: m.out, fitSeconds: m.fitSeconds }))));
    const died = (why: string): void => {
      this.drop(s);
      settle((c) => c.reject(new Error(`a trial worker stopped (${why})`)));
    };
    worker.on('error', (err) => died(err.message.split('\n')[0]));
    worker.on('exit', (code) => died(`exit code ${code}`));
    this.slots.push(s);
    return s;
  }

  /** Forgets a slot and ends its worker (a new one starts for the next job). */
  private drop(s: Slot): void {
    const i = this.slots.indexOf(s);
    if (i !== -1) this.slots.splice(i, 1);
    void s.worker.terminate();
  }
}
