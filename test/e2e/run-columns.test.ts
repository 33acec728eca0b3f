// The run index's columnar side file (index/runs-cols-v1.bin) on a generated history of 1,500
// then 2,700 runs: every answer equals the one read from the datafile alone; lines appended since
// are read and the file is written again past COLUMNS_TAIL_LINES; a damaged or foreign side file is
// never used, and fsck names a damaged one.
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshRunColumns } from '../../src/store/run-index.js';
import { bfly, REPO } from '../helpers.js';

let dir: string;
let real: string;
const run = (args: string[]) => bfly(['-C', dir, ...args]);
const side = () => join(dir, '.butterfly', 'index', 'runs-cols-v1.bin');
const datafile = () => join(dir, '.butterfly', 'index', 'runs-v2.db');

const QUERIES: string[][] = [
  ['runs', '--json'],
  ['runs', '--json', '--limit', '50'],
  ['runs', '--where', 'metrics.accuracy > 0.9 and params.train.model == "gradient_boosting"', '--sort', '-metrics.accuracy', '--json'],
  ['runs', '--where', 'status == "failed" or seed in [2, 3]', '--sort', 'seed,-createdAt', '--json', '--limit', '300'],
  ["runs", "--where", "params.train.model in [\"random_forest\", \"best\"] or id == \"20260101-000500000-000005\"", "--json"],
  ['runs', '--status', 'failed', '--json'],
  // a table (without its age column, which moves with the clock)
  ['runs', '--experiment', 'penguins', '--sort', 'metrics.log_loss', '--limit', '20', '--columns', 'id,status,seed,metrics.log_loss,params.train.model'],
  ['runs', '--where', 'dataset == "penguins" and batch == null and not reused', '--sort', '-durationMs,id', '--json', '--limit', '10'],
];

/** Every query's output, and what a listing said on stderr. */
async function answers(): Promise<Array<{ stdout: string; stderr: string }>> {
  const out = [];
  for (const q of QUERIES) {
    const r = await run(q);
    expect(r.exitCode).toBe(0);
    out.push({ stdout: r.stdout, stderr: r.stderr });
  }
  return out;
}

/** The answers with no side file: from the datafile alone (the file is put back after). */
async function answersWithoutSide(): Promise<string[]> {
  const kept = `${side()}.kept`;
  renameSync(side(), kept);
  const out: string[] = [];
  try {
    for (const q of QUERIES) {
      out.push((await run(q)).stdout);
      rmSync(side(), { force: true }); // the listing writes it again: keep reading without one
    }
  } finally {
    renameSync(kept, side());
  }
  return out;
}

let cloneRuns: (dir: string, real: { id: string }, n: number, from: number) => void;

beforeAll(async () => {
  const history = await import(join(REPO, 'bench', 'history.js'));
  cloneRuns = history.cloneRuns;
  ({ dir, real } = history.makeWorkspace(1500, { big: false }));
}, 300_000);
// 1,500 runs' folders: on a loaded CI machine removing them took over a minute (the hook's default).
afterAll(() => rm(dir, { recursive: true, force: true }), 300_000);

