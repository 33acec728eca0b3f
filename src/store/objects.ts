import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, readSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptObjectError, NotFoundError } from '../core/errors.js';
import { formatHash, parseHash, sha256Hex } from '../core/hash.js';
import { safeUnlink, writeFileAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';

/** Path of object `hash` (hex or `sha256:hex`) under `objects/ab/cdef…`. */
export function objectPath(root: string, hash: string): string {
  const hex = parseHash(hash);
  if (hex === null) throw new NotFoundError('BAD_HASH', `not a sha256 hash: ${hash}`);
  return join(workspacePaths(root).objects, hex.slice(0, 2), hex.slice(2));
}

/** True when the store holds object `hash`. */
export function hasObject(root: string, hash: string): boolean {
  return existsSync(objectPath(root, hash));
}

/**
 * Stores bytes as a write-once, read-only object and returns `sha256:<hex>`. Storing bytes that
 * are already there is a no-op: an object is never overwritten.
 */
export function writeObject(root: string, data: Uint8Array | string): string {
  const hex = sha256Hex(data);
  const target = objectPath(root, hex);
  if (!existsSync(target)) {
    mkdirSync(join(target, '..'), { recursive: true });
    writeFileAtomic(target, data, { tmpDir: workspacePaths(root).tmp, mode: 0o444 });
  }
  return formatHash(hex);
}

/**
 * Moves a finished temp file whose sha256 is `hex` into the store, fsyncing it first unless
 * `synced` says its writer already did. If the object exists already the temp file is just
 * removed. Returns `sha256:<hex>`.
 */
export function adoptObject(root: string, tempFile: string, hex: string, synced = false): string {
  const target = objectPath(root, hex);
  if (existsSync(target)) {
    safeUnlink(tempFile);
    return formatHash(hex);
  }
  mkdirSync(join(target, '..'), { recursive: true });
  chmodSync(tempFile, 0o444);
  if (!synced) {
    const fd = openSync(tempFile, 'r');
    fsyncSync(fd);
    closeSync(fd);
  }
  try {
    // link() fails if the target appeared meanwhile (another import of the same bytes): we
    // never replace an object, not even with identical bytes.
    linkSync(tempFile, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      if ((err as NodeJS.ErrnoException).code === 'EPERM' || (err as NodeJS.ErrnoException).code === 'ENOTSUP') {
        if (!existsSync(target)) renameSync(tempFile, target);
      } else {
        safeUnlink(tempFile);
        throw err;
      }
    }
  }
  safeUnlink(tempFile);
  return formatHash(hex);
}

/** Reads object `hash` and re-hashes it; throws {@link CorruptObjectError} on mismatch. */
export function readObject(root: string, hash: string): Buffer {
  const path = objectPath(root, hash);
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError('OBJECT_MISSING', `object ${hash} is missing from the store`, { hint: 'run `bfly fsck` to list what is damaged', data: { hash, path } });
    }
    throw err;
  }
  const actual = sha256Hex(data);
  if (actual !== parseHash(hash)) throw new CorruptObjectError(hash, formatHash(actual), path);
  return data;
}

/** sha256 hex of a file, streamed with 1 MiB reads. */
export function hashFile(path: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}
