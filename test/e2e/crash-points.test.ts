// Crash at every write point: each command is killed (SIGKILL, as a power cut or `kill -9`
// would) just before its Nth mutating file operation under .butterfly/, for every N the
// command has, by ../shared/tools/crash (an LD_PRELOAD shim). After each crash: every dataset
// and run that existed before is byte-for-byte unchanged (gc: unchanged or, for what it was
// asked to remove, gone whole); `fsck` is clean, or `fsck --repair` makes it clean; the same
// command then succeeds; and fsck is clean again.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BFLY, REPO, VEGA, bfly, makeTempDir, snapshotTree } from '../helpers.js';

const SHIM_SRC = join(REPO, '..', 'shared', 'tools', 'crash', 'crashshim.c');
const TINY = `apiVersion: bfly/v1
seed: 42
blocks:
  - {id: split, type: split, config: {test_size: 0.25}}
  - {id: features, type: features}
  - {id: preprocess, type: preprocess}
  - id: model_selection
    type: model_selection
    config:
      cv: 2
      candidates:
        - {model: logistic_regression}
        - {model: decision_tree}
  - {id: train, type: train}
  - {id: evaluate, type: evaluate}
`;

let tmp: ReturnType<typeof makeTempDir>;
let shim = '';
let template = '';
let skipWhy: string | null = null;
const files: Record<string, string> = {};

function bf(ws: string, ...p: string[]): string {
  return join(ws, '.butterfly', ...p);
}

/** Runs bfly under the shim in its own process group; waits for the group to be gone (batch workers too). */
async function crashRun(ws: string, args: string[], env: Record<string, string>): Promise<number | null> {
  const child = spawn(process.execPath, [BFLY, ...args], { cwd: ws, env: { ...process.env, NO_COLOR: '1', LD_PRELOAD: shim, ...env }, stdio: 'ignore', detached: true });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  // Workers of a killed batch (their own process groups) notice and end their runs: wait for
  // every process that names this workspace, so that the checks see a quiet store.
  for (let i = 0; i < 600 && processesOf(ws).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return code;
}

/** Pids of live processes whose command line names `ws` (a bfly started with -C ws, or in it). */
function processesOf(ws: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cmd.includes(BFLY) && (cmd.includes(ws) || cwd === ws)) out.push(Number(pid));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** What must never change: dataset manifests, objects, and every run folder (content and modes). */
function durable(ws: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of ['datasets', 'objects', 'runs']) for (const [k, v] of Object.entries(snapshotTree(bf(ws, part)))) out[`${part}/${k}`] = v;
  return out;
}

interface Command {
  name: string;
  args: string[];
  /** Environment for the command (not for the checks). */
  env?: Record<string, string>;
  /** Paths (as in {@link durable}) the command may remove whole. */
  mayRemove?: (path: string) => boolean;
}

async function trace(ws: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  const file = join(tmp.dir, `trace-${Math.random().toString(16).slice(2)}.txt`);
  await crashRun(ws, args, { ...env, CRASH_TRACE: file });
  if (!existsSync(file)) return 0;
  const perPid = new Map<string, number>();
  for (const l of readFileSync(file, 'utf8').trim().split('\n')) perPid.set(l.split(' ')[0], (perPid.get(l.split(' ')[0]) ?? 0) + 1);
  return Math.max(...perPid.values());
}

