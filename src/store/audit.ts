/**
 * The audit log: `.butterfly/audit.jsonl`, append-only, one entry per state-changing action
 * (init, import, experiment and pipeline changes, hooks, runs, gc, reindex, repair, migrate,
 * config), each with time, user, host, pid, the command, what it touched and the outcome. Every
 * entry carries the hash of the one before it (`prev`) and its own (`hash`), so `bfly fsck`
 * notices an entry removed, edited or reordered. Writers hold the `audit` lock: concurrent
 * commands never interleave or lose entries.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, truncateSync } from 'node:fs';
import { AsyncLocalStorage } from 'node:async_hooks';
import { userInfo } from 'node:os';
import { currentHost } from './host.js';
import { IntegrityError } from '../core/errors.js';
import { canonicalJson, sha256Hex } from '../core/hash.js';
import { workspacePaths } from './layout.js';
import { withLock } from './lock.js';
import { appendNoFollow, lstatOrNull } from './safe-fs.js';

/** The schema version of audit entries. */
export const AUDIT_SCHEMA_VERSION = 1;

/** `prev` of the first entry. */
export const AUDIT_GENESIS = `sha256:${'0'.repeat(64)}`;

/** One audit entry. */
export interface AuditEntry {
  schemaVersion: number;
  /** 1, 2, 3, … in the order written. */
  seq: number;
  at: string;
  user: string;
  host: string;
  pid: number;
  /** The command line that did it (`bfly …` arguments), or `library` for a script. */
  command: string;
  /** `dataset.import`, `pipeline.set`, `run.start`, … */
  action: string;
  /** Ids and hashes involved (dataset, experiment, run, revision, file, hash, …). */
  target: Record<string, unknown>;
  /** `ok`, or how it ended (`failed`, `cancelled`, …). */
  outcome: string;
  /** The hash of the previous entry ({@link AUDIT_GENESIS} for the first). */
  prev: string;
  /** sha256 of this entry's canonical JSON without `hash`. */
  hash: string;
}

/** The command line of a `bfly` process, else the script that called the library. */
let command = /bfly(\.cjs)?$/.test(process.argv[1] ?? '') ? ['bfly', ...process.argv.slice(2)].join(' ').slice(0, 2000) : `library: ${process.argv[1] ?? '?'}`;

/**
 * What entries record as the command within a request of the service (`api: POST /api/v1/…`):
 * one process serves many requests, each its own command.
 */
export const auditCommandContext = new AsyncLocalStorage<string>();

/** Sets what entries record as the command (the CLI sets its arguments). */
export function setAuditCommand(argv: readonly string[]): void {
  command = ['bfly', ...argv].join(' ').slice(0, 2000);
}

function auditPath(root: string): string {
  return `${workspacePaths(root).dir}/audit.jsonl`;
}

/** Who is doing it: the login name, or the uid where there is none (a container). */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** The hash an entry must carry. */
export function auditHash(e: Omit<AuditEntry, 'hash'> & { hash?: string }): string {
  const { hash: _hash, ...rest } = e;
  return `sha256:${sha256Hex(canonicalJson(rest))}`;
}

/**
 * The last complete entry of the log (read from its tail), or null when it is empty, and the
 * length to cut the file back to when it ends with a torn line (a crash mid-write).
 */
function lastEntry(path: string): { entry: AuditEntry | null; cut: number | null } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entry: null, cut: null };
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    let want = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - want);
      const buf = Buffer.allocUnsafe(size - start);
      let off = 0;
      while (off < buf.length) {
        const n = readSync(fd, buf, off, buf.length - off, start + off);
        if (n === 0) break;
        off += n;
      }
      const end = buf.lastIndexOf(10, off - 1);
      const cut = off > 0 && buf[off - 1] !== 10 ? start + end + 1 : null;
      if (end === -1 && start === 0) return { entry: null, cut };
      const from = end <= 0 ? 0 : buf.lastIndexOf(10, end - 1) + 1;
      if (from > 0 || start === 0) {
        try {
          return { entry: JSON.parse(buf.toString('utf8', from, end)) as AuditEntry, cut };
        } catch {
          throw new IntegrityError('AUDIT_BROKEN', 'the last entry of .butterfly/audit.jsonl is not readable', { hint: 'run `bfly fsck`' });
        }
      }
      want *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends one entry (under the `audit` lock, so the chain stays whole with any number of
 * writers). Called after the action it records has taken effect.
 */
