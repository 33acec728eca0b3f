import type { PartSlot, SelectionSlot } from './slots.js';
import type { TrainedModel } from '../core/contracts/run.js';
import { decodeValue, encodeValue } from '../core/codec.js';
import { formatHash, sha256Hex } from '../core/hash.js';
import { BflyError, isBflyError } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import { BLOCKS, type BlockSpec } from '../core/pipeline.js';
import { type RunError, type RunManifest, datasetSlotHash, slotHash } from '../core/run.js';
import { readCacheEntry, readCachedBlob, writeCacheEntry } from '../store/block-cache.js';
import { loadDatasetColumns } from '../store/dataset-columns.js';
import { getDataset } from '../store/datasets.js';
import { getExperiment } from '../store/experiments.js';
import { RunFolder, sealOf } from '../store/run-state.js';
import { appendAudit } from '../store/audit.js';
import { indexRun } from '../store/run-index.js';
import { type CreatedRun, type RunPlan } from '../store/snapshot.js';
import { recordReusableRun } from '../store/run-keys.js';
import { BLOCK_EXECUTORS, UNCACHED_BLOCKS } from './blocks/index.js';
import { type BlockContext, ExecutionContext, type RunInfo, RunCancelledError, RunTimedOutError, blockAccess } from './context.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { EventSink } from './event-sink.js';
import { LARGE_RUN_ROWS, fixMallocThreshold } from './malloc.js';
import { datasetSlot } from './frames.js';
import { retryTransient } from './retry.js';
import { HOOK_DEFAULTS, LogBudget, type RunnableHook, runBlockWithHooks } from './hooks/run-hooks.js';

/** Options of {@link executeRun}. */
export interface ExecuteOptions {
  root: string;
  plan: RunPlan;
  created: CreatedRun;
  /** The frozen `pipeline.yaml` text (for the report). */
  pipelineYaml: string;
  /** Run every block even when the block cache has its outputs. */
  noCache?: boolean;
  /** Aborting it cancels the run (noticed between folds, trees, blocks). */
  signal?: AbortSignal;
  /** A time limit for this execution (`bfly run --timeout`), over the pipeline's own. */
  timeoutMs?: number;
  /** Threads model_selection fits folds on (never changes a result). */
  workers?: number;
  onEvent?: (e: RunEvent) => void;
}

const MODEL_BLOCKS = new Set(['model_selection', 'train', 'evaluate', 'explain']);

/** What `Date.now()` returns inside hooks: fixed, so two runs with the same seed see the same. */
export const HOOK_CLOCK = Date.UTC(2020, 0, 1);

/** A block's hooks as frozen in the plan, with their limits. */
function runnableHooks(plan: RunPlan, block: BlockSpec): RunnableHook[] {
  const frozen = plan.hooks.filter((h) => h.block === block.id);
  return frozen.map((h, i) => ({
    id: h.id,
    kind: h.type,
    source: h.source,
    origin: h.origin,
    timeoutMs: block.hooks[i]?.timeoutMs ?? HOOK_DEFAULTS.timeoutMs,
    memoryMb: block.hooks[i]?.memoryMb ?? HOOK_DEFAULTS.memoryMb,
  }));
}

