/**
 * Batch records: `batches/<id>.json`, written when a batch ends (durably, atomically), naming
 * every run of the batch, including runs it reused from earlier batches. A run's own run.json
 * names only the batch that created it; membership in later batches comes from these records.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';

/** `batches/<id>.json`. */
export interface BatchRecord {
  id: string;
  experiment: string;
  createdAt: string;
  endedAt: string;
  grid: Array<{ path: string; values: string[] }>;
  seeds: number[] | null;
  cancelled: boolean;
  runs: Array<{ index: number; label: string; seed: number | null; runId: string | null; status: string; reused: boolean }>;
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
