import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/hash.js';
import { BFLY, bfly, makeTempDir } from '../helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

function bigCsv(path: string, rows: number, salt: string): void {
  const lines = ['id,x,y,label'];
  for (let i = 0; i < rows; i++) lines.push(`${i},${(i * 0.37) % 11},${salt}${i % 13},"k, ${i % 5}"`);
  writeFileSync(path, lines.join('\n') + '\n');
}

/** Every object's bytes must hash to its name: nothing partial is ever visible. */
function expectObjectsIntact(ws: string): void {
  const objects = join(ws, '.butterfly', 'objects');
  for (const pre of readdirSync(objects)) {
    for (const rest of readdirSync(join(objects, pre))) {
      expect(sha256Hex(readFileSync(join(objects, pre, rest)))).toBe(pre + rest);
    }
  }
}

describe('import under crashes and concurrency', () => {
  it('kill -9 during import leaves no manifest or partial object, and the next import succeeds', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const ws = join(t.dir, 'ws');
    await bfly(['init', ws]);
    const file = join(t.dir, 'big.csv');
    bigCsv(file, 600_000, 'v');
    const tmp = join(ws, '.butterfly', 'tmp');
    const child = spawn(process.execPath, [BFLY, '-C', ws, 'dataset', 'import', file], { stdio: 'ignore' });
    const started = Date.now();
    while (readdirSync(tmp).length === 0 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 5));
    expect(readdirSync(tmp).length).toBeGreaterThan(0); // it was mid-import
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));

    expect(readdirSync(join(ws, '.butterfly', 'datasets'))).toEqual([]);
    expectObjectsIntact(ws);
    const list = await bfly(['-C', ws, 'dataset', 'list', '--json']);
    expect(list.json()).toEqual([]);

    const again = await bfly(['-C', ws, 'dataset', 'import', file, '--json']);
    expect(again.exitCode).toBe(0);
    expect(again.json().rows).toBe(600_000);
    expect(readdirSync(tmp)).toEqual([]); // the dead import's leftovers were swept
    expect(readdirSync(join(ws, '.butterfly', 'locks'))).toEqual([]);
    expectObjectsIntact(ws);
  });

  it('two imports at once both succeed; the same name gets two versions', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const ws = join(t.dir, 'ws');
    await bfly(['init', ws]);
    const a = join(t.dir, 'a.csv');
    const b = join(t.dir, 'b.csv');
    const c = join(t.dir, 'c.csv');
    bigCsv(a, 100_000, 'a');
    bigCsv(b, 100_000, 'b');
    bigCsv(c, 100_000, 'c');
    const runs = await Promise.all([
      bfly(['-C', ws, 'dataset', 'import', a, '--json']),
      bfly(['-C', ws, 'dataset', 'import', b, '--json', '--name', 'same']),
      bfly(['-C', ws, 'dataset', 'import', c, '--json', '--name', 'same']),
    ]);
    for (const r of runs) expect(r.exitCode, String(r.stderr)).toBe(0);
    const list = (await bfly(['-C', ws, 'dataset', 'list', '--json'])).json();
    expect(list.map((d: { name: string; version: number }) => `${d.name}@${d.version}`)).toEqual(['a@1', 'same@1', 'same@2']);
    expect(existsSync(join(ws, '.butterfly', 'locks', 'datasets.lock'))).toBe(false);
    expectObjectsIntact(ws);
  });
});
