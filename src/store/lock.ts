import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../core/errors.js';
import { HOST_TAG, parseTempName, safeUnlink, tempName } from './atomic.js';
import { currentHost } from './host.js';
import { workspacePaths } from './layout.js';
import { keepLease, leaseMs, releaseLease } from './lease.js';

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  hostname: string;
  /** Process start time (clock ticks since boot, from /proc), to tell a reused pid apart. */
  startTime: number | null;
  acquiredAt: string;
  purpose: string;
  /**
   * The lease (ms) its holder keeps by refreshing the file's mtime: another host may break the
   * lock once the mtime is older than this. Absent in locks of older versions (30 s assumed).
   */
  leaseMs?: number;
}

/** Start time of a process from /proc/<pid>/stat, or null where there is no /proc. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const value = Number(rest[19]);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * True when process `pid` of this host exists and has not exited. A zombie (exited, not yet
 * reaped: common in containers whose init does not reap orphans) is not alive, though
 * `kill(pid, 0)` still succeeds on it.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: kill(0) is all there is
  }
}

/**
 * True when the process that wrote `info` is certainly gone. On this host, by its pid (exact).
 * On another host, by its lease: `ageMs` (since the holder last refreshed the file) beyond the
 * lease; a holder that keeps refreshing is alive, however long it holds the lock.
 */
export function isLockHolderDead(info: LockInfo, ageMs: number): boolean {
  if (info.hostname !== currentHost()) return ageMs > (info.leaseMs ?? 30_000);
  if (!isProcessAlive(info.pid)) return true;
  const now = processStartTime(info.pid);
  return info.startTime !== null && now !== null && now !== info.startTime;
}

/** True when lock `name` exists and its holder is (or may be) alive. */
export function lockHolderAlive(root: string, name: string): boolean {
  const path = join(workspacePaths(root).locks, `${name}.lock`);
  if (!existsSync(path)) return false;
  const holder = readLockInfo(path);
  return holder === null ? lockAgeMs(path) <= STALE_EMPTY_LOCK_MS : !isLockHolderDead(holder, lockAgeMs(path));
}

/** Options for {@link acquireLock}. */
export interface LockOptions {
  /** What the holder is doing, shown to whoever waits. */
  purpose: string;
  /** How long to keep retrying while a live process holds the lock (default 0: fail fast). */
  waitMs?: number;
  /**
   * A lock held for long (a run's, an execution key's): its lease is refreshed on a thread while
   * held. Short locks (milliseconds) need not: their mtime is younger than any lease.
   */
  long?: boolean;
}

/** A held lock; call `release()` exactly once. */
export interface HeldLock {
  path: string;
  release(): void;
  /** Rewrites what the lock says its holder is doing (shown to whoever waits for it). */
  relabel(purpose: string): void;
}