async function trial(cmd: Command, n: number): Promise<string[]> {
  const ws = join(tmp.dir, `${cmd.name}-${n}`);
  execFileSync('cp', ['-a', template, ws]);
  const failures: string[] = [];
  const fail = (what: string): void => {
    failures.push(`${cmd.name} killed at write ${n}: ${what}`);
  };
  try {
    const before = durable(ws);
    await crashRun(ws, cmd.args, { ...cmd.env, CRASH_N: String(n) });
    let check = await bfly(['-C', ws, 'fsck', '--json']);
    const firstCheck = `${check.stdout.slice(0, 300)} tmp=${readdirSync(bf(ws, 'tmp')).join(',')} procs=${processesOf(ws).join(',')}`;
    if (check.exitCode !== 0) {
      const problems = JSON.parse(check.stdout).problems as Array<{ kind: string; path: string; repairable: boolean }>;
      const fatal = problems.filter((p) => !p.repairable);
      if (fatal.length > 0) fail(`fsck found what --repair cannot fix: ${JSON.stringify(fatal)}`);
      const repaired = await bfly(['-C', ws, 'fsck', '--repair', '--json']);
      if (repaired.exitCode !== 0) fail(`fsck --repair left: ${repaired.stdout.slice(0, 600)}${repaired.stderr.slice(0, 300)}`);
    }
    const after = durable(ws);
    for (const [k, v] of Object.entries(before)) {
      if (after[k] === v) continue;
      if (after[k] === undefined && cmd.mayRemove?.(k)) continue;
      fail(`${k} changed (${v} -> ${after[k] ?? 'gone'})`);
    }
    const beforeRetry = `tmp=${readdirSync(bf(ws, 'tmp')).join(',')} procs=${processesOf(ws).join(',')}`;
    const again = await bfly(['-C', ws, ...cmd.args], { env: cmd.env });
    if (again.exitCode !== 0) fail(`the command failed on retry (exit ${again.exitCode}): ${again.stderr.slice(0, 400)}`);
    check = await bfly(['-C', ws, 'fsck', '--json']);
    if (check.exitCode !== 0) fail(`fsck after the retry: ${check.stdout.slice(0, 600)} (after the crash: ${firstCheck}; before the retry: ${beforeRetry})`);
  } finally {
    if (failures.length > 0 && process.env.BFLY_KEEP_CRASH) execFileSync('cp', ['-a', ws, join(process.env.BFLY_KEEP_CRASH, `${cmd.name}-${n}`)]);
    rmSync(ws, { recursive: true, force: true });
  }
  if (failures.length > 0) console.log(failures.join('\n'));
  return failures;
}

/** Every point from 1 to `count` (one past the last: the command completes), `every` apart, plus the first and last few. */
function points(count: number, every: number): number[] {
  const out = new Set<number>();
  for (let n = 1; n <= count + 1; n += every) out.add(n);
  for (let n = 1; n <= Math.min(6, count + 1); n++) out.add(n);
  for (let n = Math.max(1, count - 3); n <= count + 1; n++) out.add(n);
  return [...out].sort((a, b) => a - b);
}

async function runAll(cmd: Command, every = 1): Promise<{ count: number; tried: number; failures: string[] }> {
  const ws = join(tmp.dir, `${cmd.name}-trace`);
  execFileSync('cp', ['-a', template, ws]);
  const count = await trace(ws, cmd.args, cmd.env);
  rmSync(ws, { recursive: true, force: true });
  const ns = points(count, every);
  const failures: string[] = [];
  // two trials at a time (two cores)
  for (let i = 0; i < ns.length; i += 2) {
    const results = await Promise.all(ns.slice(i, i + 2).map((n) => trial(cmd, n)));
    for (const r of results) failures.push(...r);
  }
  return { count, tried: ns.length, failures };
}

