// `bfly run` through the built CLI, like a user: the JSON contract, events, dedupe, --force,
// --dry-run, the block cache and resume, failures, kill -9, Ctrl-C, immutability, concurrency.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunEvent } from '../../src/core/events.js';
import { BFLY, bfly, makeCliWorkspace, REPO, snapshotTree, VEGA } from '../helpers.js';

/** A quick pipeline: 3-fold CV of three fast models, explain and report. */
const FAST = readFileSync(join(REPO, 'test', 'fixtures', 'fast-pipeline.yaml'), 'utf8');

/** A pipeline whose model selection takes seconds (to kill or cancel it in the middle). */
const SLOW = FAST.replace('cv: 3', 'cv: 10').replace('n_estimators: 20', 'n_estimators: 400');

let dir: string;
let ws: string;
let cleanup: () => void;
const run = (args: string[]) => bfly(['-C', ws, ...args]);
const runDir = (id: string) => join(ws, '.butterfly', 'runs', id);
const manifestOf = (id: string) => JSON.parse(readFileSync(join(runDir(id), 'run.json'), 'utf8'));

/** Everything in .butterfly/ except run folders, the block cache and the run index. */
function outsideRuns(): Record<string, string> {
  const all = snapshotTree(join(ws, '.butterfly'));
  // audit.jsonl records every run (run.start, run.end): it grows, append-only; fsck checks its chain
  return Object.fromEntries(Object.entries(all).filter(([p]) => !p.startsWith('runs/') && !p.startsWith('cache/') && !p.startsWith('index/') && !p.startsWith('tmp/') && !p.startsWith('locks/') && p !== 'audit.jsonl'));
}

function experiment(name: string, pipeline: string, target = 'Species', dataset = 'penguins'): Promise<unknown> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, pipeline);
  return run(['experiment', 'create', name, '--dataset', dataset, '--target', target, '--template', file]);
}

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
  await run(['dataset', 'import', join(VEGA, 'penguins.json'), '--name', 'penguins']);
  await run(['dataset', 'import', join(VEGA, 'cars.json'), '--name', 'cars']);
  await experiment('fast', FAST);
  await experiment('slow', SLOW);
  await experiment('other', FAST);
  await experiment('cars', FAST.replace('{model: logistic_regression}', '{model: linear_regression}'), 'Miles_per_Gallon', 'cars');
}, 60_000);
afterAll(() => cleanup());

