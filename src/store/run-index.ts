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
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync } from 'node:fs';
import { appendNoFollow, writeNewFile } from './safe-fs.js';
import { join } from 'node:path';
import { canonicalJson, sha256Hex } from '../core/hash.js';
import { type RunManifest, isFinalStatus } from '../core/run-manifest.js';
import { type RunSelection, type RunSummary, type SummaryPipeline, selectRunDocs, selectionFields, summarizeRun } from '../core/run-summary.js';
import { resolveFieldPath } from '../core/query.js';
import { type Datafile, type RunColumns, ColumnBuilder, cellAt, datafileOf, fitsDatafile, columnsPath, readAt, readLines, readRunColumns } from './run-columns.js';
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

/** An index document: its summary's JSON text and where its line is in the datafile (bytes). */
export interface IndexDoc {
  text: string;
  offset: number;
  length: number;
}

/** What reading the index found. */
export interface IndexRead {
  /**
   * Each indexed run's summary as JSON text (without nedb's `_id`), by run id: the last line of
   * an id wins, deleted ids are absent. Parsed only when needed ({@link parseIndexDoc}).
   */
  docs: Map<string, IndexDoc>;
  /** Ids a `$$deleted` line removed (they may be in an earlier part of the file read apart). */
  deleted: Set<string>;
  /** `missing`: no index file; `corrupt`: some lines could not be read. */
  state: 'ok' | 'missing' | 'corrupt';
  badLines: number;
  /** Lines read. */
  lines: number;
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

/** What one index line holds: a summary (its text and the hash the line gives it), a deletion, nedb's bookkeeping, or nothing readable (null). */
export type IndexLine = { kind: 'doc'; id: string; text: string; hash: unknown } | { kind: 'deleted'; id: string } | { kind: 'meta' } | null;

/**
 * Reads one complete line. Lines in the shape this module writes are split without parsing;
 * others (nedb's own lines, reordered keys) are parsed.
 */
export function parseIndexLine(l: string): IndexLine {
  if (l.charCodeAt(l.length - 1) !== 125 /* } */) return null;
  const q = l.indexOf('"', DOC_START.length);
  if (l.startsWith(DOC_START) && q > 0 && l.startsWith(HASH_START, q) && l.startsWith('",', q + HASH_START.length + 64)) {
    return { kind: 'doc', id: l.slice(DOC_START.length, q), text: `{${l.slice(q + HASH_START.length + 66)}`, hash: l.slice(q + HASH_START.length, q + HASH_START.length + 64) };
  }
  if (l.startsWith(DELETED_START)) return { kind: 'deleted', id: l.slice(DELETED_START.length, l.indexOf('"', DELETED_START.length)) };
  try {
    const d = JSON.parse(l) as Record<string, unknown>;
    if (typeof d._id !== 'string') return '$$indexCreated' in d || '$$indexRemoved' in d ? { kind: 'meta' } : null;
    if (d.$$deleted === true) return { kind: 'deleted', id: d._id };
    if (d.id !== d._id || typeof d.status !== 'string') return null;
    const { _id: id, _h: hash } = d;
    delete d._id;
    delete d._h;
    return { kind: 'doc', id, text: JSON.stringify(d), hash };
  } catch {
    return null;
  }
}

/** The summary text of a document line, when its hash holds (and, `strict`, it parses as that run's summary). */
export function trustedDoc(line: IndexLine, strict = false): string | null {
  if (line === null || line.kind !== 'doc') return null;
  return typeof line.hash === 'string' && sha256Hex(line.text) === line.hash && (!strict || parseIndexDoc(line.text)?.id === line.id) ? line.text : null;
}

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
  let buf: Buffer;
  try {
    buf = readFileSync(runIndexPath(root));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ELOOP') return { docs: new Map(), deleted: new Set(), state: 'missing', badLines: 0, lines: 0 };
    throw err;
  }
  return parseIndexBytes(buf, 0, strict);
}

