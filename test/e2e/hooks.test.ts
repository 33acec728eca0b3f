// Hooks through the built CLI: add/list/rm, a feature hook and a rule-based override in a run,
// lineage by hash, failures as user_code, limits, the enterprise profile, determinism.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfly, makeCliWorkspace, REPO, VEGA } from '../helpers.js';

const FAST = readFileSync(join(REPO, 'test', 'fixtures', 'logistic-pipeline.yaml'), 'utf8');
// The runnable examples of examples/hooks/ are the hooks under test.
const RATIO = readFileSync(join(REPO, 'examples', 'hooks', 'beak-ratio.js'), 'utf8');
const RULE = readFileSync(join(REPO, 'examples', 'hooks', 'rule-model.js'), 'utf8');

let dir: string;
let ws: string;
let cleanup: () => void;
const run = (args: string[], root = ws) => bfly(['-C', root, ...args]);
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

async function experiment(root: string, name: string): Promise<void> {
  writeFileSync(join(dir, `${name}.yaml`), FAST);
  const r = await run(['experiment', 'create', name, '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, `${name}.yaml`)], root);
  expect(r.exitCode).toBe(0);
}

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
  await run(['dataset', 'import', join(VEGA, 'penguins.json'), '--name', 'penguins']);
  mkdirSync(join(ws, 'hooks'));
  writeFileSync(join(ws, 'hooks', 'ratio.js'), RATIO);
  writeFileSync(join(ws, 'hooks', 'rule.js'), RULE);
  await experiment(ws, 'p');
}, 60_000);
afterAll(() => cleanup());

describe('hooks in a run', () => {
  it('a feature hook and a rule-based override run in the sandbox; the lineage lists both hashes', async () => {
    expect((await run(['hook', 'add', 'p', 'before_features', '--file', join(ws, 'hooks', 'ratio.js')])).stdout).toBe('added hook features.before.0 (before_features) to p\n');
    expect((await run(['hook', 'add', 'p', 'override_evaluate', '--file', join(ws, 'hooks', 'rule.js')])).exitCode).toBe(0);
    const list = (await run(['hook', 'list', '--json'])).json();
    expect(list.map((h: { id: string; hash: string }) => [h.id, h.hash])).toEqual([
      ['features.before.0', sha(RATIO)],
      ['evaluate.override.0', sha(RULE)],
    ]);
    const r = await run(['run', 'p', '--json']);
    expect(r.exitCode).toBe(0);
    const m = last(r.stdout);
    expect(m.hooks).toEqual([
      { id: 'features.before.0', block: 'features', type: 'before', hash: sha(RATIO), origin: 'hooks/ratio.js' },
      { id: 'evaluate.override.0', block: 'evaluate', type: 'override', hash: sha(RULE), origin: 'hooks/rule.js' },
    ]);
    const events = r.stdout.trim().split('\n').slice(0, -1).map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === 'hook_finished').map((e) => [e.hook, e.ok])).toEqual([
      ['features.before.0', true],
      ['evaluate.override.0', true],
    ]);
    expect(events.some((e) => e.type === 'log' && e.message === '[features.before.0] added beak_ratio')).toBe(true);
    // the rule scores what the rule scores (not the trained model), and the model saw the new column
    expect(m.metrics.accuracy).toBeGreaterThan(0.8);
    expect(m.metrics.accuracy).toBeLessThan(0.95);
    const model = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', m.id, 'artifacts', 'model.json'), 'utf8'));
    expect(model.inputs.map((c: { name: string }) => c.name)).toContain('beak_ratio');
    // the sources are frozen in the run; editing a hook later changes nothing there, but the next run's key
    expect(readFileSync(join(ws, '.butterfly', 'runs', m.id, 'hooks', 'features.before.0.js'), 'utf8')).toBe(RATIO);
    writeFileSync(join(ws, 'hooks', 'ratio.js'), RATIO.replace('added beak_ratio', 'added the ratio'));
    expect(readFileSync(join(ws, '.butterfly', 'runs', m.id, 'hooks', 'features.before.0.js'), 'utf8')).toBe(RATIO);
    const again = last((await run(['run', 'p', '--json'])).stdout);
    expect(again.reused).toBe(false);
    expect(again.executionKey).not.toBe(m.executionKey);
    expect(again.blocks[0].cached).toBe(true); // split: before the changed hook
    expect(again.blocks[1].cached).toBe(false);
    writeFileSync(join(ws, 'hooks', 'ratio.js'), RATIO);
    expect(last((await run(['run', 'p', '--json'])).stdout)).toMatchObject({ id: m.id, reused: true });
  }, 60_000);

  it('Math.random and Date in hooks are the same in two runs with the same seed; metrics come back from the cache', async () => {
    await experiment(ws, 'dice');
    await run(['hook', 'add', 'dice', 'after_split', '--code', "export default () => { bfly.metric('dice', Math.random()); bfly.metric('year', new Date().getUTCFullYear()); }"]);
    const a = last((await run(['run', 'dice', '--json'])).stdout);
    const b = last((await run(['run', 'dice', '--force', '--no-cache', '--json'])).stdout);
    const c = last((await run(['run', 'dice', '--force', '--json'])).stdout);
    const d = last((await run(['run', 'dice', '--seed', '7', '--json'])).stdout);
    // hook metrics live under hook.<name>
    expect(a.metrics['hook.dice']).toBeGreaterThan(0);
    expect(a.metrics.dice).toBeUndefined();
    expect(b.metrics['hook.dice']).toBe(a.metrics['hook.dice']);
    expect(c.metrics['hook.dice']).toBe(a.metrics['hook.dice']);
    expect(c.blocks[0].cached).toBe(true);
    expect(d.metrics['hook.dice']).not.toBe(a.metrics['hook.dice']);
    expect(a.metrics['hook.year']).toBe(2020);
  }, 60_000);

  it('a hook that throws fails the run as user_code, naming the hook and its line', async () => {
    await experiment(ws, 'bad');
    writeFileSync(join(ws, 'hooks', 'bad.js'), "export default (ctx) => {\n  const n = ctx.inputs.train.rows;\n  throw new Error('no good: ' + n);\n};\n");
    await run(['hook', 'add', 'bad', 'before_preprocess', '--file', join(ws, 'hooks', 'bad.js')]);
    const r = await run(['run', 'bad', '--json']);
    expect(r.exitCode).toBe(7);
    const m = last(r.stdout);
    expect(m.error).toMatchObject({ category: 'user_code', code: 'HOOK_FAILED', block: 'preprocess', hook: 'preprocess.before.0' });
    expect(m.error.message).toMatch(/hook preprocess\.before\.0 failed: no good: \d+ .*hooks\/bad\.js:3/);
    expect(readFileSync(join(ws, '.butterfly', 'runs', m.id, 'logs', 'error.log'), 'utf8')).toContain('no good');
  }, 60_000);

  it('a hook over its time limit fails with the limit named and how to raise it', async () => {
    await experiment(ws, 'slow');
    const file = join(ws, '.butterfly', 'experiments', 'slow', 'pipeline.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('{id: split, type: split}', '{id: split, type: split, hooks: [{type: before_split, timeoutMs: 300, code: "export default async () => { await new Promise(() => {}); }"}]}'));
    const r = await run(['run', 'slow', '--json']);
    expect(r.exitCode).toBe(7);
    expect(last(r.stdout).error).toMatchObject({ code: 'HOOK_TIMEOUT', hook: 'split.before.0', message: 'hook split.before.0 exceeded its time limit of 0.3 s' });
    expect(last(r.stdout).error.hint).toMatch(/timeoutMs/);
  }, 60_000);

  it('hooks cannot return what their stage does not have, or replace a model', async () => {
    await experiment(ws, 'wrong');
    await run(['hook', 'add', 'wrong', 'after_train', '--code', 'export default (ctx) => ({ outputs: { model: {} } })']);
    const r = await run(['run', 'wrong', '--json']);
    expect(r.exitCode).toBe(7);
    expect(last(r.stdout).error.message).toMatch(/hook train\.after\.0 tried to replace model/);
    const o = await run(['hook', 'add', 'wrong', 'override_train', '--code', 'export default () => ({})']);
    expect(o.exitCode).toBe(4);
    expect(o.stderr).toContain('a train block cannot be overridden by a hook');
    expect((await run(['hook', 'rm', 'wrong', 'train.after.7'])).stderr).toMatch(/no hook "train\.after\.7".*did you mean/);
    expect((await run(['hook', 'rm', 'wrong', 'train.after.0'])).exitCode).toBe(0);
    expect((await run(['hook', 'list', '--json'])).json().filter((h: { experiment: string }) => h.experiment === 'wrong')).toEqual([]);
  }, 60_000);
});

