import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { parseDuration } from '../core/duration.js';
import { parseSeeds } from '../core/batch.js';
import { type ErrorCategory, ValidationError } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import { type BatchEvent, type BatchResult, runBatch } from '../runner/batch.js';
import { previewRun, runExperiment } from '../runner/run-experiment.js';
import { FINAL_BATCH_RUN_STATUSES } from '../store/batches.js';
import { timeBudgetSets } from '../store/experiments.js';
import { openWorkspace } from '../store/workspace.js';
import { type BatchView, plainBatchLine, reduceBatchView, renderBatchSummary } from '../ui/batch.js';
import { plainEventLine, renderPreview, renderRunResult } from '../ui/run.js';

/** Options of `bfly run`. */
export interface RunCommandOptions extends GlobalOptions {
  seed?: number;
  set?: string[];
  force?: boolean;
  cache?: boolean;
  dryRun?: boolean;
  quiet?: boolean;
  batchId?: string;
  grid?: string[];
  seeds?: string;
  jobs?: string;
  wait?: boolean;
  timeout?: string;
  timeBudget?: string;
  workers?: string;
  queue?: string;
  detach?: boolean;
  attempts?: string;
}

/** `bfly run <exp> --grid ... --seeds ... [--jobs N]`: a batch; the category of the first failed run, if any. */
async function runBatchCommand(root: string, experiment: string, o: RunCommandOptions): Promise<ErrorCategory | 'cancelled' | undefined> {
  if (o.dryRun) throw new ValidationError('BATCH_DRY_RUN', '--dry-run shows one run; it does not combine with --grid or --seeds', { hint: 'preview one grid point with --set <path>=<value> --dry-run' });
  if (o.seed !== undefined && o.seeds !== undefined) throw new ValidationError('BATCH_SEED', '--seed and --seeds do not combine', { hint: 'list the seeds in --seeds, e.g. --seeds 7 or --seeds 1-5' });
  if (o.seed !== undefined) o = { ...o, seeds: String(o.seed), seed: undefined };
  const jobs = o.jobs === undefined ? undefined : Number(o.jobs);
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1 && jobs <= 64)) throw new ValidationError('BAD_JOBS', `--jobs must be a whole number from 1 to 64, not ${JSON.stringify(o.jobs)}`, { hint: 'e.g. --jobs 2 (default: the number of cores)' });
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    if (++signals > 1) process.exit(130);
    if (!o.json) process.stderr.write('\ncancelling the batch: running runs stop cleanly, queued ones are skipped (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let onEvent: (e: BatchEvent) => void = () => {};
  let finish = async (): Promise<void> => {};
  if (o.json) onEvent = (e) => process.stdout.write(jsonLine(e));
  else if (!o.quiet && process.stderr.isTTY && !process.env.CI) {
    const { renderBatchLive } = await import('../ui/batch-ink.js');
    const live = renderBatchLive(process.stderr);
    onEvent = live.onEvent;
    finish = live.done;
  } else if (!o.quiet) {
    let view: BatchView | null = null;
    onEvent = (e) => {
      view = reduceBatchView(view, e, Date.now());
      const line = plainBatchLine(e, view);
      if (line !== null) process.stderr.write(line + '\n');
    };
  }
  try {
    const seeds = o.seeds === undefined ? undefined : parseSeeds(o.seeds);
    const timeoutMs = o.timeout === undefined ? undefined : (parseDuration(o.timeout) ?? undefined);
    let result: BatchResult;
    if (o.queue !== undefined) {
      // Through Redis: submitted (validated, deduplicated, recorded), then followed until it ends.
      const q = await import('../runner/queue.js');
      const address = q.parseQueueUrl(o.queue);
      const attempts = o.attempts === undefined ? undefined : Number(o.attempts);
      const sub = await q.submitQueuedBatch(root, experiment, address, { grid: o.grid ?? [], seeds, sets: o.set ?? [], force: o.force === true, noCache: o.cache === false, timeoutMs, attempts });
      if (o.detach) {
        await finish();
        process.stdout.write(o.json ? jsonLine({ type: 'batch_submitted', ...sub }) : o.quiet ? `${sub.batch}\n` : `batch ${sub.batch}: ${sub.runs} runs of ${experiment}, ${sub.enqueued} queued, ${sub.reused} already done, ${sub.inFlight} in flight elsewhere (queue ${sub.queue})\n  follow it: bfly queue status --queue ${address.display}\n  cancel it: bfly queue cancel ${sub.batch} --queue ${address.display}\n`);
        return undefined;
      }
      if (o.json) onEvent({ type: 'batch_submitted', ...sub } as unknown as BatchEvent);
      else if (!o.quiet) process.stderr.write(`batch ${sub.batch}: ${sub.enqueued} queued, ${sub.reused} already done, ${sub.inFlight} in flight elsewhere; following it (Ctrl-C stops following; the batch goes on)\n`);
      // Ctrl-C stops following only: the workers own the runs (`bfly queue cancel` stops them).
      result = await q.followBatch(root, address, sub.batch, { onEvent, signal: controller.signal });
      if (!result.runs.every((r) => FINAL_BATCH_RUN_STATUSES.includes(r.status))) {
        await finish();
        if (!o.json) process.stderr.write(`stopped following batch ${sub.batch}; it goes on (bfly queue status --queue ${address.display})\n`);
        return 'cancelled';
      }
    } else {
      result = await runBatch(root, experiment, { grid: o.grid ?? [], seeds, sets: o.set ?? [], jobs, force: o.force === true, noCache: o.cache === false, timeoutMs, signal: controller.signal, onEvent });
    }
    await finish();
    if (o.quiet) process.stdout.write(result.runs.map((r) => `${r.runId ?? '-'} ${r.reused ? 'reused' : r.status}`).join('\n') + '\n');
    else if (!o.json) process.stdout.write(renderBatchSummary(result));
    if (result.cancelled) return 'cancelled';
    const bad = result.runs.find((r) => r.status !== 'succeeded');
    return bad === undefined ? undefined : ((bad.error?.category as ErrorCategory | undefined) ?? 'unknown');
  } finally {
    await finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `bfly run <experiment>`: returns the category of a failed run (its exit code), or 'cancelled'. */
export async function runCommand(experiment: string, o: RunCommandOptions): Promise<ErrorCategory | 'cancelled' | 'timed_out' | undefined> {
  const timeoutMs = o.timeout === undefined ? undefined : parseDuration(o.timeout);
  if (timeoutMs === null) throw new ValidationError('BAD_TIMEOUT', `--timeout must be a duration such as 90s, 10m or 1h30m, not ${JSON.stringify(o.timeout)}`, { hint: 'e.g. --timeout 10m' });
  const workers = o.workers === undefined ? undefined : Number(o.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 64)) throw new ValidationError('BAD_WORKERS', `--workers must be a whole number from 1 to 64, not ${JSON.stringify(o.workers)}`, { hint: 'e.g. --workers 2 (one per core)' });
  const ws = await openWorkspace(o.C ?? process.cwd());
  if (o.timeBudget !== undefined) {
    const ms = parseDuration(o.timeBudget);
    if (ms === null) throw new ValidationError('BAD_TIME_BUDGET', `--time-budget must be a duration such as 60s, 5m or 1h, not ${JSON.stringify(o.timeBudget)}`, { hint: 'e.g. --time-budget 60s' });
    // after the user's --set values: the flag wins over a budget set there
    o = { ...o, set: [...(o.set ?? []), ...timeBudgetSets(ws.root, experiment, ms / 1000)] };
  }
  if (o.queue === undefined && (o.detach || o.attempts !== undefined)) throw new ValidationError('QUEUE_ONLY', `${o.detach ? '--detach' : '--attempts'} applies to a batch sent to workers with --queue`, { hint: 'add --queue redis://HOST:PORT (see "Scaling out" in the README)' });
  if ((o.grid?.length ?? 0) > 0 || o.seeds !== undefined || o.queue !== undefined) {
    if (workers !== undefined) throw new ValidationError('WORKERS_SINGLE_RUN', '--workers applies to one run; a batch runs its runs in parallel instead (--jobs)', { hint: 'drop --workers, or set BFLY_WORKERS for every run of the batch' });
    return runBatchCommand(ws.root, experiment, o);
  }
  const options = { seed: o.seed, sets: o.set ?? [], force: o.force === true, noCache: o.cache === false, batch: o.batchId };
  if (o.dryRun) {
    const preview = previewRun(ws.root, experiment, options);
    process.stdout.write(o.json ? jsonLine(preview) : renderPreview(preview));
    return undefined;
  }
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    // First Ctrl-C cancels cleanly (at the next fold, tree or block); a second one exits now.
    if (++signals > 1) process.exit(130);
    if (!o.json && !o.quiet) process.stderr.write('\ncancelling… (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A batch worker whose batch died (kill -9) ends its run cleanly, as cancelled, rather than
  // run on for nobody (or die at its next write to the closed pipe). A worker of the service
  // (`bfly serve`) dies at once instead: its run is then recovered as interrupted, like its job.
  const parent = process.ppid;
  const mode = process.env.BFLY_WORKER;
  const orphaned = mode === '1' || mode === 'service' ? setInterval(() => process.ppid !== parent && (mode === 'service' ? process.kill(process.pid, 'SIGKILL') : controller.abort()), 250) : null;
  orphaned?.unref();
  let onEvent: ((e: RunEvent) => void) | undefined;
  let finish = async (): Promise<void> => {};
  if (o.json) {
    onEvent = (e) => process.stdout.write(jsonLine(e));
  } else if (!o.quiet && process.stderr.isTTY && !process.env.CI) {
    const { renderRunLive } = await import('../ui/run-ink.js');
    const live = renderRunLive(process.stderr);
    onEvent = live.onEvent;
    finish = live.done;
  } else if (!o.quiet) {
    onEvent = (e) => {
      const line = plainEventLine(e);
      if (line !== null) process.stderr.write(line + '\n');
    };
  }
  try {
    const onWait = (f: { purpose: string; pid: number }): void => {
      if (!o.json) process.stderr.write(`waiting: an identical run (same execution key) is executing, ${f.purpose}, pid ${f.pid}; its result will be returned (Ctrl-C stops waiting)\n`);
    };
    const { run } = await runExperiment(ws.root, experiment, { ...options, wait: o.wait !== false, onWait, timeoutMs, ...(workers !== undefined ? { workers } : {}), signal: controller.signal, onEvent });
    await finish();
    if (o.json) process.stdout.write(jsonLine(run));
    else if (o.quiet) process.stdout.write(`${run.id} ${run.status}\n`);
    else (run.status === 'succeeded' ? process.stdout : process.stderr).write(renderRunResult(run));
    if (run.status === 'succeeded') return undefined;
    if (run.status === 'cancelled') return 'cancelled';
    if (run.status === 'timed_out') return 'timed_out';
    return (run.error?.category as ErrorCategory | undefined) ?? 'unknown';
  } finally {
    if (orphaned !== null) clearInterval(orphaned);
    await finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
