// Hostile sizes and shapes through the built CLI (issue #18, points 9 and 11): every parser has
// size, depth and alias limits and linear-time checks, so each of these is a prompt validation
// error (exit 4) that says what to do, never a hang, a crash or "a bug in bfly" (exit 1); and
// numbers beyond a float's range are refused, never silently missing or infinite.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BFLY, REPO, bfly, makeCliWorkspace, snapshotTree } from '../helpers.js';

let dir: string;
let ws: string;
let cleanup: () => void;
let good: string;
const draft = () => join(ws, '.butterfly', 'experiments', 'p', 'pipeline.yaml');

/** Runs bfly with a deadline: a hang fails the test instead of stalling it. */
async function timed(args: string[], seconds = 30): Promise<{ exitCode: number; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  const r = await execa(process.execPath, [BFLY, '-C', ws, ...args], { reject: false, timeout: seconds * 1000, env: { NO_COLOR: '1' } });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), ms: Date.now() - t0 };
}

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
  expect((await bfly(['-C', ws, 'dataset', 'import', join(REPO, 'examples', 'data', 'penguins.csv')])).exitCode).toBe(0);
  expect((await bfly(['-C', ws, 'dataset', 'import', join(REPO, 'examples', 'data', 'cars.csv')])).exitCode).toBe(0);
  expect((await bfly(['-C', ws, 'experiment', 'create', 'p', '--dataset', 'penguins', '--target', 'Species', '--template', join(REPO, 'test', 'fixtures', 'logistic-pipeline.yaml')])).exitCode).toBe(0);
  good = readFileSync(draft(), 'utf8');
}, 60_000);
afterAll(() => cleanup());

describe('drafts that would take forever or blow up', () => {
  it('a 5 MB draft with a 300,000-key unknown map, and a 0.9 MB one with 45,000: validate, run, status and show answer promptly', async () => {
    const keys = (n: number) => Array.from({ length: n }, (_, i) => `      k${i}: ${i}`).join('\n');
    for (const [n, size] of [[300_000, /at most 1048576/], [45_000, /unknown key `k0`/]] as const) {
      writeFileSync(draft(), good.replace('  - {id: split, type: split}\n', `  - id: split\n    type: split\n    config:\n      test_size: 0.2\n${keys(n)}\n`));
      const v = await timed(['pipeline', 'validate', 'p', '--json']);
      expect(v.exitCode).toBe(4);
      const problems = JSON.parse(v.stdout).problems;
      expect(problems.length).toBeLessThanOrEqual(101);
      expect(problems.map((p: { message: string }) => p.message).join('\n')).toMatch(size);
      expect(v.ms).toBeLessThan(20_000);
      for (const args of [['run', 'p'], ['experiment', 'show', 'p'], ['status']]) {
        const r = await timed(args);
        expect([0, 4], `${args.join(' ')}: ${r.stderr.slice(0, 300)}`).toContain(r.exitCode);
        expect(r.ms).toBeLessThan(20_000);
      }
    }
    writeFileSync(draft(), good);
  }, 180_000);

  it('billion laughs, deep nesting and duplicate keys are validation problems with a line', async () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)];
    for (const [text, message] of [
      [`${good}laughs:\n${laughs.map((l) => `  ${l}`).join('\n')}\n`, /aliases expand too much/],
      [good.replace('seed: 42', `seed: 42\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}`), /nested too deeply|YAML syntax/],
      [good.replace('seed: 42', 'seed: 42\nseed: 43'), /map keys must be unique: `seed`/],
    ] as const) {
      writeFileSync(draft(), text);
      const r = await timed(['pipeline', 'validate', 'p', '--json']);
      expect(r.exitCode).toBe(4);
      expect(JSON.parse(r.stdout).problems[0].message).toMatch(message);
      expect((await timed(['run', 'p'])).exitCode).toBe(4);
    }
    writeFileSync(draft(), good);
  }, 120_000);
});

describe('--set paths', () => {
  it('an index past the end, a 2^32 index, __proto__ and a 5,000-segment path are refused (exit 4) and nothing is written', async () => {
    const before = snapshotTree(join(ws, '.butterfly'));
    for (const [set, message] of [
      ['blocks.99999999.config.test_size=0.3', /index 99999999 is past the end of a list of 6/],
      ['blocks.4294967296.config.x=1', /index 4294967296 is past the end/],
      ['blocks.split.config.__proto__.x=1', /`__proto__` is not a key bfly sets/],
      ['blocks.split.constructor.prototype.x=1', /`constructor` is not a key/],
      [`${Array(5000).fill('a').join('.')}=1`, /5000 segments \(at most 32\)/],
    ] as const) {
      for (const args of [['pipeline', 'set', 'p', set], ['run', 'p', '--set', set]]) {
        const r = await timed(args);
        expect(r.exitCode, `${args.join(' ').slice(0, 80)}: ${r.stderr.slice(0, 300)}`).toBe(4);
        expect(r.stderr).toMatch(message);
        expect(r.ms).toBeLessThan(15_000);
      }
    }
    expect(snapshotTree(join(ws, '.butterfly'))).toEqual(before);
  }, 120_000);
});

