import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptObjectError, InfraError } from '../../src/core/errors.js';
import { sha256Hex } from '../../src/core/hash.js';
import { HOST_TAG, parseTempName, tempName, writeFileAtomic } from '../../src/store/atomic.js';
import { workspacePaths } from '../../src/store/layout.js';
import { acquireLock, processStartTime, STALE_EMPTY_LOCK_MS, sweepDeadTemps, withLock } from '../../src/store/lock.js';
import { hasObject, objectPath, readObject, writeObject } from '../../src/store/objects.js';
import { makeWorkspace } from '../helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

function deadPid(): number {
  // A process that has certainly exited: spawn one and wait for it.
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('object store', () => {
  it('stores bytes under objects/ab/cdef…, read-only, and reads them back verified', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const hash = writeObject(w.root, 'hello');
    expect(hash).toBe(`sha256:${sha256Hex('hello')}`);
    const p = objectPath(w.root, hash);
    expect(p).toBe(join(w.root, '.butterfly', 'objects', hash.slice(7, 9), hash.slice(9)));
    expect(statSync(p).mode & 0o222).toBe(0);
    expect(readObject(w.root, hash).toString()).toBe('hello');
    expect(hasObject(w.root, hash)).toBe(true);
  });

  it('never overwrites an object: the same bytes again leave the file untouched', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const hash = writeObject(w.root, 'same');
    const before = statSync(objectPath(w.root, hash));
    expect(writeObject(w.root, 'same')).toBe(hash);
    expect(statSync(objectPath(w.root, hash)).ino).toBe(before.ino);
  });

  it('raises CorruptObjectError when one byte changed', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const hash = writeObject(w.root, 'precious data');
    const p = objectPath(w.root, hash);
    chmodSync(p, 0o644);
    const bytes = readFileSync(p);
    bytes[0] ^= 1;
    writeFileSync(p, bytes);
    expect(() => readObject(w.root, hash)).toThrow(CorruptObjectError);
  });

  it('atomic writes leave no temp file behind', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const target = join(w.root, 'x.txt');
    writeFileAtomic(target, 'one', { tmpDir: workspacePaths(w.root).tmp });
    writeFileAtomic(target, 'two', { tmpDir: workspacePaths(w.root).tmp });
    expect(readFileSync(target, 'utf8')).toBe('two');
    expect(readdirSync(workspacePaths(w.root).tmp)).toEqual([]);
  });
});

describe('locks', () => {
  it('a live holder makes a second taker fail fast, naming it', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const held = acquireLock(w.root, 'workspace', { purpose: 'test holder' });
    try {
      let err: unknown;
      try {
        acquireLock(w.root, 'workspace', { purpose: 'second' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InfraError);
      expect((err as Error).message).toContain(`pid ${process.pid}`);
      expect((err as Error).message).toContain('test holder');
    } finally {
      held.release();
    }
    withLock(w.root, 'workspace', { purpose: 'after release' }, () => undefined);
  });

  it("a dead process's lock on this host is broken automatically", async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const path = join(workspacePaths(w.root).locks, 'workspace.lock');
    writeFileSync(path, JSON.stringify({ pid: deadPid(), hostname: hostname(), startTime: 1, acquiredAt: 'then', purpose: 'crashed' }));
    const lock = acquireLock(w.root, 'workspace', { purpose: 'new' });
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('a reused pid (different start time) counts as dead', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const path = join(workspacePaths(w.root).locks, 'workspace.lock');
    const start = processStartTime(process.pid);
    expect(start).not.toBeNull();
    writeFileSync(path, JSON.stringify({ pid: process.pid, hostname: hostname(), startTime: start! - 1, acquiredAt: 'then', purpose: 'old' }));
    acquireLock(w.root, 'workspace', { purpose: 'new' }).release();
  });

  it('a lock from another host is never broken', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const path = join(workspacePaths(w.root).locks, 'workspace.lock');
    writeFileSync(path, JSON.stringify({ pid: deadPid(), hostname: 'elsewhere.example', startTime: 1, acquiredAt: 'then', purpose: 'remote' }));
    expect(() => acquireLock(w.root, 'workspace', { purpose: 'new' })).toThrow(/elsewhere\.example/);
  });

  it('waits for a holder that releases within waitMs', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const path = join(workspacePaths(w.root).locks, 'datasets.lock');
    const child = spawnSync(process.execPath, ['-e', `
      const fs=require('fs');const os=require('os');
      fs.writeFileSync(${JSON.stringify(path)}, JSON.stringify({pid:process.pid,hostname:os.hostname(),startTime:null,acquiredAt:'x',purpose:'brief'}));
      require('child_process').spawn(process.execPath,['-e','setTimeout(()=>require("fs").unlinkSync(${JSON.stringify(path)}),300)'],{detached:true,stdio:'ignore'}).unref();
    `]);
    expect(child.status).toBe(0);
    acquireLock(w.root, 'datasets', { purpose: 'waiter', waitMs: 5000 }).release();
  });

  it('sweeps temp files of dead processes of this host only', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const tmp = workspacePaths(w.root).tmp;
    const dead = deadPid();
    mkdirSync(join(tmp, `${dead}.${HOST_TAG}-abc-import`));
    mkdirSync(join(tmp, `${dead}.deadbeef-abc-import`)); // same pid number on another host: alive there
    writeFileSync(join(tmp, `${process.pid}.${HOST_TAG}-def.tmp`), 'mine');
    writeFileSync(join(tmp, 'notes.txt'), 'not ours');
    expect(sweepDeadTemps(w.root)).toBe(1);
    expect(readdirSync(tmp).sort()).toEqual([`${dead}.deadbeef-abc-import`, `${process.pid}.${HOST_TAG}-def.tmp`, 'notes.txt'].sort());
    expect(parseTempName(tempName('x'))).toEqual({ pid: process.pid, host: HOST_TAG });
  });

  it('an empty lock left by a crash is broken once it is old; a fresh one is waited for', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const path = join(workspacePaths(w.root).locks, 'workspace.lock');
    writeFileSync(path, '');
    expect(() => acquireLock(w.root, 'workspace', { purpose: 'new' })).toThrow(/an unknown process/);
    const old = (Date.now() - STALE_EMPTY_LOCK_MS - 5000) / 1000;
    utimesSync(path, old, old);
    acquireLock(w.root, 'workspace', { purpose: 'new' }).release();
  });
});
