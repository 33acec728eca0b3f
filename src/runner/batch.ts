/**
 * Batches of runs: the cartesian product of grid values and seeds, each a normal run (its own
 * snapshot, key and dedupe), executed by up to `jobs` worker processes (`bfly run --json` each,
 * so one crashing or killed worker fails only its run). Used by `bfly run --grid/--seeds` and the
 * library's `runBatch`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type BatchRunSpec, type GridAxis, countBatchOutcomes, expandBatch, newBatchId, parseGridAxis } from '../core/batch.js';
import { BflyError, ValidationError } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import type { RunManifest } from '../core/run-manifest.js';
import { packageRoot } from '../store/package-root.js';
import { writeBatchRecord } from '../store/batches.js';
import { indexRunFolders } from '../store/run-index.js';
import { recoverInterruptedRuns } from '../store/run-state.js';
import { planRun } from '../store/snapshot.js';
import { pipelineBackend } from './backend.js';

/** Options of {@link runBatch}. */
export interface BatchOptions {
  /** Grid axes: `path=v1,v2` strings (as on the command line) or parsed axes. */
  grid?: Array<string | GridAxis>;
  /** Seeds; each grid point runs once per seed (default: the pipeline's seed). */
  seeds?: number[];
  /** `path=value` changes applied to every run. */
  sets?: string[];
  /** Worker processes (default: the number of cores). */
  jobs?: number;
  force?: boolean;
  noCache?: boolean;
  /** A time limit for each run, in ms (`bfly run --grid … --timeout 10m`). */
  timeoutMs?: number;
  /** Cancels the runs in progress (cleanly) and starts no more. */
  signal?: AbortSignal;
  /** Batch progress, as it happens. */
  onEvent?: (e: BatchEvent) => void;
  /** The batch id to record on each run (default: a new one). */
  batchId?: string;
  /**
   * Waits for a slot before each run starts (the service's `--jobs` limit across its jobs);
   * resolves with the function that frees it, or null when the batch should start no more.
   */
  acquire?: () => Promise<(() => void) | null>;
  /** See {@link WorkerOptions.mode}. */
  mode?: 'batch' | 'service';
  /** See {@link WorkerOptions.singleThreaded} (default: when a worker per core runs). */
  singleThreaded?: boolean;
}

/** The outcome of one run of a batch. */
export interface BatchRunResult extends BatchRunSpec {
  /** `skipped`: never started (the batch was cancelled first); `crashed`: the worker died. */
  status: RunManifest['status'] | 'skipped' | 'crashed';
  runId: string | null;
  reused: boolean;
  metrics: Record<string, number>;
  durationMs: number | null;
  error: { category: string; code: string; message: string; hint: string | null } | null;
}

/** What a batch reports while it runs (`bfly run --grid --json` prints these as NDJSON). */
export type BatchEvent =
  | { type: 'batch_started'; batch: string; experiment: string; metric: string; jobs: number; runs: BatchRunSpec[] }
  | { type: 'batch_run_started'; batch: string; index: number }
  | { type: 'batch_run_event'; batch: string; index: number; event: RunEvent }
  | { type: 'batch_run_finished'; batch: string; result: BatchRunResult }
  | { type: 'batch_finished'; batch: string; durationMs: number; counts: Record<string, number>; cancelled: boolean };

/** What {@link runBatch} resolves with. */
export interface BatchResult {
  batch: string;
  experiment: string;
  /** The experiment's metric (the leaderboard's order). */
  metric: string;
  runs: BatchRunResult[];
  cancelled: boolean;
  durationMs: number;
}

/** How {@link runWorker} runs one run. */
export interface WorkerOptions {
  sets?: string[];
  force?: boolean;
  noCache?: boolean;
  timeoutMs?: number;
  /** One V8 thread and one forest thread (when a worker per core runs). */
  singleThreaded: boolean;
  /**
   * `batch`: an orphaned worker (its parent killed) ends its run cleanly as cancelled;
   * `service`: it dies at once, so that its run is recovered as interrupted, like its job.
   */
  mode?: 'batch' | 'service';
}

/**
 * Runs one run in its own worker process (`bfly run --json`): a crashing or killed worker fails
 * only its run. `started` receives a function that signals the worker (SIGINT: cancel cleanly).
 * Used by batches and by the service's jobs.
 */
