/**
 * Batches dispatched through BullMQ on Redis (`bfly run --queue`, `bfly worker`, `bfly queue`).
 *
 * The workspace stays the single source of truth, on a filesystem every machine mounts: a
 * queued batch's record (`batches/<id>.json`) is written before any job is enqueued, and the
 * workers write each run's outcome into it. Redis only dispatches: a job names a grid point of
 * a batch, nothing more. Should Redis lose its data, the follower (or `bfly queue retry`)
 * enqueues again what the record still lists as to do; a run already done is reused by its
 * execution key, one in progress is waited for (the key's lock), so nothing runs twice.
 *
 * Loaded lazily: only the queue commands import bullmq and ioredis.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { countBatchOutcomes, newBatchId } from '../core/batch.js';
import { type QueueAddress, parseQueueUrl, queueAddress } from '../core/queue-address.js';

export { type QueueAddress, parseQueueUrl, queueAddress };
import { InfraError, NotFoundError, ValidationError } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import { type BatchRecord, type BatchRecordRun, FINAL_BATCH_RUN_STATUSES, readBatchRecord, readBatchRecords, updateBatchRecord, writeBatchRecord } from '../store/batches.js';
import { readRawConfig } from '../store/config-file.js';
import { findReusableRun } from '../store/snapshot.js';
import { indexRunFolders } from '../store/run-index.js';
import { workspacePaths } from '../store/layout.js';
import { type BatchEvent, type BatchResult, type BatchRunResult, planBatch } from './batch.js';

/** The queue of a workspace: named by its id, so workspaces sharing a Redis never mix. */
export async function workspaceQueueName(root: string): Promise<string> {
  const config = (await readRawConfig(root)) as { id?: unknown };
  if (typeof config.id !== 'string' || !/^[A-Za-z0-9_-]+$/.test(config.id)) throw new InfraError('NO_WORKSPACE_ID', 'the workspace config has no id to name its queue', { hint: 'run `bfly fsck`' });
  return `bfly-${config.id}`;
}

/** Options of every Redis connection: reconnect for ever (a Redis restart is waited out). */
export function redisConnection(a: QueueAddress, name: string): Redis {
  return new Redis({
    host: a.host,
    port: a.port,
    db: a.db,
    ...(a.password !== null ? { password: a.password } : {}),
    connectionName: name,
    maxRetriesPerRequest: null,
    lazyConnect: true,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  });
}

