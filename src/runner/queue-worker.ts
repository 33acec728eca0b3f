/**
 * `bfly worker --queue`: consumes the jobs of the workspace it runs in and executes each as
 * `bfly run` does, one process per run. Failure semantics: only transient failures (`infra`: a
 * crashed run process, a lost lock, a full disk) are retried, with exponential backoff, up to the
 * job's attempts; user code, validation, policy and framework failures are final at once. A
 * worker that dies mid-run (kill -9, a lost machine) has its job handed to another worker by
 * BullMQ's stalled-job detection; its run is later marked `interrupted` (its lock's lease lapses)
 * and the new run takes the finished blocks from the cache. A job that killed its worker on
 * every attempt is failed with that reason.
 */
import { availableParallelism } from 'node:os';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { RunEvent } from '../core/events.js';
import { FINAL_BATCH_RUN_STATUSES, updateBatchRecord } from '../store/batches.js';
import { currentHost } from '../store/host.js';
import { indexRunFolders } from '../store/run-index.js';
import { readRunManifest, recoverInterruptedRuns } from '../store/run-state.js';
import { findReusableRun } from '../store/snapshot.js';
import { type BatchRunResult, runWorker } from './batch.js';
import { type QueueAddress, type QueueJobData, type WorkerBeat, TRANSIENT_CATEGORIES, bflyKeys, connectRedis, redisConnection, workspaceQueueName } from './queue.js';

/** What a worker reports as it goes (`bfly worker` prints these; `--json`: NDJSON). */
export type WorkerEvent =
  | { type: 'worker_started'; name: string; host: string; queue: string; redis: string; concurrency: number }
  | { type: 'job_started'; job: string; batch: string; experiment: string; label: string; attempt: number }
  | { type: 'job_block'; job: string; block: string }
  | { type: 'job_finished'; job: string; batch: string; label: string; status: string; runId: string | null; reused: boolean; retry: boolean; error: BatchRunResult['error'] }
  | { type: 'job_handed_back'; job: string }
  | { type: 'worker_draining'; running: number }
  | { type: 'worker_stopped'; name: string; done: number };

/** Options of {@link startQueueWorker}. */
export interface QueueWorkerOptions {
  /** Runs at once (default 1). */
  concurrency?: number;
  /** The worker's name (default `<host>-<pid>`), recorded on its runs as `env.worker`. */
  name?: string;
  onEvent?: (e: WorkerEvent) => void;
}

/** A running worker. */
export interface QueueWorker {
  name: string;
  /** `drain`: finish the current runs, take no more. `cancel`: stop them now and hand their jobs back. */
  stop(mode: 'drain' | 'cancel'): void;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
}

/** How long a job's lock lives without renewal (BullMQ's stalled-job detection), ms: `BFLY_QUEUE_LOCK_MS`, default 30 s. */
function queueLockMs(): number {
  const v = Number(process.env.BFLY_QUEUE_LOCK_MS);
  return Number.isFinite(v) && v >= 500 ? Math.floor(v) : 30_000;
}

interface Active {
  job: string;
  batch: string;
  experiment: string;
  label: string;
  since: string;
  runId: string | null;
  block: string | null;
  kill: ((s: NodeJS.Signals) => void) | null;
  /** Why its run process was stopped by the worker: a cancelled batch, or the worker handing it back. */
  stoppedFor: 'cancel' | 'hand_back' | null;
}

