// Reading a raw copy while it is being made (source.ts CopyProgress, ByteSource, copyAndHash):
// readers never read past what the copier has published, wake when it publishes more, and
// stop when it gives up.
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ByteSource, CopyProgress, SourceBytesError, copyAndHash } from '../../src/store/import/source.js';
import { makeTempDir } from '../helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

describe('a copy read as it is made', () => {
  it('never reads past the published bytes, reads the rest once the copy is complete', () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'raw');
    const progress = new CopyProgress();
    const source = new ByteSource(path, new CopyProgress(progress.shared)); // the file does not exist yet
    writeFileSync(path, 'a,b\n1,2\n3,4\n'); // 12 bytes on disk, 8 published
    progress.publish(8);
    const buf = Buffer.alloc(64);
    expect(source.read(buf, 0, 64)).toBe(8);
    expect(buf.toString('utf8', 0, 8)).toBe('a,b\n1,2\n');
    appendFileSync(path, '5,6\n');
    progress.end(true);
    expect(source.read(buf, 8, 56)).toBe(8);
    expect(buf.toString('utf8', 0, 16)).toBe('a,b\n1,2\n3,4\n5,6\n');
    expect(source.read(buf, 16, 48)).toBe(0);
    source.close();
  });

  it('a reader waiting for bytes wakes when another thread publishes them, and fails when the copy is abandoned', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'raw');
    writeFileSync(path, 'x\n1\n');
    for (const outcome of ['publish', 'abandon'] as const) {
      const progress = new CopyProgress();
      const source = new ByteSource(path, new CopyProgress(progress.shared));
      // another thread publishes (or gives up) 100 ms from now; this one blocks in read meanwhile
      const w = new Worker(
        `const { workerData } = require('node:worker_threads');
         const cells = new BigInt64Array(workerData.shared);
         setTimeout(() => {
           if (workerData.outcome === 'publish') Atomics.store(cells, 0, 4n); else Atomics.store(cells, 1, 2n);
           Atomics.notify(cells, 0);
         }, 100);`,
        { eval: true, workerData: { shared: progress.shared, outcome } },
      );
      const started = Date.now();
      const buf = Buffer.alloc(16);
      if (outcome === 'publish') {
        expect(source.read(buf, 0, 16)).toBe(4);
        expect(buf.toString('utf8', 0, 4)).toBe('x\n1\n');
      } else expect(() => source.read(buf, 0, 16)).toThrow(/abandoned/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(50);
      source.close();
      await w.terminate();
    }
  });

  it('copyAndHash copies the bytes, returns their sha256, publishes them, and never overwrites', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const from = join(t.dir, 'in.csv');
    const data = Buffer.alloc(3 * (1 << 20) + 17, 'a,b\n1,2\n');
    writeFileSync(from, data);
    const progress = new CopyProgress();
    const to = join(t.dir, 'raw');
    expect(await copyAndHash(from, to, { progress })).toEqual({ hex: createHash('sha256').update(data).digest('hex'), bytes: data.length });
    expect(readFileSync(to).equals(data)).toBe(true);
    expect(progress.available(data.length)).toBe(Infinity);
    const again = new CopyProgress();
    await expect(copyAndHash(from, to, { progress: again })).rejects.toThrow(/EEXIST/);
    expect(() => again.available(0)).toThrow(/abandoned/);
  });

  it('copyAndHash stops at the first NUL byte, past maxBytes, and when aborted: never copying the rest', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const nul = await copyAndHash('/dev/zero', join(t.dir, 'zero')).catch((e: unknown) => e);
    expect(nul).toBeInstanceOf(SourceBytesError);
    expect((nul as SourceBytesError).offset).toBe(0);
    const big = join(t.dir, 'big.csv');
    writeFileSync(big, Buffer.alloc(5 << 20, 'x,y\n'));
    const over = await copyAndHash(big, join(t.dir, 'over'), { maxBytes: 2 << 20 }).catch((e: unknown) => e);
    expect(over).toMatchObject({ why: 'too_large' });
    expect(statSync(join(t.dir, 'over')).size).toBeLessThanOrEqual(2 << 20);
    const controller = new AbortController();
    controller.abort();
    expect(await copyAndHash(big, join(t.dir, 'stopped'), { signal: controller.signal }).catch((e: unknown) => e)).toMatchObject({ why: 'cancelled' });
  });
});