describe('the enterprise profile', () => {
  it('refuses inline and untrusted hooks before any run exists; trusted files run', async () => {
    const ent = join(dir, 'ent');
    expect((await bfly(['init', ent, '--profile', 'enterprise'])).exitCode).toBe(0);
    await run(['dataset', 'import', join(VEGA, 'penguins.json'), '--name', 'penguins'], ent);
    await experiment(ent, 'e');
    mkdirSync(join(ent, 'hooks'));
    writeFileSync(join(ent, 'hooks', 'ratio.js'), RATIO);
    await run(['hook', 'add', 'e', 'after_split', '--code', "export default () => { bfly.metric('x', 1); }"], ent);
    const inline = await run(['run', 'e'], ent);
    expect(inline.exitCode).toBe(6);
    expect(inline.stderr).toContain('hook split.after.0 is inline code, which the enterprise profile does not run');
    await run(['hook', 'rm', 'e', 'split.after.0'], ent);
    await run(['hook', 'add', 'e', 'before_features', '--file', join(ent, 'hooks', 'ratio.js')], ent);
    const untrusted = await run(['run', 'e', '--json'], ent);
    expect(untrusted.exitCode).toBe(6);
    expect(JSON.parse(untrusted.stderr).error).toMatchObject({ category: 'policy', code: 'UNTRUSTED_HOOK', hint: 'review it, then `bfly hook trust hooks/ratio.js`' });
    expect(existsSync(join(ent, '.butterfly', 'runs')) ? readdirSync(join(ent, '.butterfly', 'runs')) : []).toEqual([]);
    expect((await run(['hook', 'trust', join(ent, 'hooks', 'ratio.js')], ent)).stdout).toContain(`trusted: hooks/ratio.js ${sha(RATIO)}`);
    expect((await run(['hook', 'list'], ent)).stdout).toMatch(/features\.before\.0\s+before_features\s+hooks\/ratio\.js\s+\w{12}\s+yes/);
    expect((await run(['run', 'e'], ent)).exitCode).toBe(0);
    // an edited file is a different hash: refused again until trusted again
    writeFileSync(join(ent, 'hooks', 'ratio.js'), RATIO + '\n// edited\n');
    expect((await run(['run', 'e'], ent)).exitCode).toBe(6);
    expect((await run(['hook', 'untrust', sha(RATIO)], ent)).stdout).toContain('no longer trusted');
  }, 90_000);
});