export function appendAudit(root: string, e: { action: string; target?: Record<string, unknown>; outcome?: string }): AuditEntry {
  return withLock(root, 'audit', { purpose: `recording ${e.action} in the audit log`, waitMs: 30_000 }, () => {
    const path = auditPath(root);
    const { entry: last, cut } = lastEntry(path);
    // a line torn by a crash never completed: cut it off before the chain goes on
    if (cut !== null) truncateSync(path, cut);
    const body: Omit<AuditEntry, 'hash'> = {
      schemaVersion: AUDIT_SCHEMA_VERSION,
      seq: (last?.seq ?? 0) + 1,
      at: new Date().toISOString(),
      user: currentUser(),
      host: currentHost(),
      pid: process.pid,
      command: auditCommandContext.getStore() ?? command,
      action: e.action,
      target: e.target ?? {},
      outcome: e.outcome ?? 'ok',
      prev: last?.hash ?? AUDIT_GENESIS,
    };
    const entry: AuditEntry = { ...body, hash: auditHash(body) };
    appendNoFollow(path, JSON.stringify(entry) + '\n');
    return entry;
  });
}

/** What {@link readAudit} found. */
export interface AuditRead {
  entries: AuditEntry[];
  /** Each break of the chain, by line (1-based). */
  problems: Array<{ line: number; message: string; repairable: boolean }>;
}

/**
 * Reads and checks the whole log: every line an entry, its hash its own, its `prev` the hash of
 * the entry before, its `seq` one more. A last line cut short by a crash (no newline) is the
 * only repairable problem.
 */
export function readAudit(root: string): AuditRead {
  const path = auditPath(root);
  const st = lstatOrNull(path);
  if (st === null) return { entries: [], problems: [] };
  if (!st.isFile()) return { entries: [], problems: [{ line: 0, message: 'audit.jsonl is not a regular file', repairable: false }] };
  const text = readFileSync(path, 'utf8');
  const entries: AuditEntry[] = [];
  const problems: AuditRead['problems'] = [];
  const lines = text.split('\n');
  const torn = lines.at(-1) !== '';
  let prev = AUDIT_GENESIS;
  let seq = 0;
  lines.forEach((l, i) => {
    if (i === lines.length - 1) {
      if (torn) problems.push({ line: i + 1, message: 'the last entry was cut short (a crash while it was written)', repairable: true });
      return;
    }
    let e: AuditEntry;
    try {
      e = JSON.parse(l) as AuditEntry;
    } catch {
      problems.push({ line: i + 1, message: 'not an audit entry (unreadable JSON)', repairable: false });
      return;
    }
    if (e.hash !== auditHash(e)) problems.push({ line: i + 1, message: `entry ${e.seq} was edited (its hash no longer matches its content)`, repairable: false });
    else if (e.prev !== prev) problems.push({ line: i + 1, message: `entry ${e.seq} does not follow the entry before it (one was removed, inserted or reordered)`, repairable: false });
    else if (e.seq !== seq + 1) problems.push({ line: i + 1, message: `entry numbers jump from ${seq} to ${e.seq}`, repairable: false });
    prev = e.hash;
    seq = e.seq;
    entries.push(e);
  });
  return { entries, problems };
}

/** Cuts a torn last line (a crash mid-write) off the log; true when there was one. */
export function repairAudit(root: string): boolean {
  return withLock(root, 'audit', { purpose: 'repairing the audit log', waitMs: 30_000 }, () => {
    const { cut } = lastEntry(auditPath(root));
    if (cut === null) return false;
    truncateSync(auditPath(root), cut);
    return true;
  });
}
