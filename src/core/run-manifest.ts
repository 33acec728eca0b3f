/**
 * The run manifest (`run.json`) and its statuses, apart from the planning code in run.ts so
 * that reading a run's status (every command does, on open) loads no zod schemas.
 */

/** The schema version of run.json this bfly writes. */
export const RUN_SCHEMA_VERSION = 1;

/** Statuses a run ends in: its folder is frozen then. */
export const FINAL_RUN_STATUSES = ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'] as const;

export type { RunBlock, RunArtifact, RunError, RunManifest } from './contracts/run.js';

/** True for a status a run ends in. */
export function isFinalStatus(status: string): boolean {
  return (FINAL_RUN_STATUSES as readonly string[]).includes(status);
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
