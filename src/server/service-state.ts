/**
 * What the routes share within one running service: the workspace, its jobs and events, its
 * limits, and a run listing kept between requests (re-read only when the runs folder or the run
 * index changed; runs still in progress are read fresh each time).
 */
import { statSync } from 'node:fs';
import { isFinalStatus } from '../core/run-manifest.js';
import type { RunSummary } from '../core/contracts/run.js';
import type { RunSelection } from '../core/run-summary.js';
import { workspacePaths } from '../store/layout.js';
import { listRunSummaries, runIndexPath, summarizeRunFolder } from '../store/run-index.js';
import type { EventHub } from './events.js';
import type { JobManager } from './jobs.js';

/** The state of one running service. */
export interface Service {
  root: string;
  jobs: JobManager;
  hub: EventHub;
  maxUpload: number;
  heartbeatMs: number;
  runListing(): Promise<CachedListing>;
}

function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'none';
  }
}

/** A listing unused for this long is dropped (an idle service gives its memory back). */
export const LISTING_IDLE_MS = 30_000;

/** A cached {@link listRunSummaries}: answers from memory while neither the runs folder nor the index changed. */
/** The service's run listing: ids oldest first, summaries, and selections (from the run index's columns). */
export interface CachedListing {
  ids: readonly string[];
  summary: (id: string) => RunSummary;
  select: (s: RunSelection) => string[];
}

export function cachedRunListing(root: string): () => Promise<CachedListing> {
  let key = '';
  let cached: CachedListing | null = null;
  let lastUse = 0;
  let timer: NodeJS.Timeout | null = null;
  const expire = (): void => {
    if (Date.now() - lastUse >= LISTING_IDLE_MS) {
      cached = null;
      timer = null;
      // idle: a full collection now gives the listing's memory back (`bfly serve` exposes gc)
      (globalThis as { gc?: () => void }).gc?.();
    } else {
      timer = setTimeout(expire, LISTING_IDLE_MS - (Date.now() - lastUse));
      timer.unref();
    }
  };
  return async () => {
    lastUse = Date.now();
    if (timer === null) {
      timer = setTimeout(expire, LISTING_IDLE_MS);
      timer.unref();
    }
    const now = `${stamp(workspacePaths(root).runs)}|${stamp(runIndexPath(root))}`;
    if (cached === null || now !== key) {
      const listing = await listRunSummaries(root);
      // the index may have been written just now (runs it lacked): stamp after
      key = `${stamp(workspacePaths(root).runs)}|${stamp(runIndexPath(root))}`;
      const memo = new Map<string, RunSummary>();
      cached = {
        ids: listing.ids,
        select: listing.select,
        summary: (id) => {
          let s = memo.get(id);
          if (s === undefined) {
            s = listing.summary(id);
            if (isFinalStatus(s.status)) memo.set(id, s);
            else s = summarizeRunFolder(root, id) ?? s; // in progress: as it is now
          }
          return s;
        },
      };
    }
    return cached;
  };
}
