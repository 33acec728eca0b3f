/**
 * Batch records: `batches/<id>.json`, written when a batch ends (durably, atomically), naming
 * every run of the batch, including runs it reused from earlier batches. A run's own run.json
 * names only the batch that created it; membership in later batches comes from these records.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '../core/errors.js';
import { writeJsonAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';
import { withLock } from './lock.js';

/** `batches/<id>.json`. */
export interface BatchRecord {
  id: string;
  experiment: string;
  createdAt: string;
  /** Null while a queued batch (`bfly run --queue`) still has runs to do. */
  endedAt: string | null;
  grid: Array<{ path: string; values: string[] }>;
  seeds: number[] | null;
  cancelled: boolean;
  runs: BatchRecordRun[];
  /** A batch dispatched through a queue: which (the Redis address without its password), and the attempts of a transient failure. */
  queue?: { url: string; name: string; attempts: number; force: boolean; noCache: boolean; sets: string[]; timeoutMs: number | null };
}

/** One run of a batch record. A queued batch's runs are updated by the workers as they go. */
export interface BatchRecordRun {
  index: number;
  label: string;
  seed: number | null;
  runId: string | null;
  /** A run's status, or while queued: `queued`, `running`, `retrying` (a transient failure, to be retried), `in_flight` (the same execution key is another job's: `job`). */
  status: string;
  reused: boolean;
  sets?: string[];
  executionKey?: string;
  /** The queue job that runs it (or, `in_flight`, the other batch's job it waits for). */
  job?: string;
  host?: string;
  worker?: string;
  attempts?: number;
  error?: { category: string; code: string; message: string; hint: string | null } | null;
}

/** Statuses a queued batch's run does not leave any more. */
export const FINAL_BATCH_RUN_STATUSES: readonly string[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted', 'crashed', 'skipped'];

/** Reads one batch record. */
export function readBatchRecord(root: string, id: string): BatchRecord {
  try {
    return JSON.parse(readFileSync(join(workspacePaths(root).batches, `${id}.json`), 'utf8')) as BatchRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('BATCH_NOT_FOUND', `no batch ${id} in this workspace`, { hint: 'list batches with `bfly queue status`, or runs with `bfly runs --columns id,batch`' });
    throw err;
  }
}

/**
 * Changes a batch record under its lock (workers on several hosts update one batch): `change`
 * edits the record in place. When every run has a final status, the batch gets its `endedAt`.
 * Returns the record as written.
 */
export function updateBatchRecord(root: string, id: string, change: (record: BatchRecord) => void): BatchRecord {
  return withLock(root, `batch-${id}`, { purpose: `updating batch ${id}`, waitMs: 30_000 }, () => {
    const record = readBatchRecord(root, id);
    change(record);
    if (record.endedAt === null && record.runs.every((r) => FINAL_BATCH_RUN_STATUSES.includes(r.status))) record.endedAt = new Date().toISOString();
    writeBatchRecord(root, record);
    return record;
  });
}

/** Writes a batch's record. */
export function writeBatchRecord(root: string, record: BatchRecord): void {
  const dir = workspacePaths(root).batches;
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, `${record.id}.json`), record, { tmpDir: workspacePaths(root).tmp });
}

/** Every batch record, oldest first, and the files that could not be read (for fsck). */
export function readBatchRecords(root: string): { records: BatchRecord[]; unreadable: Array<{ name: string; error: string }> } {
  let names: string[];
  try {
    names = readdirSync(workspacePaths(root).batches).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return { records: [], unreadable: [] };
  }
  const records: BatchRecord[] = [];
  const unreadable: Array<{ name: string; error: string }> = [];
  for (const name of names) {
    try {
      const b = JSON.parse(readFileSync(join(workspacePaths(root).batches, name), 'utf8')) as BatchRecord;
      if (typeof b.id !== 'string' || !Array.isArray(b.runs)) throw new Error('not a batch record');
      records.push(b);
    } catch (err) {
      unreadable.push({ name, error: (err as Error).message.split('\n')[0] });
    }
  }
  return { records, unreadable };
}

/** Run id → the batches it belongs to, from batch records. */
export function membershipsOf(records: readonly BatchRecord[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const b of records) for (const r of b.runs) if (r.runId !== null) m.set(r.runId, [...(m.get(r.runId) ?? []), b.id]);
  return m;
}

/** Run id → the batches it belongs to (from the records; unreadable records are skipped). */
export function batchMemberships(root: string): Map<string, string[]> {
  return membershipsOf(readBatchRecords(root).records);
}
