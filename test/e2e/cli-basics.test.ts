import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { bfly, makeTempDir, REPO, VEGA } from '../helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

describe('bfly (built CLI)', () => {
  it('--version prints the package version', async () => {
    const r = await bfly(['--version']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version + '\n');
  });

  it('--help lists the commands; an unknown command is a usage error with a suggestion', async () => {
    expect((await bfly(['--help'])).stdout).toContain('dataset');
    const r = await bfly(['datset']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('dataset');
  });

  it('init creates the workspace; a second init refuses; --json prints the config', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const r = await bfly(['init', '--name', 'demo', '--json'], { cwd: t.dir });
    expect(r.exitCode).toBe(0);
    expect(r.json()).toMatchObject({ schemaVersion: 1, name: 'demo', formatVersion: 3, profile: 'internal_fast', root: t.dir });
    expect(existsSync(join(t.dir, '.butterfly', 'config.yaml'))).toBe(true);
    const again = await bfly(['init'], { cwd: t.dir });
    expect(again.exitCode).toBe(4);
    expect(again.stderr).toContain('already');
    const bad = await bfly(['init', 'x', '--profile', 'wild'], { cwd: t.dir });
    expect(bad.exitCode).toBe(2);
  });

  it('outside a workspace: its own exit code and message, human and JSON', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const r = await bfly(['dataset', 'list'], { cwd: t.dir });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('not a bfly workspace (run `bfly init`)');
    const j = await bfly(['dataset', 'list', '--json'], { cwd: t.dir });
    expect(j.exitCode).toBe(3);
    expect(j.stdout).toBe('');
    expect(JSON.parse(j.stderr).error).toMatchObject({ code: 'NOT_A_WORKSPACE', category: 'not_a_workspace' });
  });

  it('finds the workspace from a sub-directory, and -C points elsewhere', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    await bfly(['init', 'proj'], { cwd: t.dir });
    mkdirSync(join(t.dir, 'proj', 'deep', 'er'), { recursive: true });
    expect((await bfly(['dataset', 'import', join(VEGA, 'seattle-weather.csv')], { cwd: join(t.dir, 'proj', 'deep', 'er') })).exitCode).toBe(0);
    const r = await bfly(['-C', join(t.dir, 'proj'), 'dataset', 'list', '--json'], { cwd: t.dir });
    expect(r.json().map((d: { name: string }) => d.name)).toEqual(['seattle-weather']);
  });

  it('import, list and show: human tables and the JSON contract', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    await bfly(['init'], { cwd: t.dir });
    const imp = await bfly(['dataset', 'import', join(VEGA, 'penguins.json'), '--json'], { cwd: t.dir });
    expect(imp.exitCode).toBe(0);
    const d = imp.json();
    for (const key of ['id', 'name', 'version', 'hash', 'format', 'rows', 'bytes', 'columns', 'importedAt', 'source']) expect(d, key).toHaveProperty(key);
    expect(d.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(d.columns[0]).toMatchObject({ name: 'Species', type: 'category', missing: 0, distinct: 3 });
    expect(d.columns[0].stats.top[0]).toEqual({ value: 'Adelie', count: 152 });

    const human = await bfly(['dataset', 'import', join(VEGA, 'cars.json')], { cwd: t.dir });
    expect(human.stdout).toContain('imported cars: 406 rows × 9 columns');
    expect(human.stdout).toContain('Name                          text');

    const list = await bfly(['dataset', 'list'], { cwd: t.dir });
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+ROWS\s+COLS\s+SIZE\s+FORMAT\s+HASH\s+IMPORTED$/);
    expect(list.stdout).toMatch(/penguins\s+344\s+7/);
    const listJson = (await bfly(['dataset', 'list', '--json'], { cwd: t.dir })).json();
    expect(listJson.map((x: { name: string }) => x.name)).toEqual(['cars', 'penguins']);

    const show = await bfly(['dataset', 'show', 'penguins'], { cwd: t.dir });
    expect(show.stdout).toContain(d.hash);
    expect(show.stdout).toMatch(/Body Mass \(g\)\s+integer\s+0\.6%\s+[▁▂▃▄▅▆▇█ ]{20}\s+mean 4,201\.8/);
    expect(show.stdout).toContain('Species: category — 3 distinct values in 344 non-missing rows');
    const byPrefix = await bfly(['dataset', 'show', d.hash.slice(7, 15), '--json'], { cwd: t.dir });
    expect(byPrefix.json().id).toBe(d.id);

    const again = await bfly(['dataset', 'import', join(VEGA, 'penguins.json')], { cwd: t.dir });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already imported as penguins');

    const typo = await bfly(['dataset', 'show', 'pengiuns'], { cwd: t.dir });
    expect(typo.exitCode).toBe(5);
    expect(typo.stderr).toContain('did you mean `penguins`?');
  });
});