describe('queries and hook files', () => {
  it('--where with 60,000 parentheses or 30,000 `not`, or 50,000 characters, is refused (exit 4)', async () => {
    for (const [where, message] of [
      [`${'('.repeat(60_000)}seed == 1${')'.repeat(60_000)}`, /characters long; at most 10000|nested more than 64/],
      [`${'not '.repeat(30_000)}seed == 1`, /characters long|nested more than 64/],
      [`${'not '.repeat(100)}seed == 1`, /nested more than 64 levels/],
      [`${'('.repeat(100)}seed == 1${')'.repeat(100)}`, /nested more than 64 levels/],
      [Array(5000).fill('seed == 1').join(' and '), /characters long; at most 10000/],
    ] as const) {
      const r = await timed(['runs', '--where', where]);
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);

  it('hook trust on a FIFO does not hang: it is not a regular file (exit 4)', async () => {
    mkdirSync(join(ws, 'hooks'), { recursive: true });
    execFileSync('mkfifo', [join(ws, 'hooks', 'pipe.js')]);
    const r = await timed(['hook', 'trust', join(ws, 'hooks', 'pipe.js')], 20);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/not a regular file/);
  }, 30_000);
});

describe('imports that are too deep, too wide, or beyond a float', () => {
  const refused = async (name: string, data: string, code: string, message?: RegExp) => {
    const file = join(dir, name);
    writeFileSync(file, data);
    const before = snapshotTree(join(ws, '.butterfly'));
    const r = await timed(['dataset', 'import', file, '--json'], 60);
    expect(r.exitCode, r.stderr.slice(0, 300)).toBe(4);
    const error = JSON.parse(r.stderr).error;
    expect(error.code).toBe(code);
    if (message) expect(error.message).toMatch(message);
    expect(error.hint).toBeTruthy();
    expect(snapshotTree(join(ws, '.butterfly'))).toEqual(before);
  };

  it('JSON nested 100,000 arrays deep, and JSON with 100,000 keys', async () => {
    await refused('deep.jsonl', `{"a": 1, "b": ${'['.repeat(100_000)}${']'.repeat(100_000)}}\n`, 'NESTED_TOO_DEEP', /record 1, key "b"/);
    await refused('wide.jsonl', JSON.stringify(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))) + '\n', 'TOO_MANY_COLUMNS');
  }, 120_000);

  it('1e400 in a CSV or JSON number column, and a literal Infinity among numbers, name the column and row; as words in a text column they stay text', async () => {
    await refused('big.csv', 'a,b\n1,2\n3,1e400\n5,6\n', 'NUMBER_OUT_OF_RANGE', /column "b", data row 2: "1e400"/);
    await refused('big.json', '[{"a": 1, "b": 2}, {"a": 3, "b": 1e400}]', 'NUMBER_OUT_OF_RANGE', /column "b", data row 2/);
    await refused('inf.csv', 'a,b\n1,2\n3,-Infinity\n', 'NUMBER_OUT_OF_RANGE', /"-Infinity"/);
    writeFileSync(join(dir, 'words.csv'), 'a,b\n1,x\n3,Infinity\n5,inf\n');
    const r = await timed(['dataset', 'import', join(dir, 'words.csv'), '--json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).columns[1]).toMatchObject({ name: 'b', type: 'category' });
  }, 60_000);

  it('a run never succeeds with a metric that is not a number', async () => {
    expect((await bfly(['-C', ws, 'experiment', 'create', 'cars', '--dataset', 'cars', '--target', 'Miles_per_Gallon', '--template', join(REPO, 'test', 'fixtures', 'linear-pipeline.yaml')])).exitCode).toBe(0);
    const r = await bfly(['-C', ws, 'hook', 'add', 'cars', 'override_evaluate', '--code', 'export default (ctx) => ({ outputs: { predictions: { predicted: Array.from({ length: ctx.inputs.test.rows }, () => 1e308) } } })']);
    expect(r.exitCode, r.stderr).toBe(0);
    const run = await timed(['run', 'cars', '--json'], 60);
    expect(run.exitCode).toBe(8);
    const m = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(m.status).toBe('failed');
    expect(m.error).toMatchObject({ code: 'METRIC_NOT_FINITE', block: 'evaluate' });
    expect(Object.values(m.metrics).every((v) => typeof v === 'number')).toBe(true);
  }, 60_000);
});
