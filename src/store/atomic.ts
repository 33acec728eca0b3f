import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, basename } from 'node:path';
import { currentHost } from './host.js';
import { createHash } from 'node:crypto';

/** 8 hex digits naming this host in temp names (a workspace may be shared between hosts). */
export const HOST_TAG = createHash('sha256').update(currentHost()).digest('hex').slice(0, 8);

/**
 * A unique name for a temp file or folder in `tmp/`: `<pid>.<host tag>-<random>-<label>`. The
 * pid and host let {@link parseTempName} tell whether its writer is gone.
 */
export function tempName(label: string): string {
  return `${process.pid}.${HOST_TAG}-${randomBytes(6).toString('hex')}-${basename(label).slice(0, 40)}`;
}

/** The writer of a temp name: pid and host tag, or null for names bfly did not make. */
export function parseTempName(name: string): { pid: number; host: string } | null {
  const m = /^(\d+)\.([0-9a-f]{8})-/.exec(name);
  return m === null ? null : { pid: Number(m[1]), host: m[2] };
}

/**
 * A fresh temp path inside `tmpDir` (which must be on the same filesystem as the target so
 * the final rename is atomic). The name carries the pid so leftovers of dead processes can be
 * found and removed.
 */
export function tempPath(tmpDir: string, label: string): string {
  return join(tmpDir, `${tempName(label)}.tmp`);
}

/** Options for {@link writeFileAtomic}. */
export interface WriteAtomicOptions {
  /** Directory for the temp file; the target's filesystem. */
  tmpDir: string;
  /** File mode of the result (e.g. 0o444 for write-once objects). */
  mode?: number;
  /**
   * fsync before the rename (default true). Derived data that is verified on read (the block
   * cache) and intermediate states that are rewritten later skip it: still all-or-nothing for
   * readers, only not guaranteed to survive a power cut.
   */
  durable?: boolean;
}

/**
 * Writes `data` to `target` all-or-nothing: temp file, fsync, rename. A reader sees the old
 * file or the new one, never a partial one; a crash leaves at most a temp file in `tmpDir`.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array, options: WriteAtomicOptions): void {
  const tmp = tempPath(options.tmpDir, target);
  const fd = openSync(tmp, 'wx', options.mode ?? 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (options.durable !== false) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    safeUnlink(tmp);
    throw err;
  }
  closeSync(fd);
  if (options.mode !== undefined) chmodSync(tmp, options.mode);
  try {
    renameSync(tmp, target);
  } catch (err) {
    safeUnlink(tmp);
    throw err;
  }
}

/** Writes a value as pretty JSON (2 spaces, trailing newline), atomically. */
export function writeJsonAtomic(target: string, value: unknown, options: WriteAtomicOptions): void {
  writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n', options);
}

/** unlink that ignores a missing file. */
export function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
