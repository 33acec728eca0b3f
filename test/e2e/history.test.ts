// The history through the built CLI: `runs --where/--sort/--columns`, the run index (missing,
// truncated, rebuilt), `compare` with the seed-noise verdict and hook diffs, `fsck` against
// tampering, `gc`.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfly, makeCliWorkspace, REPO, snapshotTree, VEGA } from '../helpers.js';

const FAST = readFileSync(join(REPO, 'test', 'fixtures', 'fast-pipeline.yaml'), 'utf8');

let dir: string;
let ws: string;
let cleanup: () => void;
const run = (args: string[]) => bfly(['-C', ws, ...args]);
const bf = (...p: string[]) => join(ws, '.butterfly', ...p);
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!);
let seed1: string;
let seed2: string;
let otherModel: string;
let failed: string;

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
  await run(['dataset', 'import', join(VEGA, 'penguins.json'), '--name', 'penguins']);
  writeFileSync(join(dir, 'fast.yaml'), FAST);
  await run(['experiment', 'create', 'fast', '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, 'fast.yaml')]);
  seed1 = lastJson((await run(['run', 'fast', '--seed', '1', '--json'])).stdout).id;
  seed2 = lastJson((await run(['run', 'fast', '--seed', '2', '--json'])).stdout).id;
  otherModel = lastJson((await run(['run', 'fast', '--seed', '1', '--set', 'blocks.train.config.model=gradient_boosting', '--json'])).stdout).id;
  failed = lastJson((await run(['run', 'fast', '--set', 'blocks.features.config.steps=[{op: text, columns: [Island], min_df: 1000}]', '--json'])).stdout).id;
}, 120_000);
afterAll(() => cleanup());

