/**
 * The run index: `index/runs-v1.db`, a nedb-promises datafile (one JSON document per line,
 * keyed by `_id`; a later line replaces an earlier one; `{"$$deleted": true}` removes) holding a
 * {@link RunSummary} per ended run. It is a cache: the run folders are the truth, every reader
 * checks the index against the folder list and heals it, and `bfly reindex` rebuilds it.
 *
 * Writes go through nedb-promises when rebuilding; an ended run is appended as one line (what
 * nedb itself does on insert) so that finishing a run never loads the whole index. Reading
 * parses the datafile directly: nedb's loader takes about 0.9 s for 10,000 runs here (it
 * re-validates every document and rewrites the file on each load), a line parser about 0.1 s.
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { appendNoFollow, writeNewFile } from './safe-fs.js';
import { join } from 'node:path';
import { canonicalJson, sha256Hex } from '../core/hash.js';
import { type RunManifest, isFinalStatus } from '../core/run-manifest.js';
import { type RunSummary, type SummaryPipeline, summarizeRun } from '../core/run-summary.js';
import { safeUnlink, tempPath } from './atomic.js';
import { batchMemberships } from './batches.js';
import { workspacePaths } from './layout.js';
import { acquireLock } from './lock.js';
import { appendAudit } from './audit.js';
import { listRunIds } from './runs.js';
import { readFrozenPipeline, readRunManifest } from './run-state.js';

/**
 * Bump when {@link RunSummary} or the line format changes: an index of another version is
 * rebuilt. v2: every line carries `_h`, the sha256 of its summary's JSON text.
 */
export const INDEX_FILE = 'runs-v2.db';

/** Path of the run index file. */
export function runIndexPath(root: string): string {
  return join(workspacePaths(root).index, INDEX_FILE);
}

/** What reading the index found. */
export interface IndexRead {
  /**
   * Each indexed run's summary as JSON text (without nedb's `_id`), by run id: the last line of
   * an id wins, deleted ids are absent. Parsed only when needed ({@link parseIndexDoc}).
   */
  docs: Map<string, string>;
  /** `missing`: no index file; `corrupt`: some lines could not be read. */
  state: 'ok' | 'missing' | 'corrupt';
  badLines: number;
}

/** Parses one index document's text; null when it is not a run summary. */
export function parseIndexDoc(text: string): RunSummary | null {
  try {
    const d = JSON.parse(text) as RunSummary;
    return typeof d.id === 'string' && typeof d.status === 'string' && typeof d.metrics === 'object' && d.metrics !== null ? d : null;
  } catch {
    return null;
  }
}

const DOC_START = '{"_id":"';
const HASH_START = '","_h":"';
const DELETED_START = '{"$$deleted":true,"_id":"';

/**
 * Reads the index datafile (no locking needed: appends are whole lines, rewrites are renames).
 * Every document line carries `_h`, the sha256 of its summary text, and a line whose summary
 * does not hash to it (damaged, or edited by hand) is not used: it counts as unreadable, so the
 * readers take that run from its folder and rebuild the index. Lines in the shape this module
 * writes are split without parsing; others (nedb's own lines, reordered keys) are parsed. A
 * last line without its newline was cut short by a crash. With `strict`, every document is
 * also parsed and checked (fsck).
 */
export function readRunIndex(root: string, strict = false): IndexRead {
  let text: string;
  try {
    text = readFileSync(runIndexPath(root), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ELOOP') return { docs: new Map(), state: 'missing', badLines: 0 };
    throw err;
  }
  const docs = new Map<string, string>();
  let bad = 0;
  let start = 0;
  const accept = (id: string, doc: string, h: unknown): void => {
    if (typeof h !== 'string' || sha256Hex(doc) !== h || (strict && parseIndexDoc(doc)?.id !== id)) {
      bad++;
      docs.delete(id); // an entry that cannot be trusted is no entry: the folder has the truth
    } else docs.set(id, doc);
  };
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    const complete = end !== -1;
    if (!complete) end = text.length;
    if (end > start) {
      const l = text.slice(start, end);
      const q = l.indexOf('"', DOC_START.length);
      if (!complete || l.charCodeAt(l.length - 1) !== 125 /* } */) bad++;
      else if (l.startsWith(DOC_START) && q > 0 && l.startsWith(HASH_START, q) && l.startsWith('",', q + HASH_START.length + 64)) {
        accept(l.slice(DOC_START.length, q), `{${l.slice(q + HASH_START.length + 66)}`, l.slice(q + HASH_START.length, q + HASH_START.length + 64));
      } else if (l.startsWith(DELETED_START)) docs.delete(l.slice(DELETED_START.length, l.indexOf('"', DELETED_START.length)));
      else {
        try {
          const d = JSON.parse(l) as Record<string, unknown>;
          if (typeof d._id !== 'string') {
            if (!('$$indexCreated' in d) && !('$$indexRemoved' in d)) bad++;
          } else if (d.$$deleted === true) docs.delete(d._id);
          else if (d.id === d._id && typeof d.status === 'string') {
            const h = d._h;
            delete d._id;
            delete d._h;
            accept(d.id as string, JSON.stringify(d), h);
          } else bad++;
        } catch {
          bad++;
        }
      }
    }
    start = end + 1;
  }
  return { docs, state: bad > 0 ? 'corrupt' : 'ok', badLines: bad };
}

