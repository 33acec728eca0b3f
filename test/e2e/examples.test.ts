// Every example in examples/ runs as its README says: the shell batch script (bfly --json | jq),
// the TypeScript project using the package by path (its exports and type declarations), the
// feature-engineering hook and the override model hook on the bundled data.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BFLY, bfly, makeCliWorkspace, makeTempDir, REPO } from '../helpers.js';

const EX = join(REPO, 'examples');
const hasJq = spawnSync('jq', ['--version']).status === 0;
let tmp: { dir: string; cleanup: () => void };

beforeAll(() => {
  tmp = makeTempDir('bfly-examples-');
});
afterAll(() => tmp.cleanup());

describe('examples', () => {
  it.skipIf(!hasJq)('batch.sh: a grid from the shell through jq, best config by mean accuracy', () => {
    const ws = join(tmp.dir, 'sh');
    const out = execFileSync('bash', [join(EX, 'batch.sh'), ws], { encoding: 'utf8', env: { ...process.env, BFLY: `${process.execPath} ${BFLY}` }, timeout: 300_000 });
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^batch b-\d{8}-\d{6}-[0-9a-f]{4}$/);
    const rows = lines.slice(1, -1).map((l) => l.split('\t'));
    expect(rows).toHaveLength(8);
    const acc = rows.map((r) => Number(r[4]));
    expect(acc.every((a) => a > 0.9 && a <= 1)).toBe(true);
    expect(acc).toEqual([...acc].sort((a, b) => b - a));
    expect(lines.at(-1)).toMatch(/^best: cv=[35] test_size=0\.[23] mean accuracy 0\.9\d+|^best: cv=[35] test_size=0\.[23] mean accuracy 1$/);
  }, 300_000);
  if (!hasJq) it('batch.sh needs jq (not installed here: `apt-get install jq`)', () => expect(hasJq).toBe(false));

  it('ts-batch: a separate TypeScript project type-checks against the package and runs a batch', () => {
    const proj = join(EX, 'ts-batch');
    // what `npm install` does for its "file:../.." dependency: a link to the package
    rmSync(join(proj, 'node_modules'), { recursive: true, force: true });
    rmSync(join(proj, 'dist'), { recursive: true, force: true });
    mkdirSync(join(proj, 'node_modules'));
    symlinkSync(join('..', '..', '..'), join(proj, 'node_modules', 'butterfly-ml'));
    try {
      execFileSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', proj], { encoding: 'utf8' });
      expect(existsSync(join(proj, 'dist', 'batch.js'))).toBe(true);
      const out = execFileSync(process.execPath, [join(proj, 'dist', 'batch.js'), join(tmp.dir, 'ts')], { encoding: 'utf8', timeout: 300_000 });
      expect(out).toMatch(/^batch b-\S+: 6 runs$/m);
      expect(out.match(/^\d{8}-\d{9}-[0-9a-f]{6} {2}(logistic_regression|gradient_boosting) {2}seed \d {2}accuracy [01]\.\d{4}$/gm)).toHaveLength(6);
      expect(out).toMatch(/^differs in: .*seed/m);
      expect(out).toMatch(/^a 218 mm flipper on Biscoe is Gentoo$/m);
      // run again: every run of the batch is reused
      const again = execFileSync(process.execPath, [join(proj, 'dist', 'batch.js'), join(tmp.dir, 'ts')], { encoding: 'utf8', timeout: 300_000 });
      expect(again.match(/: reused$/gm)).toHaveLength(6);
    } finally {
      rmSync(join(proj, 'node_modules'), { recursive: true, force: true });
      rmSync(join(proj, 'dist'), { recursive: true, force: true });
    }
  }, 300_000);

  it('hooks: the beak-ratio feature hook adds a column the model uses; the rule-model override is scored', async () => {
    const { ws, cleanup } = await makeCliWorkspace();
    try {
      const run = (args: string[]) => bfly(['-C', ws, ...args]);
      await run(['dataset', 'import', join(EX, 'data', 'penguins.csv'), '--name', 'penguins']);
      expect((await run(['experiment', 'create', 'p', '--dataset', 'penguins', '--target', 'Species', '--template', join(EX, 'pipelines', 'quick.yaml')])).exitCode).toBe(0);
      // hook files live inside the workspace (the policy refuses others): copied as the README says
      mkdirSync(join(ws, 'hooks'));
      for (const f of ['beak-ratio.js', 'rule-model.js']) copyFileSync(join(EX, 'hooks', f), join(ws, 'hooks', f));
      expect((await run(['hook', 'add', 'p', 'before_features', '--file', join(ws, 'hooks', 'beak-ratio.js')])).exitCode).toBe(0);
      const r = await run(['run', 'p', '--json']);
      expect(r.exitCode).toBe(0);
      const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      const explain = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', m.id, 'artifacts', 'explain.json'), 'utf8'));
      expect(JSON.stringify(explain)).toContain('beak_ratio');
      expect((await run(['hook', 'add', 'p', 'override_evaluate', '--file', join(ws, 'hooks', 'rule-model.js')])).exitCode).toBe(0);
      const o = JSON.parse((await run(['run', 'p', '--json'])).stdout.trim().split('\n').at(-1)!);
      expect(o.status).toBe('succeeded');
      expect(o.metrics.accuracy).toBeGreaterThan(0.8); // a three-line rule on two measurements
      expect(o.metrics.accuracy).not.toBe(m.metrics.accuracy);
    } finally {
      cleanup();
    }
  }, 300_000);
});
