/**
 * The service's jobs: runs and batches submitted over the API, executed asynchronously.
 * - Persisted as `.butterfly/jobs/<id>.json` (written atomically at every change), so a
 *   restarted service shows its history: jobs that were running become `interrupted`, queued
 *   ones run again.
 * - At most `slots` runs execute at once, across all jobs, each in its own worker process
 *   (`bfly run --json`, as batches do): a crashing run fails its job, never the service.
 * - Submissions are planned first (every grid point validated, execution keys computed): the
 *   same key submitted while a job with it is queued or running returns that job.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { expandBatch, newBatchId, parseGridAxis, parseSeeds } from '../core/batch.js';
import { parseDuration } from '../core/duration.js';
import { BflyError, NotFoundError, ValidationError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { FINAL_JOB_STATUSES, type Job, type JobStatus, type RunRequest, job as jobSchema } from '../core/contracts/service.js';
import type { RunError } from '../core/contracts/run.js';
import { type BatchEvent, type BatchRunResult, runBatch, runWorker } from '../runner/batch.js';
import type { QueueAddress } from '../core/queue-address.js';
import { pipelineBackend } from '../runner/backend.js';
import { writeJsonAtomic } from '../store/atomic.js';
import { appendAudit } from '../store/audit.js';
import { readBatchRecord } from '../store/batches.js';
import { workspacePaths } from '../store/layout.js';
import { assertRealDir } from '../store/safe-fs.js';
import { planRun } from '../store/snapshot.js';

/** Where jobs are kept. */
export function jobsDir(root: string): string {
  return join(workspacePaths(root).dir, 'jobs');
}

const JOB_ID = /^\d{8}-\d{6}-[0-9a-f]{6}$/;

/** A FIFO semaphore: at most `n` holders; waiters in arrival order. */
class Slots {
  private used = 0;
  private readonly waiters: Array<{ grant: (release: (() => void) | null) => void; signal?: AbortSignal; onAbort: () => void }> = [];

  constructor(private readonly n: number) {}

  /** Waits for a slot; resolves with its release, or null when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<(() => void) | null> {
    if (signal?.aborted) return Promise.resolve(null);
    if (this.used < this.n) {
      this.used++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const w = {
        grant: resolve,
        signal,
        onAbort: () => {
          const i = this.waiters.indexOf(w);
          if (i !== -1) this.waiters.splice(i, 1);
          resolve(null);
        },
      };
      signal?.addEventListener('abort', w.onAbort, { once: true });
      this.waiters.push(w);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const w = this.waiters.shift();
      if (w === undefined) this.used--;
      else {
        w.signal?.removeEventListener('abort', w.onAbort);
        w.grant(this.releaser());
      }
    };
  }
}

interface Live {
  controller: AbortController;
  done: Promise<void>;
}

/** What a job's runs were planned as at submission. */
interface Planned {
  kind: 'run' | 'batch';
  key: string;
  timeoutMs: number | undefined;
  seeds: number[] | undefined;
}

/** Options of {@link JobManager}. */
export interface JobManagerOptions {
  /** Runs at once (default: cores). */
  slots?: number;
  /** Told every change of every job. */
  onChange: (job: Job) => void;
  /**
   * `bfly serve --queue`: jobs are dispatched to `bfly worker`s through this Redis (as `bfly run
   * --queue` does) and followed; the service executes none itself.
   */
  queue?: QueueAddress;
}

function nowIso(): string {
  return new Date().toISOString();
}

function jobError(e: BatchRunResult['error']): RunError | null {
  return e === null ? null : { category: e.category, code: e.code, block: null, hook: null, message: e.message, hint: e.hint };
}

/** A job's status from its run's outcome (a worker that died: interrupted, as its run). */
function statusOfRun(r: BatchRunResult): JobStatus {
  if (r.status === 'crashed') return 'interrupted';
  if (r.status === 'skipped') return 'cancelled';
  if (r.status === 'created' || r.status === 'running') return 'interrupted';
  return r.status;
}

/** True when `batch` was dispatched through a queue and has not ended. */
function queuedBatchOpen(root: string, batch: string): boolean {
  try {
    const b = readBatchRecord(root, batch);
    return b.queue !== undefined && b.endedAt === null;
  } catch {
    return false;
  }
}

/** The jobs of one workspace's service. */
export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly live = new Map<string, Live>();
  private readonly slots: Slots;
  private readonly n: number;
  private closing = false;

  constructor(
    private readonly root: string,
    private readonly o: JobManagerOptions,
  ) {
    this.n = Math.max(1, o.slots ?? availableParallelism());
    this.slots = new Slots(this.n);
  }