/** Turns whatever a block threw into the run's error record. */
export function classifyError(err: unknown, block: BlockSpec | null, runDir: string): RunError {
  if (isBflyError(err)) {
    return { category: err.category, code: err.code, block: block?.id ?? null, hook: (err.data.hook as string | undefined) ?? null, message: err.message, hint: err.hint ?? null };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const framework = block !== null && MODEL_BLOCKS.has(block.type);
  return {
    category: framework ? 'framework' : 'unknown',
    code: framework ? 'MODEL_FAILED' : 'INTERNAL',
    block: block?.id ?? null,
    hook: null,
    message: block === null ? e.message : `block ${block.id} (${block.type}) failed: ${e.message}`,
    hint: framework
      ? `check the model's params (\`bfly blocks\`) or try another model; the stack is in ${runDir}/logs/error.log`
      : `this is a bug in bfly: please report it with ${runDir}/logs/error.log`,
  };
}

const finiteOrNull = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

/** The model the run trains, once model selection (its winner) or train (a named model) ran. */
function runSelectionOf(block: BlockSpec, ctx: ExecutionContext): TrainedModel | null {
  const named = block.type === 'train' ? (block.config as { model: string }).model : 'best';
  if (named !== 'best') {
    const model = ctx.get('model') as { model?: { name: string; params: Record<string, unknown> } } | undefined;
    return { candidate: null, label: `${named} (named in ${block.id})`, model: named, params: model?.model?.params ?? {}, cv: null };
  }
  if (!ctx.has('selection')) return null;
  const s = ctx.get('selection') as SelectionSlot;
  return {
    candidate: s.candidate ?? null,
    label: s.label ?? s.model,
    model: s.model,
    params: s.params,
    cv: s.metric === '' || !Number.isFinite(s.score) ? null : { metric: s.metric, mean: finiteOrNull(s.score), std: finiteOrNull(s.std) },
  };
}

/**
 * Executes a snapshotted run: blocks in order over one fresh execution context, each one's
 * outputs taken from the block cache when its key is there (unless `noCache`), else computed
 * and stored there. Events go to the listener and `events.jsonl`; `run.json` is updated at
 * every block boundary; at the end the folder is frozen and the run lock released. Never
 * throws for a failing block: the returned manifest says how the run ended.
 */
export async function executeRun(o: ExecuteOptions): Promise<RunManifest> {
  const { root, plan, created } = o;
  const manifest = created.manifest;
  // a large table's buffers mapped on their own, and given back when freed (see fixMallocThreshold)
  if ((manifest.data?.rows ?? 0) >= LARGE_RUN_ROWS) fixMallocThreshold();
  const folder = new RunFolder(root, manifest);
  const sink = new EventSink(manifest.id, folder, o.onEvent);
  const t0 = Date.now();
  let current: BlockSpec | null = null;
  let blockStarted = 0;
  const hookMetrics: Record<string, number> = {};
  const logBudget = new LogBudget();
  // Time limits: the run's (--timeout, else the pipeline's `timeout`) and each block's. When one
  // passes, `stop` aborts what is running (a hook's sandbox process is killed) and the run ends
  // timed_out at the next check.
  const stop = new AbortController();
  let timedOut: { scope: 'run' | 'block'; limitMs: number; block: string | null } | null = null;
  const runLimitMs = o.timeoutMs ?? (plan.pipeline.timeout === undefined ? null : parseDuration(plan.pipeline.timeout));
  const expire = (t: NonNullable<typeof timedOut>): void => {
    timedOut ??= t;
    stop.abort();
  };
  const runTimer = runLimitMs === null ? null : setTimeout(() => expire({ scope: 'run', limitMs: runLimitMs, block: current?.id ?? null }), runLimitMs);
  let blockTimer: NodeJS.Timeout | null = null;
  const onCancel = (): void => stop.abort();
  o.signal?.addEventListener('abort', onCancel);
  try {
    sink.emit({ type: 'run_created', experiment: manifest.experiment, executionKey: manifest.executionKey });
    manifest.status = 'running';
    manifest.startedAt = new Date(t0).toISOString();
    folder.save();
    sink.emit({ type: 'run_started', blocks: plan.pipeline.blocks.map((b) => ({ id: b.id, type: b.type })) });
    sink.flush();

    const info: RunInfo = {
      id: manifest.id,
      experiment: manifest.experiment,
      dataset: manifest.dataset,
      binding: manifest.binding,
      seed: manifest.seed,
      executionKey: manifest.executionKey,
      pipelineHash: manifest.pipelineHash,
      pipelineYaml: o.pipelineYaml,
      hooks: manifest.hooks,
      backend: manifest.env.backend,
      ...(manifest.env.frameworks ? { python: manifest.env.frameworks.interpreter } : {}),
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      taskReason: getExperiment(root, manifest.experiment).taskReason,
      datasetRows: getDataset(root, plan.dataset.id).rows,
      data: manifest.data,
    };
    const ctx = new ExecutionContext();
    ctx.setLazy('dataset', datasetSlotHash(plan.dataset.hash, plan.binding), () =>
      retryTransient(() => datasetSlot(loadDatasetColumns(root, getDataset(root, plan.dataset.id)), plan.binding.target, plan.binding.task as 'classification' | 'regression')),
    );
    const checkCancelled = (): void => {
      if (timedOut !== null) throw new RunTimedOutError();
      if (o.signal?.aborted) throw new RunCancelledError();
    };

    for (const [i, block] of plan.pipeline.blocks.entries()) {
      checkCancelled();
      current = block;
      const planned = plan.blocks[i];
      const entry = manifest.blocks[i];
      entry.status = 'running';
      if (blockTimer !== null) clearTimeout(blockTimer);
      const blockLimitMs = block.timeout === undefined ? null : parseDuration(block.timeout);
      blockTimer = blockLimitMs === null ? null : setTimeout(() => expire({ scope: 'block', limitMs: blockLimitMs, block: block.id }), blockLimitMs);
      folder.save();
      sink.emit({ type: 'block_started', block: block.id, blockType: block.type });
      sink.flush();
      const started = (blockStarted = performance.now());
      const cacheable = !UNCACHED_BLOCKS.has(block.type);
      // A hit is re-checked before it replaces computing: the entry's digest, and every blob's
      // hash and header (a damaged or foreign blob is a miss: the block runs again).
      const hit = cacheable && o.noCache !== true ? readCacheEntry(root, planned.key, { verify: true }) : null;
      let cached = false;
      const blockMetrics: Record<string, number> = {};
      if (hit !== null) {
        const artifacts = hit.artifacts.map((a) => ({ ...a, data: readCachedBlob(root, hit, { artifact: a.name }) }));
        if (artifacts.every((a) => a.data !== null)) {
          for (const slot of Object.keys(hit.slots)) {
            ctx.setLazy(slot, slotHash(planned.key, slot), () => {
              const bytes = readCachedBlob(root, hit, { slot });
              if (bytes === null) throw new BflyError('infra', 'CACHE_CORRUPT', `the cached ${slot} of block ${block.id} changed while the run was reading it`, { hint: 'run again: a damaged cache entry is a miss, and the block runs again' });
              return decodeValue(bytes);
            });
          }
          for (const a of artifacts) {
            const written = folder.writeArtifact(a.name, a.data!);
            manifest.artifacts.push({ name: a.name, type: a.type, ...written, block: block.id });
            sink.emit({ type: 'artifact_written', name: a.name, path: written.path, hash: written.hash, bytes: written.bytes });
          }
          Object.assign(blockMetrics, hit.metrics ?? {});
          cached = true;
        }
      }
      if (!cached) {
        const access = blockAccess(ctx, block);
        const artifacts: Array<{ name: string; type: string; data: Uint8Array }> = [];
        const bctx: BlockContext = {
          block,
          run: info,
          read: access.read,
          readOptional: access.readOptional,
          write: access.write,
          progress: (done, total, label) => {
            sink.emit({ type: 'block_progress', block: block.id, done: Math.min(done, total), total: Math.max(1, total), ...(label === undefined ? {} : { label }) });
          },
          log: (level, message) => sink.emit({ type: 'log', level, message, block: block.id }),
          artifact: (name, type, data) => {
            const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
            const written = folder.writeArtifact(name, bytes);
            artifacts.push({ name, type, data: bytes });
            manifest.artifacts.push({ name, type, ...written, block: block.id });
            sink.emit({ type: 'artifact_written', name, path: written.path, hash: written.hash, bytes: written.bytes });
          },
          checkCancelled,
          yield: () => new Promise((resolve) => setImmediate(resolve)),
          ...(cacheable && o.noCache !== true ? { partial: partialCache(root, planned.key, block, manifest.id) } : {}),
        };
        const hooks = runnableHooks(plan, block);
        if (hooks.length === 0) await BLOCK_EXECUTORS[block.type](bctx);
        else {
          await runBlockWithHooks({
            ctx: bctx,
            hooks,
            executor: BLOCK_EXECUTORS[block.type],
            write: access.write,
            written: access.written,
            now: HOOK_CLOCK,
            metrics: blockMetrics,
            emitHook: (e) => sink.emit({ ...e, block: block.id }),
            logBudget,
            emitTruncated: (e) => sink.emit({ type: 'log_truncated', block: block.id, ...e }),
            signal: stop.signal,
          });
        }
        for (const [slot, value] of access.written) ctx.set(slot, slotHash(planned.key, slot), value);
        if (cacheable && o.noCache !== true) {
          const slots: Record<string, Uint8Array> = {};
          for (const [slot, value] of access.written) slots[slot] = encodeValue(value);
          const durationMs = performance.now() - started;
          retryTransient(() => writeCacheEntry(root, { key: planned.key, block: block.id, type: block.type, slots, artifacts, metrics: blockMetrics, durationMs, run: manifest.id }));
        }
      }
      Object.assign(hookMetrics, blockMetrics);
      if (manifest.data !== undefined && manifest.data.trainRows === null && ctx.has('train') && ctx.has('test')) {
        // the split's row counts (after any hook at split), recorded as soon as they exist
        manifest.data.trainRows = (ctx.get('train') as PartSlot).y.length;
        manifest.data.testRows = (ctx.get('test') as PartSlot).y.length;
      }
      if (block.type === 'model_selection' || block.type === 'train') manifest.selection = runSelectionOf(block, ctx);
      // slots no later block reads are let go (the run's end reads only metrics)
      const later = new Set(['metrics', ...plan.pipeline.blocks.slice(i + 1).flatMap((b) => BLOCKS[b.type].reads)]);
      for (const slot of ['dataset', ...BLOCKS[block.type].reads, ...BLOCKS[block.type].writes]) if (!later.has(slot)) ctx.release(slot);
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      Object.assign(entry, { status: 'succeeded', durationMs, cached });
      sink.emit({ type: 'block_finished', block: block.id, durationMs, cached, status: 'succeeded' });
      sink.flush();
      current = null;
    }
    const metrics = ctx.get('metrics') as { values?: Record<string, number> } | undefined;
    manifest.metrics = { ...(metrics?.values ?? {}), ...hookMetrics };
    manifest.status = 'succeeded';
  } catch (err) {
    // a time limit wins over whatever the interrupted block threw on its way out
    const expired = timedOut as { scope: 'run' | 'block'; limitMs: number; block: string | null } | null;
    const cancelled = expired === null && (err instanceof RunCancelledError || o.signal?.aborted === true);
    manifest.status = expired !== null ? 'timed_out' : cancelled ? 'cancelled' : 'failed';
    manifest.error =
      expired !== null
        ? {
            category: 'timed_out',
            code: expired.scope === 'run' ? 'RUN_TIMEOUT' : 'BLOCK_TIMEOUT',
            block: current?.id ?? expired.block,
            hook: null,
            message: expired.scope === 'run' ? `the run took longer than its time limit of ${formatDuration(expired.limitMs)}` : `block ${expired.block} took longer than its time limit of ${formatDuration(expired.limitMs)}`,
            hint: expired.scope === 'run' ? 'raise `timeout` in the pipeline (or `bfly run --timeout`), or make the pipeline cheaper; blocks that finished come from the cache' : `raise \`timeout\` of block ${expired.block}, or make it cheaper`,
          }
        : cancelled
          ? { category: 'cancelled', code: 'CANCELLED', block: current?.id ?? null, hook: null, message: 'the run was cancelled', hint: `run \`bfly run ${manifest.experiment}\` again to finish it: blocks that finished come from the cache` }
          : classifyError(err, current, `.butterfly/runs/${manifest.id}`);
    const entry = manifest.blocks.find((b) => b.status === 'running');
    if (entry !== undefined) Object.assign(entry, { status: expired !== null ? 'timed_out' : cancelled ? 'cancelled' : 'failed', durationMs: Math.round(performance.now() - blockStarted) });
    for (const b of manifest.blocks) if (b.status === 'pending') b.status = 'skipped';
    try {
      folder.writeLog('error.log', `${manifest.error.category}: ${manifest.error.message}\n${err instanceof Error ? (err.stack ?? '') : String(err)}\n`);
    } catch {
      /* the log is best effort; the manifest below carries the error */
    }
    if (current !== null) sink.emit({ type: 'block_finished', block: current.id, durationMs: Math.round(performance.now() - blockStarted), cached: false, status: expired !== null ? 'timed_out' : cancelled ? 'cancelled' : 'failed' });
  } finally {
    if (runTimer !== null) clearTimeout(runTimer);
    if (blockTimer !== null) clearTimeout(blockTimer);
    o.signal?.removeEventListener('abort', onCancel);
  }
  const ended = Date.now();
  manifest.endedAt = new Date(ended).toISOString();
  manifest.durationMs = ended - t0;
  try {
    sink.emit({ type: 'run_finished', status: manifest.status, metrics: manifest.metrics, durationMs: manifest.durationMs, error: manifest.error });
    sink.flush();
    folder.finish();
    appendAudit(root, { action: 'run.end', target: { run: manifest.id, experiment: manifest.experiment, executionKey: manifest.executionKey, runJson: sealOf(created.dir) }, outcome: manifest.status });
    if (manifest.status === 'succeeded') recordReusableRun(root, manifest);
    indexRun(root, manifest, plan.pipeline);
  } finally {
    created.lock.release();
  }
  return manifest;
}

/**
 * A block's partial results in the block cache: each under a key of its own made from the
 * block's key and the part's name, as an entry of one slot (checked like every entry: a damaged
 * one is a miss and the part is done again).
 */
function partialCache(root: string, blockKey: string, block: BlockSpec, run: string): NonNullable<BlockContext['partial']> {
  const keyOf = (id: string): string => formatHash(sha256Hex(`${blockKey}\0partial\0${id}`));
  return {
    get: (id) => {
      const entry = readCacheEntry(root, keyOf(id), { verify: true });
      return entry === null ? null : readCachedBlob(root, entry, { slot: 'part' });
    },
    put: (id, data) => {
      // best effort: a part not kept is only done again by a resumed run
      try {
        retryTransient(() => writeCacheEntry(root, { key: keyOf(id), block: block.id, type: `${block.type}/part`, slots: { part: data }, artifacts: [], durationMs: 0, run }));
      } catch {
        /* the run goes on without it */
      }
    },
  };
}
