// Nothing changes unseen (issue #19), through the built CLI: sealed dataset manifests, the
// hash-chained audit log (and eight writers at once), draft history, in-flight dedupe, hooks
// checked when added, run and block timeouts, metadata changes on the record, explicit
// migrations of stored workspaces of every earlier format, and versioned JSON contracts.
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as contracts from '../../src/core/contracts/index.js';
import { REPO, bfly, makeCliWorkspace, makeTempDir, snapshotTree } from '../helpers.js';

const FAST = readFileSync(join(REPO, 'test', 'fixtures', 'logistic-pipeline.yaml'), 'utf8');
const PENGUINS = join(REPO, 'examples', 'data', 'penguins.csv');

let dir: string;
let ws: string;
let cleanup: () => void;
const run = (args: string[], env: Record<string, string> = {}) => bfly(['-C', ws, ...args], { env });
const bf = (...p: string[]) => join(ws, '.butterfly', ...p);
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const audit = () => readFileSync(bf('audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

async function experiment(name: string, text = FAST): Promise<void> {
  writeFileSync(join(dir, `${name}.yaml`), text);
  const r = await run(['experiment', 'create', name, '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, `${name}.yaml`)]);
  expect(r.exitCode, r.stderr).toBe(0);
}

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
  expect((await run(['dataset', 'import', PENGUINS])).exitCode).toBe(0);
  await experiment('p');
  mkdirSync(join(ws, 'hooks'));
}, 60_000);
afterAll(() => cleanup());

describe('sealed dataset manifests', () => {
  it('a manifest is read-only and sealed; a changed one is an integrity error for every reader and for fsck, naming it', async () => {
    const file = bf('datasets', readdirSync(bf('datasets'))[0]);
    const original = readFileSync(file);
    expect(JSON.parse(original.toString())).toMatchObject({ schemaVersion: 1, seal: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(statSync(file).mode & 0o777).toBe(0o444);
    try {
      chmodSync(file, 0o644);
      writeFileSync(file, original.toString().replace('"rows": 344', '"rows": 999'));
      for (const args of [['dataset', 'list'], ['dataset', 'show', 'penguins'], ['run', 'p']]) {
        const r = await run(args);
        expect(r.exitCode, args.join(' ')).toBe(10);
        expect(r.stderr).toMatch(/datasets\/.*\.json: its content no longer matches its seal/);
      }
      const f = await run(['fsck', '--json']);
      expect(f.exitCode).toBe(10);
      expect(f.json().problems).toContainEqual(expect.objectContaining({ kind: 'dataset_changed', repairable: false, path: expect.stringMatching(/^\.butterfly\/datasets\//) }));
    } finally {
      writeFileSync(file, original);
      chmodSync(file, 0o444);
    }
    expect((await run(['fsck'])).exitCode).toBe(0);
  });
});

describe('the audit log', () => {
  it('records each state change with who, where, the command and what it touched, chained by hash', async () => {
    const r = await run(['run', 'p', '--json']);
    expect(r.exitCode).toBe(0);
    const entries = audit();
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['workspace.init', 'dataset.import', 'experiment.create', 'run.start', 'run.end']));
    const end = entries.find((e) => e.action === 'run.end');
    expect(end).toMatchObject({ schemaVersion: 1, outcome: 'succeeded', pid: expect.any(Number), user: expect.any(String), host: expect.any(String), command: expect.stringMatching(/^bfly -C .* run p --json$/), target: { run: last(r.stdout).id, experiment: 'p' } });
    entries.forEach((e, i) => expect(e.seq).toBe(i + 1));
    for (let i = 1; i < entries.length; i++) expect(entries[i].prev).toBe(entries[i - 1].hash);
    const log = await run(['log', '--experiment', 'p', '--json']);
    expect(log.json().every((e: { target: { experiment?: string } }) => e.target.experiment === 'p')).toBe(true);
    expect((await run(['log', '--since', '1h'])).stdout).toMatch(/run\.end/);
    expect((await run(['log', '--since', 'yesterday-ish'])).exitCode).toBe(4);
  }, 60_000);

  it('an edited, removed or reordered entry is found by fsck (exit 10, naming the line)', async () => {
    const file = bf('audit.jsonl');
    const original = readFileSync(file, 'utf8');
    const lines = original.trim().split('\n');
    const variants: Array<[string, string]> = [
      ['edited', [lines[0], lines[1].replace('"ok"', '"failed"'), ...lines.slice(2)].join('\n') + '\n'],
      ['removed', [lines[0], ...lines.slice(2)].join('\n') + '\n'],
      ['reordered', [lines[1], lines[0], ...lines.slice(2)].join('\n') + '\n'],
    ];
    try {
      for (const [what, text] of variants) {
        writeFileSync(file, text);
        const f = await run(['fsck', '--json']);
        expect(f.exitCode, what).toBe(10);
        expect(f.json().problems).toContainEqual(expect.objectContaining({ kind: 'audit_broken', path: '.butterfly/audit.jsonl', repairable: false, message: expect.stringMatching(/^line \d+: /) }));
      }
    } finally {
      writeFileSync(file, original);
    }
    expect((await run(['fsck'])).exitCode).toBe(0);
  });

  it('eight writers at once never interleave or lose an entry', async () => {
    const before = audit().length;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => run(['experiment', 'create', `e${i}`, '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, 'p.yaml')])));
    for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
    const entries = audit();
    expect(entries.length).toBe(before + 8);
    expect(new Set(entries.slice(before).map((e) => e.target.experiment))).toEqual(new Set(Array.from({ length: 8 }, (_, i) => `e${i}`)));
    expect((await run(['fsck'])).exitCode).toBe(0);
  }, 60_000);
});

describe('draft history', () => {
  it('every save is a revision; diff, restore, and a run records the revision it snapshotted; a hand edit becomes one at the next run', async () => {
    await experiment('h');
    expect((await run(['pipeline', 'set', 'h', 'blocks.model_selection.config.cv=4'])).exitCode).toBe(0);
    expect((await run(['pipeline', 'set', 'h', 'seed=9'])).exitCode).toBe(0);
    const h = (await run(['pipeline', 'history', 'h', '--json'])).json();
    expect(h.revisions.map((r: { rev: number; action: string }) => [r.rev, r.action])).toEqual([[1, 'experiment.create'], [2, 'pipeline.set'], [3, 'pipeline.set']]);
    expect((await run(['pipeline', 'diff', 'h', '1', '3'])).stdout).toMatch(/-seed: 42\n\+seed: 9/);
    const r = last((await run(['run', 'h', '--json'])).stdout);
    expect(r.draftRevision).toBe(3);
    expect((await run(['pipeline', 'restore', 'h', '1'])).stdout).toMatch(/restored revision 1 of h's draft as revision 4/);
    const d = await run(['pipeline', 'diff', 'h', '--json']);
    expect(d.json()).toMatchObject({ from: { rev: 3 }, to: { rev: null }, same: false });
    // a hand edit: the next run records it as a revision of its own
    writeFileSync(join(ws, '.butterfly', 'experiments', 'h', 'pipeline.yaml'), readFileSync(join(ws, '.butterfly', 'experiments', 'h', 'pipeline.yaml'), 'utf8').replace('seed: 42', 'seed: 5'));
    const hand = last((await run(['run', 'h', '--json'])).stdout);
    expect(hand.draftRevision).toBe(5);
    expect((await run(['pipeline', 'history', 'h', '--json'])).json().revisions.at(-1)).toMatchObject({ rev: 5, action: 'pipeline.hand_edit' });
    expect((await run(['pipeline', 'restore', 'h', '99'])).exitCode).toBe(5);
    expect((await run(['gc'])).exitCode).toBe(0); // gc keeps every revision's object
    expect((await run(['pipeline', 'diff', 'h', '1', '2'])).exitCode).toBe(0);
  }, 60_000);

  it('a changed draft object is found by fsck, naming the revision and experiment', async () => {
    const rev = (await run(['pipeline', 'history', 'h', '--json'])).json().revisions[1];
    const path = bf('objects', rev.hash.slice(7, 9), rev.hash.slice(9));
    const original = readFileSync(path);
    try {
      chmodSync(path, 0o644);
      writeFileSync(path, original.toString().replace('cv: 4', 'cv: 9'));
      const f = await run(['fsck']);
      expect(f.exitCode).toBe(10);
      expect(f.stdout).toMatch(/corrupt_object .*\n.*draft revision 2 of experiment h/);
    } finally {
      writeFileSync(path, original);
      chmodSync(path, 0o444);
    }
  });
});

describe('runs in flight, hooks, timeouts', () => {
  it('two identical runs started together execute once: the second waits and returns the first; --no-wait names it', async () => {
    await experiment('twice', FAST.replace('cv: 3', 'cv: 10'));
    writeFileSync(join(ws, 'hooks', 'slow.js'), 'export default () => { const t = Date.now(); let x = 0; for (let i = 0; i < 4e8; i++) x += i; return undefined; }\n');
    expect((await run(['hook', 'add', 'twice', 'before_train', '--file', join(ws, 'hooks', 'slow.js')])).exitCode).toBe(0);
    const runsBefore = readdirSync(bf('runs')).length;
    const first = run(['run', 'twice', '--json']);
    // the second starts once the first holds its key
    for (let i = 0; i < 200 && !readdirSync(bf('locks')).some((l) => l.startsWith('key-')); i++) await new Promise((r) => setTimeout(r, 25));
    const noWait = await run(['run', 'twice', '--no-wait']);
    expect(noWait.exitCode).toBe(9);
    expect(noWait.stderr).toMatch(/same execution key is executing: running twice \(run \d{8}-\d{9}-[0-9a-f]{6}\)/);
    const second = await run(['run', 'twice', '--json']);
    const a = last((await first).stdout);
    const b = last(second.stdout);
    expect(a.status).toBe('succeeded');
    expect(b).toMatchObject({ id: a.id, reused: true });
    expect(readdirSync(bf('runs')).length).toBe(runsBefore + 1);
  }, 120_000);

  it('a hook with a syntax error is refused at hook add, with its line and column; pipeline validate compiles hooks too', async () => {
    writeFileSync(join(ws, 'hooks', 'broken.js'), 'export default (ctx) => {\n  const x = ;\n};\n');
    const before = readFileSync(bf('experiments', 'p', 'pipeline.yaml'), 'utf8');
    const r = await run(['hook', 'add', 'p', 'before_train', '--file', join(ws, 'hooks', 'broken.js')]);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/hooks\/broken\.js:2:13: SyntaxError: Unexpected token ';'/);
    expect(readFileSync(bf('experiments', 'p', 'pipeline.yaml'), 'utf8')).toBe(before);
    writeFileSync(join(ws, 'hooks', 'number.js'), 'export default 42;\n');
    expect((await run(['hook', 'add', 'p', 'before_train', '--file', join(ws, 'hooks', 'number.js')])).stderr).toMatch(/default export is a number/);
    // written into the draft by hand: validate finds it
    writeFileSync(bf('experiments', 'p', 'pipeline.yaml'), before.replace('{id: train, type: train}', '{id: train, type: train, hooks: [{type: before, file: hooks/broken.js}]}'));
    const v = await run(['pipeline', 'validate', 'p', '--json']);
    expect(v.exitCode).toBe(4);
    expect(v.json().problems[0]).toMatchObject({ file: 'hooks/broken.js', line: 2, column: 13, message: expect.stringMatching(/SyntaxError/) });
    writeFileSync(bf('experiments', 'p', 'pipeline.yaml'), before);
  }, 60_000);

  it('a sleeping hook with a 1 s block timeout ends the run timed_out (exit 124), sealed, its locks released; --timeout bounds a whole run', async () => {
    await experiment('sleepy');
    writeFileSync(join(ws, 'hooks', 'sleep.js'), 'export default () => new Promise(() => {});\n');
    expect((await run(['hook', 'add', 'sleepy', 'before_train', '--file', join(ws, 'hooks', 'sleep.js')])).exitCode).toBe(0);
    expect((await run(['pipeline', 'set', 'sleepy', 'blocks.train.timeout=1s'])).exitCode).toBe(0);
    const t0 = Date.now();
    const r = await run(['run', 'sleepy', '--json']);
    expect(r.exitCode).toBe(124);
    expect(Date.now() - t0).toBeLessThan(8000);
    const m = last(r.stdout);
    expect(m).toMatchObject({ status: 'timed_out', error: { category: 'timed_out', code: 'BLOCK_TIMEOUT', block: 'train' } });
    expect(existsSync(bf('runs', m.id, 'run.json.sha256'))).toBe(true);
    expect(readdirSync(bf('locks'))).toEqual([]);
    const whole = await run(['run', 'sleepy', '--force', '--timeout', '1.5s', '--set', 'blocks.train.timeout=1h', '--json']);
    expect(whole.exitCode).toBe(124);
    expect(last(whole.stdout).error).toMatchObject({ code: 'RUN_TIMEOUT', message: expect.stringMatching(/time limit of 1\.5 s/) });
    expect((await run(['run', 'sleepy', '--timeout', 'soon'])).exitCode).toBe(4);
    // a batch passes --timeout on to each of its runs
    const batch = await run(['run', 'sleepy', '--seeds', '1-2', '--timeout', '1s', '--set', 'blocks.train.timeout=1h', '--json']);
    expect(batch.exitCode).toBe(124);
    expect(last(batch.stdout)).toMatchObject({ type: 'batch_finished', counts: { timed_out: 2 } });
    expect(readdirSync(bf('locks'))).toEqual([]);
    expect((await run(['fsck'])).exitCode).toBe(0);
  }, 60_000);
});

describe('metadata that can change, on the record', () => {
  it('experiment set, rename and rm (refused with runs, unless --archive), config get and set (leaving enterprise needs --force)', async () => {
    await experiment('meta');
    const s = await run(['experiment', 'set', 'meta', 'metric=f1_macro', 'description=a first look']);
    expect(s.exitCode).toBe(0);
    expect((await run(['experiment', 'show', 'meta', '--json'])).json()).toMatchObject({ metric: 'f1_macro', description: 'a first look' });
    expect((await run(['experiment', 'set', 'meta', 'metric=rmse'])).exitCode).toBe(4);
    expect((await run(['experiment', 'set', 'meta', 'target=Island'])).exitCode).toBe(4);
    const r1 = last((await run(['run', 'meta', '--json'])).stdout);
    expect((await run(['experiment', 'rename', 'meta', 'meta2'])).exitCode).toBe(0);
    expect((await run(['runs', '--experiment', 'meta2', '--json'])).json().map((x: { id: string }) => x.id)).toEqual([r1.id]);
    expect((await run(['show', 'meta2@latest', '--json'])).json().id).toBe(r1.id);
    expect((await run(['experiment', 'rm', 'meta2'])).exitCode).toBe(4);
    expect((await run(['experiment', 'rm', 'meta2', '--archive'])).exitCode).toBe(0);
    expect((await run(['experiment', 'show', 'meta2'])).exitCode).toBe(5);
    expect((await run(['show', r1.id])).exitCode).toBe(0);
    expect((await run(['config', 'get', 'profile'])).stdout).toBe('internal_fast\n');
    expect((await run(['config', 'set', 'name=renamed'])).exitCode).toBe(0);
    expect((await run(['config', 'set', 'profile=enterprise'])).exitCode).toBe(0);
    expect((await run(['config', 'set', 'profile=internal_fast'])).exitCode).toBe(6);
    expect((await run(['config', 'set', 'profile=internal_fast', '--force'])).exitCode).toBe(0);
    expect((await run(['config', 'set', 'formatVersion=9'])).exitCode).toBe(4);
    const actions = audit().map((e) => `${e.action}${e.target.forced ? ' (forced)' : ''}`);
    expect(actions).toEqual(expect.arrayContaining(['experiment.set', 'experiment.rename', 'experiment.remove', 'config.set', 'config.set (forced)']));
    expect((await run(['fsck'])).exitCode).toBe(0);
  }, 60_000);
});

describe('explicit migrations of stored workspaces', () => {
  for (const format of [0, 1, 2]) {
    it(`format ${format}: read-only commands refuse it and change no byte; bfly migrate upgrades it, audited; then it works`, async () => {
      const t = makeTempDir();
      try {
        cpSync(join(REPO, 'test', 'fixtures', 'workspaces', `format-${format}`), t.dir, { recursive: true });
        const before = snapshotTree(join(t.dir, '.butterfly'));
        for (const args of [['status'], ['runs'], ['dataset', 'list'], ['fsck']]) {
          const r = await bfly(['-C', t.dir, ...args]);
          expect(r.exitCode, args.join(' ')).toBe(4);
          expect(r.stderr).toMatch(/uses format \d; .*\n.*bfly migrate/);
        }
        const dry = await bfly(['-C', t.dir, 'migrate', '--dry-run', '--json']);
        expect(dry.json()).toMatchObject({ from: format, to: 3, dryRun: true });
        expect(snapshotTree(join(t.dir, '.butterfly'))).toEqual(before);
        expect((await bfly(['-C', t.dir, 'migrate'])).exitCode).toBe(0);
        expect((await bfly(['-C', t.dir, 'fsck'])).exitCode).toBe(0);
        const list = (await bfly(['-C', t.dir, 'dataset', 'list', '--json'])).json();
        expect(list[0]).toMatchObject({ name: 'small', seal: expect.stringMatching(/^sha256:/) });
        // formats before 2 had no draft history: the migration starts it
        expect((await bfly(['-C', t.dir, 'pipeline', 'history', 'small', '--json'])).json().revisions).toEqual([expect.objectContaining({ rev: 1, action: format < 2 ? 'migrate' : 'experiment.create' })]);
        const log = (await bfly(['-C', t.dir, 'log', '--json'])).json();
        expect(log.filter((e: { action: string }) => e.action === 'workspace.migrate')).toEqual([expect.objectContaining({ target: expect.objectContaining({ from: format, to: 3 }) })]);
        // the old run is still found, verified, and reused
        const reused = (await bfly(['-C', t.dir, 'run', 'small', '--json'])).json();
        expect(reused).toMatchObject({ reused: true, status: 'succeeded' });
        expect((await bfly(['-C', t.dir, 'migrate'])).stdout).toMatch(/already at format 3/);
        // the old dataset keeps one object per column, read as before; a new import groups its columns
        const small = list[0];
        expect(new Set(small.objects.columns).size).toBe(small.columns.length);
        // and the old run is reproduced: run again from the migrated store, the same metrics
        const forced = JSON.parse((await bfly(['-C', t.dir, 'run', 'small', '--force', '--json'])).stdout.trim().split('\n').at(-1)!);
        expect(forced).toMatchObject({ status: 'succeeded', executionKey: reused.executionKey, metrics: reused.metrics });
        writeFileSync(join(t.dir, 'again.csv'), readFileSync(join(t.dir, '.butterfly', 'objects', small.hash.slice(7, 9), small.hash.slice(9)), 'utf8') + '13,2.9,a\n');
        const again = (await bfly(['-C', t.dir, 'dataset', 'import', join(t.dir, 'again.csv'), '--name', 'small', '--json'])).json();
        expect(again).toMatchObject({ version: 2, rows: 13 });
        expect(new Set(again.objects.columns).size).toBe(1);
        expect((await bfly(['-C', t.dir, 'fsck'])).exitCode).toBe(0);
      } finally {
        t.cleanup();
      }
    }, 60_000);
  }
});

describe('versioned JSON contracts', () => {
  /** The shape of a JSON value: keys and types, arrays by their first element. */
  function shape(v: unknown): unknown {
    if (v === null) return 'null';
    if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
    if (typeof v === 'object') return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
    return typeof v;
  }

  const CONTRACTS: Record<string, z.ZodType> = {
    'dataset import': contracts.importedDataset,
    'dataset list': contracts.datasetManifest,
    'experiment create': contracts.experimentView,
    'experiment show': contracts.experimentDetail,
    'pipeline validate': contracts.validationReport,
    run: contracts.runManifest,
    'run --dry-run': contracts.runPreview,
    show: contracts.runShow,
    runs: contracts.runSummary,
    artifacts: contracts.artifactRow,
    lineage: contracts.lineage,
    compare: contracts.compareView,
    status: contracts.workspaceStatus,
    fsck: contracts.fsckReport,
    gc: contracts.gcReport,
    blocks: contracts.blockCatalog,
    'hook list': contracts.hookInfo,
    example: contracts.exampleTable,
    'example <name>': contracts.exampleWritten,
  };

  it('every --json output carries schemaVersion, declares every key in its zod contract, and keeps the shape recorded in test/fixtures/json-shapes.json', async () => {
    const t = await makeCliWorkspace();
    try {
      const c = (args: string[]) => bfly(['-C', t.ws, ...args]);
      const out: Record<string, unknown> = {};
      const take = async (name: string, args: string[], lines: 'one' | 'last' = 'one') => {
        const r = await c(args);
        expect(r.exitCode, `${name}: ${r.stderr}`).toBe(0);
        const v = lines === 'last' ? last(r.stdout) : JSON.parse(r.stdout);
        for (const item of Array.isArray(v) ? v : [v]) {
          expect(item.schemaVersion, name).toBe(1);
          // the zod contract (the one the API serves and documents) declares every key, with its type
          const schema = CONTRACTS[name];
          if (schema !== undefined) expect(contracts.versioned(schema).parse(item), `${name} against its contract`).toEqual(item);
        }
        out[name] = shape(v);
        return v;
      };
      await take('dataset import', ['dataset', 'import', PENGUINS, '--json']);
      await take('dataset list', ['dataset', 'list', '--json']);
      await take('example', ['example', '--json']);
      await take('example <name>', ['example', 'cars', '--json']);
      writeFileSync(join(t.dir, 'fast.yaml'), FAST);
      await take('experiment create', ['experiment', 'create', 'p', '--dataset', 'penguins', '--target', 'Species', '--template', join(t.dir, 'fast.yaml'), '--json']);
      await take('experiment show', ['experiment', 'show', 'p', '--json']);
      await take('pipeline validate', ['pipeline', 'validate', 'p', '--json']);
      await take('pipeline set', ['pipeline', 'set', 'p', 'seed=7', '--json']);
      await take('pipeline history', ['pipeline', 'history', 'p', '--json']);
      const m = await take('run', ['run', 'p', '--json'], 'last');
      await take('run --dry-run', ['run', 'p', '--dry-run', '--json']);
      await take('show', ['show', m.id, '--json']);
      await take('runs', ['runs', '--json']);
      await take('artifacts', ['artifacts', m.id, '--json']);
      await take('lineage', ['lineage', m.id, '--json']);
      await take('status', ['status', '--json']);
      await take('fsck', ['fsck', '--json']);
      await take('gc', ['gc', '--dry-run', '--json']);
      await take('log', ['log', '--json']);
      await take('config get', ['config', 'get', '--json']);
      await take('compare', ['compare', m.id, (await take('run --seed', ['run', 'p', '--seed', '3', '--json'], 'last')).id, '--all', '--json']);
      await take('blocks', ['blocks', '--json']);
      await take('hook list', ['hook', 'list', '--json']);
      const r = await c(['run', 'p', '--json', '--force']);
      const events = r.stdout.trim().split('\n').slice(0, -1).map((l) => JSON.parse(l));
      for (const e of events) expect(e.schemaVersion, e.type).toBe(1);
      const err = await c(['show', 'nope-nope', '--json']);
      expect(JSON.parse(err.stderr)).toMatchObject({ schemaVersion: 1, error: { code: 'RUN_NOT_FOUND' } });
      const file = join(REPO, 'test', 'fixtures', 'json-shapes.json');
      // metric and param names vary with the pipeline, not the contract: compared by shape of their values
      if (process.env.BFLY_UPDATE_SHAPES === '1') writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
      const recorded = JSON.parse(readFileSync(file, 'utf8'));
      expect(out, 'a --json shape changed: additive changes need `BFLY_UPDATE_SHAPES=1 npx vitest run test/e2e/record.test.ts` (and docs/compatibility.md); removing or retyping a key needs a new major version').toEqual(recorded);
    } finally {
      t.cleanup();
    }
  }, 120_000);
});