/** One index line: `_id`, then `_h` (sha256 of the summary's JSON text), then the summary's fields. */
const line = (s: RunSummary): string => {
  const doc = JSON.stringify(s);
  return `{"_id":${JSON.stringify(s.id)},"_h":"${sha256Hex(doc)}",${doc.slice(1)}`;
};

function withIndexLock(root: string, waitMs: number, fn: () => void): boolean {
  let lock;
  try {
    lock = acquireLock(root, 'index', { purpose: 'updating the run index', waitMs });
  } catch {
    return false; // another process is updating it: the next reader heals what we skip
  }
  try {
    mkdirSync(workspacePaths(root).index, { recursive: true });
    fn();
  } finally {
    lock.release();
  }
  return true;
}

/** Appends lines to the index; a link in its place is replaced by a rebuilt index instead of being written through. */
function appendIndex(root: string, text: string): void {
  try {
    appendNoFollow(runIndexPath(root), text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
    safeUnlink(runIndexPath(root)); // removes the link itself; the next reader rebuilds the index
  }
}

/**
 * Adds an ended run to the index (one appended line). Best effort: if the index is busy the run
 * is picked up by the next reader.
 */
export function indexRun(root: string, manifest: RunManifest, pipeline: SummaryPipeline): void {
  if (!isFinalStatus(manifest.status)) return;
  // The canonical form (keys sorted), as pipeline.json holds it, so a rebuilt entry is identical.
  const canonical = JSON.parse(canonicalJson(pipeline)) as SummaryPipeline;
  withIndexLock(root, 2000, () => appendIndex(root, line(summarizeRun(manifest, canonical)) + '\n'));
}

/** Adds ended runs to the index from their folders (e.g. runs just marked interrupted). */
export function indexRunFolders(root: string, ids: readonly string[]): void {
  const memberships = batchMemberships(root);
  const docs = ids.map((id) => summarizeRunFolder(root, id, memberships)).filter((s): s is RunSummary => s !== null && isFinalStatus(s.status));
  if (docs.length > 0) withIndexLock(root, 2000, () => appendIndex(root, docs.map((d) => line(d) + '\n').join('')));
}

function readPipeline(root: string, id: string): SummaryPipeline | null {
  try {
    return readFrozenPipeline(join(workspacePaths(root).runs, id)) as SummaryPipeline;
  } catch {
    return null;
  }
}

/**
 * The summary of one run from the files alone (its folder and the batch records; pass
 * `memberships` from {@link batchMemberships} when summarizing many); null when its run.json is
 * unreadable.
 */
export function summarizeRunFolder(root: string, id: string, memberships: Map<string, string[]> = batchMemberships(root)): RunSummary | null {
  let m: RunManifest;
  try {
    m = readRunManifest(root, id);
  } catch {
    return null;
  }
  return summarizeRun(m, readPipeline(root, id), memberships.get(id) ?? []);
}

/** What {@link listRunSummaries} returns. */
export interface RunListing {
  /** Every run with a readable run.json, oldest first. */
  ids: string[];
  /** A run's summary (parsed on first use). */
  summary(id: string): RunSummary;
  /** A run's summary as JSON text (from the index without parsing when it is there). */
  json(id: string): string;
  /** Set when the index was missing or damaged (and has been rebuilt), for the user to read. */
  note: string | null;
}

/**
 * Every run's summary, oldest first, from the index, checked against the run folders: runs the
 * index lacks (new, or lost from a damaged index) are read from their folders and added; entries
 * of runs that are gone are dropped. A missing or damaged index is rebuilt and said so.
 */
export async function listRunSummaries(root: string): Promise<RunListing> {
  const runIds = listRunIds(root);
  const index = readRunIndex(root);
  const ids: string[] = [];
  const parsed = new Map<string, RunSummary>();
  const fresh: RunSummary[] = [];
  let memberships: Map<string, string[]> | null = null;
  const members = (): Map<string, string[]> => (memberships ??= batchMemberships(root));
  for (const id of runIds) {
    if (index.docs.has(id)) {
      ids.push(id);
      continue;
    }
    const s = summarizeRunFolder(root, id, members());
    if (s === null) continue;
    ids.push(id);
    parsed.set(id, s);
    if (isFinalStatus(s.status)) fresh.push(s);
  }
  const summary = (id: string): RunSummary => {
    let s = parsed.get(id);
    if (s === undefined) {
      // an entry that does not parse (damaged in place): the folder has the truth
      s = parseIndexDoc(index.docs.get(id)!) ?? summarizeRunFolder(root, id, members()) ?? undefined;
      if (s === undefined) throw new Error(`run ${id}: neither its index entry nor its run.json can be read (run \`bfly fsck\`)`);
      parsed.set(id, s);
    }
    return s;
  };
  const known = new Set(runIds);
  const gone = [...index.docs.keys()].filter((id) => !known.has(id));
  let note: string | null = null;
  if (index.state !== 'ok' && ids.length > 0) {
    note = index.state === 'missing' ? `the run index was missing; listed ${ids.length} runs from their folders and rebuilt it` : `the run index had ${index.badLines} line(s) that were unreadable or did not match their hash; listed those runs from their folders and rebuilt it`;
    writeIndexFile(root, ids.map(summary));
  } else if (fresh.length > 0 || gone.length > 0) {
    withIndexLock(root, 0, () => appendIndex(root, [...fresh.map(line), ...gone.map((id) => JSON.stringify({ $$deleted: true, _id: id }))].join('\n') + '\n'));
  }
  return { ids, summary, json: (id) => (parsed.has(id) ? JSON.stringify(parsed.get(id)) : index.docs.get(id)!), note };
}

function writeIndexFile(root: string, runs: readonly RunSummary[]): void {
  withIndexLock(root, 0, () => {
    const tmp = tempPath(workspacePaths(root).tmp, INDEX_FILE);
    try {
      writeNewFile(tmp, runs.filter((r) => isFinalStatus(r.status)).map((r) => line(r) + '\n').join(''));
      renameSync(tmp, runIndexPath(root));
    } finally {
      safeUnlink(tmp);
    }
  });
}

/** `bfly reindex`: {@link rebuildRunIndex}, recorded in the audit log. */
export async function reindexWorkspace(root: string): Promise<{ runs: number; skipped: string[] }> {
  const r = await rebuildRunIndex(root);
  appendAudit(root, { action: 'index.rebuild', target: { runs: r.runs, skipped: r.skipped } });
  return r;
}

/**
 * Rebuilds the index from the run folders alone, through nedb-promises (a fresh datastore with
 * indexes on experiment, status and createdAt, moved into place when complete). Returns how
 * many runs it holds.
 */
export async function rebuildRunIndex(root: string): Promise<{ runs: number; skipped: string[] }> {
  const docs: RunSummary[] = [];
  const skipped: string[] = [];
  const memberships = batchMemberships(root);
  for (const id of listRunIds(root)) {
    const s = summarizeRunFolder(root, id, memberships);
    if (s === null) skipped.push(id);
    else if (isFinalStatus(s.status)) docs.push(s);
  }
  const { default: Datastore } = await import('nedb-promises');
  const tmp = tempPath(workspacePaths(root).tmp, INDEX_FILE);
  const lock = acquireLock(root, 'index', { purpose: 'rebuilding the run index', waitMs: 10_000 });
  try {
    const db = Datastore.create({ filename: tmp });
    await db.load();
    await db.insert(docs.map((s) => ({ _id: s.id, _h: sha256Hex(JSON.stringify(s)), ...s })));
    for (const fieldName of ['experiment', 'status', 'createdAt']) await db.ensureIndex({ fieldName });
    mkdirSync(workspacePaths(root).index, { recursive: true });
    renameSync(tmp, runIndexPath(root));
  } finally {
    lock.release();
    safeUnlink(tmp);
    safeUnlink(`${tmp}~`);
  }
  return { runs: docs.length, skipped };
}
