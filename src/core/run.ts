import { hashJson } from './hash.js';
import { BLOCKS, type Pipeline } from './pipeline.js';

/** What binds a pipeline to its data (target, task, metric), and a block as the engine will execute it, with its cache key. */
export type { RunBinding, PlannedBlock } from './contracts/run.js';
import type { RunBinding, PlannedBlock } from './contracts/run.js';

/** What identifies a run's work: a succeeded run with the same key is reused instead of re-run. */
export interface ExecutionKeyInputs {
  datasetHash: string;
  pipelineHash: string;
  /** sha256 of each hook's source, in declaration order. */
  hookHashes: string[];
  seed: number;
  bflyVersion: string;
  /** The compute backend (e.g. `js`, `tfjs-wasm`, `tfjs-node`). */
  backend: string;
  /** Target, task and metric: the same pipeline on the same data predicting another column is other work. */
  binding: RunBinding;
}

/**
 * The execution key: `sha256:` of the canonical JSON of the inputs. Any change to the data,
 * the pipeline snapshot, a hook, the seed, the bfly version or the backend changes it.
 */
export function executionKey(inputs: ExecutionKeyInputs): string {
  return `sha256:${hashJson({ v: 1, ...inputs })}`;
}

export { newRunId, isRunId } from './run-manifest.js';

/** What {@link planBlocks} needs besides the pipeline. */
export interface BlockPlanInputs {
  datasetHash: string;
  /** Hook hashes by block id, in declaration order. */
  hooks: Record<string, string[]>;
  bflyVersion: string;
  backend: string;
  binding: RunBinding;
}

/**
 * Every block's cache key, without running anything. A slot's hash is derived from the key of
 * the block that wrote it (blocks are deterministic), and the `dataset` slot's from the dataset
 * hash and the binding, so a block's key changes exactly when anything that can change its
 * output changes: its config or hooks, the seed, or any upstream block.
 */
export function planBlocks(pipeline: Pipeline, o: BlockPlanInputs): PlannedBlock[] {
  const slots: Record<string, string> = { dataset: datasetSlotHash(o.datasetHash, o.binding) };
  return pipeline.blocks.map((b) => {
    const info = BLOCKS[b.type];
    const inputs: Record<string, string> = {};
    for (const r of info.reads) if (slots[r] !== undefined) inputs[r] = slots[r];
    const configHash = `sha256:${hashJson(b.config)}`;
    const hookHashes = o.hooks[b.id] ?? [];
    const key = `sha256:${hashJson({ v: 1, type: b.type, configHash, hookHashes, seed: pipeline.seed, bfly: o.bflyVersion, backend: o.backend, binding: o.binding, inputs })}`;
    for (const w of info.writes) slots[w] = slotHash(key, w);
    return { id: b.id, type: b.type, key, configHash, hookHashes, inputs };
  });
}

/** The hash of the `dataset` slot: the dataset's content hash bound to a target, task and metric. */
export function datasetSlotHash(datasetHash: string, binding: RunBinding): string {
  return `sha256:${hashJson({ slot: 'dataset', dataset: datasetHash, binding })}`;
}

/** The hash of slot `slot` written by the block with key `blockKey`. */
export function slotHash(blockKey: string, slot: string): string {
  return `sha256:${hashJson({ slot, block: blockKey })}`;
}

/** How a block's key was made in an earlier run (as recorded in its run.json). */
export type PreviousBlock = Pick<PlannedBlock, 'id' | 'key' | 'configHash' | 'hookHashes' | 'inputs'>;

/**
 * Why a block would run again compared with the same block in an earlier run: which of its
 * hashes changed. Null when nothing did (same key).
 */
export function blockChangeReason(block: PlannedBlock, previous: PreviousBlock | undefined, seedChanged: boolean): string | null {
  if (previous === undefined) return 'not run before';
  if (previous.key === block.key) return null;
  const why: string[] = [];
  if (previous.configHash !== block.configHash) why.push('its config changed');
  if (JSON.stringify(previous.hookHashes) !== JSON.stringify(block.hookHashes)) why.push('its hooks changed');
  const changed = Object.keys(block.inputs).filter((s) => previous.inputs?.[s] !== block.inputs[s]);
  if (changed.length > 0) why.push(`input ${changed.join(', ')} changed`);
  if (seedChanged) why.push('the seed changed');
  return why.length > 0 ? why.join('; ') : 'bfly version or backend changed';
}

export { FINAL_RUN_STATUSES, isFinalStatus, type RunBlock, type RunArtifact, type RunError, type RunManifest } from './run-manifest.js';