describe('bfly runs', () => {
  it('filters with --where, sorts with --sort, picks --columns', async () => {
    const all = (await run(['runs', '--json'])).json();
    expect(all.map((r: { id: string }) => r.id)).toEqual([failed, otherModel, seed2, seed1]);
    expect(all[1].params.train.model).toBe('gradient_boosting');
    const gb = (await run(['runs', '--where', 'params.train.model == "gradient_boosting" and status == "succeeded"', '--json'])).json();
    expect(gb.map((r: { id: string }) => r.id)).toEqual([otherModel]);
    const notGb = (await run(['runs', '--where', 'not (params.train.model == "gradient_boosting") and status in ["succeeded", "cancelled"]', '--json'])).json();
    expect(notGb.map((r: { id: string }) => r.id)).toEqual([seed2, seed1]);
    const byLoss = (await run(['runs', '--where', 'metrics.log_loss > 0', '--sort', '-metrics.log_loss', '--json'])).json();
    const losses = byLoss.map((r: { metrics: { log_loss: number } }) => r.metrics.log_loss);
    expect(losses).toHaveLength(3);
    expect(losses).toEqual([...losses].sort((a: number, b: number) => b - a));
    const asc = (await run(['runs', '--sort', 'metrics.log_loss', '--json'])).json();
    expect(asc.at(-1).id).toBe(failed); // no metric: last whichever the direction
    const seeds = (await run(['runs', '--where', 'seed >= 2 or experiment != "fast"', '--json'])).json();
    expect(seeds.map((r: { seed: number }) => r.seed)).toEqual([42, 2]);
    const table = (await run(['runs', '--columns', 'id,seed,metrics.accuracy,params.train.model', '--where', 'status == "succeeded"', '--sort', 'seed'])).stdout;
    expect(table.split('\n')[0]).toMatch(/^run\s+seed\s+metrics\.accuracy\s+params\.train\.model$/);
    expect(table.split('\n')).toHaveLength(5);
    const human = (await run(['runs'])).stdout;
    expect(human.split('\n')[0]).toMatch(/^run\s+experiment\s+status\s+age\s+duration\s+metric\s+value\s+params\s+model\s+seed$/);
    expect(human).toMatch(/train\.model=(gradient_boosting|"best")/);
  });

  it('points at the offending column of a bad expression, with exit code 4', async () => {
    const r = await run(['runs', '--where', 'metrics.accuracy > and status == "x"']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('column 20');
    expect(r.stderr).toContain('  metrics.accuracy > and status == "x"\n                     ^');
    const typo = await run(['runs', '--where', 'metric.accuracy > 0.5', '--json']);
    expect(typo.exitCode).toBe(4);
    expect(JSON.parse(typo.stderr).error).toMatchObject({ code: 'BAD_QUERY', category: 'validation', message: expect.stringContaining('unknown field "metric.accuracy"') });
    for (const bad of ['status == "a', '(seed > 1', 'seed in 1', 'seed >', 'seed = = 1', '']) expect((await run(['runs', '--where', bad])).exitCode).toBe(4);
    expect((await run(['runs', '--sort', 'nope'])).exitCode).toBe(4);
    expect((await run(['runs', '--columns', 'id,bogus'])).exitCode).toBe(4);
    expect((await run(['runs', '--status', 'done'])).exitCode).toBe(4);
    expect((await run(['runs', '--limit', '-1'])).exitCode).toBe(4);
  });
});

describe('the run index', () => {
  it('deleting index/ and reindexing gives identical `bfly runs --json`; a missing or truncated index is rebuilt and said so', async () => {
    const before = (await run(['runs', '--json'])).stdout;
    rmSync(bf('index'), { recursive: true });
    const missing = await run(['runs', '--json']);
    expect(missing.stdout).toBe(before);
    expect(missing.stderr).toMatch(/note: the run index was missing/);
    rmSync(bf('index'), { recursive: true });
    const r = await run(['reindex']);
    expect(r.stdout).toMatch(/^indexed 4 runs in \d+ ms/);
    const quiet = await run(['runs', '--json']);
    expect(quiet.stdout).toBe(before);
    expect(quiet.stderr).toBe('');
    // the rebuilt file is a real nedb-promises datafile
    const { default: Datastore } = await import('nedb-promises');
    const copy = join(dir, 'copy.db');
    writeFileSync(copy, readFileSync(bf('index', 'runs-v2.db')));
    const docs = await Datastore.create({ filename: copy }).find({ experiment: 'fast', status: 'failed' });
    expect(docs.map((d) => d._id)).toEqual([failed]);
    // truncated in the middle of a line
    const size = readFileSync(bf('index', 'runs-v2.db')).length;
    truncateSync(bf('index', 'runs-v2.db'), Math.floor(size / 2));
    const fsck = await run(['fsck', '--json']);
    expect(fsck.exitCode).toBe(10);
    expect(fsck.json().problems.every((p: { kind: string; repairable: boolean }) => p.kind === 'index_drift' && p.repairable)).toBe(true);
    const healed = await run(['runs', '--json']);
    expect(healed.stdout).toBe(before);
    expect(healed.stderr).toMatch(/unreadable or did not match their hash/);
    expect((await run(['fsck'])).exitCode).toBe(0);
    // an entry edited in place (a metric changed, its hash left alone) is not used by queries
    const text = readFileSync(bf('index', 'runs-v2.db'), 'utf8');
    const id: string = JSON.parse(before)[0].id;
    const edited = text.split('\n').map((l) => (l.includes(`"_id":"${id}"`) ? l.replace(/"seed":\d+/, '"seed":987654') : l)).join('\n');
    expect(edited).not.toBe(text);
    writeFileSync(bf('index', 'runs-v2.db'), edited);
    const q = await run(['runs', '--where', 'seed == 987654', '--json']);
    expect(q.json()).toEqual([]);
    expect(q.stderr).toMatch(/did not match their hash/);
    expect((await run(['runs', '--json'])).stdout).toBe(before);
    expect((await run(['fsck'])).exitCode).toBe(0);
    // the same edit under the columnar side file (written by a listing): queries answer from the
    // columns, built from checked lines; fsck finds the edit, and a listing that reads the entry
    // takes that run from its folder, says so, and the next one heals the index
    expect((await run(['runs', '--json'])).stdout).toBe(before);
    expect(existsSync(bf('index', 'runs-cols-v1.bin'))).toBe(true);
    const text2 = readFileSync(bf('index', 'runs-v2.db'), 'utf8');
    // (an edit within the first 4 KiB makes the side file not match: it hashes them; edit the last line)
    const lastLine = text2.trimEnd().split('\n').at(-1)!;
    expect(text2.indexOf(lastLine)).toBeGreaterThan(4096);
    // the same length (a longer line would push the lines after it into the side file's tail, which is read and checked)
    const nines = lastLine.replace(/"seed":(\d+)/, (_m, d: string) => `"seed":${'9'.repeat(d.length)}`);
    expect(nines).not.toBe(lastLine);
    writeFileSync(bf('index', 'runs-v2.db'), text2.replace(lastLine, nines));
    const q2 = await run(['runs', '--where', 'seed == 9 or seed == 99', '--json']);
    expect(q2.json()).toEqual([]);
    expect(q2.stderr).toBe('');
    const found = (await run(['fsck', '--json'])).json().problems;
    expect(found).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'index_drift', message: expect.stringMatching(/not matching their hash/) })]));
    expect(found.every((p: { kind: string }) => p.kind === 'index_drift')).toBe(true);
    const listed = await run(['runs', '--json']);
    expect(listed.stdout).toBe(before);
    expect(listed.stderr).toMatch(/entry of run \S+ did not match its hash/);
    const next = await run(['runs', '--json']);
    expect(next.stdout).toBe(before);
    expect(next.stderr).toMatch(/did not match their hash; listed those runs from their folders and rebuilt it/);
    expect((await run(['runs', '--json'])).stderr).toBe('');
    expect((await run(['fsck'])).exitCode).toBe(0);
  });
});

