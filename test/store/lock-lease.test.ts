// Locks across hosts sharing a workspace: a lock held on another host is judged by its lease
// (the mtime its holder keeps refreshing), never by probing a pid that belongs to another
// machine. Hosts are simulated with BFLY_HOST, the holders are real processes.
import { spawn } from 'node:child_process';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentHost } from '../../src/store/host.js';
import { acquireLock, findDeadLocks, lockHolderAlive } from '../../src/store/lock.js';
import { makeWorkspace, REPO } from '../helpers.js';

let w: Awaited<ReturnType<typeof makeWorkspace>>;
beforeEach(async () => {
  w = await makeWorkspace();
});
afterEach(() => w.cleanup());

const lockPath = (name: string) => join(w.root, '.butterfly', 'locks', `${name}.lock`);
const tryLock = (name: string): 'taken' | 'locked' => {
  try {
    acquireLock(w.root, name, { purpose: 'test' }).release();
    return 'taken';
  } catch (err) {
    if ((err as { code?: string }).code === 'LOCKED') return 'locked';
    throw err;
  }
};

describe('lock leases across hosts', () => {
  it('a lock of a dead host is broken only once its lease has lapsed', () => {
    // pid 1 exists here: on this host it would look alive; on "ghost" it means nothing
    writeFileSync(lockPath('stale'), JSON.stringify({ pid: 1, hostname: 'ghost', startTime: null, acquiredAt: new Date().toISOString(), purpose: 'a run on a lost machine', leaseMs: 2000 }));
    const now = Date.now() / 1000;
    utimesSync(lockPath('stale'), now - 1, now - 1); // refreshed 1 s ago: within its 2 s lease
    expect(tryLock('stale')).toBe('locked');
    expect(lockHolderAlive(w.root, 'stale')).toBe(true);
    expect(findDeadLocks(w.root, 'stale')).toEqual([]);
    try {
      acquireLock(w.root, 'stale', { purpose: 'test' });
    } catch (err) {
      expect((err as Error).message).toMatch(/held by pid 1 on ghost \(a run on a lost machine/);
      expect((err as { hint: string }).hint).toMatch(/lease \(2 s without a refresh\) lapses/);
    }
    utimesSync(lockPath('stale'), now - 2.5, now - 2.5); // last refreshed 2.5 s ago: lapsed
    expect(lockHolderAlive(w.root, 'stale')).toBe(false);
    expect(findDeadLocks(w.root, 'stale')).toEqual(['stale']);
    expect(tryLock('stale')).toBe('taken');
  });

  it("a live holder on another host keeps its lease, even with its main thread busy; once killed, its lease lapses and the lock is broken", async () => {
    // The holder: another "host", lease 600 ms, holding a long lock while its main thread spins.
    const script = `import { acquireLock } from ${JSON.stringify(join(REPO, 'dist', 'store', 'lock.js'))};
acquireLock(${JSON.stringify(w.root)}, 'busy', { purpose: 'a long fit', long: true });
process.stdout.write('held\\n');
const end = Date.now() + 20000; while (Date.now() < end) {}`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, BFLY_HOST: 'other-host', BFLY_LOCK_LEASE_MS: '600' }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (c: Buffer) => c.toString().includes('held') && resolve());
        child.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      // 3 s = 5 leases: the lock stays held all along (its keeper thread refreshes it)
      const end = Date.now() + 3000;
      while (Date.now() < end) {
        expect(tryLock('busy')).toBe('locked');
        expect(findDeadLocks(w.root, 'busy')).toEqual([]);
        await new Promise((r) => setTimeout(r, 150));
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // right after the kill: still within the lease
      expect(tryLock('busy')).toBe('locked');
      await new Promise((r) => setTimeout(r, 900));
      expect(tryLock('busy')).toBe('taken');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 30_000);

  it('on this host a lock is judged by its pid, whatever its age', () => {
    // a live process here (this one) with a lock last touched long ago: not broken
    writeFileSync(lockPath('mine'), JSON.stringify({ pid: process.pid, hostname: currentHost(), startTime: null, acquiredAt: new Date().toISOString(), purpose: 'old but alive', leaseMs: 100 }));
    const old = Date.now() / 1000 - 3600;
    utimesSync(lockPath('mine'), old, old);
    expect(tryLock('mine')).toBe('locked');
  });
});
