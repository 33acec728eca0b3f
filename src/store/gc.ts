/**
 * `bfly gc`: removes what nothing refers to. Objects no dataset or draft revision names, cache blobs no cache entry
 * names, broken cache entries, run keys of runs that are gone, temp leftovers of dead
 * processes, runs whose deletion a crash interrupted; and, only when asked (`keepFailedDays`),
 * runs that ended without succeeding more than that many days ago. Never an object a dataset
 * references, never a succeeded run, and never anything through a symbolic link: a link inside
 * `.butterfly/` is left alone and reported (`bfly fsck` names it too).
 */
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isFinalStatus } from '../core/run-manifest.js';
import { tempName } from './atomic.js';
import { appendAudit } from './audit.js';
import { checkCacheEntry, entryBlobs } from './block-cache.js';
import { listDatasets } from './datasets.js';
import { historyObjects } from './draft-history.js';
import { workspacePaths } from './layout.js';
import { sweepDeadTemps, withLockAsync } from './lock.js';
import { listRunSummaries } from './run-index.js';
import { readRunManifest, verifyRunSeal } from './run-state.js';
import { DELETING_PREFIX, listRunIds } from './runs.js';
import { type Walked, entries, removeTree, walk } from './safe-fs.js';

export type { GcReport } from '../core/contracts/workspace.js';
import type { GcReport } from '../core/contracts/workspace.js';

const ENDED_UNSUCCESSFULLY = ['failed', 'cancelled', 'interrupted', 'timed_out'];

/**
 * Removes a run folder all at once: renamed to `runs/.deleting-<id>-…` first (one atomic step,
 * in the same parent, so the read-only folder needs no write permission), then removed. A crash
 * in between leaves a name no command reads as a run; the next gc (or `fsck --repair`) finishes.
 */
export function deleteRunFolder(root: string, id: string): void {
  const runs = workspacePaths(root).runs;
  const grave = join(runs, `${DELETING_PREFIX}${id}-${tempName('run')}`);
  renameSync(join(runs, id), grave);
  removeTree(grave);
}

/** Finishes deletions a crash interrupted (`runs/.deleting-*`); returns how many. */
export function finishRunDeletions(root: string, dryRun = false): number {
  let n = 0;
  for (const e of entries(workspacePaths(root).runs)) {
    if (!e.name.startsWith(DELETING_PREFIX)) continue;
    n++;
    if (dryRun) continue;
    if (e.kind === 'dir') removeTree(e.path);
    else rmSync(e.path, { force: true }); // a link or a file is removed as itself
  }
  return n;
}

/**
 * Collects garbage in the workspace at `root` under the datasets lock (so no import can be
 * adopting an object meanwhile). `keepFailedDays`: also remove runs that ended without
 * succeeding more than N days ago (by default no run is removed).
 */
export async function gc(root: string, o: { dryRun?: boolean; keepFailedDays?: number; now?: Date } = {}): Promise<GcReport> {
  const p = workspacePaths(root);
  const dryRun = o.dryRun === true;
  const now = (o.now ?? new Date()).getTime();
  const rel = (path: string): string => relative(root, path).split(sep).join('/');
  return withLockAsync(root, 'datasets', { purpose: 'collecting garbage', waitMs: 30_000, long: true }, async () => {
    const report: GcReport = { dryRun, runs: [], objects: { count: 0, bytes: 0 }, cacheBlobs: { count: 0, bytes: 0 }, cacheEntries: 0, runKeys: 0, tempFiles: 0, halfDeleted: 0, skipped: [], freedBytes: 0 };
    const skip = (w: Walked): Walked => {
      for (const s of w.strange) report.skipped.push({ path: rel(s.path), why: s.kind === 'symlink' ? 'a symbolic link: never followed or removed by gc' : 'not a regular file' });
      return w;
    };

    report.halfDeleted = finishRunDeletions(root, dryRun);
    for (const e of entries(p.runs)) if (e.kind === 'symlink') report.skipped.push({ path: rel(e.path), why: 'a symbolic link where a run folder belongs: never followed or removed by gc' });

    // Runs that ended unsuccessfully long enough ago (only when asked), sealed and intact.
    if (o.keepFailedDays !== undefined) {
      const cutoff = now - o.keepFailedDays * 86_400_000;
      for (const id of listRunIds(root)) {
        let m;
        try {
          m = readRunManifest(root, id);
          if (verifyRunSeal(root, id) !== 'sealed') continue; // unsealed or changed: fsck reports it; gc never guesses
        } catch {
          continue;
        }
        if (!isFinalStatus(m.status) || !ENDED_UNSUCCESSFULLY.includes(m.status)) continue;
        const ended = Date.parse(m.endedAt ?? m.createdAt);
        if (!(ended < cutoff)) continue;
        const w = skip(walk(join(p.runs, id)));
        const bytes = w.files.reduce((a, f) => a + f.bytes, 0);
        report.runs.push({ id, status: m.status, endedAt: m.endedAt, bytes });
        report.freedBytes += bytes;
        if (!dryRun) deleteRunFolder(root, id);
      }
    }

    // Objects no dataset references.
    const referenced = new Set<string>();
    for (const d of listDatasets(root)) for (const h of [d.objects.raw, ...d.objects.columns]) referenced.add(h.slice('sha256:'.length));
    for (const hex of historyObjects(root)) referenced.add(hex); // every saved draft revision
    for (const f of skip(walk(p.objects)).files) {
      const hex = relative(p.objects, f.path).split(sep).join('');
      if (referenced.has(hex)) continue;
      report.objects.count++;
      report.objects.bytes += f.bytes;
      if (!dryRun) rmSync(f.path, { force: true });
    }

    // Cache: broken entries, then blobs no remaining entry names.
    const blobs = new Set<string>();
    const blobDir = join(p.cache, 'blobs');
    for (const f of skip(walk(join(p.cache, 'entries'))).files) {
      const { entry } = checkCacheEntry(root, f.path, null, 'exist');
      if (entry === null) {
        report.cacheEntries++;
        report.freedBytes += f.bytes;
        if (!dryRun) rmSync(f.path, { force: true });
      } else for (const h of entryBlobs(entry)) blobs.add(h.slice('sha256:'.length));
    }
    for (const f of skip(walk(blobDir)).files) {
      if (blobs.has(relative(blobDir, f.path).split(sep).join(''))) continue;
      report.cacheBlobs.count++;
      report.cacheBlobs.bytes += f.bytes;
      if (!dryRun) rmSync(f.path, { force: true });
    }
    const gone = new Set(report.runs.map((r) => r.id));
    const alive = new Set(listRunIds(root));
    for (const f of skip(walk(join(p.cache, 'run-keys'))).files) {
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
    skip(walk(join(p.cache, 'validated')));
    report.freedBytes += report.objects.bytes + report.cacheBlobs.bytes;
    if (!dryRun) {
      report.tempFiles = sweepDeadTemps(root);
      if (report.runs.length > 0 || report.halfDeleted > 0) await listRunSummaries(root); // drops the removed runs from the index
      appendAudit(root, { action: 'gc', target: { runs: report.runs.map((r) => r.id), objects: report.objects.count, cacheBlobs: report.cacheBlobs.count, cacheEntries: report.cacheEntries, runKeys: report.runKeys, tempFiles: report.tempFiles, halfDeleted: report.halfDeleted, freedBytes: report.freedBytes } });
    }
    return report;
  });
}
