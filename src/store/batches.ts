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

/** Every readable batch record, oldest first. */
export function listBatchRecords(root: string): BatchRecord[] {
  let names: string[];
  try {
    names = readdirSync(workspacePaths(root).batches).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: BatchRecord[] = [];
  for (const n of names) {
    try {
      out.push(JSON.parse(readFileSync(join(workspacePaths(root).batches, n), 'utf8')) as BatchRecord);
    } catch {
      /* unreadable: fsck reports it */
    }
  }
  return out;
}

/** Run id → the batches it belongs to (from the records). */
export function batchMemberships(root: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const b of listBatchRecords(root)) for (const r of b.runs) if (r.runId !== null) m.set(r.runId, [...(m.get(r.runId) ?? []), b.id]);
  return m;
}