describe('bfly run', () => {
  let first: string;

  it('given a valid experiment, when run with --json, then stdout is NDJSON events ending with the run manifest', async () => {
    const r = await run(['run', 'fast', '--json']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const result = JSON.parse(lines.at(-1)!);
    const events = lines.slice(0, -1).map(parseRunEvent);
    expect(events[0].type).toBe('run_created');
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'succeeded' });
    for (const t of ['run_started', 'block_started', 'block_progress', 'block_finished', 'artifact_written', 'log']) expect(events.some((e) => e.type === t)).toBe(true);
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['id', 'experiment', 'status', 'reused', 'seed', 'dataset', 'pipelineHash', 'hooks', 'executionKey', 'env', 'createdAt', 'startedAt', 'endedAt', 'durationMs', 'blocks', 'metrics', 'artifacts', 'error']));
    expect(result).toMatchObject({ experiment: 'fast', status: 'succeeded', reused: false, seed: 42, error: null, env: { backend: 'js', node: process.version } });
    expect(result.metrics.accuracy).toBeGreaterThan(0.9);
    expect(result.blocks.map((b: { id: string; status: string }) => `${b.id}:${b.status}`)).toEqual(['split', 'features', 'preprocess', 'model_selection', 'train', 'evaluate', 'explain', 'report'].map((b) => `${b}:succeeded`));
    first = result.id;
    // the file on disk says the same, and events.jsonl holds the same stream
    expect(manifestOf(first)).toMatchObject({ id: first, status: 'succeeded', metrics: result.metrics });
    const logged = readFileSync(join(runDir(first), 'events.jsonl'), 'utf8').trim().split('\n').map(parseRunEvent);
    expect(logged.map((e) => e.type)).toEqual(events.map((e) => e.type));
  });

  it('freezes the run: read-only files, each listed with its sha256, artifacts hashed', () => {
    const m = manifestOf(first);
    expect(m.files.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['pipeline.yaml', 'events.jsonl', 'artifacts/model.json', 'artifacts/metrics.json', 'artifacts/leaderboard.json', 'artifacts/report.ipynb']));
    for (const f of m.files) {
      const data = readFileSync(join(runDir(first), f.path));
      expect(`sha256:${createHash('sha256').update(data).digest('hex')}`).toBe(f.hash);
      expect(statSync(join(runDir(first), f.path)).mode & 0o777).toBe(0o444);
    }
    expect(statSync(runDir(first)).mode & 0o777).toBe(0o555);
    for (const a of m.artifacts) expect(m.files.find((f: { path: string }) => f.path === a.path)?.hash).toBe(a.hash);
    const metrics = JSON.parse(readFileSync(join(runDir(first), 'artifacts', 'metrics.json'), 'utf8'));
    expect(metrics.values).toEqual(m.metrics);
    expect(existsSync(join(ws, '.butterfly', 'locks', `run-${first}.lock`))).toBe(false);
  });

  it('given an unchanged experiment, when run again, then it returns the same run ("up to date")', async () => {
    const r = await run(['run', 'fast']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`up to date: run ${first}`);
    const j = await run(['run', 'fast', '--json']);
    expect(j.json()).toMatchObject({ id: first, reused: true, status: 'succeeded' });
    // nothing new was created
    expect(readdirSync(join(ws, '.butterfly', 'runs')).length).toBe(1);
  });

  it('--force runs again: same metrics, byte-identical model; with --no-cache too', async () => {
    const forced = (await run(['run', 'fast', '--force', '--json'])).stdout.trim().split('\n').at(-1)!;
    const f = JSON.parse(forced);
    expect(f.id).not.toBe(first);
    expect(f.metrics).toEqual(manifestOf(first).metrics);
    expect(f.blocks.filter((b: { cached: boolean }) => b.cached).map((b: { id: string }) => b.id)).toEqual(['split', 'features', 'preprocess', 'model_selection', 'train', 'evaluate', 'explain']);
    const nc = JSON.parse((await run(['run', 'fast', '--force', '--no-cache', '--json'])).stdout.trim().split('\n').at(-1)!);
    expect(nc.blocks.every((b: { cached: boolean }) => !b.cached)).toBe(true);
    expect(nc.metrics).toEqual(manifestOf(first).metrics);
    const model = (id: string) => readFileSync(join(runDir(id), 'artifacts', 'model.json'));
    expect(model(nc.id).equals(model(first))).toBe(true);
    expect(model(f.id).equals(model(first))).toBe(true);
  });

  it('a different seed gives a different split (and key); --set changes the key too', async () => {
    const s = JSON.parse((await run(['run', 'fast', '--seed', '7', '--json'])).stdout.trim().split('\n').at(-1)!);
    expect(s.seed).toBe(7);
    expect(s.executionKey).not.toBe(manifestOf(first).executionKey);
    const rows = (id: string) => readFileSync(join(runDir(id), 'artifacts', 'predictions.csv'), 'utf8').split('\n').slice(1).map((l) => l.split(',')[0]);
    expect(rows(s.id)).not.toEqual(rows(first));
    const set = JSON.parse((await run(['run', 'fast', '--set', 'blocks.explain.config.n_repeats=3', '--json'])).stdout.trim().split('\n').at(-1)!);
    expect(set.reused).toBe(false);
    expect(set.executionKey).not.toBe(manifestOf(first).executionKey);
    // only the changed block and those after it ran
    expect(set.blocks.filter((b: { cached: boolean }) => !b.cached).map((b: { id: string }) => b.id)).toEqual(['explain', 'report']);
    const bad = await run(['run', 'fast', '--set', 'blocks.split.config.test_size=2']);
    expect(bad.exitCode).toBe(4);
    expect(bad.stderr).toMatch(/test_size/);
  });

  it('--dry-run says which blocks would run or come from cache, and why; it runs nothing', async () => {
    const before = readdirSync(join(ws, '.butterfly', 'runs')).length;
    const r = await run(['run', 'fast', '--dry-run', '--set', 'blocks.model_selection.config.cv=4']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/split\s+split\s+use cache/);
    expect(r.stdout).toMatch(/model_selection\s+model_selection\s+run\s+its config changed/);
    expect(r.stdout).toMatch(/train\s+train\s+run\s+input selection, leaderboard changed/);
    const j = (await run(['run', 'fast', '--dry-run', '--json'])).json();
    expect(j.upToDate).not.toBeNull();
    expect(j.steps.map((s: { action: string }) => s.action)).toEqual(['cached', 'cached', 'cached', 'cached', 'cached', 'cached', 'cached', 'run']);
    const seed = (await run(['run', 'fast', '--dry-run', '--seed', '99', '--json'])).json();
    expect(seed.upToDate).toBeNull();
    expect(seed.steps[0]).toMatchObject({ id: 'split', action: 'run', reason: 'the seed changed' });
    expect(readdirSync(join(ws, '.butterfly', 'runs')).length).toBe(before);
  });

  it('the default template through the CLI: all four candidates, the MLP on tfjs, drawn live with Ink on a terminal', async () => {
    await run(['experiment', 'create', 'default', '--dataset', 'penguins', '--target', 'Species']);
    const hasScript = (await execa('script', ['--version'], { reject: false })).exitCode === 0;
    let stdout: string;
    if (hasScript) {
      // A pseudo-terminal: stderr is a TTY, so the Ink view draws the blocks with icons and bars.
      const r = await execa('script', ['-qec', `stty cols 120 rows 40; ${process.execPath} ${BFLY} -C ${ws} run default`, '/dev/null'], { reject: false, env: { ...process.env, CI: '' } });
      expect(r.exitCode).toBe(0);
      // eslint-disable-next-line no-control-regex -- strip the terminal escapes
      stdout = String(r.stdout).replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
      // Ink's rows (time column, then the block's last note), not the plain "✔ x succeeded" lines
      expect(stdout).toMatch(/✔ model_selection\s+[\d.]+ m?s\s+best: \w+/);
      expect(stdout).not.toMatch(/✔ model_selection succeeded/);
    } else {
      console.log('no `script` command: the Ink view is not exercised on a pseudo-terminal');
      stdout = (await run(['run', 'default'])).stdout;
    }
    expect(stdout).toMatch(/accuracy\s+0\.9\d+\s+higher is better \(experiment metric\)/);
    const m = JSON.parse((await run(['run', 'default', '--json'])).stdout.trim().split('\n').at(-1)!);
    expect(m.reused).toBe(true);
    expect(m.env.backend).toMatch(/^tfjs-/);
    const board = JSON.parse(readFileSync(join(runDir(m.id), 'artifacts', 'leaderboard.json'), 'utf8'));
    expect(board.candidates.map((c: { model: string }) => c.model).sort()).toEqual(['gradient_boosting', 'logistic_regression', 'mlp', 'random_forest']);
  }, 60_000);

  it('runs a regression experiment too (rmse, mae, r2)', async () => {
    const r = JSON.parse((await run(['run', 'cars', '--json'])).stdout.trim().split('\n').at(-1)!);
    expect(r.status).toBe('succeeded');
    expect(Object.keys(r.metrics).sort()).toEqual(['mae', 'r2', 'rmse']);
    expect(r.metrics.r2).toBeGreaterThan(0.6);
  });
});