describe('bfly compare', () => {
  it('two runs that differ only in seed: only the seed, the metrics that moved, and the noise verdict', async () => {
    const c = await run(['compare', seed1, seed2, '--json']);
    const j = c.json();
    const keys = j.rows.map((r: { section: string; key: string }) => `${r.section}:${r.key}`);
    expect(keys[0]).toBe('run:seed');
    expect(keys.slice(1).every((k: string) => k.startsWith('metrics:'))).toBe(true);
    expect(j.groups).toHaveLength(1);
    expect(j.noise.every((v: { verdict: string }) => v.verdict === 'seed_only')).toBe(true);
    expect(j.noise.map((v: { metric: string }) => `metrics:${v.metric}`)).toEqual(keys.slice(1));
    const human = (await run(['compare', seed1, seed2])).stdout;
    expect(human).toMatch(/these runs differ only in seed \(1, 2\): every metric difference above is seed noise/);
  });

  it('three runs: seed groups with mean ± std and a verdict per metric; --hooks diffs hook sources', async () => {
    const j = (await run(['compare', seed1, seed2, otherModel, '--json'])).json();
    expect(j.rows.some((r: { key: string }) => r.key === 'blocks.train.config.model')).toBe(true);
    expect(j.groups.map((g: { runs: string[] }) => g.runs)).toEqual([[seed1, seed2], [otherModel]]);
    for (const v of j.noise) expect(['within_noise', 'beyond_noise']).toContain(v.verdict);
    expect((await run(['compare', seed1, seed2, otherModel])).stdout).toMatch(/seed groups: A = .*; B = /);
    // hooks: two runs with different versions of one hook
    const code = (word: string) => `export default () => {\n  bfly.log("${word}");\n};\n`;
    await run(['hook', 'add', 'fast', 'after_split', '--code', code('one')]);
    const h1 = lastJson((await run(['run', 'fast', '--json'])).stdout).id;
    const hookId = JSON.parse(readFileSync(bf('runs', h1, 'run.json'), 'utf8')).hooks[0].id;
    expect((await run(['hook', 'rm', 'fast', hookId])).exitCode).toBe(0);
    await run(['hook', 'add', 'fast', 'after_split', '--code', code('two')]);
    const h2 = lastJson((await run(['run', 'fast', '--json'])).stdout).id;
    const d = await run(['compare', h1, h2, '--hooks']);
    expect(d.exitCode).toBe(0);
    expect(d.stdout).toContain('-  bfly.log("one");\n+  bfly.log("two");');
    expect(d.stdout).toMatch(/hooks: \S+\s+sha256:[0-9a-f]{12}…?\s+sha256:/);
  });
});

