import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { canonicalJson, formatHash, parseHash, sha256Hex } from '../core/hash.js';
import { writeFileAtomic, writeJsonAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';
import { assertRealDir } from './safe-fs.js';

/**
 * The block cache: `cache/entries/ab/cdef….json` names, for one block key, the blobs that hold
 * the block's outputs; the blobs live in `cache/blobs/ab/cdef…` (content-addressed, write-once,
 * apart from `objects/`: a run writes only to its own folder and to `cache/`, and clearing
 * `cache/` can never lose a dataset).
 *
 * Nothing here is trusted without re-checking, because a hit replaces computing:
 * - an entry's file name is its block key, and the entry repeats the key;
 * - an entry carries `digest`, the sha256 of its canonical JSON without the digest, so an edited
 *   entry (metrics, slot names, blob hashes) is a miss;
 * - every blob starts with a header naming the key and the slot or artifact it was written for,
 *   so blobs copied from another block's entry are refused even when the digest is recomputed;
 * - a blob's bytes must hash to its name.
 * Any failed check makes the entry a miss: the block runs again and writes a good entry.
 */
export const CACHE_ENTRY_VERSION = 2;

const BLOB_MAGIC = 'bfly-cache-blob 1\n';

function blobPath(root: string, hash: string): string {
  const hex = parseHash(hash);
  if (hex === null) throw new RangeError(`not a sha256 hash: ${hash}`);
  return join(workspacePaths(root).cache, 'blobs', hex.slice(0, 2), hex.slice(2));
}

/** Makes (or checks) a shard folder under `cache/`: never writes through a link. */
function shardDir(root: string, path: string): void {
  const dir = join(path, '..');
  if (!assertRealDir(dir, root)) {
    mkdirSync(dir, { recursive: true });
    assertRealDir(dir, root);
  }
}

/** The blob of `payload` written for `key`'s slot or artifact `name`: header, then the bytes. */
function blobBytes(key: string, name: string, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${BLOB_MAGIC}${JSON.stringify({ key, name })}\n`, 'utf8'), payload]);
}

function writeBlob(root: string, key: string, name: string, payload: Uint8Array): string {
  const data = blobBytes(key, name, payload);
  const hash = formatHash(sha256Hex(data));
  const path = blobPath(root, hash);
  // An existing blob is kept only when intact: a damaged one is replaced (else every later
  // entry with these bytes would point at the damage and miss forever).
  if (!existsSync(path) || !verifyBlob(path, hash, key, name)) {
    shardDir(root, path);
    writeFileAtomic(path, data, { tmpDir: workspacePaths(root).tmp, mode: 0o444, durable: false });
  }
  return hash;
}

/** The payload of a blob when its header names `key` and `name`; null otherwise. */
function payloadOf(data: Buffer, key: string, name: string): Buffer | null {
  if (!data.subarray(0, BLOB_MAGIC.length).equals(Buffer.from(BLOB_MAGIC))) return null;
  const end = data.indexOf(10, BLOB_MAGIC.length);
  if (end === -1) return null;
  try {
    const h = JSON.parse(data.toString('utf8', BLOB_MAGIC.length, end)) as { key?: unknown; name?: unknown };
    return h.key === key && h.name === name ? data.subarray(end + 1) : null;
  } catch {
    return null;
  }
}

/** An artifact a block wrote, as kept in the cache. */
export interface CachedArtifact {
  name: string;
  type: string;
  hash: string;
  bytes: number;
}

/** A cache entry: `cache/entries/ab/cdef….json`, naming the blobs that hold a block's outputs. */
export interface CacheEntry {
  v: typeof CACHE_ENTRY_VERSION;
  key: string;
  block: string;
  type: string;
  /** The blob holding each slot the block wrote. */
  slots: Record<string, string>;
  artifacts: CachedArtifact[];
  /** Metrics the block's hooks reported. */
  metrics?: Record<string, number>;
  /** How long the block took when it ran. */
  durationMs: number;
  createdAt: string;
  /** The run that produced it. */
  run: string;
  /** sha256 of the entry's canonical JSON without this field. */
  digest: string;
}

function entryPath(root: string, key: string): string {
  const hex = parseHash(key);
  if (hex === null) throw new RangeError(`not a block key: ${key}`);
  return join(workspacePaths(root).cache, 'entries', hex.slice(0, 2), `${hex.slice(2)}.json`);
}

function digestOf(entry: Omit<CacheEntry, 'digest'> & { digest?: string }): string {
  const { digest: _omit, ...rest } = entry;
  return formatHash(sha256Hex(canonicalJson(rest)));
}

/**
 * Why the cache entry at `path` cannot be used for `key` (null when it can): unreadable, not of
 * this version, for another key, edited (digest), or naming a blob that is missing, damaged, or
 * was written for another key or name. `blobs: 'exist'` only checks that the blobs are there
 * (planning a run), `'verify'` re-hashes them and reads their headers (before a hit is used).
 * A verified blob's hash is remembered in `verified` so that many entries sharing one blob hash it once.
 */
export function checkCacheEntry(root: string, path: string, key: string | null, blobs: 'exist' | 'verify', verified?: Map<string, boolean>): { entry: CacheEntry | null; problem: string | null } {
  let entry: CacheEntry;
  try {
    entry = JSON.parse(readFileSync(path, 'utf8')) as CacheEntry;
  } catch (err) {
    return { entry: null, problem: `unreadable (${(err as Error).message.split('\n')[0]})` };
  }
  if (entry === null || typeof entry !== 'object' || entry.v !== CACHE_ENTRY_VERSION) return { entry: null, problem: 'written by an older bfly (it would just run again)' };
  if (typeof entry.key !== 'string' || (key !== null && entry.key !== key) || path !== entryPath(root, entry.key)) return { entry: null, problem: 'its key does not match its file name' };
  if (typeof entry.slots !== 'object' || entry.slots === null || !Array.isArray(entry.artifacts)) return { entry: null, problem: 'not a cache entry' };
  if (entry.digest !== digestOf(entry)) return { entry: null, problem: 'its content does not match its digest (edited after it was written)' };
  const refs: Array<[string, string]> = [...Object.entries(entry.slots).map(([slot, hash]): [string, string] => [`slot:${slot}`, hash]), ...entry.artifacts.map((a): [string, string] => [`artifact:${a.name}`, a.hash])];
  for (const [name, hash] of refs) {
    if (parseHash(hash) === null) return { entry: null, problem: `blob ${hash} is not a sha256 hash` };
    const p = blobPath(root, hash);
    if (blobs === 'exist') {
      if (!existsSync(p)) return { entry: null, problem: `blob ${hash.slice(0, 19)}… is missing` };
      continue;
    }
    const memo = `${hash}\0${entry.key}\0${name}`;
    let ok = verified?.get(memo);
    if (ok === undefined) {
      ok = verifyBlob(p, hash, entry.key, name);
      verified?.set(memo, ok);
    }
    if (!ok) return { entry: null, problem: existsSync(p) ? `blob ${hash.slice(0, 19)}… is damaged or belongs to another entry` : `blob ${hash.slice(0, 19)}… is missing` };
  }
  return { entry, problem: null };
}

/** Streams a blob through sha256 and checks its header: true when it is `hash` and was written for (`key`, `name`). */
function verifyBlob(path: string, hash: string, key: string, name: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    let first: Buffer | null = null;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      if (first === null) first = Buffer.from(buf.subarray(0, Math.min(n, 4096)));
      h.update(n === buf.length ? buf : buf.subarray(0, n));
    }
    if (formatHash(h.digest('hex')) !== hash || first === null) return false;
    const end = first.indexOf(10, BLOB_MAGIC.length);
    return end !== -1 && payloadOf(first.subarray(0, end + 1), key, name) !== null;
  } finally {
    closeSync(fd);
  }
}

/**
 * The usable cache entry for block key `key`, or null (a miss, never an error: the block just
 * runs again). With `verify` (before outputs are taken from it) every blob is re-hashed and its
 * header checked; without, only their presence (to plan or preview a run).
 */
export function readCacheEntry(root: string, key: string, o: { verify?: boolean } = {}): CacheEntry | null {
  const path = entryPath(root, key);
  if (!existsSync(path)) return null;
  return checkCacheEntry(root, path, key, o.verify === true ? 'verify' : 'exist').entry;
}

/** The bytes of a slot or artifact of an entry (re-hashed, header checked); null when missing, corrupt or not the entry's. */
export function readCachedBlob(root: string, entry: CacheEntry, ref: { slot: string } | { artifact: string }): Uint8Array | null {
  const name = 'slot' in ref ? `slot:${ref.slot}` : `artifact:${ref.artifact}`;
  const hash = 'slot' in ref ? entry.slots[ref.slot] : entry.artifacts.find((a) => a.name === ref.artifact)?.hash;
  if (hash === undefined) return null;
  let data: Buffer;
  try {
    data = readFileSync(blobPath(root, hash));
  } catch {
    return null;
  }
  if (formatHash(sha256Hex(data)) !== hash) return null;
  return payloadOf(data, entry.key, name);
}

/** What {@link writeCacheEntry} stores. */
export interface CacheWrite {
  key: string;
  block: string;
  type: string;
  slots: Record<string, Uint8Array>;
  artifacts: Array<{ name: string; type: string; data: Uint8Array }>;
  metrics?: Record<string, number>;
  durationMs: number;
  run: string;
}

/**
 * Stores a finished block's outputs (without fsync: a blob or entry damaged by a crash fails its
 * checks and is a miss, so the block just runs again): each slot and artifact as a blob, then the
 * entry (atomically, last), so a reader sees a complete entry or none. Concurrent writers of the
 * same key write the same blobs; the last entry wins and both are valid.
 */
export function writeCacheEntry(root: string, w: CacheWrite): CacheEntry {
  const slots: Record<string, string> = {};
  for (const [name, data] of Object.entries(w.slots)) slots[name] = writeBlob(root, w.key, `slot:${name}`, data);
  const artifacts = w.artifacts.map((a) => ({ name: a.name, type: a.type, hash: writeBlob(root, w.key, `artifact:${a.name}`, a.data), bytes: a.data.length }));
  const body: Omit<CacheEntry, 'digest'> = { v: CACHE_ENTRY_VERSION, key: w.key, block: w.block, type: w.type, slots, artifacts, metrics: w.metrics ?? {}, durationMs: w.durationMs, createdAt: new Date().toISOString(), run: w.run };
  const entry: CacheEntry = { ...body, digest: digestOf(body) };
  const path = entryPath(root, w.key);
  shardDir(root, path);
  writeJsonAtomic(path, entry, { tmpDir: workspacePaths(root).tmp, durable: false });
  return entry;
}

/** Every blob hash an entry names (for gc). */
export function entryBlobs(entry: CacheEntry): string[] {
  return [...Object.values(entry.slots), ...entry.artifacts.map((a) => a.hash)];
}