function readLockInfo(path: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

/** Blocks the thread for `ms` milliseconds (for short back-offs in synchronous code). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes lock `name` in the workspace's `locks/` with O_CREAT|O_EXCL. A lock left by a dead
 * process on this host is broken automatically; a live holder makes this fail (after `waitMs`)
 * with an error naming it.
 */
export function acquireLock(root: string, name: string, options: LockOptions): HeldLock {
  const path = join(workspacePaths(root).locks, `${name}.lock`);
  const info: LockInfo = { pid: process.pid, hostname: currentHost(), startTime: processStartTime(process.pid), acquiredAt: new Date().toISOString(), purpose: options.purpose, leaseMs: leaseMs() };
  const deadline = Date.now() + (options.waitMs ?? 0);
  let delay = 5;
  for (;;) {
    try {
      // Written whole aside, then linked into place (link fails when the lock exists): a lock
      // file is never empty or half-written, whatever the crash point.
      const staged = join(workspacePaths(root).tmp, tempName(`${name}.lock`));
      const fd = openSync(staged, 'wx', 0o644);
      try {
        writeSync(fd, JSON.stringify(info));
      } finally {
        closeSync(fd);
      }
      try {
        linkSync(staged, path);
      } finally {
        safeUnlink(staged);
      }
      let released = false;
      if (options.long === true) keepLease(path);
      return {
        path,
        release() {
          if (released) return;
          released = true;
          if (options.long === true) releaseLease(path);
          safeUnlink(path);
        },
        relabel(purpose) {
          if (released) return;
          const again = join(workspacePaths(root).tmp, tempName(`${name}.lock`));
          writeFileSync(again, JSON.stringify({ ...info, purpose }), { flag: 'wx' });
          renameSync(again, path);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (!existsSync(workspacePaths(root).locks) || !existsSync(workspacePaths(root).tmp))) {
        // locks/ and tmp/ are transient (git-ignored, absent in format 0): recreate them.
        mkdirSync(workspacePaths(root).locks, { recursive: true });
        mkdirSync(workspacePaths(root).tmp, { recursive: true });
        continue;
      }
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new InfraError('LOCK_FAILED', `cannot create lock ${path}: ${(err as Error).message}`, { cause: err, hint: 'check that .butterfly/locks is writable' });
      }
    }
    const holder = readLockInfo(path);
    if (holder !== null && isLockHolderDead(holder, lockAgeMs(path))) {
      breakLock(root, path);
      continue;
    }
    if (holder === null) {
      // Being written right now, or left empty by a crash between create and write: a lock
      // that stays unreadable for longer than a write could take is broken.
      if (lockAgeMs(path) > STALE_EMPTY_LOCK_MS) {
        breakLock(root, path);
        continue;
      }
      if (Date.now() < deadline) {
        sleepSync(delay);
        continue;
      }
    }
    if (Date.now() < deadline) {
      sleepSync(delay);
      delay = Math.min(delay * 2, 100);
      continue;
    }
    const who = holder === null ? 'an unknown process' : `pid ${holder.pid} on ${holder.hostname} (${holder.purpose}, since ${holder.acquiredAt})`;
    throw new InfraError('LOCKED', `the workspace is busy: ${name} lock is held by ${who}`, {
      hint: holder !== null && holder.hostname !== currentHost()
        ? `wait for it to finish: if that host is gone, the lock is broken once its lease (${Math.round((holder.leaseMs ?? 30_000) / 1000)} s without a refresh) lapses`
        : 'wait for that command to finish and try again',
      data: { lock: path, holder },
    });
  }
}

/** An unreadable lock older than this is taken to be left by a crash. */
export const STALE_EMPTY_LOCK_MS = 10_000;

function lockAgeMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Removes a dead holder's lock race-free: only one of several breakers wins the rename. */
function breakLock(root: string, path: string): void {
  const grave = join(workspacePaths(root).tmp, `${tempName('broken.lock')}`);
  try {
    renameSync(path, grave);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  safeUnlink(grave);
}

/** Runs `fn` while holding lock `name`; releases it whatever happens. */
export function withLock<T>(root: string, name: string, options: LockOptions, fn: () => T): T {
  const lock = acquireLock(root, name, options);
  try {
    return fn();
  } finally {
    lock.release();
  }
}

/** The async twin of {@link withLock}. */
export async function withLockAsync<T>(root: string, name: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = acquireLock(root, name, options);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/**
 * Removes temp files and folders in `tmp/` left by dead processes of this host (their names
 * carry the writer's pid and host tag; another host's entries are never touched). Returns how
 * many were removed.
 */
export function sweepDeadTemps(root: string): number {
  const tmp = workspacePaths(root).tmp;
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return 0;
  }
  for (const name of names) {
    const writer = parseTempName(name);
    if (writer === null || writer.host !== HOST_TAG || writer.pid === process.pid) continue;
    if (!isProcessAlive(writer.pid)) {
      removeTree(join(tmp, name));
      removed++;
    }
  }
  return removed;
}

function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    /* best effort: fsck reports what is left */
  }
}

/**
 * Locks named `<prefix>…` whose holder is certainly dead (a dead process on this host, or a
 * lock left unreadable by a crash): their names, without `.lock`. Nothing is removed.
 */
export function findDeadLocks(root: string, prefix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(workspacePaths(root).locks);
  } catch {
    return [];
  }
  const dead: string[] = [];
  for (const file of names) {
    if (!file.startsWith(prefix) || !file.endsWith('.lock')) continue;
    const path = join(workspacePaths(root).locks, file);
    const holder = readLockInfo(path);
    if (holder === null ? lockAgeMs(path) > STALE_EMPTY_LOCK_MS : isLockHolderDead(holder, lockAgeMs(path))) dead.push(file.slice(0, -'.lock'.length));
  }
  return dead;
}

/** Removes lock `name` left by a dead holder (race-free; see {@link findDeadLocks}). */
export function breakDeadLock(root: string, name: string): void {
  breakLock(root, join(workspacePaths(root).locks, `${name}.lock`));
}