describe('the run index side file', () => {
  it('is written by the first listing, and answers every query exactly as the datafile does', async () => {
    const first = await run(['runs', '--json', '--limit', '1']);
    expect(first.stderr).toBe("");
    await run(['runs', '--json', '--limit', '1']);
    expect(existsSync(side())).toBe(true);
    const withSide = await answers();
    expect(withSide.every((a) => a.stderr === '')).toBe(true);
    expect(JSON.parse(withSide[0].stdout)).toHaveLength(1501);
    expect(JSON.parse(withSide[2].stdout).length).toBeGreaterThan(50);
    expect(JSON.parse(withSide[4].stdout).length).toBeGreaterThan(300);
    expect(withSide.map((a) => a.stdout)).toEqual(await answersWithoutSide());
  }, 120_000);

  it('lines appended since are read; past 1,000 of them the file is written again; removed runs leave', async () => {
    const before = statSync(side());
    cloneRuns(dir, { id: real }, 1200, 1500);
    // the listing that finds them appends their lines; the side file does not cover them yet
    expect(JSON.parse((await run(['runs', '--json'])).stdout)).toHaveLength(2701);
    expect(statSync(side()).mtimeMs).toBe(before.mtimeMs);
    // the next one reads 1,200 new lines and writes the side file again
    await run(['runs', '--json', '--limit', '1']);
    expect(statSync(side()).size).toBeGreaterThan(before.size);
    // a run whose folder is gone is dropped
    // (a clone: the real run has a cache entry that names it)
    const gone = JSON.parse((await run(['runs', '--json'])).stdout).at(-1).id;
    expect(gone).not.toBe(real);
    rmSync(join(dir, '.butterfly', 'runs', gone), { recursive: true });
    const withSide = await answers();
    expect(JSON.parse(withSide[0].stdout)).toHaveLength(2700);
    expect(withSide[0].stdout).not.toContain(gone);
    expect(withSide.map((a) => a.stdout)).toEqual(await answersWithoutSide());
    expect((await run(['fsck'])).exitCode).toBe(0);
  }, 180_000);

  it('many lines since the side file are read in pieces into a new one first, with the same answers', async () => {
    const expected = (await answers()).map((a) => a.stdout);
    rmSync(side());
    // 4 KiB pieces: lines cross pieces; more than 16 KiB of lines: read in pieces
    const r = await bfly(['-C', dir, 'runs', '--json', '--limit', '1'], { env: { ...process.env, BFLY_INDEX_PIECE_BYTES: '4096' } });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(existsSync(side())).toBe(true);
    const written = statSync(side()).mtimeMs;
    expect((await answers()).map((a) => a.stdout)).toEqual(expected);
    expect(statSync(side()).mtimeMs).toBe(written); // it covered every line: nothing to write again
    // the piecewise reader itself: it writes the side file; a line that does not check out stops it
    rmSync(side());
    process.env.BFLY_INDEX_PIECE_BYTES = '4096';
    try {
      expect(refreshRunColumns(dir, null)).toBe(true);
      expect((await answers()).map((a) => a.stdout)).toEqual(expected);
      const text = readFileSync(datafile(), 'utf8');
      writeFileSync(datafile(), text.replace(/"_h":"[0-9a-f]/, '"_h":"x'));
      rmSync(side());
      expect(refreshRunColumns(dir, null)).toBe(false);
      expect(existsSync(side())).toBe(false);
      writeFileSync(datafile(), text);
    } finally {
      delete process.env.BFLY_INDEX_PIECE_BYTES;
    }
  }, 180_000);

  it('a damaged side file is not used, fsck names it and --repair removes it; one for another datafile is not used either', async () => {
    const expected = (await answers()).map((a) => a.stdout);
    const good = readFileSync(side());
    const bad = Buffer.from(good);
    bad[bad.length - 3] ^= 0xff; // a byte of the last column
    writeFileSync(side(), bad);
    const f = await run(['fsck', '--json']);
    expect(f.exitCode).toBe(10);
    expect(f.json().problems).toEqual([expect.objectContaining({ kind: 'index_drift', path: '.butterfly/index/runs-cols-v1.bin', message: expect.stringMatching(/does not match its sha256/), repairable: true })]);
    writeFileSync(side(), bad);
    expect((await answers()).map((a) => a.stdout)).toEqual(expected);
    writeFileSync(side(), bad);
    const repaired = await run(['fsck', '--repair', '--json']);
    expect(repaired.json()).toMatchObject({ ok: true });
    expect((await run(['fsck'])).exitCode).toBe(0);
    // a datafile rewritten under the same name (reindex): the old side file is gone with it
    await run(['runs', '--json', '--limit', '1']);
    expect(existsSync(side())).toBe(true);
    const old = readFileSync(side());
    expect((await run(['reindex'])).exitCode).toBe(0);
    expect(existsSync(side())).toBe(false);
    // and one put back by hand (it names the old datafile) is not used
    writeFileSync(side(), old);
    expect((await answers()).map((a) => a.stdout)).toEqual(expected);
  }, 180_000);
});