export function runWorker(root: string, experiment: string, spec: BatchRunSpec, o: WorkerOptions, batch: string | null, onEvent: (e: RunEvent) => void, started: (kill: (signal: NodeJS.Signals) => void) => void): Promise<BatchRunResult> {
  // With a worker per core, V8's background compiler and GC threads only compete with the other
  // workers: each runs single-threaded (measured: 2.7 s of CPU per run instead of 3.4 s).
  const args = [...(o.singleThreaded ? ['--single-threaded'] : []), join(packageRoot(), 'bin', 'bfly.cjs'), '-C', root, 'run', experiment, '--json', ...(batch === null ? [] : ['--batch-id', batch])];
  for (const s of [...(o.sets ?? []), ...spec.sets]) args.push('--set', s);
  if (spec.seed !== null) args.push('--seed', String(spec.seed));
  if (o.force) args.push('--force');
  if (o.noCache) args.push('--no-cache');
  if (o.timeoutMs !== undefined) args.push('--timeout', `${o.timeoutMs}ms`);
  return new Promise((resolve) => {
    // Its own process group: a terminal's Ctrl-C reaches the batch, which cancels its workers.
    // (and grows its forests on one thread: BFLY_THREADS)
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, BFLY_WORKER: o.mode === 'service' ? 'service' : '1', ...(o.singleThreaded ? { BFLY_THREADS: '1' } : {}) } });
    started((signal) => child.kill(signal));
    let manifest: RunManifest | null = null;
    let runId: string | null = null;
    let buf = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        let v: Record<string, unknown>;
        try {
          v = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (typeof v.executionKey === 'string' && typeof v.status === 'string' && Array.isArray(v.blocks)) manifest = v as unknown as RunManifest;
        else if (typeof v.type === 'string') {
          if (typeof v.runId === 'string') runId = v.runId;
          onEvent(v as unknown as RunEvent);
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    child.on('close', (code, signal) => {
      const base = { ...spec, reused: false, metrics: {}, durationMs: null };
      if (manifest !== null) {
        const m = manifest as RunManifest;
        resolve({ ...base, status: m.status, runId: m.id, reused: m.reused, metrics: m.metrics, durationMs: m.durationMs, error: m.error === null ? null : { category: m.error.category, code: m.error.code, message: m.error.message, hint: m.error.hint } });
        return;
      }
      if (signal !== null || code === null) {
        // The worker died: its run (if it had one) is marked interrupted now, not at the next command.
        try {
          indexRunFolders(root, recoverInterruptedRuns(root));
        } catch {
          /* the next bfly command recovers it */
        }
        resolve({ ...base, status: 'crashed', runId, error: { category: 'infra', code: 'WORKER_DIED', message: `the worker process running it ended by ${signal ?? `exit ${code}`}`, hint: 'run the batch again: finished runs are reused, finished blocks come from the cache' } });
        return;
      }
      // No run was made (e.g. a --set value that fails validation): the JSON error is on stderr.
      let err: BatchRunResult['error'] = { category: 'unknown', code: 'WORKER_FAILED', message: stderr.trim().split('\n').at(-1) ?? `exit ${code}`, hint: null };
      try {
        const e = (JSON.parse(stderr.trim().split('\n').at(-1) ?? '') as { error?: { category: string; code: string; message: string; hint: string | null } }).error;
        if (e) err = { category: e.category, code: e.code, message: e.message, hint: e.hint ?? null };
      } catch {
        /* not JSON: keep the text */
      }
      resolve({ ...base, status: 'failed', runId, error: err });
    });
  });
}

/** A batch's runs, each validated (with its execution key) before any starts. */
export interface PlannedBatch {
  axes: GridAxis[];
  specs: BatchRunSpec[];
  /** Each spec's execution key, by index. */
  keys: string[];
  metric: string;
}

/**
 * Expands a batch's grid and seeds and plans every run: every combination must make a valid
 * pipeline before any run starts (an error names the grid point).
 */