/** Starts a worker on the workspace at `root`. */
export async function startQueueWorker(root: string, address: QueueAddress, o: QueueWorkerOptions = {}): Promise<QueueWorker> {
  const concurrency = o.concurrency ?? 1;
  const host = currentHost();
  const name = o.name ?? `${host}-${process.pid}`;
  const queueName = await workspaceQueueName(root);
  const emit = o.onEvent ?? ((): void => {});
  const keys = bflyKeys(queueName);
  const redis = await connectRedis(address, `bfly-worker-${name}`);
  // Runs record which worker made them (`env.worker`); the run processes inherit this.
  process.env.BFLY_WORKER_NAME = name;
  const active = new Map<string, Active>();
  const startedAt = new Date().toISOString();
  let draining = false;
  let done = 0;
  // One V8 thread and one forest thread per run when the runs fill the cores (several runs at once,
  // or several workers on one machine, each started with BFLY_THREADS=1).
  const singleThreaded = (concurrency > 1 && concurrency >= availableParallelism()) || process.env.BFLY_THREADS === '1';

  const record = (batch: string, index: number, change: Record<string, unknown>): void => {
    try {
      updateBatchRecord(root, batch, (r) => {
        const e = r.runs[index];
        if (e !== undefined && !FINAL_BATCH_RUN_STATUSES.includes(e.status)) Object.assign(e, change);
      });
    } catch {
      /* a batch record removed meanwhile: the run itself is in runs/ */
    }
  };

  const process1 = async (job: Job<QueueJobData>, token?: string): Promise<unknown> => {
    const d = job.data;
    const id = job.id ?? '';
    if ((await redis.get(keys.cancelled(d.batch))) !== null) {
      record(d.batch, d.index, { status: 'skipped' });
      throw new UnrecoverableError('cancelled: its batch was cancelled');
    }
    // A job that killed its worker on every attempt (each start counts; a kill -9 leaves no failure behind).
    if (job.attemptsStarted > d.attempts) {
      const error = { category: 'infra', code: 'WORKER_DIED', message: `the job was started ${job.attemptsStarted - 1} times and each time its worker died before it ended`, hint: 'look for what kills the worker (memory: `dmesg`, the OOM killer); `bfly queue retry` tries again' };
      record(d.batch, d.index, { status: 'crashed', error, job: id });
      throw new UnrecoverableError(`infra: ${error.message}`);
    }
    // Done already (an identical run finished since it was queued): no process is started.
    const already = d.force ? null : findReusableRun(root, d.executionKey, d.experiment);
    if (already !== null) {
      record(d.batch, d.index, { status: 'succeeded', runId: already, reused: true, host, worker: name, job: id, error: null });
      emit({ type: 'job_finished', job: id, batch: d.batch, label: d.label, status: 'succeeded', runId: already, reused: true, retry: false, error: null });
      const m = readRunManifest(root, already);
      return { runId: already, status: 'succeeded', reused: true, metrics: m.metrics, durationMs: m.durationMs };
    }
    const a: Active = { job: id, batch: d.batch, experiment: d.experiment, label: d.label, since: new Date().toISOString(), runId: null, block: null, kill: null, stoppedFor: null };
    active.set(id, a);
    await beat();
    record(d.batch, d.index, { status: 'running', host, worker: name, job: id, attempts: job.attemptsStarted });
    emit({ type: 'job_started', job: id, batch: d.batch, experiment: d.experiment, label: d.label, attempt: job.attemptsStarted });
    let lastProgress = 0;
    const onRunEvent = (e: RunEvent): void => {
      if (e.type === 'run_created') a.runId = e.runId;
      if (e.type === 'block_started') {
        a.block = e.block;
        emit({ type: 'job_block', job: id, block: e.block });
      }
      // Progress ticks are thinned (each is a Redis write); the rest are forwarded as they come.
      const now = Date.now();
      if (e.type === 'block_progress' || e.type === 'log') {
        if (now - lastProgress < 200) return;
        lastProgress = now;
      }
      job.updateProgress(e as unknown as object).catch(() => {});
    };
    let r: BatchRunResult;
    try {
      r = await runWorker(root, d.experiment, { index: d.index, label: d.label, seed: d.seed, sets: d.sets }, { force: d.force, noCache: d.noCache, timeoutMs: d.timeoutMs ?? undefined, singleThreaded, mode: 'service' }, d.batch, onRunEvent, (kill) => {
        a.kill = kill;
        if (a.stoppedFor !== null) kill('SIGINT');
      });
    } finally {
      active.delete(id);
    }
    done++;
    // A run this worker's host left behind (a run process killed with it) is ended as interrupted.
    try {
      indexRunFolders(root, recoverInterruptedRuns(root));
    } catch {
      /* the next command recovers it */
    }
    if (a.stoppedFor === 'hand_back' && r.status !== 'succeeded') {
      // Second signal: the run was stopped; the job goes back to the queue for another worker.
      record(d.batch, d.index, { status: 'queued', runId: null });
      emit({ type: 'job_handed_back', job: id });
      await job.moveToDelayed(Date.now() + 100, token);
      throw new DelayedError();
    }
    const category = r.status === 'crashed' ? 'infra' : (r.error?.category ?? (r.status === 'cancelled' ? 'cancelled' : 'unknown'));
    const fin = { runId: r.runId, reused: r.reused, host, worker: name };
    if (r.status === 'succeeded') {
      record(d.batch, d.index, { ...fin, status: 'succeeded', error: null });
      emit({ type: 'job_finished', job: id, batch: d.batch, label: d.label, status: 'succeeded', runId: r.runId, reused: r.reused, retry: false, error: null });
      return { runId: r.runId, status: r.status, reused: r.reused, metrics: r.metrics, durationMs: r.durationMs };
    }
    const transient = TRANSIENT_CATEGORIES.includes(category) && r.status !== 'timed_out' && a.stoppedFor === null;
    const retry = transient && job.attemptsMade + 1 < d.attempts;
    record(d.batch, d.index, { ...fin, status: retry ? 'retrying' : a.stoppedFor === 'cancel' ? 'cancelled' : r.status, error: r.error });
    emit({ type: 'job_finished', job: id, batch: d.batch, label: d.label, status: r.status, runId: r.runId, reused: r.reused, retry, error: r.error });
    const message = `${category}: ${r.error?.message ?? r.status}`;
    if (retry) throw new Error(message);
    throw new UnrecoverableError(message);
  };

  const lockMs = queueLockMs();
  const worker = new Worker<QueueJobData>(queueName, process1, {
    connection: redisConnection(address, `bfly-worker-${name}-jobs`),
    concurrency,
    name,
    lockDuration: lockMs,
    stalledInterval: Math.max(250, Math.floor(lockMs / 2)),
    // Attempts are counted by the processor (attemptsStarted), which writes the reason down.
    maxStalledCount: 25,
    autorun: false,
  });
  worker.on('error', () => {}); // connection trouble: ioredis reconnects

  async function beat(): Promise<void> {
    const b: WorkerBeat = {
      name,
      host,
      pid: process.pid,
      concurrency,
      startedAt,
      beatAt: new Date().toISOString(),
      draining,
      running: [...active.values()].map((x) => ({ job: x.job, batch: x.batch, label: x.label, experiment: x.experiment, since: x.since, runId: x.runId, block: x.block })),
    };
    try {
      await redis.multi().set(keys.worker(name), JSON.stringify(b), 'PX', 5000).sadd(keys.workers, name).exec();
      // A cancelled batch: its runs in progress here stop cleanly.
      for (const x of active.values()) {
        if (x.stoppedFor === null && (await redis.get(keys.cancelled(x.batch))) !== null) {
          x.stoppedFor = 'cancel';
          x.kill?.('SIGINT');
        }
      }
    } catch {
      /* Redis away: the next beat tries again */
    }
  }
  const timer = setInterval(() => void beat(), 1000);
  await beat();
  emit({ type: 'worker_started', name, host, queue: queueName, redis: address.display, concurrency });
  const running = worker.run();

  let stopping: Promise<void> | null = null;
  const stop = (mode: 'drain' | 'cancel'): void => {
    if (mode === 'cancel') {
      for (const x of active.values()) {
        if (x.stoppedFor === null) x.stoppedFor = 'hand_back';
        x.kill?.('SIGINT');
      }
    }
    if (stopping !== null) return;
    draining = true;
    emit({ type: 'worker_draining', running: active.size });
    void beat();
    stopping = worker.close();
  };
  const all = (async () => {
    await running;
    await stopping;
    clearInterval(timer);
    await redis.multi().del(keys.worker(name)).srem(keys.workers, name).exec().catch(() => {});
    redis.disconnect();
    emit({ type: 'worker_stopped', name, done });
  })();
  return { name, stop, done: all };
}
