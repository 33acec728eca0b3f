// Attacks on the store through the built CLI (issue #18): links inside .butterfly/, outputs aimed
// at the store, forged caches, tampered sealed runs and models, damaged cache blobs, and
// concurrent writers of one draft. Each test fails without its fix.
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/hash.js';
import { REPO, bfly, makeCliWorkspace, snapshotTree } from '../helpers.js';

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
  - {id: train, type: train}
  - {id: evaluate, type: evaluate}
`;
const PENGUINS = join(REPO, 'examples', 'data', 'penguins.csv');

let dir: string;
let ws: string;
let cleanup: () => void;
let runId: string;
const run = (args: string[], env: Record<string, string> = {}) => bfly(['-C', ws, ...args], { env });
const bf = (...p: string[]) => join(ws, '.butterfly', ...p);
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A victim folder outside the workspace with two files. */
function victim(name: string): { path: string; snapshot: () => Record<string, string> } {
  const path = join(dir, name);
  mkdirSync(path);
  writeFileSync(join(path, 'a.txt'), 'precious a');
  writeFileSync(join(path, 'b.txt'), 'precious b');
  return { path, snapshot: () => snapshotTree(path) };
}

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
  writeFileSync(join(dir, 'tiny.yaml'), TINY);
  writeFileSync(join(dir, 'rf.yaml'), TINY.replace('logistic_regression', 'random_forest, params: {n_estimators: 5}'));
  expect((await run(['dataset', 'import', PENGUINS])).exitCode).toBe(0);
  expect((await run(['experiment', 'create', 't', '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, 'tiny.yaml')])).exitCode).toBe(0);
  const r = await run(['run', 't', '--json']);
  expect(r.exitCode).toBe(0);
  runId = JSON.parse(r.stdout.trim().split('\n').at(-1)!).id;
}, 60_000);
afterAll(() => cleanup());

describe('links inside .butterfly/ are never followed by a command that writes or deletes', () => {
  it('gc leaves a linked object folder, cache entry folder and run folder alone, says so, and fsck names them', async () => {
    const objects = victim('victim-objects');
    const entries = victim('victim-entries');
    const outsideRun = join(dir, 'outside-run');
    cpSync(bf('runs', runId), outsideRun, { recursive: true });
    chmodSync(outsideRun, 0o555);
    const runModes = snapshotTree(outsideRun);
    symlinkSync(objects.path, bf('objects', 'zz'));
    symlinkSync(entries.path, bf('cache', 'entries', 'zz'));
    const fakeRun = '20200101-000000000-abcdef';
    symlinkSync(outsideRun, bf('runs', fakeRun));
    const before = [objects.snapshot(), entries.snapshot()];

    const fsck = await run(['fsck', '--json']);
    expect(fsck.exitCode).toBe(10);
    const kinds = fsck.json().problems.filter((p: { kind: string }) => p.kind === 'symlink').map((p: { path: string; repairable: boolean }) => [p.path, p.repairable]);
    expect(kinds).toEqual(expect.arrayContaining([['.butterfly/objects/zz', false], ['.butterfly/cache/entries/zz', true], [`.butterfly/runs/${fakeRun}`, false]]));

    const gc = await run(['gc', '--keep-failed-days', '0']);
    expect(gc.exitCode).toBe(0);
    expect(gc.stdout).toMatch(/skipped \.butterfly\/objects\/zz: a symbolic link/);
    expect([objects.snapshot(), entries.snapshot()]).toEqual(before);
    expect(snapshotTree(outsideRun)).toEqual(runModes);
    expect(statSync(outsideRun).mode & 0o777).toBe(0o555);

    // --repair removes the link in the derived cache folder (only the link), not the others
    const repair = await run(['fsck', '--repair', '--json']);
    expect(repair.json().repaired).toContain('removed .butterfly/cache/entries/zz');
    expect(existsSync(bf('cache', 'entries', 'zz'))).toBe(false);
    expect(entries.snapshot()).toEqual(before[1]);
    rmSync(bf('objects', 'zz'));
    rmSync(bf('runs', fakeRun));
    chmodSync(outsideRun, 0o755);
    expect((await run(['fsck'])).exitCode).toBe(0);
  });

  it('a store folder replaced by a link is refused by every command (exit 10) and reported by fsck', async () => {
    const outside = victim('victim-tmp');
    renameSync(bf('tmp'), join(dir, 'tmp-real'));
    symlinkSync(outside.path, bf('tmp'));
    try {
      for (const args of [['dataset', 'list'], ['gc'], ['run', 't', '--force'], ['pipeline', 'set', 't', 'seed=1']]) {
        const r = await run(args);
        expect(r.exitCode, args.join(' ')).toBe(10);
        expect(r.stderr).toMatch(/\.butterfly\/tmp is a symbolic link/);
      }
      const f = await run(['fsck', '--json']);
      expect(f.exitCode).toBe(10);
      expect(f.json().problems).toContainEqual(expect.objectContaining({ kind: 'symlink', path: '.butterfly/tmp' }));
      expect(readdirSync(outside.path).sort()).toEqual(['a.txt', 'b.txt']);
    } finally {
      rmSync(bf('tmp'));
      renameSync(join(dir, 'tmp-real'), bf('tmp'));
    }
  });
});

describe('no command writes a named output into the store or onto its input', () => {
  it('predict --out into objects/, a run artifact, through a link, or onto the input file is refused, and nothing changes', async () => {
    const before = snapshotTree(bf());
    const raw = JSON.parse(readFileSync(bf('datasets', readdirSync(bf('datasets'))[0]), 'utf8')).objects.raw.slice(7);
    symlinkSync(bf('runs', runId, 'artifacts'), join(dir, 'sneaky'));
    const input = join(dir, 'in.csv');
    writeFileSync(input, readFileSync(PENGUINS));
    for (const out of [bf('objects', raw.slice(0, 2), raw.slice(2)), bf('runs', runId, 'artifacts', 'model.json'), join(dir, 'sneaky', 'model.json'), bf('new.csv'), input]) {
      const r = await run(['predict', runId, input, '--out', out]);
      expect(r.exitCode, out).toBe(4);
      expect(r.stderr).toMatch(/inside the workspace store|the command's own input/);
    }
    expect(snapshotTree(bf())).toEqual(before);
    expect(readFileSync(input)).toEqual(readFileSync(PENGUINS));
    const ok = await run(['predict', runId, input, '--out', join(dir, 'pred.csv')]);
    expect(ok.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'pred.csv'), 'utf8').split('\n')).toHaveLength(346);
  });

  it('export into the store or to a dangling link is a validation error; pipeline edit will not put its copy in the store', async () => {
    const before = snapshotTree(bf());
    expect((await run(['export', runId, bf('exported')])).exitCode).toBe(4);
    symlinkSync(join(dir, 'nowhere', 'x'), join(dir, 'dangling'));
    const d = await run(['export', runId, join(dir, 'dangling')]);
    expect(d.exitCode).toBe(4);
    expect(d.stderr).toMatch(/dangling|does not exist/);
    const e = await run(['pipeline', 'edit', 't'], { TMPDIR: bf('tmp'), EDITOR: 'true', VISUAL: '' });
    expect(e.exitCode).toBe(4);
    expect(e.stderr).toMatch(/inside the workspace store/);
    expect(snapshotTree(bf())).toEqual(before);
  });
});

describe('derived caches are checked before they are used', () => {
  it('an edited remembered validation is not trusted: validate and run follow the draft', async () => {
    expect((await run(['pipeline', 'validate', 't'])).exitCode).toBe(0);
    const vdir = bf('cache', 'validated');
    for (const f of readdirSync(vdir)) {
      const e = JSON.parse(readFileSync(join(vdir, f), 'utf8'));
      const split = e.pipeline.blocks.find((b: { id: string }) => b.id === 'split');
      split.config.test_size = 0.5;
      split.hooks = [{ type: 'before', code: 'export default () => { throw new Error("forged hook ran") }' }];
      writeFileSync(join(vdir, f), JSON.stringify(e));
    }
    const v = await run(['pipeline', 'validate', 't']);
    expect(v.exitCode).toBe(0);
    expect(v.stdout).not.toMatch(/hook/);
    const r = await run(['run', 't', '--force', '--json']);
    expect(r.exitCode).toBe(0);
    const id = JSON.parse(r.stdout.trim().split('\n').at(-1)!).id;
    const frozen = JSON.parse(readFileSync(bf('runs', id, 'pipeline.json'), 'utf8'));
    expect(frozen.blocks.find((b: { id: string }) => b.id === 'split').config.test_size).toBe(0.25);
    expect(frozen.blocks.every((b: { hooks: unknown[] }) => b.hooks.length === 0)).toBe(true);
    // fsck names the forged entries left (for other texts); --repair drops them
    const f = await run(['fsck', '--json']);
    for (const p of f.json().problems) expect(p).toMatchObject({ kind: 'cache_broken', repairable: true, path: expect.stringMatching(/^\.butterfly\/cache\/validated\//) });
    expect((await run(['fsck', '--repair'])).exitCode).toBe(0);
  });

  it("one entry's slots copied into another's (even with its digest recomputed) is a miss: the logistic run's model stays logistic", async () => {
    expect((await run(['experiment', 'create', 'rf', '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, 'rf.yaml')])).exitCode).toBe(0);
    const rf = await run(['run', 'rf', '--json']);
    expect(rf.exitCode).toBe(0);
    const rfRun = JSON.parse(rf.stdout.trim().split('\n').at(-1)!);
    const lr = JSON.parse(readFileSync(bf('runs', runId, 'run.json'), 'utf8'));
    const entryOf = (key: string) => bf('cache', 'entries', key.slice(7, 9), `${key.slice(9)}.json`);
    for (const block of ['model_selection', 'train']) {
      const from = JSON.parse(readFileSync(entryOf(rfRun.blocks.find((b: { id: string }) => b.id === block).key), 'utf8'));
      const path = entryOf(lr.blocks.find((b: { id: string }) => b.id === block).key);
      const to = JSON.parse(readFileSync(path, 'utf8'));
      to.slots = from.slots;
      to.artifacts = from.artifacts;
      const { digest: _d, ...rest } = to;
      to.digest = `sha256:${sha(canonicalJson(rest))}`;
      writeFileSync(path, JSON.stringify(to));
    }
    const again = await run(['run', 't', '--force', '--json']);
    expect(again.exitCode).toBe(0);
    const m = JSON.parse(again.stdout.trim().split('\n').at(-1)!);
    expect(m.blocks.find((b: { id: string }) => b.id === 'train').cached).toBe(false);
    const model = JSON.parse(readFileSync(bf('runs', m.id, 'artifacts', 'model.json'), 'utf8'));
    expect(model.model.name).toBe('logistic_regression');
  });

  it('a damaged cache blob makes the block run again (and replaces the blob), never a CACHE_CORRUPT failure', async () => {
    const lr = JSON.parse(readFileSync(bf('runs', runId, 'run.json'), 'utf8'));
    const key: string = lr.blocks.find((b: { id: string }) => b.id === 'preprocess').key;
    const entry = JSON.parse(readFileSync(bf('cache', 'entries', key.slice(7, 9), `${key.slice(9)}.json`), 'utf8'));
    const blob: string = Object.values(entry.slots as Record<string, string>)[0];
    const path = bf('cache', 'blobs', blob.slice(7, 9), blob.slice(9));
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 0xff;
    chmodSync(path, 0o644);
    writeFileSync(path, bytes);
    for (let i = 0; i < 2; i++) {
      const r = await run(['run', 't', '--force', '--json']);
      expect(r.exitCode).toBe(0);
      const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      expect(m.blocks.find((b: { id: string }) => b.id === 'preprocess').cached).toBe(i === 1);
    }
    expect(sha(readFileSync(path))).toBe(blob.slice(7));
    expect((await run(['fsck'])).exitCode).toBe(0);
  });
});

describe('tampered sealed data is never used silently', () => {
  it('one changed number in model.json: predict, export and the library refuse it (exit 10)', async () => {
    const model = bf('runs', runId, 'artifacts', 'model.json');
    const original = readFileSync(model);
    try {
      chmodSync(model, 0o644);
      const text = original.toString('utf8');
      const changed = text.replace(/(-?\d+\.\d{3,})/, (n) => String(Number(n) + 1));
      expect(changed).not.toBe(text);
      writeFileSync(model, changed);
      const p = await run(['predict', runId, PENGUINS]);
      expect(p.exitCode).toBe(10);
      expect(p.stdout).toBe('');
      expect(p.stderr).toMatch(/artifacts\/model\.json changed/);
      expect((await run(['export', runId, join(dir, 'exp-tampered')])).exitCode).toBe(10);
      const { loadModel } = await import('../../src/runner/model-artifact.js');
      expect(() => loadModel(model)).toThrow(/model\.json changed/);
    } finally {
      writeFileSync(model, original);
      chmodSync(model, 0o444);
    }
    expect((await run(['predict', runId, PENGUINS])).exitCode).toBe(0);
  });

  it('a sealed run.json edited back to "running" with another metric: fsck, show, compare, artifacts and lineage all refuse it', async () => {
    const file = bf('runs', runId, 'run.json');
    const original = readFileSync(file);
    try {
      chmodSync(file, 0o644);
      const m = JSON.parse(original.toString('utf8'));
      writeFileSync(file, JSON.stringify({ ...m, status: 'running', metrics: { ...m.metrics, accuracy: 0.123 } }, null, 2) + '\n');
      const f = await run(['fsck', '--json']);
      expect(f.exitCode).toBe(10);
      expect(f.json().problems).toContainEqual(expect.objectContaining({ kind: 'run_manifest_changed', repairable: false }));
      for (const args of [['show', runId], ['compare', runId, '@latest'], ['artifacts', runId], ['lineage', runId]]) {
        const r = await run(args);
        expect(r.exitCode, args.join(' ')).toBe(10);
        expect(r.stderr).toMatch(/changed after it ended/);
      }
    } finally {
      writeFileSync(file, original);
      chmodSync(file, 0o444);
    }
    expect((await run(['fsck'])).exitCode).toBe(0);
  });
});

describe('hook files swapped while runs start (time of check, time of use)', () => {
  it('a hook file or its folder swapped for a link to a file outside, over and over: no run executes or freezes the outside file', async () => {
    const secret = 'export default () => { bfly.log("OUTSIDE-RAN"); } // SECRET-CONTENT';
    const outsideDir = join(dir, 'outside-hooks');
    mkdirSync(outsideDir);
    writeFileSync(join(outsideDir, 'swap.js'), secret);
    const hooksDir = join(ws, 'hooks');
    mkdirSync(hooksDir, { recursive: true });
    const inside = 'export default () => { bfly.log("inside ran"); }\n';
    writeFileSync(join(hooksDir, 'swap.js'), inside);
    expect((await run(['experiment', 'create', 'swap', '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, 'tiny.yaml')])).exitCode).toBe(0);
    expect((await run(['hook', 'add', 'swap', 'before_train', '--file', join(hooksDir, 'swap.js')])).exitCode).toBe(0);
    // the swapper: renames a link or a regular file into place, alternately, as fast as it can
    let flip = 0;
    const swapper = setInterval(() => {
      try {
        if (flip++ % 2 === 0) {
          symlinkSync(join(outsideDir, 'swap.js'), join(hooksDir, '.link'));
          renameSync(join(hooksDir, '.link'), join(hooksDir, 'swap.js'));
        } else {
          writeFileSync(join(hooksDir, '.real'), inside);
          renameSync(join(hooksDir, '.real'), join(hooksDir, 'swap.js'));
        }
      } catch {
        /* a lost race with itself: try again next tick */
      }
    }, 1);
    const outcomes = new Map<number, number>();
    try {
      for (let i = 0; i < 25; i++) {
        const r = await run(['run', 'swap', '--force', '--no-cache', '--json']);
        outcomes.set(r.exitCode, (outcomes.get(r.exitCode) ?? 0) + 1);
        expect(r.stdout + r.stderr).not.toContain('OUTSIDE-RAN');
        expect([0, 4, 5]).toContain(r.exitCode);
      }
    } finally {
      clearInterval(swapper);
    }
    writeFileSync(join(hooksDir, 'swap.js'), inside);
    for (const id of readdirSync(bf('runs'))) {
      const hooks = bf('runs', id, 'hooks');
      if (!existsSync(hooks)) continue;
      for (const f of readdirSync(hooks)) expect(readFileSync(join(hooks, f), 'utf8')).not.toContain('SECRET-CONTENT');
      expect(readFileSync(bf('runs', id, 'events.jsonl'), 'utf8')).not.toContain('OUTSIDE-RAN');
    }
    expect(outcomes.get(0) ?? 0).toBeGreaterThan(0); // the swapper did not just block every run
    expect((await run(['fsck'])).exitCode).toBe(0);
  }, 120_000);
});

describe('concurrent writers of one draft', () => {
  it('eight `pipeline set` at once: every change is kept', async () => {
    const sets = ['seed=7', 'blocks.split.config.test_size=0.3', 'blocks.split.config.shuffle=false', 'blocks.preprocess.config.scale=minmax', 'blocks.preprocess.config.drop_constant=false', 'blocks.preprocess.config.encode.max_levels=20', 'blocks.preprocess.config.encode.min_frequency=0.02', 'blocks.model_selection.config.cv=3'];
    const results = await Promise.all(sets.map((s) => run(['pipeline', 'set', 't', s])));
    for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
    const p = (await run(['pipeline', 'show', 't', '--resolved'])).stdout;
    for (const expected of ['seed: 7', 'test_size: 0.3', 'shuffle: false', 'scale: minmax', 'drop_constant: false', 'max_levels: 20', 'min_frequency: 0.02', 'cv: 3']) expect(p).toContain(expected);
  }, 60_000);
});
