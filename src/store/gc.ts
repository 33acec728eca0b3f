/**
 * `bfly gc`: removes what nothing refers to. Objects no dataset names, cache blobs no cache entry
 * names, broken cache entries, run keys of runs that are gone, temp leftovers of dead
 * processes; and, only when asked (`keepFailedDays`), runs that ended without succeeding more
 * than that many days ago. Never an object a dataset references, never a succeeded run.
 */
import { chmodSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isFinalStatus } from '../core/run-manifest.js';
import { listDatasets } from './datasets.js';
import { workspacePaths } from './layout.js';
import { sweepDeadTemps, withLockAsync } from './lock.js';
import { listRunSummaries } from './run-index.js';
import { readRunManifest } from './run-state.js';
import { listRunIds } from './runs.js';

/** What {@link gc} removed (or, with `dryRun`, would remove). */
export interface GcReport {
  dryRun: boolean;
  runs: Array<{ id: string; status: string; endedAt: string | null; bytes: number }>;
  objects: { count: number; bytes: number };
  cacheBlobs: { count: number; bytes: number };
  cacheEntries: number;
  runKeys: number;
  tempFiles: number;
  freedBytes: number;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function walk(dir: string): Array<{ path: string; bytes: number }> {
  const out: Array<{ path: string; bytes: number }> = [];
  for (const name of list(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...walk(p));
    else out.push({ path: p, bytes: st.size });
  }
  return out;
}

function removeFrozenTree(dir: string): void {
  // An ended run's folders are read-only (0555): make them writable to remove their files.
  const unfreeze = (d: string): void => {
    chmodSync(d, 0o755);
    for (const name of list(d)) if (statSync(join(d, name)).isDirectory()) unfreeze(join(d, name));
  };
  unfreeze(dir);
  rmSync(dir, { recursive: true, force: true });
}

const ENDED_UNSUCCESSFULLY = ['failed', 'cancelled', 'interrupted', 'timed_out'];

/**
 * Collects garbage in the workspace at `root` under the datasets lock (so no import can be
 * adopting an object meanwhile). `keepFailedDays`: also remove runs that ended without
 * succeeding more than N days ago (by default no run is removed).
 */
export async function gc(root: string, o: { dryRun?: boolean; keepFailedDays?: number; now?: Date } = {}): Promise<GcReport> {
  const p = workspacePaths(root);
  const dryRun = o.dryRun === true;
  const now = (o.now ?? new Date()).getTime();
  return withLockAsync(root, 'datasets', { purpose: 'collecting garbage', waitMs: 30_000 }, async () => {
    const report: GcReport = { dryRun, runs: [], objects: { count: 0, bytes: 0 }, cacheBlobs: { count: 0, bytes: 0 }, cacheEntries: 0, runKeys: 0, tempFiles: 0, freedBytes: 0 };

    // Runs that ended unsuccessfully long enough ago (only when asked).
    if (o.keepFailedDays !== undefined) {
      const cutoff = now - o.keepFailedDays * 86_400_000;
      for (const id of listRunIds(root)) {
        let m;
        try {
          m = readRunManifest(root, id);
        } catch {
          continue; // unreadable: fsck reports it; gc never guesses
        }
        if (!isFinalStatus(m.status) || !ENDED_UNSUCCESSFULLY.includes(m.status)) continue;
        const ended = Date.parse(m.endedAt ?? m.createdAt);
        if (!(ended < cutoff)) continue;
        const dir = join(p.runs, id);
        const bytes = walk(dir).reduce((a, f) => a + f.bytes, 0);
        report.runs.push({ id, status: m.status, endedAt: m.endedAt, bytes });
        report.freedBytes += bytes;
        if (!dryRun) removeFrozenTree(dir);
      }
    }

    // Objects no dataset references.
    const referenced = new Set<string>();
    for (const d of listDatasets(root)) for (const h of [d.objects.raw, ...d.objects.columns]) referenced.add(h.slice('sha256:'.length));
    for (const f of walk(p.objects)) {
      const hex = relative(p.objects, f.path).split(sep).join('');
      if (referenced.has(hex)) continue;
      report.objects.count++;
      report.objects.bytes += f.bytes;
      if (!dryRun) rmSync(f.path, { force: true });
    }

    // Cache: broken entries, then blobs no remaining entry names.
    const blobs = new Set<string>();
    const blobDir = join(p.cache, 'blobs');
    const existing = new Set(walk(blobDir).map((f) => relative(blobDir, f.path).split(sep).join('')));
    for (const f of walk(join(p.cache, 'entries'))) {
      let hashes: string[] | null = null;
      try {
        const e = JSON.parse(readFileSync(f.path, 'utf8')) as { slots?: Record<string, string>; artifacts?: Array<{ hash: string }> };
        hashes = [...Object.values(e.slots ?? {}), ...(e.artifacts ?? []).map((a) => a.hash)].map((h) => h.slice('sha256:'.length));
      } catch {
        hashes = null;
      }
      if (hashes === null || hashes.some((h) => !existing.has(h))) {
        report.cacheEntries++;
        report.freedBytes += f.bytes;
        if (!dryRun) rmSync(f.path, { force: true });
      } else for (const h of hashes) blobs.add(h);
    }
    for (const f of walk(blobDir)) {
      if (blobs.has(relative(blobDir, f.path).split(sep).join(''))) continue;
      report.cacheBlobs.count++;
      report.cacheBlobs.bytes += f.bytes;
      if (!dryRun) rmSync(f.path, { force: true });
    }
    const gone = new Set(report.runs.map((r) => r.id));
    const alive = new Set(listRunIds(root));
    for (const f of walk(join(p.cache, 'run-keys'))) {
      let id: unknown;
      try {
        id = (JSON.parse(readFileSync(f.path, 'utf8')) as { id?: unknown }).id;
      } catch {
        id = null;
      }
      if (typeof id === 'string' && alive.has(id) && !gone.has(id)) continue;
      report.runKeys++;
      report.freedBytes += f.bytes;
      if (!dryRun) rmSync(f.path, { force: true });
    }
    report.freedBytes += report.objects.bytes + report.cacheBlobs.bytes;
    if (!dryRun) {
      report.tempFiles = sweepDeadTemps(root);
      if (report.runs.length > 0) await listRunSummaries(root); // drops the removed runs from the index
    }
    return report;
  });
}