export function planBatch(root: string, experiment: string, o: Pick<BatchOptions, 'grid' | 'seeds' | 'sets'>): PlannedBatch {
  const axes = (o.grid ?? []).map((g) => (typeof g === 'string' ? parseGridAxis(g) : g));
  const specs = expandBatch(axes, o.seeds ?? null);
  let metric = '';
  const keys: string[] = [];
  for (const spec of specs) {
    try {
      const plan = planRun(root, experiment, { seed: spec.seed ?? undefined, sets: [...(o.sets ?? []), ...spec.sets], backend: pipelineBackend });
      metric = plan.binding.metric;
      keys[spec.index] = plan.executionKey;
    } catch (err) {
      if (err instanceof BflyError && spec.sets.length > 0) throw new ValidationError(err.code, `grid point ${spec.label}: ${err.message}`, { hint: err.hint, data: err.data });
      throw err;
    }
  }
  return { axes, specs, keys, metric };
}

/**
 * Runs an experiment over a grid of config values and seeds: each combination is a normal run
 * (existing runs with the same execution key are reused), executed by up to `jobs` worker
 * processes. One failing or crashing run does not stop the others. Resolves when every run has
 * ended (or was skipped after a cancel); every run records the batch id (`bfly runs --where
 * 'batch == "<id>"'`).
 *
 * @example
 * const b = await runBatch(root, 'penguins', { grid: ['blocks.model_selection.config.cv=3,5'], seeds: [1, 2], jobs: 2 });
 * b.runs.map((r) => [r.label, r.seed, r.status, r.metrics.accuracy]);
 */
export async function runBatch(root: string, experiment: string, o: BatchOptions = {}): Promise<BatchResult> {
  const { axes, specs, metric } = planBatch(root, experiment, o);
  const batch = o.batchId ?? newBatchId(new Date(), randomBytes(2).toString('hex'));
  const jobs = Math.max(1, Math.min(o.jobs ?? availableParallelism(), specs.length));
  const emit = o.onEvent ?? ((): void => {});
  const t0 = Date.now();
  emit({ type: 'batch_started', batch, experiment, metric, jobs, runs: specs });
  const results: BatchRunResult[] = new Array(specs.length);
  const kills = new Set<(s: NodeJS.Signals) => void>();
  let cancelled = o.signal?.aborted === true;
  const onAbort = (): void => {
    cancelled = true;
    for (const k of kills) k('SIGINT');
  };
  o.signal?.addEventListener('abort', onAbort);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!cancelled && next < specs.length) {
      const release = o.acquire === undefined ? () => {} : await o.acquire();
      if (release === null || cancelled || next >= specs.length) {
        release?.();
        break;
      }
      const spec = specs[next++];
      emit({ type: 'batch_run_started', batch, index: spec.index });
      let kill: ((s: NodeJS.Signals) => void) | null = null;
      const r = await runWorker(
        root,
        experiment,
        spec,
        { ...o, singleThreaded: o.singleThreaded ?? (jobs > 1 && jobs >= availableParallelism()) },
        batch,
        (event) => emit({ type: 'batch_run_event', batch, index: spec.index, event }),
        (k) => {
          kill = k;
          kills.add(k);
          if (cancelled) k('SIGINT');
        },
      );
      release();
      if (kill !== null) kills.delete(kill);
      results[spec.index] = r;
      emit({ type: 'batch_run_finished', batch, result: r });
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  for (const s of specs) results[s.index] ??= { ...s, status: 'skipped', runId: null, reused: false, metrics: {}, durationMs: null, error: null };
  const counts = countBatchOutcomes(results);
  const durationMs = Date.now() - t0;
  writeBatchRecord(root, {
    id: batch,
    experiment,
    createdAt: new Date(t0).toISOString(),
    endedAt: new Date().toISOString(),
    grid: axes.map((a) => ({ path: a.path, values: a.values })),
    seeds: o.seeds ?? null,
    cancelled,
    runs: results.map((r) => ({ index: r.index, label: r.label, seed: r.seed, runId: r.runId, status: r.status, reused: r.reused })),
  });
  // Runs this batch reused now belong to it too: their index entries are brought up to date.
  indexRunFolders(root, results.filter((r) => r.reused && r.runId !== null).map((r) => r.runId!));
  emit({ type: 'batch_finished', batch, durationMs, counts, cancelled });
  return { batch, experiment, metric, runs: results, cancelled, durationMs };
}