describe('bfly run failures', () => {
  it('given a block that fails, then the run is failed with category and block, exit code 4, the workspace untouched; fixing it resumes from that block', async () => {
    const before = outsideRuns();
    const r = await run(['run', 'fast', '--set', 'blocks.features.config.steps=[{op: text, columns: [Island], min_df: 1000}]', '--json']);
    expect(r.exitCode).toBe(4);
    const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(m.status).toBe('failed');
    expect(m.error).toMatchObject({ category: 'validation', block: 'features', hook: null, message: expect.stringContaining('Island'), hint: expect.any(String) });
    expect(m.blocks.map((b: { status: string }) => b.status)).toEqual(['succeeded', 'failed', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(readFileSync(join(runDir(m.id), 'logs', 'error.log'), 'utf8')).toContain('Island');
    expect(outsideRuns()).toEqual(before);
    const human = await run(['run', 'fast', '--set', 'blocks.features.config.steps=[{op: text, columns: [Island], min_df: 1000}]']);
    expect(human.exitCode).toBe(4);
    expect(human.stderr).toContain('block features: text: no token of "Island" appears in 1000 or more of the');
    // the fixed pipeline resumes: split comes from the cache of the failed run
    const fixed = JSON.parse((await run(['run', 'fast', '--set', 'blocks.features.config.steps=[{op: log1p, columns: [Flipper Length (mm)]}]', '--json'])).stdout.trim().split('\n').at(-1)!);
    expect(fixed.status).toBe('succeeded');
    expect(fixed.blocks[0]).toMatchObject({ id: 'split', cached: true });
    expect(fixed.blocks[1]).toMatchObject({ id: 'features', cached: false });
  });

  it('an unknown experiment or a non-workspace is refused before any run exists', async () => {
    const r = await run(['run', 'fats']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('did you mean');
    expect((await bfly(['run', 'fast'], { cwd: dir })).exitCode).toBe(3);
  });

  it('kill -9 in the middle of a block: the next command marks the run interrupted, and bfly run works again', async () => {
    const before = outsideRuns();
    const child = execa(process.execPath, [BFLY, '-C', ws, 'run', 'slow', '--json'], { reject: false });
    let id = '';
    await new Promise<void>((resolve) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('"block_started"') && buf.includes('"block":"model_selection"')) {
          id = JSON.parse(buf.split('\n')[0]).runId;
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await child;
    expect(manifestOf(id).status).toBe('running');
    expect(existsSync(join(ws, '.butterfly', 'locks', `run-${id}.lock`))).toBe(true);
    expect((await run(['experiment', 'list'])).exitCode).toBe(0);
    const m = manifestOf(id);
    expect(m.status).toBe('interrupted');
    expect(m.error).toMatchObject({ category: 'infra', code: 'RUN_INTERRUPTED', block: 'model_selection' });
    expect(m.blocks.find((b: { id: string }) => b.id === 'model_selection').status).toBe('interrupted');
    expect(existsSync(join(ws, '.butterfly', 'locks', `run-${id}.lock`))).toBe(false);
    expect(statSync(runDir(id)).mode & 0o777).toBe(0o555);
    expect(outsideRuns()).toEqual(before);
    const again = JSON.parse((await run(['run', 'slow', '--set', 'blocks.model_selection.config.cv=2', '--json'])).stdout.trim().split('\n').at(-1)!);
    expect(again.status).toBe('succeeded');
    expect(again.blocks.slice(0, 3).every((b: { cached: boolean }) => b.cached)).toBe(true);
  });

  it('Ctrl-C (SIGINT) cancels the run: status cancelled, exit 130, lock released', async () => {
    const child = execa(process.execPath, [BFLY, '-C', ws, 'run', 'slow', '--force', '--json'], { reject: false });
    await new Promise<void>((resolve) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('"type":"block_progress"') && buf.includes('"block":"model_selection"')) resolve();
      });
    });
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    const m = JSON.parse(String(r.stdout).trim().split('\n').at(-1)!);
    expect(m).toMatchObject({ status: 'cancelled', error: { category: 'cancelled', block: 'model_selection' } });
    expect(existsSync(join(ws, '.butterfly', 'locks', `run-${m.id}.lock`))).toBe(false);
    expect(manifestOf(m.id).status).toBe('cancelled');
  });
});

