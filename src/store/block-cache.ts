import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatHash, parseHash, sha256Hex } from '../core/hash.js';
import { writeFileAtomic, writeJsonAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';

/**
 * The cache keeps its blobs in `cache/blobs/ab/cdef…` (content-addressed, write-once, like
 * `objects/`, but apart from it): a run writes only to its own folder and to `cache/`, and
 * clearing `cache/` can never lose a dataset.
 */
function blobPath(root: string, hash: string): string {
  const hex = parseHash(hash);
  if (hex === null) throw new RangeError(`not a sha256 hash: ${hash}`);
  return join(workspacePaths(root).cache, 'blobs', hex.slice(0, 2), hex.slice(2));
}

function writeBlob(root: string, data: Uint8Array): string {
  const hash = formatHash(sha256Hex(data));
  const path = blobPath(root, hash);
  if (!existsSync(path)) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileAtomic(path, data, { tmpDir: workspacePaths(root).tmp, mode: 0o444, durable: false });
  }
  return hash;
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
  key: string;
  block: string;
  type: string;
  /** Encoded value of each slot the block wrote, by object hash. */
  slots: Record<string, string>;
  artifacts: CachedArtifact[];
  /** Metrics the block's hooks reported. */
  metrics?: Record<string, number>;
  /** How long the block took when it ran. */
  durationMs: number;
  createdAt: string;
  /** The run that produced it. */
  run: string;
}

function entryPath(root: string, key: string): string {
  const hex = parseHash(key);
  if (hex === null) throw new RangeError(`not a block key: ${key}`);
  return join(workspacePaths(root).cache, 'entries', hex.slice(0, 2), `${hex.slice(2)}.json`);
}

/**
 * The cache entry for block key `key`, or null when there is none, it is unreadable, or one of
 * its blobs is missing or corrupt (a miss, never an error: the block just runs again).
 */
export function readCacheEntry(root: string, key: string): CacheEntry | null {
  let entry: CacheEntry;
  try {
    entry = JSON.parse(readFileSync(entryPath(root, key), 'utf8')) as CacheEntry;
  } catch {
    return null;
  }
  if (entry.key !== key || typeof entry.slots !== 'object' || !Array.isArray(entry.artifacts)) return null;
  return entry;
}

/** Reads one blob of a cache entry (re-hashed); null when it is missing or corrupt. */
export function readCachedBlob(root: string, hash: string): Uint8Array | null {
  let data: Buffer;
  try {
    data = readFileSync(blobPath(root, hash));
  } catch {
    return null;
  }
  return formatHash(sha256Hex(data)) === hash ? data : null;
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
 * hash or parse check and is a miss, so the block just runs again): each slot and artifact as a blob, then the entry
 * (atomically, last), so a reader sees a complete entry or none. Concurrent writers of the same
 * key write the same blobs; the last entry wins and both are valid.
 */
export function writeCacheEntry(root: string, w: CacheWrite): CacheEntry {
  const slots: Record<string, string> = {};
  for (const [name, data] of Object.entries(w.slots)) slots[name] = writeBlob(root, data);
  const artifacts = w.artifacts.map((a) => ({ name: a.name, type: a.type, hash: writeBlob(root, a.data), bytes: a.data.length }));
  const entry: CacheEntry = { key: w.key, block: w.block, type: w.type, slots, artifacts, metrics: w.metrics ?? {}, durationMs: w.durationMs, createdAt: new Date().toISOString(), run: w.run };
  const path = entryPath(root, w.key);
  mkdirSync(join(path, '..'), { recursive: true });
  writeJsonAtomic(path, entry, { tmpDir: workspacePaths(root).tmp, durable: false });
  return entry;
}