beforeAll(async () => {
  tmp = makeTempDir('bfly-crash-');
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', join(tmp.dir, 'crashshim.so'), SHIM_SRC, '-ldl'], { stdio: 'pipe' });
    shim = join(tmp.dir, 'crashshim.so');
  } catch (err) {
    skipWhy = `cannot build the crash shim from ${SHIM_SRC}: ${(err as Error).message.split('\n')[0]}`;
    return;
  }
  template = join(tmp.dir, 'template');
  const run = (args: string[], env: Record<string, string> = {}) => bfly(['-C', template, ...args], { env });
  mkdirSync(join(tmp.dir, 'in'));
  files.tiny = join(tmp.dir, 'in', 'tiny.yaml');
  writeFileSync(files.tiny, TINY);
  files.cars = join(REPO, 'examples', 'data', 'cars.csv');
  // `released`: dates written as people do, turned into instants after the read (more write points)
  const lines = ['id,x,y,label,when,released'];
  for (let i = 0; i < 40_000; i++) lines.push(`${i},${(i * 0.37) % 11},v${i % 13},"k, ${i % 5}",2020-01-${String(1 + (i % 28)).padStart(2, '0')},Jun ${String(1 + (i % 28)).padStart(2, '0')} 2020`);
  files.mid = join(tmp.dir, 'in', 'mid.csv');
  writeFileSync(files.mid, lines.join('\n') + '\n');
  expect((await bfly(['init', template])).exitCode).toBe(0);
  expect((await run(['dataset', 'import', join(REPO, 'examples', 'data', 'penguins.csv')])).exitCode).toBe(0);
  expect((await run(['experiment', 'create', 't', '--dataset', 'penguins', '--target', 'Species', '--template', files.tiny])).exitCode).toBe(0);
  expect((await run(['run', 't'])).exitCode).toBe(0);
  // an interrupted run (killed mid-run; the next command seals it) for gc to remove
  await crashRun(template, ['run', 't', '--force', '--set', 'blocks.model_selection.config.cv=4'], { CRASH_N: '25' });
  expect((await run(['fsck'])).exitCode).toBe(0);
  // unreferenced objects (a dataset whose manifest is gone) and an orphaned cache blob
  expect((await run(['dataset', 'import', join(VEGA, 'seattle-weather.csv')])).exitCode).toBe(0);
  for (const f of readdirSync(bf(template, 'datasets'))) if (JSON.parse(readFileSync(bf(template, 'datasets', f), 'utf8')).name === 'seattle-weather') rmSync(bf(template, 'datasets', f));
  const shard = readdirSync(bf(template, 'cache', 'entries'))[0];
  rmSync(bf(template, 'cache', 'entries', shard), { recursive: true });
}, 120_000);
afterAll(() => tmp?.cleanup());

const oldRuns = (path: string): boolean => path.startsWith('runs/') && !!template && (() => {
  const id = path.split('/')[1];
  try {
    return JSON.parse(readFileSync(join(template, '.butterfly', 'runs', id, 'run.json'), 'utf8')).status !== 'succeeded';
  } catch {
    return false;
  }
})();

const COMMANDS: Array<[Command, number]> = [
  [{ name: 'import', args: ['dataset', 'import', '<cars>'] }, 1],
  [{ name: 'import-2-threads', args: ['dataset', 'import', '<mid>'], env: { BFLY_IMPORT_THREADS: '2' } }, 1],
  [{ name: 'run', args: ['run', 't', '--force', '--set', 'blocks.model_selection.config.cv=3'] }, 1],
  // a batch's writes are mostly its runs' (each point of which the run above crashes at); its own
  // come first and last, which every fourth point plus the first and last few cover
  [{ name: 'batch', args: ['run', 't', '--grid', 'blocks.model_selection.config.cv=3,5', '--jobs', '2'] }, 4],
  [{ name: 'gc', args: ['gc', '--keep-failed-days', '0'], mayRemove: (p) => p.startsWith('objects/') || oldRuns(p) }, 1],
  [{ name: 'reindex', args: ['reindex'] }, 1],
  [{ name: 'pipeline-set', args: ['pipeline', 'set', 't', 'blocks.split.config.test_size=0.3'] }, 1],
];

describe('a crash at every write point leaves a workspace the next command or fsck --repair recovers', () => {
  for (const [cmd, every] of COMMANDS) {
    it(`${cmd.name}: ${cmd.args.join(' ')}`, async (ctx) => {
      if (skipWhy !== null) ctx.skip(skipWhy);
      const resolved = { ...cmd, args: cmd.args.map((a) => (a === '<cars>' ? files.cars : a === '<mid>' ? files.mid : a)) };
      const r = await runAll(resolved, every);
      console.log(`${cmd.name}: ${r.count} write points, ${r.tried} crash trials`);
      expect(r.count).toBeGreaterThan(3);
      expect(r.failures).toEqual([]);
    }, 900_000);
  }
});
