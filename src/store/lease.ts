/**
 * Lock leases across hosts. A lock's holder proves it is alive by refreshing the lock file's
 * mtime every third of the lease; another host may break the lock only when the mtime is older
 * than the lease (same-host locks are judged by pid, which is exact). The refreshing runs on a
 * small worker thread, so a block that keeps the main thread busy for minutes (a long fit) does
 * not let its run's lease lapse. The thread starts with the first long-held lock (a run's, an
 * execution key's) and never keeps the process alive.
 */
import { Worker } from 'node:worker_threads';

/** The lease of a lock (ms): `BFLY_LOCK_LEASE_MS`, default 30 s. Hosts sharing a workspace must agree. */
export function leaseMs(): number {
  const v = Number(process.env.BFLY_LOCK_LEASE_MS);
  return Number.isFinite(v) && v >= 100 ? Math.floor(v) : 30_000;
}

const KEEPER = `
const { parentPort, workerData } = require('node:worker_threads');
const { utimesSync } = require('node:fs');
const paths = new Set();
parentPort.on('message', (m) => { if (m.add) paths.add(m.add); else paths.delete(m.remove); });
setInterval(() => {
  const now = new Date();
  for (const p of paths) { try { utimesSync(p, now, now); } catch { paths.delete(p); } }
}, workerData.everyMs);
`;

let keeper: Worker | null = null;
const held = new Set<string>();

/** Keeps refreshing `path`'s mtime until {@link releaseLease}. */
export function keepLease(path: string): void {
  held.add(path);
  if (keeper === null) {
    // execArgv: [] — the script is CommonJS whatever flags the process has (`--input-type=module`).
    keeper = new Worker(KEEPER, { eval: true, execArgv: [], workerData: { everyMs: Math.max(50, Math.floor(leaseMs() / 3)) } });
    keeper.unref();
    // Should the thread die, the next long lock starts another (the locks held now re-register).
    keeper.on('error', () => {
      keeper = null;
      for (const p of held) keepLease(p);
    });
  }
  keeper.postMessage({ add: path });
}

/** Stops refreshing `path` (called before the lock file is removed). */
export function releaseLease(path: string): void {
  held.delete(path);
  keeper?.postMessage({ remove: path });
}