/** Parses index lines from bytes that start at `base` in the datafile (see {@link readRunIndex}). */
export function parseIndexBytes(buf: Buffer, base: number, strict = false): IndexRead {
  const docs = new Map<string, IndexDoc>();
  const deleted = new Set<string>();
  let bad = 0;
  let lines = 0;
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(10, start);
    const complete = end !== -1;
    if (!complete) end = buf.length;
    if (end > start) {
      lines++;
      const line = complete ? parseIndexLine(buf.toString('utf8', start, end)) : null; // a last line without its newline was cut short
      if (line?.kind === 'doc') {
        const text = trustedDoc(line, strict);
        if (text === null) {
          bad++;
          docs.delete(line.id); // an entry that cannot be trusted is no entry: the folder has the truth
          deleted.add(line.id);
        } else {
          docs.set(line.id, { text, offset: base + start, length: end - start });
          deleted.delete(line.id);
        }
      } else if (line?.kind === 'deleted') {
        docs.delete(line.id);
        deleted.add(line.id);
      } else if (line === null) bad++;
    }
    start = end + 1;
  }
  return { docs, deleted, state: bad > 0 ? 'corrupt' : 'ok', badLines: bad, lines };
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
  /** Many runs' {@link json}, reading the index once. */
  jsonMany(ids: readonly string[]): string[];
  /**
   * The ids a selection keeps, in its order (newest first unless sorted): the fields it filters
   * and sorts on are read from the columnar side file where it has them, without parsing summaries.
   */
  select(selection: RunSelection): string[];
  /** Set when the index was missing or damaged (and has been rebuilt), for the user to read. */
  note: string | null;
  /** Set once reading an entry found it damaged (the run was taken from its folder), for the user to read. */
  damage(): string | null;
}

/** Lines appended to the datafile since its side file was written before a reader writes that again. */
export const COLUMNS_TAIL_LINES = 1000;

/**
 * The piece in which a long run of lines since the side file is read (bytes;
 * `BFLY_INDEX_PIECE_BYTES`, default 16 MiB); past 4 pieces of them, they are read that way into a
 * new side file first.
 */
function pieceBytes(): number {
  const v = Number(process.env.BFLY_INDEX_PIECE_BYTES);
  return Number.isInteger(v) && v >= 1024 ? v : 16 << 20;
}

/**
 * Brings the side file up to date with the datafile reading the lines it lacks in pieces
 * ({@link pieceBytes}), holding only their cells. False when the index is busy or a line does not check out
 * (the caller then reads the datafile whole, which heals it).
 */
export function refreshRunColumns(root: string, cols: RunColumns | null): boolean {
  let done = false;
  withIndexLock(root, 0, () => {
    const fd = openSync(runIndexPath(root), 'r');
    try {
      const datafile = datafileOf(fd);
      const { ino, size, head } = datafile;
      const valid = fitsDatafile(cols, datafile);
      const b = new ColumnBuilder();
      const rowOfId = new Map<string, number>();
      if (valid !== null) {
        b.addSide(valid, Int32Array.from(valid.ids.keys()));
        valid.ids.forEach((id, r) => rowOfId.set(id, r));
      }
      const piece = Buffer.allocUnsafe(pieceBytes());
      let pos = valid?.covered ?? 0;
      let carry = Buffer.alloc(0);
      while (pos < size) {
        const n = readSync(fd, piece, 0, Math.min(piece.length, size - pos), pos);
        if (n === 0) break;
        const chunk = carry.length === 0 ? piece.subarray(0, n) : Buffer.concat([carry, piece.subarray(0, n)]);
        const base = pos - carry.length;
        pos += n;
        const last = chunk.lastIndexOf(10);
        if (last === -1) {
          carry = Buffer.from(chunk);
          continue;
        }
        const part = parseIndexBytes(chunk.subarray(0, last + 1), base);
        if (part.state !== 'ok') return;
        for (const id of part.deleted) {
          const r = rowOfId.get(id);
          if (r !== undefined) b.drop(r);
          rowOfId.delete(id);
        }
        for (const [id, d] of part.docs) {
          const doc = parseIndexDoc(d.text);
          if (doc === null) return;
          const r = rowOfId.get(id);
          if (r !== undefined) b.drop(r);
          rowOfId.set(id, b.addDoc(id, d.offset, d.length, doc));
        }
        carry = Buffer.from(chunk.subarray(last + 1));
      }
      if (carry.length > 0) return; // a last line cut short
      b.write(root, { ino, head }, size);
      done = true;
    } finally {
      closeSync(fd);
    }
  });
  return done;
}

