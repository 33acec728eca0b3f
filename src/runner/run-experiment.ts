import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../core/events.js';
import { type PreviousBlock, type RunManifest, blockChangeReason } from '../core/run.js';
import { readCacheEntry } from '../store/block-cache.js';
import { listExperiments } from '../store/experiments.js';
import { checkHookPolicy } from '../store/hooks.js';
import { listRunIds } from '../store/runs.js';
import { readRunManifest } from '../store/run-state.js';
import { type HeldLock, acquireLock } from '../store/lock.js';
import { currentDraftRevision } from '../store/experiments.js';
import { sha256Hex } from '../core/hash.js';
import { InfraError, isBflyError } from '../core/errors.js';
import { RunCancelledError } from './context.js';
import { type RunPlan, findReusableRun, planRun, snapshotRun } from '../store/snapshot.js';
import { pipelineBackend } from './backend.js';
import { UNCACHED_BLOCKS } from './blocks/index.js';
import { executeRun } from './execute-run.js';
import { listDatasets } from '../store/datasets.js';
import type { WorkspaceConfig } from '../core/config.js';
import type { PlanStep, RunPreview } from '../core/contracts/run.js';
import type { ExperimentStatus, WorkspaceStatus } from '../core/contracts/workspace.js';
import type { RunSummary } from '../core/contracts/run.js';
import type { RunSelection } from '../core/run-summary.js';
import { listRunSummaries } from '../store/run-index.js';

/** Options of {@link runExperiment}. */
export interface RunOptions {
  /** Overrides the pipeline's seed. */
  seed?: number;
  /** `<path>=<value>` changes to the draft, for this run only. */
  sets?: string[];
  /** Run even when a succeeded run has the same execution key. */
  force?: boolean;
  /** Execute every block; do not reuse (or store) block outputs. */
  noCache?: boolean;
  /** Cancels the run. */
  signal?: AbortSignal;
  /** Called with every event, as it happens. */
  onEvent?: (e: RunEvent) => void;
  /** The batch this run belongs to (see runBatch); recorded in run.json. */
  batch?: string;
  /**
   * When a run with the same execution key is executing right now (another process): wait for
   * it and return it (default), or, with `false`, fail at once naming it (`RUN_IN_FLIGHT`).
   */
  wait?: boolean;
  /** A time limit for this execution, in ms (over the pipeline's `timeout`; not part of the execution key). */
  timeoutMs?: number;
  /** Threads model_selection fits folds on (default BFLY_WORKERS, else the CPUs up to 4); the results are the same with any number, so it is not part of the execution key. */
  workers?: number;
  /** Told once when this call waits for an identical run in flight. */
  onWait?: (inFlight: { purpose: string; pid: number; since: string }) => void;
}

/** What {@link runExperiment} returns. */
export interface RunResult {
  /** The run's manifest (`run.json`); `reused` is true when an earlier run was returned. */
  run: RunManifest;
  reused: boolean;
  /** True when the run returned was executing when this call started (it waited for it). */
  deduplicated?: boolean;
}

export type { PlanStep, RunPreview } from '../core/contracts/run.js';


function planFor(root: string, experiment: string, o: Pick<RunOptions, 'seed' | 'sets'>): RunPlan {
  // The backend depends on the pipeline (the MLP trains on tfjs).
  const plan = planRun(root, experiment, { seed: o.seed, sets: o.sets, backend: pipelineBackend });
  // The profile decides which hooks may run: checked before anything is written.
  checkHookPolicy(root, plan.hooks, plan.pipeline.blocks.flatMap((b) => b.hooks));
  return plan;
}

function latestRunOf(root: string, experiment: string): RunManifest | null {
  const ids = listRunIds(root);
  for (let i = ids.length - 1; i >= 0; i--) {
    try {
      const m = readRunManifest(root, ids[i]);
      if (m.experiment === experiment && Array.isArray(m.blocks)) return m;
    } catch {
      /* unreadable run.json: skip */
    }
  }
  return null;
}

/**
 * What a run would do, without doing it: the execution key, whether a succeeded run already has
 * it, and per block whether its outputs come from the cache or why it must run (which hash
 * changed since the experiment's latest run).
 *
 * @example
 * const p = previewRun(root, 'penguins', { sets: ['blocks.model_selection.config.cv=3'] });
 * p.steps.filter((s) => s.action === 'run').map((s) => `${s.id}: ${s.reason}`);
 */
export function previewRun(root: string, experiment: string, o: Pick<RunOptions, 'seed' | 'sets' | 'noCache' | 'force'> = {}): RunPreview {
  const plan = planFor(root, experiment, o);
  const previous = latestRunOf(root, experiment);
  const prevBlocks = new Map<string, PreviousBlock>((previous?.blocks ?? []).map((b) => [b.id, b]));
  const steps = plan.blocks.map((b): PlanStep => {
    const uncached = UNCACHED_BLOCKS.has(b.type as never);
    const hit = !uncached && o.noCache !== true && readCacheEntry(root, b.key) !== null;
    if (hit) return { id: b.id, type: b.type, key: b.key, action: 'cached', reason: 'same key as a finished block' };
    const prev = prevBlocks.get(b.id) as (PreviousBlock & { status?: string }) | undefined;
    const unfinished = prev !== undefined && prev.key === b.key && prev.status !== 'succeeded' ? `it did not finish in run ${previous!.id} (${prev.status})` : null;
    const why = o.noCache === true ? 'the cache is disabled (--no-cache)' : uncached ? 'never cached (it names its run)' : (unfinished ?? blockChangeReason(b, prev, previous !== null && previous.seed !== plan.seed) ?? 'its cached outputs are gone');
    return { id: b.id, type: b.type, key: b.key, action: 'run', reason: why };
  });
  return {
    experiment,
    executionKey: plan.executionKey,
    seed: plan.seed,
    backend: plan.backend,
    upToDate: o.force === true ? null : findReusableRun(root, plan.executionKey, experiment),
    comparedWith: previous?.id ?? null,
    steps,
  };
}