/** Connects, or fails with an error naming the address and how to start a Redis. */
export async function connectRedis(a: QueueAddress, name: string, timeoutMs = 5000): Promise<Redis> {
  const redis = redisConnection(a, name);
  redis.on('error', () => {}); // reported by the commands that fail, retried by ioredis
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    await redis.ping();
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new InfraError('QUEUE_UNREACHABLE', `cannot reach Redis at ${a.display}: ${(err as Error).message}`, {
      hint: `start one (\`redis-server --port ${a.port} --appendonly yes\`) or check --queue`,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** What a job carries: one run of a batch (the record in the workspace has the rest). */
export interface QueueJobData {
  v: 1;
  batch: string;
  experiment: string;
  index: number;
  label: string;
  seed: number | null;
  sets: string[];
  force: boolean;
  noCache: boolean;
  timeoutMs: number | null;
  executionKey: string;
  attempts: number;
}

/** The job of one run of a batch, from its record (the record's queue settings and the run's grid point). */
function jobDataOf(record: Pick<BatchRecord, 'id' | 'experiment' | 'queue'>, run: Pick<BatchRecordRun, 'index' | 'label' | 'seed' | 'sets' | 'executionKey'>): QueueJobData {
  const q = record.queue!;
  return { v: 1, batch: record.id, experiment: record.experiment, index: run.index, label: run.label, seed: run.seed, sets: [...q.sets, ...(run.sets ?? [])], force: q.force, noCache: q.noCache, timeoutMs: q.timeoutMs, executionKey: run.executionKey ?? '', attempts: q.attempts };
}

/** A job's id: `<batch>.<index>` (a re-enqueued one gets `.r<n>`). */
export function jobIdOf(batch: string, index: number, round = 0): string {
  return round === 0 ? `${batch}.${index}` : `${batch}.${index}.r${round}`;
}

/** Keys bfly keeps beside BullMQ's: worker heartbeats and cancelled batches. */
export function bflyKeys(queue: string): { workers: string; worker: (name: string) => string; cancelled: (batch: string) => string } {
  return {
    workers: `bfly:${queue}:workers`,
    worker: (name) => `bfly:${queue}:worker:${name}`,
    cancelled: (batch) => `bfly:${queue}:cancelled:${batch}`,
  };
}

/** Error categories a queued run is retried after (with backoff); every other one is final at once. */
export const TRANSIENT_CATEGORIES: readonly string[] = ['infra'];

/** Options of {@link submitQueuedBatch}. */
export interface QueueSubmitOptions {
  grid?: string[];
  seeds?: number[];
  sets?: string[];
  force?: boolean;
  noCache?: boolean;
  timeoutMs?: number;
  /** Attempts of a run that fails for a transient reason (default 3). */
  attempts?: number;
  batchId?: string;
}

/** What {@link submitQueuedBatch} did. */
export interface QueueSubmission {
  batch: string;
  experiment: string;
  metric: string;
  queue: string;
  runs: number;
  /** Enqueued now. */
  enqueued: number;
  /** Already done (a succeeded run with the same execution key). */
  reused: number;
  /** The same execution key is already queued or running (another batch's job). */
  inFlight: number;
}

/** States in which a job is still to run or running. */
const LIVE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

/**
 * Validates every grid point, skips what is done or in flight (by execution key, across every
 * worker), writes the batch record, then enqueues the rest. `bfly run --queue`.
 */
export async function submitQueuedBatch(root: string, experiment: string, address: QueueAddress, o: QueueSubmitOptions = {}): Promise<QueueSubmission> {
  const attempts = o.attempts ?? 3;
  if (!(Number.isInteger(attempts) && attempts >= 1 && attempts <= 20)) throw new ValidationError('BAD_ATTEMPTS', `--attempts must be a whole number from 1 to 20, not ${attempts}`, { hint: 'e.g. --attempts 3 (the default)' });
  const { axes, specs, keys, metric } = planBatch(root, experiment, { grid: o.grid, seeds: o.seeds, sets: o.sets });
  const name = await workspaceQueueName(root);
  const connection = await connectRedis(address, 'bfly-submit');
  const queue = new Queue<QueueJobData>(name, { connection });
  try {
    const batch = o.batchId ?? newBatchId(new Date(), randomBytes(2).toString('hex'));
    // What is queued or running now, by execution key.
    const live = new Map<string, string>();
    for (const job of await queue.getJobs([...LIVE_STATES])) if (job?.data?.executionKey !== undefined && job.id !== undefined) live.set(job.data.executionKey, job.id);
    const runs: BatchRecordRun[] = [];
    let reused = 0;
    let inFlight = 0;
    for (const spec of specs) {
      const key = keys[spec.index];
      const base = { index: spec.index, label: spec.label, seed: spec.seed, sets: spec.sets, executionKey: key, reused: false, runId: null };
      const done = o.force ? null : findReusableRun(root, key, experiment);
      if (done !== null) {
        runs.push({ ...base, runId: done, status: 'succeeded', reused: true });
        reused++;
        continue;
      }
      const other = live.get(key);
      if (other !== undefined) {
        runs.push({ ...base, status: 'in_flight', job: other });
        inFlight++;
        continue;
      }
      const jobId = jobIdOf(batch, spec.index);
      live.set(key, jobId);
      runs.push({ ...base, status: 'queued', job: jobId });
    }
    // The record first: whatever happens to Redis, the workspace knows what this batch is.
    const record: BatchRecord = {
      id: batch,
      experiment,
      createdAt: new Date().toISOString(),
      endedAt: null,
      grid: axes.map((a) => ({ path: a.path, values: a.values })),
      seeds: o.seeds ?? null,
      cancelled: false,
      runs,
      queue: { url: address.display, name, attempts, force: o.force === true, noCache: o.noCache === true, sets: o.sets ?? [], timeoutMs: o.timeoutMs ?? null },
    };
    if (runs.every((r) => FINAL_BATCH_RUN_STATUSES.includes(r.status))) record.endedAt = record.createdAt;
    writeBatchRecord(root, record);
    const toAdd = runs.filter((r) => r.status === 'queued');
    await queue.addBulk(toAdd.map((r) => ({ name: experiment, data: jobDataOf(record, r), opts: { jobId: r.job!, ...jobOptions(attempts) } })));
    return { batch, experiment, metric, queue: name, runs: specs.length, enqueued: toAdd.length, reused, inFlight };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** Retries (exponential backoff from 2 s) and how long finished jobs are kept in Redis. */
function jobOptions(attempts: number): { attempts: number; backoff: { type: 'exponential'; delay: number }; removeOnComplete: { age: number }; removeOnFail: { age: number } } {
  return { attempts, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: { age: 7 * 86400 }, removeOnFail: { age: 30 * 86400 } };
}

/** A run result of a batch record entry (for the summary and events). */
export function resultOf(r: BatchRecordRun, metrics: Record<string, number> = {}, durationMs: number | null = null): BatchRunResult {
  return {
    index: r.index,
    label: r.label,
    seed: r.seed,
    sets: r.sets ?? [],
    status: r.status as BatchRunResult['status'],
    runId: r.runId,
    reused: r.reused,
    metrics,
    durationMs,
    error: r.error ?? null,
  };
}

/**
 * Brings a queued batch's record up to date with Redis, for what no worker could write: a job
 * failed by stalled-job detection (it killed its worker every time), a job of another batch this
 * one waits for (`in_flight`), and jobs Redis lost (enqueued again). Returns the record.
 */
export async function reconcileBatch(root: string, queue: Queue<QueueJobData>, batch: string): Promise<BatchRecord> {
  const record = readBatchRecord(root, batch);
  if (record.endedAt !== null) return record;
  const changes: Array<(r: BatchRecord) => void> = [];
  const lost: BatchRecordRun[] = [];
  for (const run of record.runs) {
    if (FINAL_BATCH_RUN_STATUSES.includes(run.status) || run.job === undefined) continue;
    const job = await queue.getJob(run.job);
    if (job === undefined) {
      if (run.status === 'in_flight') {
        // The other job is gone from Redis: its run, if it succeeded, is found by key; else this batch runs it itself.
        const done = findReusableRun(root, run.executionKey ?? '', record.experiment);
        changes.push((r) => Object.assign(r.runs[run.index], done !== null ? { status: 'succeeded', runId: done, reused: true } : { status: 'queued', job: jobIdOf(batch, run.index) }));
        if (done === null) lost.push({ ...run, job: jobIdOf(batch, run.index) });
      } else lost.push(run);
      continue;
    }
    const state = await job.getState();
    if (run.status === 'in_flight') {
      if (state === 'completed') {
        const v = job.returnvalue as { runId?: string; status?: string } | null;
        changes.push((r) => Object.assign(r.runs[run.index], { status: v?.status ?? 'succeeded', runId: v?.runId ?? null, reused: true }));
      } else if (state === 'failed') {
        changes.push((r) => Object.assign(r.runs[run.index], { status: 'failed', error: { category: 'unknown', code: 'OTHER_JOB_FAILED', message: `the identical run of job ${run.job} failed: ${job.failedReason}`, hint: `see \`bfly queue status\`; retry with \`bfly queue retry ${batch}\`` } }));
      }
    } else if (state === 'failed') {
      // Failed without a worker writing it down: stalled-job detection gave up on it.
      changes.push((r) => {
        const e = r.runs[run.index];
        if (!FINAL_BATCH_RUN_STATUSES.includes(e.status)) Object.assign(e, { status: 'crashed', error: { category: 'infra', code: 'WORKER_DIED', message: `the job ended its worker ${job.attemptsStarted} times (${job.failedReason})`, hint: `its runs are marked interrupted; \`bfly queue retry ${batch}\` tries again` } });
      });
    }
  }
  if (lost.length > 0 && !record.cancelled) {
    // Redis lost these jobs (restarted without its data): enqueued again under a new id.
    const updated: Array<{ index: number; job: string }> = [];
    for (const run of lost) {
      const round = Number(/\.r(\d+)$/.exec(run.job ?? '')?.[1] ?? 0) + 1;
      const jobId = jobIdOf(batch, run.index, round);
      await queue.add(record.experiment, jobDataOf(record, run), { jobId, ...jobOptions(record.queue!.attempts) });
      updated.push({ index: run.index, job: jobId });
    }
    changes.push((r) => {
      for (const u of updated) if (!FINAL_BATCH_RUN_STATUSES.includes(r.runs[u.index].status)) Object.assign(r.runs[u.index], { status: 'queued', job: u.job });
    });
  }
  if (changes.length === 0) return record;
  return updateBatchRecord(root, batch, (r) => {
    for (const c of changes) c(r);
  });
}

/** Options of {@link followBatch}. */
export interface FollowOptions {
  onEvent?: (e: BatchEvent) => void;
  /** Stops following (the batch goes on). */
  signal?: AbortSignal;
  /** How often the record is read (ms, default 250). */
  pollMs?: number;
  /**
   * How often the record is reconciled with Redis (ms, default 5,000; at once after a job failed,
   * stalled or completed elsewhere). Reconciling asks Redis about every unfinished run, so a follower
   * of a 10,000-run batch polling it 4 times a second would load Redis more than its workers do.
   */
  reconcileMs?: number;
}

/**
 * Follows a queued batch until every run has ended: live progress from BullMQ's events, results
 * from the batch record (the workers write it). Survives Redis restarts (everything reconnects;
 * jobs Redis lost are enqueued again). Resolves with the batch's result, as {@link runBatch} does.
 */
export async function followBatch(root: string, address: QueueAddress, batch: string, o: FollowOptions = {}): Promise<BatchResult> {
  const first = readBatchRecord(root, batch);
  if (first.queue === undefined) throw new ValidationError('NOT_A_QUEUED_BATCH', `batch ${batch} did not go through a queue`, { hint: `see its runs with \`bfly compare --batch ${batch}\`` });
  const name = first.queue.name;
  const emit = o.onEvent ?? ((): void => {});
  const t0 = Date.parse(first.createdAt);
  const connection = await connectRedis(address, 'bfly-follow');
  const queue = new Queue<QueueJobData>(name, { connection });
  const events = new QueueEvents(name, { connection: redisConnection(address, 'bfly-follow-events') });
  events.on('error', () => {});
  const mine = (jobId: string): number | null => {
    if (!jobId.startsWith(`${batch}.`)) return null;
    const i = Number(jobId.slice(batch.length + 1).split('.')[0]);
    return Number.isInteger(i) ? i : null;
  };
  const started = new Set<number>();
  const finished = new Set<number>();
  let metric = '';
  try {
    metric = planBatch(root, first.experiment, { sets: first.queue.sets }).metric;
  } catch {
    /* the draft changed since: the metric is only for display */
  }
  emit({ type: 'batch_started', batch, experiment: first.experiment, metric, jobs: 0, runs: first.runs.map((r) => ({ index: r.index, label: r.label, seed: r.seed, sets: r.sets ?? [] })) });
  events.on('active', ({ jobId }) => {
    const i = mine(jobId);
    if (i !== null && !started.has(i) && !finished.has(i)) {
      started.add(i);
      emit({ type: 'batch_run_started', batch, index: i });
    }
  });
  events.on('progress', ({ jobId, data }) => {
    const i = mine(jobId);
    if (i !== null && !finished.has(i) && data !== null && typeof data === 'object' && typeof (data as { type?: unknown }).type === 'string') {
      if (!started.has(i)) {
        started.add(i);
        emit({ type: 'batch_run_started', batch, index: i });
      }
      emit({ type: 'batch_run_event', batch, index: i, event: data as unknown as RunEvent });
    }
  });
  const metricsOf = new Map<number, { metrics: Record<string, number>; durationMs: number | null }>();
  // What only reconciling sees (a job failed without its worker writing it down, one of another
  // batch this one waits for ended, Redis lost jobs) is looked for at once after such an event.
  let dirty = true;
  events.on('failed', () => (dirty = true));
  events.on('stalled', () => (dirty = true));
  events.on('completed', ({ jobId, returnvalue }) => {
    const i = mine(jobId);
    if (i === null) dirty = true;
    const v = (typeof returnvalue === 'string' ? safeJson(returnvalue) : returnvalue) as { metrics?: Record<string, number>; durationMs?: number | null } | null;
    if (i !== null && v !== null && typeof v === 'object') metricsOf.set(i, { metrics: v.metrics ?? {}, durationMs: v.durationMs ?? null });
  });
  let record = first;
  let reconcileAt = 0;
  try {
    for (;;) {
      if (dirty || Date.now() >= reconcileAt) {
        dirty = false;
        reconcileAt = Date.now() + (o.reconcileMs ?? 5000);
        try {
          record = await reconcileBatch(root, queue, batch);
        } catch (err) {
          if (err instanceof NotFoundError || err instanceof ValidationError) throw err;
          record = readBatchRecord(root, batch); // Redis away: the record still says how far it got
          reconcileAt = Date.now() + (o.pollMs ?? 250); // and it is asked again soon
        }
      } else record = readBatchRecord(root, batch);
      for (const r of record.runs) {
        if (finished.has(r.index) || !FINAL_BATCH_RUN_STATUSES.includes(r.status)) continue;
        finished.add(r.index);
        const m = metricsOf.get(r.index) ?? runMetrics(root, r.runId);
        emit({ type: 'batch_run_finished', batch, result: resultOf(r, m.metrics, m.durationMs) });
      }
      if (record.endedAt !== null) break;
      if (o.signal?.aborted) break;
      await new Promise((res) => setTimeout(res, o.pollMs ?? 250));
    }
  } finally {
    await events.close().catch(() => {});
    await queue.close().catch(() => {});
    connection.disconnect();
  }
  const runs = record.runs.map((r) => {
    const m = metricsOf.get(r.index) ?? runMetrics(root, r.runId);
    return resultOf(r, m.metrics, m.durationMs);
  });
  const counts = countBatchOutcomes(runs);
  const durationMs = (record.endedAt !== null ? Date.parse(record.endedAt) : Date.now()) - t0;
  if (record.endedAt !== null) indexRunFolders(root, runs.filter((r) => r.reused && r.runId !== null).map((r) => r.runId!));
  emit({ type: 'batch_finished', batch, durationMs, counts, cancelled: record.cancelled });
  return { batch, experiment: record.experiment, metric, runs, cancelled: record.cancelled, durationMs };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

/** A run's metrics and duration from its run.json (for runs whose job event was missed). */
function runMetrics(root: string, runId: string | null): { metrics: Record<string, number>; durationMs: number | null } {
  if (runId === null) return { metrics: {}, durationMs: null };
  try {
    const m = JSON.parse(readFileSync(join(workspacePaths(root).runs, runId, 'run.json'), 'utf8')) as { metrics?: Record<string, number>; durationMs?: number | null };
    return { metrics: m.metrics ?? {}, durationMs: m.durationMs ?? null };
  } catch {
    return { metrics: {}, durationMs: null };
  }
}


/** One worker as its heartbeat says (`bfly queue status`). */
export interface WorkerBeat {
  name: string;
  host: string;
  pid: number;
  concurrency: number;
  startedAt: string;
  beatAt: string;
  draining: boolean;
  running: Array<{ job: string; batch: string; label: string; experiment: string; since: string; runId: string | null; block: string | null }>;
}

/** `bfly queue status`: the queue's counts, live workers and the workspace's unfinished queued batches. */
export interface QueueStatus {
  queue: string;
  redis: string;
  counts: Record<string, number>;
  workers: WorkerBeat[];
  batches: Array<{ id: string; experiment: string; createdAt: string; counts: Record<string, number>; cancelled: boolean }>;
}

export async function queueStatus(root: string, address: QueueAddress): Promise<QueueStatus> {
  const name = await workspaceQueueName(root);
  const connection = await connectRedis(address, 'bfly-status');
  const queue = new Queue<QueueJobData>(name, { connection });
  try {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
    const keys = bflyKeys(name);
    const workerNames = await connection.smembers(keys.workers);
    const workers: WorkerBeat[] = [];
    for (const w of workerNames.sort()) {
      const beat = await connection.get(keys.worker(w));
      if (beat === null) await connection.srem(keys.workers, w); // expired: gone
      else workers.push(JSON.parse(beat) as WorkerBeat);
    }
    const batches: QueueStatus['batches'] = [];
    for (const b of readBatchRecords(root).records) {
      if (b.queue === undefined || b.endedAt !== null) continue;
      const rec = await reconcileBatch(root, queue, b.id).catch(() => b);
      if (rec.endedAt === null) batches.push({ id: rec.id, experiment: rec.experiment, createdAt: rec.createdAt, counts: countBatchOutcomes(rec.runs), cancelled: rec.cancelled });
    }
    return { queue: name, redis: address.display, counts, workers, batches };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** `bfly queue cancel <batch>`: queued runs are dropped, running ones stop cleanly (their workers see the mark). */
export async function cancelQueuedBatch(root: string, address: QueueAddress, batch: string): Promise<{ batch: string; dropped: number; stopping: number }> {
  const record = readBatchRecord(root, batch);
  if (record.queue === undefined) throw new ValidationError('NOT_A_QUEUED_BATCH', `batch ${batch} did not go through a queue`, { hint: 'a local batch is cancelled with Ctrl-C in the terminal that runs it' });
  const connection = await connectRedis(address, 'bfly-cancel');
  const queue = new Queue<QueueJobData>(record.queue.name, { connection });
  try {
    await connection.set(bflyKeys(record.queue.name).cancelled(batch), '1', 'EX', 7 * 86400);
    let dropped = 0;
    let stopping = 0;
    const droppedIdx: number[] = [];
    for (const run of record.runs) {
      if (FINAL_BATCH_RUN_STATUSES.includes(run.status) || run.job === undefined) continue;
      if (run.status === 'in_flight') {
        droppedIdx.push(run.index);
        dropped++;
        continue;
      }
      const job = await queue.getJob(run.job);
      const state = job === undefined ? 'unknown' : await job.getState();
      if (state === 'active') {
        stopping++;
        continue;
      }
      if (job !== undefined && state !== 'completed' && state !== 'failed') await job.remove().catch(() => {});
      droppedIdx.push(run.index);
      dropped++;
    }
    updateBatchRecord(root, batch, (r) => {
      r.cancelled = true;
      for (const i of droppedIdx) if (!FINAL_BATCH_RUN_STATUSES.includes(r.runs[i].status)) Object.assign(r.runs[i], { status: 'skipped' });
    });
    return { batch, dropped, stopping };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/**
 * `bfly queue retry <batch>`: runs that failed for a transient reason (infra: a crash, a lost
 * worker, a full disk) are enqueued again; runs that failed in user code, validation, policy or
 * a framework are not (they would fail again): they are listed with their reason.
 */
export async function retryQueuedBatch(root: string, address: QueueAddress, batch: string): Promise<{ batch: string; retried: number[]; notRetried: Array<{ index: number; label: string; category: string }> }> {
  const record = readBatchRecord(root, batch);
  if (record.queue === undefined) throw new ValidationError('NOT_A_QUEUED_BATCH', `batch ${batch} did not go through a queue`, { hint: 'run it again with `bfly run … --grid …`: finished runs are reused' });
  const connection = await connectRedis(address, 'bfly-retry');
  const queue = new Queue<QueueJobData>(record.queue.name, { connection });
  const q = record.queue;
  try {
    await connection.del(bflyKeys(q.name).cancelled(batch));
    const retried: number[] = [];
    const notRetried: Array<{ index: number; label: string; category: string }> = [];
    const jobs = new Map<number, string>();
    for (const run of record.runs) {
      const transient = run.status === 'crashed' || run.status === 'interrupted' || (run.status === 'failed' && TRANSIENT_CATEGORIES.includes(run.error?.category ?? ''));
      const failed = ['failed', 'crashed', 'interrupted', 'timed_out', 'cancelled', 'skipped'].includes(run.status);
      if (!failed) continue;
      if (!transient && run.status !== 'skipped' && run.status !== 'cancelled') {
        notRetried.push({ index: run.index, label: run.label, category: run.status === 'timed_out' ? 'timed_out' : (run.error?.category ?? 'unknown') });
        continue;
      }
      const round = Number(/\.r(\d+)$/.exec(run.job ?? '')?.[1] ?? 0) + 1;
      const jobId = jobIdOf(batch, run.index, round);
      await queue.add(record.experiment, jobDataOf(record, run), { jobId, ...jobOptions(q.attempts) });
      jobs.set(run.index, jobId);
      retried.push(run.index);
    }
    if (retried.length > 0) {
      updateBatchRecord(root, batch, (r) => {
        r.cancelled = false;
        r.endedAt = null;
        for (const [i, job] of jobs) Object.assign(r.runs[i], { status: 'queued', job, error: null, runId: null });
      });
    }
    return { batch, retried, notRetried };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