/** The datafile's lines from `from` on, read from one descriptor, with the file's inode and size. */
function readIndexFrom(root: string, columns: (d: Datafile) => RunColumns | null, maxTail = Infinity): { index: IndexRead | null; cols: RunColumns | null; ino: number; size: number; head: (n: number) => string } {
  let fd: number;
  try {
    fd = openSync(runIndexPath(root), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ELOOP') return { index: { docs: new Map(), deleted: new Set(), state: 'missing', badLines: 0, lines: 0 }, cols: null, ino: 0, size: 0, head: () => '' };
    throw err;
  }
  try {
    const datafile = datafileOf(fd);
    const { ino, size, head } = datafile;
    const cols = columns(datafile);
    const from = cols?.covered ?? 0;
    if (size - from > maxTail) return { index: null, cols, ino, size, head };
    const buf = Buffer.allocUnsafe(size - from);
    const got = readAt(fd, buf, from);
    return { index: parseIndexBytes(buf.subarray(0, got), from), cols, ino, size: from + got, head };
  } finally {
    closeSync(fd);
  }
}

/**
 * Every run's summary, oldest first, from the index, checked against the run folders: runs the
 * index lacks (new, or lost from a damaged index) are read from their folders and added; entries
 * of runs that are gone are dropped. A missing or damaged index is rebuilt and said so. The
 * index is read through its columnar side file when that fits (only the lines appended since are
 * parsed), and the side file is written again when it is missing or many lines came since.
 */
export async function listRunSummaries(root: string): Promise<RunListing> {
  const runIds = listRunIds(root);
  let read = readIndexFrom(root, (d) => readRunColumns(root, d), 4 * pieceBytes());
  // More lines since the side file than is wise to hold at once (a million runs' index is 1.6 GB):
  // the side file is brought up to date reading them in pieces, then read again.
  if (read.index === null && refreshRunColumns(root, read.cols)) read = readIndexFrom(root, (d) => readRunColumns(root, d), 4 * pieceBytes());
  if (read.index === null) read = readIndexFrom(root, () => null); // lines that do not check out: read whole (and healed)
  const { cols, ino, size, head } = read;
  const index = read.index!;
  // Both lists are sorted by id: one pass pairs each run folder with its side-file row (-1: none;
  // also when a later line replaced, deleted or made that entry untrusted).
  const side = cols?.ids ?? [];
  const dropped = (id: string): boolean => index.docs.has(id) || index.deleted.has(id);
  const ids: string[] = [];
  const rowAt = new Int32Array(runIds.length);
  const gone: string[] = [];
  const parsed = new Map<string, RunSummary>();
  const fresh: RunSummary[] = [];
  let memberships: Map<string, string[]> | null = null;
  const members = (): Map<string, string[]> => (memberships ??= batchMemberships(root));
  let j = 0;
  for (const id of runIds) {
    for (; j < side.length && side[j] < id; j++) if (!dropped(side[j])) gone.push(side[j]);
    let row = -1;
    if (j < side.length && side[j] === id) {
      if (!dropped(id)) row = j;
      j++;
    }
    if (row >= 0 || index.docs.has(id)) {
      ids.push(id);
      rowAt[ids.length - 1] = row;
      continue;
    }
    const s = summarizeRunFolder(root, id, members());
    if (s === null) continue;
    ids.push(id);
    rowAt[ids.length - 1] = -1;
    parsed.set(id, s);
    if (isFinalStatus(s.status)) fresh.push(s);
  }
  for (; j < side.length; j++) if (!dropped(side[j])) gone.push(side[j]);
  for (const id of index.docs.keys()) if (runIds[lowerBound(runIds, id)] !== id) gone.push(id);
  /** A listed run's side-file row, or -1. */
  const rowOf = (id: string): number => {
    const at = lowerBound(ids, id);
    return ids[at] === id ? rowAt[at] : -1;
  };
  const damaged = new Set<string>();
  /** Runs' summary texts from the index (each line checked against its hash); null for one it has no text for that it can trust. */
  const textsOf = (want: readonly string[]): Array<string | null> => {
    const out = want.map((id) => index.docs.get(id)?.text ?? null);
    const rows: number[] = [];
    const at: number[] = [];
    want.forEach((id, i) => {
      const r = out[i] === null && id !== '' ? rowOf(id) : -1;
      if (r >= 0) {
        rows.push(r);
        at.push(i);
      }
    });
    if (rows.length === 0) return out;
    const lines = readLines(runIndexPath(root), ino, rows.map((r) => cols!.lineOffset[r]), rows.map((r) => cols!.lineLength[r]));
    at.forEach((i, k) => {
      const b = lines?.[k] ?? null;
      const line = b === null ? null : parseIndexLine(b.toString('utf8'));
      out[i] = line?.kind === 'doc' && line.id === want[i] ? trustedDoc(line) : null;
      if (out[i] === null) {
        // the datafile changed under the side file, or was damaged in place: the next reader reads it whole (and heals it)
        if (damaged.size === 0) safeUnlink(columnsPath(root));
        damaged.add(want[i]);
      }
    });
    return out;
  };
  const summary = (id: string): RunSummary => {
    let s = parsed.get(id);
    if (s === undefined) {
      // an entry that does not parse (damaged in place): the folder has the truth
      const text = textsOf([id])[0];
      s = (text === null ? null : parseIndexDoc(text)) ?? summarizeRunFolder(root, id, members()) ?? undefined;
      if (s === undefined) throw new Error(`run ${id}: neither its index entry nor its run.json can be read (run \`bfly fsck\`)`);
      parsed.set(id, s);
    }
    return s;
  };
  const jsonMany = (want: readonly string[]): string[] => {
    const texts = textsOf(want.map((id) => (parsed.has(id) ? '' : id)));
    return want.map((id, i) => (parsed.has(id) ? JSON.stringify(parsed.get(id)) : (texts[i] ?? JSON.stringify(summary(id)))));
  };
  let note: string | null = null;
  if (index.state !== 'ok' && ids.length > 0) {
    note = index.state === 'missing' ? `the run index was missing; listed ${ids.length} runs from their folders and rebuilt it` : `the run index had ${index.badLines} line(s) that were unreadable or did not match their hash; listed those runs from their folders and rebuilt it`;
    writeIndexFile(root, ids.map(summary));
  } else {
    if (index.state === 'ok' && (cols === null ? index.docs.size > 0 : index.lines >= COLUMNS_TAIL_LINES)) {
      // the side file: written again from what it had and the lines parsed since
      const b = new ColumnBuilder();
      if (cols !== null) b.addSide(cols, rowAt.subarray(0, ids.length).filter((r) => r >= 0));
      for (const id of ids) {
        const d = index.docs.get(id);
        const doc = d === undefined ? null : parseIndexDoc(d.text);
        if (d !== undefined && doc !== null) b.addDoc(id, d.offset, d.length, doc);
      }
      withIndexLock(root, 0, () => b.write(root, { ino, head }, size));
    }
    if (fresh.length > 0 || gone.length > 0) withIndexLock(root, 0, () => appendIndex(root, [...fresh.map(line), ...gone.map((id) => JSON.stringify({ $$deleted: true, _id: id }))].join('\n') + '\n'));
  }
  const select = (sel: RunSelection): string[] => {
    if (cols === null) return selectRunDocs(ids, summary, sel);
    // the side file's columns this selection reads: its fields, their parts and what holds them
    const fields = [...selectionFields(sel)].map(resolveFieldPath);
    const used = [...cols.columns].filter(([c]) => fields.some((p) => c === p || c.startsWith(`${p}.`) || p.startsWith(`${c}.`))).map(([c, col]) => [c.split('.'), col] as const);
    const values = new Map<string, unknown>();
    const valueOf = (text: string): unknown => {
      let v = values.get(text);
      if (v === undefined && !values.has(text)) values.set(text, (v = JSON.parse(text)));
      return v;
    };
    const positions = ids.map((_, i) => i);
    return selectRunDocs(positions, (i) => {
      const r = rowAt[i];
      if (r < 0) return summary(ids[i]);
      const doc: Record<string, unknown> = { id: ids[i] };
      for (const [path, c] of used) {
        const v = cellAt(c, r);
        if (v !== undefined) setPath(doc, path, typeof v === 'number' ? v : valueOf(v));
      }
      return doc;
    }, sel).map((i) => ids[i]);
  };
  const damage = (): string | null => (damaged.size === 0 ? null : `the run index's entry of ${damaged.size === 1 ? `run ${[...damaged][0]}` : `${damaged.size} runs`} did not match its hash; listed from the run folders (the next command rebuilds the index)`);
  return { ids, summary, json: (id) => jsonMany([id])[0], jsonMany, select, note, damage };
}

/** The first place in a sorted list whose value is not below `v`. */
function lowerBound(sorted: readonly string[], v: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sets a value at a path (its parts), making the objects on the way. */
function setPath(doc: Record<string, unknown>, parts: readonly string[], v: unknown): void {
  let o = doc;
  for (let i = 0; i < parts.length - 1; i++) o = (o[parts[i]] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]] = v;
}

function writeIndexFile(root: string, runs: readonly RunSummary[]): void {
  withIndexLock(root, 0, () => {
    safeUnlink(columnsPath(root)); // for the datafile it replaces
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
    safeUnlink(columnsPath(root)); // for the datafile it replaces
    renameSync(tmp, runIndexPath(root));
  } finally {
    lock.release();
    safeUnlink(tmp);
    safeUnlink(`${tmp}~`);
  }
  return { runs: docs.length, skipped };
}
