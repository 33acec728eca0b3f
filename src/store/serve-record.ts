/**
 * `.butterfly/serve.json`: where the workspace's service (`bfly serve`) listens and its token,
 * mode 0600, while it runs. The `serve` lock says which process holds it; a service that died
 * (kill -9) leaves both, and the next command that opens the workspace removes them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic, safeUnlink } from './atomic.js';
import { workspacePaths } from './layout.js';
import { breakDeadLock, findDeadLocks } from './lock.js';

/** What serve.json holds. */
export interface ServeRecord {
  url: string;
  port: number;
  host: string;
  pid: number;
  token: string;
  apiVersion: string;
  startedAt: string;
}

/** The lock a running service holds. */
export const SERVE_LOCK = 'serve';

export function serveRecordPath(root: string): string {
  return join(workspacePaths(root).dir, 'serve.json');
}

export function writeServeRecord(root: string, record: ServeRecord): void {
  writeJsonAtomic(serveRecordPath(root), record, { tmpDir: workspacePaths(root).tmp, mode: 0o600, durable: false });
}

/** The running service's record, or null. */
export function readServeRecord(root: string): ServeRecord | null {
  try {
    return JSON.parse(readFileSync(serveRecordPath(root), 'utf8')) as ServeRecord;
  } catch {
    return null;
  }
}

export function removeServeRecord(root: string): void {
  safeUnlink(serveRecordPath(root));
}

/** Removes what a dead service left (its record, then its lock). */
export function recoverDeadService(root: string): void {
  if (!findDeadLocks(root, SERVE_LOCK).includes(SERVE_LOCK)) return;
  removeServeRecord(root);
  breakDeadLock(root, SERVE_LOCK);
}
