import { hashJson } from './hash.js';

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
}

/**
 * The execution key: `sha256:` of the canonical JSON of the inputs. Any change to the data,
 * the pipeline snapshot, a hook, the seed, the bfly version or the backend changes it.
 */
export function executionKey(inputs: ExecutionKeyInputs): string {
  return `sha256:${hashJson({ v: 1, ...inputs })}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * A run id: `YYYYMMDD-HHMMSSmmm-<6 hex>` in UTC. Ids sort by creation time (fixed widths);
 * the random suffix separates runs created in the same millisecond, and the run folder is
 * created with an exclusive mkdir so a clash is retried, never shared.
 *
 * @example
 * newRunId(new Date('2026-11-22T04:52:00.123Z'), 'a1b2c3') // '20261122-045200123-a1b2c3'
 */
export function newRunId(now: Date, randomHex: string): string {
  if (!/^[0-9a-f]{6}$/.test(randomHex)) throw new RangeError('randomHex must be 6 hex digits');
  return `${pad(now.getUTCFullYear(), 4)}${pad(now.getUTCMonth() + 1, 2)}${pad(now.getUTCDate(), 2)}-${pad(now.getUTCHours(), 2)}${pad(now.getUTCMinutes(), 2)}${pad(now.getUTCSeconds(), 2)}${pad(now.getUTCMilliseconds(), 3)}-${randomHex}`;
}

/** True for a string shaped like a run id. */
export function isRunId(value: string): boolean {
  return /^\d{8}-\d{9}-[0-9a-f]{6}$/.test(value);
}