/**
 * Runs an experiment: validates its draft (with `sets` and `seed` applied), returns the
 * succeeded run with the same execution key if there is one (unless `force`), else snapshots
 * the draft into a new run folder and executes it. Events stream to `onEvent`. Resolves with
 * the run whatever its outcome (look at `run.status` and `run.error`); throws only when no
 * run could be created (invalid pipeline, unknown experiment).
 *
 * @example
 * const { run, reused } = await runExperiment(root, 'penguins', { seed: 7, onEvent: (e) => console.log(e.type) });
 * if (run.status === 'succeeded') console.log(run.metrics.accuracy);
 */
export async function runExperiment(root: string, experiment: string, o: RunOptions = {}): Promise<RunResult> {
  const plan = planFor(root, experiment, o);
  let keyLock: HeldLock | null = null;
  if (o.force !== true) {
    const existing = findReusableRun(root, plan.executionKey, experiment);
    if (existing !== null) return { run: { ...readRunManifest(root, existing), reused: true }, reused: true };
    // One execution per key at a time: a second identical run waits for the first and returns it.
    const lock = await holdExecutionKey(root, experiment, plan.executionKey, o);
    keyLock = lock.held;
    const finished = findReusableRun(root, plan.executionKey, experiment);
    if (finished !== null) {
      keyLock.release();
      return { run: { ...readRunManifest(root, finished), reused: true }, reused: true, ...(lock.waited ? { deduplicated: true } : {}) };
    }
  }
  try {
    const draftRevision = currentDraftRevision(root, experiment).rev;
    const created = snapshotRun(root, { ...plan, batch: o.batch ?? null, draftRevision });
    keyLock?.relabel(`running ${experiment} (run ${created.id})`);
    const pipelineYaml = readFileSync(join(created.dir, 'pipeline.yaml'), 'utf8');
    const run = await executeRun({ root, plan, created, pipelineYaml, noCache: o.noCache, signal: o.signal, onEvent: o.onEvent, timeoutMs: o.timeoutMs, workers: o.workers });
    return { run, reused: false };
  } finally {
    keyLock?.release();
  }
}

/**
 * Takes the lock of an execution key (`key-<hash>`), waiting while another live process holds
 * it (its run is executing), unless `o.wait` is false: then a `RUN_IN_FLIGHT` error names it.
 */
async function holdExecutionKey(root: string, experiment: string, key: string, o: RunOptions): Promise<{ held: HeldLock; waited: boolean }> {
  const name = `key-${sha256Hex(`${experiment}\0${key}`).slice(0, 32)}`;
  let waited = false;
  for (;;) {
    try {
      return { held: acquireLock(root, name, { purpose: `running ${experiment}`, long: true }), waited };
    } catch (err) {
      if (!isBflyError(err) || err.code !== 'LOCKED') throw err;
      const holder = (err.data.holder ?? null) as { purpose: string; pid: number; acquiredAt: string } | null;
      const inFlight = { purpose: holder?.purpose ?? 'another run', pid: holder?.pid ?? 0, since: holder?.acquiredAt ?? '' };
      if (o.wait === false) {
        throw new InfraError('RUN_IN_FLIGHT', `a run of ${experiment} with the same execution key is executing: ${inFlight.purpose} (pid ${inFlight.pid}, since ${inFlight.since})`, {
          hint: 'wait for it (run again without --no-wait: you get its result), or --force to execute another',
          data: { experiment, executionKey: key, inFlight },
        });
      }
      if (!waited) o.onWait?.(inFlight);
      waited = true;
      if (o.signal?.aborted) throw new RunCancelledError();
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export type { ExperimentStatus } from '../core/contracts/workspace.js';

/** The run listing {@link experimentStatuses} reads latest runs from (the index, or the service's cached copy). */
export interface RunsLookup {
  summary(id: string): RunSummary;
  select(s: RunSelection): string[];
}

/**
 * Per experiment: its latest run, and what `bfly run` would do now (the same answer as
 * `--dry-run`).
 */
export async function experimentStatuses(root: string, runs?: RunsLookup): Promise<ExperimentStatus[]> {
  // each experiment's newest run from the run index (reading every run.json took ~0.8 s at 10,000 runs)
  const listing = runs ?? (await listRunSummaries(root));
  return listExperiments(root).map((e) => {
    const id = listing.select({ experiment: e.name, limit: 1 })[0];
    const latest = id === undefined ? null : listing.summary(id);
    const base = { name: e.name, latest: latest?.id ?? null, latestStatus: latest?.status ?? null };
    try {
      const p = previewRun(root, e.name);
      return { ...base, upToDate: p.upToDate, wouldRun: p.steps.filter((s) => s.action === 'run' && s.type !== 'report').map((s) => ({ block: s.id, reason: s.reason })), problem: null };
    } catch (err) {
      return { ...base, upToDate: null, wouldRun: [], problem: (err as Error).message };
    }
  });
}

/** The workspace, and per experiment what `bfly run` would do now (`bfly status --json`). */
export async function workspaceStatus(root: string, config: Pick<WorkspaceConfig, 'name' | 'profile'>, runs?: RunsLookup): Promise<WorkspaceStatus> {
  return { workspace: config.name, root, profile: config.profile, datasets: listDatasets(root).length, runs: listRunIds(root).length, experiments: await experimentStatuses(root, runs) };
}