describe('bfly fsck and gc', () => {
  const objects = () => Object.fromEntries(Object.entries(snapshotTree(bf())).filter(([p]) => p.startsWith('objects/') || p.startsWith('runs/') || p.startsWith('datasets/')));

  it('a healthy workspace is ok; gc after deleting nothing frees nothing', async () => {
    const f = await run(['fsck', '--json']);
    expect(f.exitCode).toBe(0);
    expect(f.json()).toMatchObject({ ok: true, problems: [] });
    expect(f.json().checked.runs).toBeGreaterThanOrEqual(4);
    const before = snapshotTree(bf());
    const g = await run(['gc', '--json']);
    expect(g.json()).toMatchObject({ runs: [], objects: { count: 0 }, cacheBlobs: { count: 0 }, cacheEntries: 0, runKeys: 0, freedBytes: 0 });
    expect((await run(['gc'])).stdout).toMatch(/freed 0 B/);
    const after = snapshotTree(bf());
    // gc records itself in the audit log; nothing else changes
    for (const k of Object.keys(before)) if (!k.startsWith('locks/') && !k.startsWith('tmp/') && k !== 'audit.jsonl') expect(after[k]).toBe(before[k]);
  });

  it('reports one changed byte in a run artifact, a dataset object and run.json; --repair never touches them', async () => {
    const saved = new Map<string, Buffer>();
    const flip = (path: string) => {
      const data = readFileSync(path);
      saved.set(path, Buffer.from(data));
      data[Math.floor(data.length / 2)] ^= 1;
      chmodSync(path, 0o644);
      writeFileSync(path, data);
    };
    const m = JSON.parse(readFileSync(bf('runs', seed1, 'run.json'), 'utf8'));
    flip(bf('runs', seed1, m.artifacts.find((a: { name: string }) => a.name === 'metrics.json').path));
    const ds = (await run(['dataset', 'show', 'penguins', '--json'])).json();
    const col = ds.objects.columns[0].slice(7);
    flip(bf('objects', col.slice(0, 2), col.slice(2)));
    const manifest = bf('runs', seed2, 'run.json');
    saved.set(manifest, readFileSync(manifest));
    chmodSync(manifest, 0o644);
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/"seed": 2/, '"seed": 3'));
    const f = await run(['fsck', '--json']);
    expect(f.exitCode).toBe(10);
    const kinds = f.json().problems.map((p: { kind: string; path: string }) => `${p.kind} ${p.path}`);
    expect(kinds).toContain(`run_file_changed .butterfly/runs/${seed1}/artifacts/metrics.json`);
    expect(kinds).toContain(`corrupt_object .butterfly/objects/${col.slice(0, 2)}/${col.slice(2)}`);
    expect(kinds).toContain(`run_manifest_changed .butterfly/runs/${seed2}/run.json`);
    const human = await run(['fsck']);
    expect(human.stdout).toMatch(/\(dataset penguins@1\)/);
    const before = objects();
    const rep = await run(['fsck', '--repair', '--json']);
    expect(rep.exitCode).toBe(10);
    expect(objects()).toEqual(before);
    expect(rep.json().problems.filter((p: { repairable: boolean }) => !p.repairable)).toHaveLength(3);
    for (const [path, data] of saved) writeFileSync(path, data);
    expect((await run(['fsck', '--repair'])).exitCode).toBe(0); // the index entry of the edited run.json is rebuilt
    expect((await run(['fsck'])).exitCode).toBe(0);
  });

  it('finds leftovers, stale locks, broken cache entries; --repair fixes them; gc removes unreferenced objects and old failed runs', async () => {
    const host = hostname();
    writeFileSync(bf('tmp', `999999.${createHash('sha256').update(host).digest('hex').slice(0, 8)}-abcdef-x.tmp`), 'partial');
    writeFileSync(bf('locks', 'experiments.lock'), JSON.stringify({ pid: 999_999, hostname: host, startTime: 1, acquiredAt: new Date().toISOString(), purpose: 'test' }));
    const entry = snapshotTree(bf('cache', 'entries'));
    const entryPath = bf('cache', 'entries', Object.keys(entry).find((k) => k.endsWith('.json'))!);
    writeFileSync(entryPath, '{ broken');
    const f = (await run(['fsck', '--json'])).json();
    expect(f.problems.map((p: { kind: string }) => p.kind).sort()).toEqual(['cache_broken', 'stale_lock', 'temp_leftover']);
    expect((await run(['fsck', '--repair'])).exitCode).toBe(0);
    expect(existsSync(entryPath)).toBe(false);
    // an object nothing references
    const junk = Buffer.from('nobody refers to me');
    const hex = createHash('sha256').update(junk).digest('hex');
    mkdirSync(bf('objects', hex.slice(0, 2)), { recursive: true });
    writeFileSync(bf('objects', hex.slice(0, 2), hex.slice(2)), junk);
    const dry = (await run(['gc', '--dry-run', '--keep-failed-days', '0', '--json'])).json();
    expect(dry).toMatchObject({ dryRun: true, objects: { count: 1, bytes: junk.length } });
    expect(dry.runs.map((r: { id: string }) => r.id)).toEqual([failed]);
    expect(existsSync(bf('runs', failed))).toBe(true);
    const kept = (await run(['gc', '--keep-failed-days', '30', '--json'])).json();
    expect(kept.runs).toEqual([]);
    expect(existsSync(bf('objects', hex.slice(0, 2), hex.slice(2)))).toBe(false);
    const g = await run(['gc', '--keep-failed-days', '0']);
    expect(g.stdout).toMatch(new RegExp(`removed run ${failed} \\(failed`));
    expect(existsSync(bf('runs', failed))).toBe(false);
    expect((await run(['runs', '--json'])).json().some((r: { id: string }) => r.id === failed)).toBe(false);
    expect((await run(['fsck'])).exitCode).toBe(0);
    expect((await run(['dataset', 'show', 'penguins'])).exitCode).toBe(0);
    expect((await run(['gc', '--keep-failed-days', 'soon'])).exitCode).toBe(4);
  });
});

describe('bfly runs on a long history', () => {
  it('the table shows the newest 50 and says how many more; --limit and --json show what they are asked', async () => {
    // 60 copies of a finished run under new ids (the listing reads them from their folders)
    const m = JSON.parse(readFileSync(bf('runs', seed1, 'run.json'), 'utf8'));
    for (let i = 0; i < 60; i++) {
      const id = `20300101-000000${String(i).padStart(3, '0')}-abcdef`;
      mkdirSync(bf('runs', id));
      writeFileSync(bf('runs', id, 'run.json'), JSON.stringify({ ...m, id, createdAt: '2030-01-01T00:00:00.000Z' }));
    }
    const all = (await run(['runs', '--json'])).json();
    const table = (await run(['runs'])).stdout.trim().split('\n');
    expect(table).toHaveLength(1 + 50 + 1);
    expect(table.at(-1)).toBe(`(${all.length - 50} more not shown: --limit N shows more, --where narrows)`);
    expect(table[1]).toMatch(/^20300101-000000059-abcdef /);
    expect((await run(['runs', '--limit', '70'])).stdout.trim().split('\n')).toHaveLength(1 + Math.min(70, all.length));
    expect(all.length).toBeGreaterThan(60);
  });
});