  /** Reads the jobs a previous service left: running ones become interrupted, queued ones run again. */
  start(): void {
    const dir = jobsDir(this.root);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    assertRealDir(dir, this.root);
    const loaded: Job[] = [];
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json') || !JOB_ID.test(name.slice(0, -5))) continue;
      try {
        loaded.push(jobSchema.parse(JSON.parse(readFileSync(join(dir, name), 'utf8'))));
      } catch {
        /* unreadable: bfly fsck names it */
      }
    }
    loaded.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
    for (const j of loaded) {
      this.jobs.set(j.id, j);
      if (j.status === 'running' && this.o.queue !== undefined && j.batch !== null && queuedBatchOpen(this.root, j.batch)) {
        // dispatched to workers: the batch went on while the service was down; follow it again
        this.follow(j);
        continue;
      }
      if (j.status === 'running') {
        j.status = 'interrupted';
        j.endedAt = nowIso();
        j.error = { category: 'infra', code: 'JOB_INTERRUPTED', block: null, hook: null, message: 'the service ended (killed or crashed) while this job ran', hint: 'submit it again: finished runs are reused, finished blocks come from the cache' };
        this.save(j);
      }
    }
    for (const j of loaded) {
      if (j.status === 'queued' || j.status === 'pending') {
        try {
          const p = this.plan(j.experiment, j.request);
          this.launch(j, p);
        } catch (err) {
          // the draft changed while the service was down so that it no longer validates
          this.finish(j, 'failed', this.asRunError(err));
        }
      }
    }
  }

  /** Every job, newest first. */
  list(): Job[] {
    return [...this.jobs.values()].reverse();
  }

  /** One job by id. */
  get(id: string): Job {
    const j = JOB_ID.test(id) ? this.jobs.get(id) : undefined;
    if (j === undefined) throw new NotFoundError('JOB_NOT_FOUND', `no job ${JSON.stringify(id)}`, { hint: 'list jobs with GET /api/v1/jobs', data: { id } });
    return j;
  }

  private save(j: Job): void {
    writeJsonAtomic(join(jobsDir(this.root), `${j.id}.json`), j, { tmpDir: workspacePaths(this.root).tmp });
    this.o.onChange(j);
  }

  private asRunError(err: unknown): RunError {
    if (err instanceof BflyError) return { category: err.category, code: err.code, block: null, hook: null, message: err.message, hint: err.hint ?? null };
    return { category: 'unknown', code: 'INTERNAL', block: null, hook: null, message: err instanceof Error ? err.message : String(err), hint: null };
  }

  /** Validates a request and plans its runs (nothing is written): the execution key(s). */
  private plan(experiment: string, r: RunRequest): Planned {
    const timeoutMs = r.timeout === undefined ? undefined : parseDuration(r.timeout);
    if (timeoutMs === null) throw new ValidationError('BAD_TIMEOUT', `timeout must be a duration such as 90s, 10m or 1h30m, not ${JSON.stringify(r.timeout)}`, { hint: 'e.g. "timeout": "10m"' });
    const seeds = r.seeds === undefined ? undefined : typeof r.seeds === 'string' ? parseSeeds(r.seeds) : r.seeds;
    const batch = (r.grid?.length ?? 0) > 0 || seeds !== undefined;
    if (batch && r.seed !== undefined) throw new ValidationError('BATCH_SEED', 'seed and seeds do not combine', { hint: 'list the seeds in `seeds`, e.g. "seeds": "1-5"' });
    const base = { sets: r.sets ?? [], backend: pipelineBackend };
    if (!batch) {
      const key = planRun(this.root, experiment, { ...base, seed: r.seed }).executionKey;
      return { kind: 'run', key, timeoutMs, seeds };
    }
    const specs = expandBatch((r.grid ?? []).map(parseGridAxis), seeds ?? null);
    const keys: string[] = [];
    for (const spec of specs) {
      try {
        keys.push(planRun(this.root, experiment, { ...base, seed: spec.seed ?? undefined, sets: [...base.sets, ...spec.sets] }).executionKey);
      } catch (err) {
        if (err instanceof BflyError && spec.sets.length > 0) throw new ValidationError(err.code, `grid point ${spec.label}: ${err.message}`, { hint: err.hint, data: err.data });
        throw err;
      }
    }
    const key = `batch:sha256:${sha256Hex(JSON.stringify([keys, r.force === true, r.noCache === true, timeoutMs ?? null]))}`;
    return { kind: 'batch', key, timeoutMs, seeds };
  }

  /**
   * Submits a run or a batch: validated and planned now (a bad request throws, nothing is
   * written), then queued. An identical job (same execution key) queued or running is returned instead.
   */
  submit(experiment: string, request: RunRequest): { job: Job; deduplicated: boolean } {
    if (this.closing) throw new BflyError('infra', 'SERVICE_STOPPING', 'the service is stopping and accepts no new jobs', { hint: 'start it again with `bfly serve`' });
    const p = this.plan(experiment, request);
    for (const j of this.jobs.values()) {
      if (j.executionKey === p.key && j.experiment === experiment && (j.status === 'pending' || j.status === 'queued' || j.status === 'running')) return { job: j, deduplicated: true };
    }
    const now = new Date();
    const id = `${now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${randomBytes(3).toString('hex')}`;
    const j: Job = {
      schemaVersion: 1,
      id,
      kind: p.kind,
      experiment,
      request,
      status: 'pending',
      executionKey: p.key,
      runIds: [],
      reused: false,
      batch: p.kind === 'batch' || this.o.queue !== undefined ? newBatchId(now, randomBytes(2).toString('hex')) : null,
      counts: {},
      createdAt: now.toISOString(),
      startedAt: null,
      endedAt: null,
      error: null,
    };
    this.jobs.set(id, j);
    this.save(j);
    appendAudit(this.root, { action: 'job.submit', target: { job: id, experiment, kind: p.kind, executionKey: p.key, batch: j.batch } });
    this.launch(j, p);
    return { job: j, deduplicated: false };
  }

  /** Cancels a job: a queued one never starts; a running one's runs end `cancelled`. An ended job is returned as it is. */
  cancel(id: string): Job {
    const j = this.get(id);
    const live = this.live.get(id);
    if (live !== undefined && !live.controller.signal.aborted) {
      live.controller.abort();
      appendAudit(this.root, { action: 'job.cancel', target: { job: id, experiment: j.experiment, status: j.status } });
    }
    return j;
  }

  private launch(j: Job, p: Planned): void {
    const controller = new AbortController();
    j.status = 'queued';
    this.save(j);
    const done = (this.o.queue !== undefined ? this.execQueued(j, p, controller.signal) : j.kind === 'run' ? this.execRun(j, p, controller.signal) : this.execBatch(j, p, controller.signal))
      .catch((err: unknown) => {
        if (!(FINAL_JOB_STATUSES as readonly string[]).includes(j.status)) this.finish(j, 'failed', this.asRunError(err));
      })
      .finally(() => this.live.delete(j.id));
    this.live.set(j.id, { controller, done });
  }

  private finish(j: Job, status: JobStatus, error: RunError | null): void {
    j.status = status;
    j.endedAt = nowIso();
    j.error = error;
    this.save(j);
  }

  /** A cancel before the job started: it ends cancelled, unless the service is stopping (then it stays queued, for the next start). */
  private notStarted(j: Job): void {
    if (this.closing) return;
    this.finish(j, 'cancelled', { category: 'cancelled', code: 'JOB_CANCELLED', block: null, hook: null, message: 'cancelled before it started', hint: null });
  }

  private started(j: Job): void {
    j.status = 'running';
    j.startedAt = nowIso();
    this.save(j);
  }

  private get singleThreaded(): boolean {
    return this.n > 1 && this.n >= availableParallelism();
  }

  private async execRun(j: Job, p: Planned, signal: AbortSignal): Promise<void> {
    const release = await this.slots.acquire(signal);
    if (release === null) return this.notStarted(j);
    try {
      this.started(j);
      const r = j.request;
      let kill: ((s: NodeJS.Signals) => void) | null = null;
      const onAbort = (): void => kill?.('SIGINT');
      signal.addEventListener('abort', onAbort);
      const result = await runWorker(
        this.root,
        j.experiment,
        { index: 0, sets: [], seed: r.seed ?? null, label: '' },
        { sets: r.sets, force: r.force, noCache: r.noCache, timeoutMs: p.timeoutMs, singleThreaded: this.singleThreaded, mode: 'service' },
        null,
        (e) => {
          if (e.type === 'run_started' && !j.runIds.includes(e.runId)) {
            j.runIds.push(e.runId);
            this.save(j);
          }
        },
        (k) => {
          kill = k;
          if (signal.aborted) k('SIGINT');
        },
      );
      signal.removeEventListener('abort', onAbort);
      if (result.runId !== null && !j.runIds.includes(result.runId)) j.runIds.push(result.runId);
      j.reused = result.reused;
      j.counts = { [result.reused ? 'reused' : result.status]: 1 };
      // a worker stopped by a cancel before it could end its run cleanly: the job was still cancelled
      const status = statusOfRun(result);
      this.finish(j, signal.aborted && status === 'interrupted' ? 'cancelled' : status, jobError(result.error));
    } finally {
      release();
    }
  }

  /** Progress of a batch (local or queued) into its job. */
  private onBatchEvent(j: Job, e: BatchEvent): void {
    if (e.type === 'batch_run_started' && j.status === 'queued') this.started(j);
    else if (e.type === 'batch_run_event' && e.event.type === 'run_started' && !j.runIds.includes(e.event.runId)) {
      j.runIds.push(e.event.runId);
      this.save(j);
    } else if (e.type === 'batch_run_finished') {
      const k = e.result.reused ? 'reused' : e.result.status;
      j.counts = { ...j.counts, [k]: (j.counts[k] ?? 0) + 1 };
      if (e.result.runId !== null && !j.runIds.includes(e.result.runId)) j.runIds.push(e.result.runId);
      this.save(j);
    }
  }

  /** `bfly serve --queue`: the job's runs go to the workers as a queued batch, followed here. */
  private async execQueued(j: Job, p: Planned, signal: AbortSignal): Promise<void> {
    const r = j.request;
    const q = await import('../runner/queue.js');
    await q.submitQueuedBatch(this.root, j.experiment, this.o.queue!, { grid: r.grid ?? [], seeds: p.seeds ?? (r.seed !== undefined ? [r.seed] : undefined), sets: r.sets ?? [], force: r.force, noCache: r.noCache, timeoutMs: p.timeoutMs, batchId: j.batch! });
    this.started(j);
    await this.followQueued(j, signal);
  }

  private follow(j: Job): void {
    const controller = new AbortController();
    const done = this.followQueued(j, controller.signal)
      .catch((err: unknown) => {
        if (!(FINAL_JOB_STATUSES as readonly string[]).includes(j.status)) this.finish(j, 'failed', this.asRunError(err));
      })
      .finally(() => this.live.delete(j.id));
    this.live.set(j.id, { controller, done });
  }

  private async followQueued(j: Job, signal: AbortSignal): Promise<void> {
    const q = await import('../runner/queue.js');
    const follow = new AbortController();
    // A cancel of the job cancels its batch on the workers; a stopping service only stops following.
    const onAbort = (): void => {
      if (this.closing) follow.abort();
      else void q.cancelQueuedBatch(this.root, this.o.queue!, j.batch!).catch(() => follow.abort());
    };
    signal.addEventListener('abort', onAbort);
    j.counts = {};
    let result;
    try {
      result = await q.followBatch(this.root, this.o.queue!, j.batch!, { signal: follow.signal, onEvent: (e) => this.onBatchEvent(j, e) });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (follow.signal.aborted) return; // the service stops: the job stays running, followed again at the next start
    const bad = result.runs.find((x) => x.status !== 'succeeded' && x.status !== 'skipped');
    j.reused = result.runs.length > 0 && result.runs.every((x) => x.reused);
    const status: JobStatus = result.cancelled ? 'cancelled' : bad === undefined ? 'succeeded' : bad.status === 'timed_out' ? 'timed_out' : bad.status === 'crashed' || bad.status === 'interrupted' ? 'interrupted' : 'failed';
    this.finish(j, status, result.cancelled ? { category: 'cancelled', code: 'JOB_CANCELLED', block: null, hook: null, message: 'cancelled: runs in progress stopped, the rest were skipped', hint: null } : jobError(bad?.error ?? null));
  }

  private async execBatch(j: Job, p: Planned, signal: AbortSignal): Promise<void> {
    const r = j.request;
    const result = await runBatch(this.root, j.experiment, {
      grid: r.grid ?? [],
      seeds: p.seeds,
      sets: r.sets ?? [],
      force: r.force,
      noCache: r.noCache,
      timeoutMs: p.timeoutMs,
      jobs: this.n,
      signal,
      batchId: j.batch ?? undefined,
      acquire: () => this.slots.acquire(signal),
      mode: 'service',
      singleThreaded: this.singleThreaded,
      onEvent: (e) => this.onBatchEvent(j, e),
    });
    if (j.status === 'queued') return this.notStarted(j);
    const bad = result.runs.find((x) => x.status !== 'succeeded' && x.status !== 'skipped');
    const status: JobStatus = result.cancelled ? 'cancelled' : bad === undefined ? 'succeeded' : bad.status === 'timed_out' ? 'timed_out' : 'failed';
    this.finish(j, status, result.cancelled ? { category: 'cancelled', code: 'JOB_CANCELLED', block: null, hook: null, message: 'cancelled: runs in progress stopped, the rest were skipped', hint: null } : jobError(bad?.error ?? null));
  }

  /** Stops: no new jobs; running runs are cancelled cleanly (and waited for); queued jobs stay queued for the next start. */
  async close(): Promise<void> {
    this.closing = true;
    const live = [...this.live.values()];
    for (const l of live) l.controller.abort();
    await Promise.all(live.map((l) => l.done));
  }
}