describe('bfly in pipelines and on wide tables', () => {
  it('a closed stdout (bfly ... | head) ends quietly with exit 0', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    await bfly(['init'], { cwd: t.dir });
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(REPO, 'bin', 'bfly.cjs'), 'blocks'], { cwd: t.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.destroy(); // the reader is gone before bfly writes a byte
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(stderr).not.toContain('EPIPE');
  });

  it('imports from a pipe (/dev/stdin, <(...)), sniffing the format from the copy, with BFLY_IMPORT_THREADS=2 too', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    await bfly(['init'], { cwd: t.dir });
    const csv = 'a,b\n1,x\n2,y\n3,x\n';
    writeFileSync(join(t.dir, 'in.txt'), csv);
    // a shell pipe (execa's own stdin is a socket, which /dev/stdin cannot open)
    const run = (shell: string) => execa('bash', ['-c', shell], { cwd: t.dir, reject: false, env: { BFLY: join(REPO, 'bin', 'bfly.cjs'), BFLY_IMPORT_THREADS: '2' } });
    const r = await run('cat in.txt | node "$BFLY" dataset import /dev/stdin --name piped --json');
    expect(r.stderr).toBe('');
    const d = JSON.parse(r.stdout);
    expect({ name: d.name, format: d.format, rows: d.rows, bytes: d.bytes, hash: d.hash }).toEqual({
      name: 'piped', format: 'csv', rows: 3, bytes: csv.length, hash: `sha256:${createHash('sha256').update(csv).digest('hex')}`,
    });
    const jsonl = await run(`node "$BFLY" dataset import <(printf '{"a":1}\\n{"a":2}\\n') --name lines --json`);
    expect(JSON.parse(jsonl.stdout)).toMatchObject({ format: 'jsonl', rows: 2 });
  });

  it('imports a 3,000-column table', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    await bfly(['init'], { cwd: t.dir });
    const cols = 3000;
    const lines = [Array.from({ length: cols }, (_, j) => `c${j}`).join(',')];
    for (let i = 0; i < 20; i++) lines.push(Array.from({ length: cols }, (_, j) => (j % 2 ? `v${(i + j) % 3}` : String(i * j))).join(','));
    writeFileSync(join(t.dir, 'wide.csv'), lines.join('\n') + '\n');
    const r = await bfly(['dataset', 'import', 'wide.csv', '--json'], { cwd: t.dir });
    expect(r.exitCode).toBe(0);
    const d = r.json();
    expect([d.rows, d.columns.length, d.objects.columns.length]).toEqual([20, 3000, 3000]);
    expect(d.columns[1]).toMatchObject({ type: 'category', distinct: 3 });
    expect(d.columns[2]).toMatchObject({ type: 'integer' });
  });
});

describe('start-up path', () => {
  it('listing and showing datasets load neither zod nor yaml (every command opens the workspace)', () => {
    for (const cmd of ['dataset-list', 'dataset-show', 'init']) {
      const bundle = readFileSync(join(REPO, 'dist', 'cli', 'commands', `${cmd}.cjs`), 'utf8');
      expect(bundle).not.toMatch(/require\("(zod|yaml)"\)/);
    }
  });
});
