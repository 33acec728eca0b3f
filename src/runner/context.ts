import { BflyError } from '../core/errors.js';
import { BLOCKS, type BlockSpec } from '../core/pipeline.js';
import type { RunBinding } from '../core/run.js';
import type { RunData } from '../core/contracts/run.js';

/** A slot's value, or how to get it (cached outputs load only when a running block reads them). */
interface Slot {
  hash: string;
  value?: unknown;
  load?: () => unknown;
  /** Let go by {@link ExecutionContext.release}. */
  released?: boolean;
}

/**
 * The execution context of one run: named slots (`dataset`, `train`, `test`, `transform`,
 * `model`, …), each with a content hash. It lives for one run only; nothing in it survives.
 */
export class ExecutionContext {
  private readonly slots = new Map<string, Slot>();

  /** Sets a slot to a value. */
  set(name: string, hash: string, value: unknown): void {
    this.slots.set(name, { hash, value });
  }

  /** Sets a slot whose value is loaded on first read. */
  setLazy(name: string, hash: string, load: () => unknown): void {
    this.slots.set(name, { hash, load });
  }

  /** True when the slot has been written. */
  has(name: string): boolean {
    return this.slots.has(name);
  }

  /**
   * Lets a slot's value go (its hash stays): the run calls it once no later block reads the
   * slot, so a 1M-row dataset's frame is not held through the search. Reading it after is a bug.
   */
  release(name: string): void {
    const s = this.slots.get(name);
    if (s === undefined) return;
    s.value = undefined;
    s.load = undefined;
    s.released = true;
  }

  /** The slot's value (loading it if needed). */
  get(name: string): unknown {
    const s = this.slots.get(name);
    if (s === undefined) return undefined;
    if (s.released === true) throw new Error(`slot ${name} was let go after its last reader`);
    if (s.value === undefined && s.load !== undefined) {
      s.value = s.load();
      s.load = undefined;
    }
    return s.value;
  }

  /** The slot's hash. */
  hash(name: string): string | undefined {
    return this.slots.get(name)?.hash;
  }
}

/** Thrown when a block reads or writes a slot its type does not declare (a bug in a block). */
export class SlotAccessError extends BflyError {
  constructor(block: string, type: string, what: 'read' | 'write', slot: string) {
    const info = BLOCKS[type as keyof typeof BLOCKS];
    super('unknown', 'SLOT_ACCESS', `block ${block} (${type}) tried to ${what} slot ${JSON.stringify(slot)}; it may ${what} only: ${(what === 'read' ? info.reads : info.writes).join(', ')}`, {
      hint: 'this is a bug in the block: please report it',
      data: { block, slot, access: what },
    });
  }
}

/** Thrown when the run was cancelled (Ctrl-C, SIGTERM, or the caller's AbortSignal). */
export class RunCancelledError extends Error {
  constructor() {
    super('the run was cancelled');
    this.name = 'RunCancelledError';
  }
}

/** Thrown at the next check once a time limit of the run or its block has passed. */
export class RunTimedOutError extends RunCancelledError {
  constructor() {
    super();
    this.message = 'the run took longer than its time limit';
    this.name = 'RunTimedOutError';
  }
}

/** What a run tells every block about itself (read-only). */
export interface RunInfo {
  id: string;
  experiment: string;
  dataset: { id: string; name: string; hash: string };
  binding: RunBinding;
  seed: number;
  executionKey: string;
  pipelineHash: string;
  /** The frozen pipeline snapshot's text. */
  pipelineYaml: string;
  hooks: Array<{ id: string; block: string; type: string; hash: string }>;
  backend: string;
  /** The Python interpreter of adapter models (run.json `env.frameworks`), when the pipeline has any. */
  python?: string;
  /** Threads model_selection fits folds on (`bfly run --workers`; default BFLY_WORKERS, else the CPUs up to 4); never changes a result. */
  workers?: number;
  /** Why the experiment's task was chosen, and the dataset's row count (for the report). */
  taskReason: string;
  datasetRows: number;
  /** Every column's role and the row counts (the split's counts once it ran). */
  data?: RunData;
}

/** What a block executor gets: its config, and guarded access to the slots it declared. */
export interface BlockContext {
  block: BlockSpec;
  run: RunInfo;
  /** Reads a declared slot; a slot not written by an earlier block is an error. */
  read<T>(slot: string): T;
  /** Reads a declared slot that may not exist (e.g. `leaderboard` without model selection). */
  readOptional<T>(slot: string): T | undefined;
  /** Writes a declared slot. */
  write(slot: string, value: unknown): void;
  /** Reports progress (folds, trees, epochs); also where cancellation is noticed. */
  progress(done: number, total: number, label?: string): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  /** Writes an artifact into the run folder (and the block cache). */
  artifact(name: string, type: string, data: Uint8Array | string): void;
  /** Throws {@link RunCancelledError} once the run has been cancelled. */
  checkCancelled(): void;
  /** Lets timers and signal handlers run (long blocks call it between units of work). */
  yield(): Promise<void>;
  /**
   * Parts of the block's work kept in the block cache under its key as they finish, by a name of
   * the block's choosing (model_selection's trials), so that a run killed before the block ended
   * does not do them again. Absent with --no-cache.
   */
  partial?: { get(id: string): Uint8Array | null; put(id: string, data: Uint8Array): void };
}

/** Guarded access for one block: reads and writes outside its declaration throw. */
export function blockAccess(ctx: ExecutionContext, block: BlockSpec): { read: BlockContext['read']; readOptional: BlockContext['readOptional']; write: (slot: string, value: unknown) => void; written: Map<string, unknown> } {
  const info = BLOCKS[block.type];
  const written = new Map<string, unknown>();
  const readOptional = <T>(slot: string): T | undefined => {
    if (!info.reads.includes(slot)) throw new SlotAccessError(block.id, block.type, 'read', slot);
    return (written.has(slot) ? written.get(slot) : ctx.get(slot)) as T | undefined;
  };
  return {
    readOptional,
    read: <T>(slot: string): T => {
      const v = readOptional<T>(slot);
      if (v === undefined) {
        throw new BflyError('validation', 'MISSING_INPUT', `block ${block.id} (${block.type}) needs ${JSON.stringify(slot)}, which no earlier block produced`, {
          hint: `add a block that writes ${slot} before ${block.id} (see \`bfly blocks\`)`,
          data: { block: block.id, slot },
        });
      }
      return v;
    },
    write: (slot, value) => {
      if (!info.writes.includes(slot)) throw new SlotAccessError(block.id, block.type, 'write', slot);
      written.set(slot, value);
    },
    written,
  };
}