describe('bfly run concurrency', () => {
  it('two runs of one experiment and two of others at once all succeed with distinct ids', async () => {
    const before = new Set(readdirSync(join(ws, '.butterfly', 'runs')));
    const results = await Promise.all([
      run(['run', 'fast', '--seed', '101', '--json']),
      run(['run', 'fast', '--seed', '102', '--json']),
      run(['run', 'other', '--seed', '101', '--json']),
      run(['run', 'cars', '--seed', '5', '--json']),
    ]);
    const ids = results.map((r) => {
      expect(r.exitCode).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!).id as string;
    });
    expect(new Set(ids).size).toBe(4);
    const created = readdirSync(join(ws, '.butterfly', 'runs')).filter((x) => !before.has(x));
    expect(created.sort()).toEqual([...ids].sort());
    for (const id of ids) expect(manifestOf(id).status).toBe('succeeded');
  }, 120_000);
});

describe('bfly runs and bfly show', () => {
  it('lists runs newest first with filters, and shows one run in full', async () => {
    const all = (await run(['runs', '--json'])).json();
    expect(all.length).toBeGreaterThan(5);
    expect(all.map((r: { id: string }) => r.id)).toEqual([...all.map((r: { id: string }) => r.id)].sort().reverse());
    const fast = (await run(['runs', '--experiment', 'fast', '--status', 'succeeded', '--limit', '2', '--json'])).json();
    expect(fast).toHaveLength(2);
    expect(fast.every((r: { experiment: string; status: string }) => r.experiment === 'fast' && r.status === 'succeeded')).toBe(true);
    const table = (await run(['runs', '--experiment', 'cars'])).stdout;
    expect(table.split('\n')[0]).toMatch(/^run\s+experiment\s+status\s+age\s+duration\s+metric\s+value\s+(params\s+)?model\s+seed$/);
    expect(table).toMatch(/cars\s+succeeded\s+\d+[smhd] ago\s+[\d.]+ m?s\s+rmse ↓\s+[\d.]+\s+(\S+=\S+\s+)*gradient_boosting\s+\d+\n/);
    const shown = await run(['show', 'fast@latest']);
    expect(shown.stdout).toMatch(/^run \d{8}-\d{9}-[0-9a-f]{6}\s+succeeded/);
    expect(shown.stdout).toMatch(/model_selection\s+model_selection\s+succeeded/);
    expect(shown.stdout).toContain('artifact');
    expect((await run(['show', 'fast@latest', '--json'])).json()).toMatchObject({ experiment: 'fast', dir: expect.stringContaining('.butterfly/runs/') });
    expect((await run(['show', 'nosuch@latest'])).exitCode).toBe(5);
    const failed = (await run(['runs', '--status', 'failed', '--json'])).json();
    const f = await run(['show', failed[0].id]);
    expect(f.stdout).toMatch(/error\s+\w+ in block \w+/);
  });

  it('compare shows only what differs: the seed, metrics with deltas; --all shows the rest', async () => {
    const seeds = (await run(['runs', '--experiment', 'fast', '--status', 'succeeded', '--json'])).json();
    const a = seeds.findLast((r: { seed: number }) => r.seed === 42); // the first run of all
    const b = seeds.find((r: { seed: number }) => r.seed === 7);
    const c = await run(['compare', a.id, b.id, '--json']);
    expect(c.exitCode).toBe(0);
    const rows = c.json().rows as Array<{ section: string; key: string; differs: boolean; deltas?: Array<{ better: boolean | null } | null> }>;
    expect(rows.filter((r) => r.differs && r.section !== 'metrics' && r.section !== 'timing').map((r) => r.key)).toEqual(['seed']);
    const allRows = (await run(['compare', a.id, b.id, '--all', '--json'])).json().rows as typeof rows;
    const acc = allRows.find((r) => r.key === 'accuracy')!;
    expect(acc.deltas![0]).toBeNull();
    expect(rows.filter((r) => r.section === 'metrics').every((r) => r.differs)).toBe(true);
    const human = (await run(['compare', a.id, b.id])).stdout;
    expect(human).toMatch(/run: seed\s+42\s+7/);
    expect(human).toMatch(/metrics: log_loss\s+[\d.]+\s+[\d.]+ \([+-][\d.e-]+ (better|worse)\)/);
    expect(human).toMatch(/other values are the same in every run/);
    const all = (await run(['compare', a.id, b.id, '--all'])).stdout;
    expect(all).toMatch(/blocks\.model_selection\.config\.cv\s+3\s+3/);
    // the --set run earlier: same blocks up to explain, whose config changed
    type R = { id: string; blocks: Array<{ key: string }> };
    const full = (id: string): R => manifestOf(id);
    const set = seeds.map((r: R) => full(r.id)).find((r: R) => r.blocks[5].key === full(a.id).blocks[5].key && r.blocks[6].key !== full(a.id).blocks[6].key) as R;
    expect((await run(['compare', a.id, set.id])).stdout).toMatch(/blocks\.explain\.config\.n_repeats\s+2\s+3/);
    expect((await run(['compare', a.id])).exitCode).toBe(4);
  });

  it('lineage shows the tree from a run or from an artifact hash; status says what a run would do', async () => {
    const m = (await run(['show', 'fast@latest', '--json'])).json();
    const tree = (await run(['lineage', 'fast@latest'])).stdout;
    expect(tree).toContain(`├─ dataset penguins  ${m.dataset.hash}`);
    expect(tree).toContain(`├─ pipeline snapshot  ${m.pipelineHash}`);
    expect(tree).toMatch(/model\.json {2}sha256:[0-9a-f]{64}/);
    const model = m.artifacts.find((a: { name: string }) => a.name === 'model.json');
    const byHash = await run(['lineage', model.hash.slice(7, 23), '--json']);
    expect(byHash.json()).toMatchObject({ artifact: 'model.json' });
    expect((await run(['lineage', 'sha256:' + '0'.repeat(64)])).exitCode).toBe(5);
    const before = (await run(['status', '--json'])).json();
    expect(before.experiments.find((e: { name: string }) => e.name === 'fast').upToDate).not.toBeNull();
    await run(['pipeline', 'set', 'fast', 'blocks.explain.config.top_k=1']);
    const after = (await run(['status'])).stdout;
    // reasons compare with the experiment's latest run (here one with another seed)
    expect(after).toMatch(/fast: latest run \S+ \(\w+\)\n {2}`bfly run fast` would run: explain \(its config changed/);
    expect(after).toMatch(/slow: latest run \S+ \(cancelled\)\n {2}`bfly run slow` would run: model_selection \(it did not finish in run \S+ \(cancelled\)\)/);
  });
});
