// Batches through the built CLI: a 2x3 grid with 2 seeds, reruns reused, a failing grid point,
// a killed worker, Ctrl-C, bad specs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BFLY, bfly, makeCliWorkspace, REPO } from '../helpers.js';

const QUICK = readFileSync(join(REPO, 'examples', 'pipelines', 'quick.yaml'), 'utf8').replace(/\n {2}- \{id: explain.*\n/, '\n');
const SLOW = readFileSync(join(REPO, 'test', 'fixtures', 'fast-pipeline.yaml'), 'utf8').replace('cv: 3', 'cv: 10').replace('n_estimators: 20', 'n_estimators: 300');

let dir: string;
let ws: string;
let cleanup: () => void;
const run = (args: string[]) => bfly(['-C', ws, ...args]);
const runIds = () => readdirSync(join(ws, '.butterfly', 'runs')).sort();
const ndjson = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
  await run(['dataset', 'import', join(REPO, 'examples', 'data', 'penguins.csv'), '--name', 'penguins']);
  for (const [name, text] of [['quick', QUICK], ['slow', SLOW]]) {
    writeFileSync(join(dir, `${name}.yaml`), text);
    await run(['experiment', 'create', name, '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, `${name}.yaml`)]);
  }
}, 60_000);
afterAll(() => cleanup());

const GRID = ['--grid', 'blocks.model_selection.config.cv=2,3', '--grid', 'blocks.split.config.test_size=0.2,0.25,0.3', '--seeds', '1-2', '--jobs', '2'];

describe('bfly run --grid --seeds', () => {
  let batch: string;

  it('a 2x3 grid with 2 seeds makes 12 runs with distinct keys, each recording the batch', async () => {
    const r = await run(['run', 'quick', ...GRID, '--json']);
    expect(r.exitCode).toBe(0);
    const events = ndjson(r.stdout);
    expect(events[0]).toMatchObject({ type: 'batch_started', experiment: 'quick', metric: 'accuracy', jobs: 2 });
    expect(events[0].runs).toHaveLength(12);
    expect(events.some((e) => e.type === 'batch_run_event' && e.event.type === 'block_finished')).toBe(true);
    const end = events.at(-1);
    expect(end).toMatchObject({ type: 'batch_finished', counts: { succeeded: 12 }, cancelled: false });
    batch = end.batch;
    const runs = (await run(['runs', '--where', `batch == "${batch}"`, '--json'])).json();
    expect(runs).toHaveLength(12);
    expect(new Set(runs.map((x: { executionKey: string }) => x.executionKey)).size).toBe(12);
    const combos = new Set(runs.map((x: { seed: number; params: { model_selection: { cv: number }; split: { test_size: number } } }) => `${x.params.model_selection.cv}/${x.params.split.test_size}/${x.seed}`));
    expect(combos.size).toBe(12);
    // the human summary of a batch, and compare --batch with the seed groups
    const cmp = (await run(['compare', '--batch', batch, '--json'])).json();
    expect(cmp.runs).toHaveLength(12);
    expect(cmp.groups).toHaveLength(6);
    // @latest names the newest batch
    expect((await run(['compare', '--batch', '@latest', '--json'])).json().runs).toEqual(cmp.runs);
    expect(cmp.groups.every((g: { seeds: number[] }) => g.seeds.sort().join() === '1,2')).toBe(true);
  }, 240_000);

  it('running the same batch again makes no new run: every run is reused', async () => {
    const before = runIds();
    const r = await run(['run', 'quick', ...GRID]);
    expect(r.exitCode).toBe(0);
    expect(runIds()).toEqual(before);
    expect(r.stdout).toMatch(/batch b-\d{8}-\d{6}-[0-9a-f]{4}: 12 reused in /);
    expect(r.stdout).toMatch(/over seeds \(accuracy, mean ± std\):/);
    expect(r.stdout).toMatch(/compare: bfly compare --batch b-/);
    expect(r.stderr).toMatch(/\[12\/12\] model_selection\.cv=[23] split\.test_size=0\.\d+ seed=\d reused: accuracy/);
  }, 120_000);

  it('a grid point that fails does not stop the others; the exit code is the failure\'s', async () => {
    const r = await run(['run', 'quick', '--grid', 'blocks.features.config.steps=[],[{op: text, columns: [Island], min_df: 1000}]', '--seeds', '7', '--json']);
    expect(r.exitCode).toBe(4);
    const results = ndjson(r.stdout).filter((e) => e.type === 'batch_run_finished').map((e) => e.result);
    expect(results.map((x: { status: string }) => x.status).sort()).toEqual(['failed', 'succeeded']);
    expect(results.find((x: { status: string }) => x.status === 'failed').error).toMatchObject({ category: 'validation', message: expect.stringContaining('Island') });
  }, 120_000);

  it('rejects bad specs before any run starts', async () => {
    const before = runIds();
    const bad = async (args: string[], code: number, text: RegExp) => {
      const r = await run(['run', 'quick', ...args]);
      expect(r.exitCode, args.join(' ')).toBe(code);
      expect(r.stderr).toMatch(text);
    };
    await bad(['--grid', 'blocks.split.config.test_size'], 4, /is not <path>=<v1>,<v2>/);
    await bad(['--grid', 'blocks.split.config.test_size=0.2,2'], 4, /grid point split\.test_size=2/);
    await bad(['--grid', 'blocks.split.config.test_size=0.2,0.2'], 4, /repeats a value/);
    await bad(['--seeds', '3-1'], 4, /not a seed or a range/);
    await bad(['--seeds', '1-2', '--seed', '4'], 4, /--seed and --seeds do not combine/);
    await bad(['--seeds', '1-2', '--jobs', '0'], 4, /--jobs must be a whole number/);
    await bad(['--seeds', '1-2', '--dry-run'], 4, /does not combine with --grid or --seeds/);
    expect(runIds()).toEqual(before);
  }, 120_000);
});

describe('batch workers', () => {
  it('killing one worker fails only its run', async () => {
    const child = execa(process.execPath, [BFLY, '-C', ws, 'run', 'slow', '--grid', 'blocks.split.config.test_size=0.2,0.3', '--jobs', '2', '--json'], { reject: false });
    let buf = '';
    const started = new Set<number>();
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const l of buf.split('\n').slice(0, -1)) {
          const e = JSON.parse(l);
          if (e.type === 'batch_run_event' && e.event.type === 'block_started' && e.event.block === 'model_selection') started.add(e.index);
        }
        if (started.size === 2) resolve();
      });
    });
    const workers = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    expect(workers).toHaveLength(2);
    process.kill(workers[0], 'SIGKILL');
    const r = await child;
    expect(r.exitCode).toBe(9);
    const results = ndjson(String(r.stdout)).filter((e) => e.type === 'batch_run_finished').map((e) => e.result);
    expect(results.map((x: { status: string }) => x.status).sort()).toEqual(['crashed', 'succeeded']);
    const crashed = results.find((x: { status: string }) => x.status === 'crashed');
    expect(crashed.error).toMatchObject({ code: 'WORKER_DIED', message: expect.stringContaining('SIGKILL') });
    // its run was marked interrupted at once, and the store is consistent
    expect(JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', crashed.runId, 'run.json'), 'utf8')).status).toBe('interrupted');
    expect(existsSync(join(ws, '.butterfly', 'locks', `run-${crashed.runId}.lock`))).toBe(false);
    const f = await run(['fsck']);
    expect(f.stdout).toMatch(/ok: no problems found/);
    expect(f.exitCode).toBe(0);
  }, 240_000);

  it('Ctrl-C cancels the running run cleanly and skips the queued ones; exit 130', async () => {
    const before = runIds();
    const child = execa(process.execPath, [BFLY, '-C', ws, 'run', 'slow', '--grid', 'blocks.split.config.test_size=0.21,0.22,0.23', '--jobs', '1', '--json'], { reject: false });
    let buf = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('"block":"model_selection"')) resolve();
      });
    });
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    const events = ndjson(String(r.stdout));
    expect(events.at(-1)).toMatchObject({ type: 'batch_finished', cancelled: true, counts: { cancelled: 1, skipped: 2 } });
    const created = runIds().filter((id) => !before.includes(id));
    expect(created).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', created[0], 'run.json'), 'utf8')).status).toBe('cancelled');
  }, 240_000);
});
