// glibc malloc's mmap threshold fixed for large runs (src/runner/malloc.ts): freed buffers are
// given back to the system instead of staying in the process's heap.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MMAP_THRESHOLD_BYTES } from '../../src/runner/malloc.js';

const MALLOC = pathToFileURL(join(__dirname, '..', '..', 'dist', 'runner', 'malloc.js')).href;

// In a fresh process (`npm test` builds dist first): a 16 MB buffer freed raises glibc's dynamic
// threshold to 16 MB; then 64 buffers of 4 MB, each followed by a small one that stays, are
// freed. Prints the RSS before and after they are freed, in MB, and whether the threshold was fixed.
const SCRIPT = `
const fix = process.argv[1] === 'fix';
const fixed = fix ? (await import(${JSON.stringify(MALLOC)})).fixMallocThreshold() : null;
const mb = () => Math.round(process.memoryUsage().rss / 1048576);
let first = new Float64Array(2 << 20); first.fill(1); first = null; gc();
const keep = []; let big = [];
for (let i = 0; i < 64; i++) { big.push(new Float64Array(512 * 1024).fill(1)); keep.push(new Uint8Array(100000).fill(1)); }
const before = mb(); big = null; gc(); await new Promise((r) => setTimeout(r, 50)); gc();
console.log(JSON.stringify({ fixed, before, after: mb(), kept: keep.length }));
`;

function child(args: string[], env: NodeJS.ProcessEnv = {}): { fixed: boolean | null; before: number; after: number } {
  const env0 = { ...process.env };
  delete env0.MALLOC_MMAP_THRESHOLD_;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', SCRIPT, ...args], { encoding: 'utf8', env: { ...env0, ...env } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim()) as { fixed: boolean | null; before: number; after: number };
}

describe.runIf(process.platform === 'linux')('fixMallocThreshold', () => {
  it('with the threshold fixed, 256 MB of freed 4 MB buffers leave the process; without, glibc keeps them', () => {
    expect(MMAP_THRESHOLD_BYTES).toBe(131072);
    const plain = child([]);
    const fixed = child(['fix']);
    console.log(`RSS before / after freeing 256 MB: default ${plain.before} / ${plain.after} MB, fixed ${fixed.before} / ${fixed.after} MB`);
    expect(fixed.fixed).toBe(true);
    // the default keeps (nearly) all of it; fixed, (nearly) all of it goes
    expect(plain.before - plain.after).toBeLessThan(64);
    expect(fixed.before - fixed.after).toBeGreaterThan(192);
  });

  it("leaves a user's MALLOC_MMAP_THRESHOLD_ alone", () => {
    expect(child(['fix'], { MALLOC_MMAP_THRESHOLD_: '131072' }).fixed).toBe(false);
  });
});
