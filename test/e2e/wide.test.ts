// Issue #26 part 4: wide tables. Small columns are put together in group objects (format 3):
// a 20,000-column table imports (past `ulimit -n`), as a handful of objects, with the same
// objects whatever the threads; the one-object-per-column layout of format 2 reads the same,
// cell by cell; a column too big to hold is its own object beside the groups; and column files
// stay within an open-file budget however many columns outgrow memory (and the workers share it);
// a table whose columns' state passes the memory budget is read in passes, to the same dataset.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfly, makeCliWorkspace, makeTempDir, seededRandom } from '../helpers.js';
import { ColumnarWriter, type LoadedTable } from '../../src/store/columnar.js';
import { loadDatasetColumns } from '../../src/store/dataset-columns.js';
import { getDataset } from '../../src/store/datasets.js';
import { columnPasses } from '../../src/store/import/build-columns.js';
import { importDataset } from '../../src/store/import/import-dataset.js';
import { initWorkspace } from '../../src/store/workspace.js';

let dir: string;
let cleanup: () => void;

/** `rows` x `cols` numbers with 3 decimals; column j of row i is (i * 31 + j * 7) % 1000 / 10 plus noise. */
function wideCsv(file: string, rows: number, cols: number, extra?: (i: number) => string[], extraNames: string[] = []): number[][] {
  const r = seededRandom(rows * 7 + cols);
  const data: number[][] = [];
  const lines = [[...Array.from({ length: cols }, (_, j) => `c${j}`), ...extraNames].join(',')];
  for (let i = 0; i < rows; i++) {
    const row = Array.from({ length: cols }, (_, j) => Number((((i * 31 + j * 7) % 1000) / 10 + r()).toFixed(3)));
    data.push(row);
    lines.push([...row.map(String), ...(extra?.(i) ?? [])].join(','));
  }
  writeFileSync(file, lines.join('\n') + '\n');
  return data;
}

function objectFiles(ws: string): string[] {
  const root = join(ws, '.butterfly', 'objects');
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => d + f));
}

/** Every cell of a loaded table, NaN as null, category codes as their level. */
function cells(t: LoadedTable): unknown[][] {
  return t.columns.map((c) => (c.type === 'category' ? Array.from(c.codes, (k) => (k < 0 ? null : c.levels[k])) : c.type === 'text' ? c.values : Array.from(c.values as ArrayLike<number>, (v) => (Number.isNaN(v) ? null : v))));
}

beforeAll(() => {
  ({ dir, cleanup } = makeTempDir('bfly-wide-'));
});
afterAll(() => cleanup());

describe('wide tables (format 3 column groups)', () => {
  it('100 x 20,000 imports as a few group objects, the same objects with two threads, and reads back cell by cell', async () => {
    const file = join(dir, 'w.csv');
    const data = wideCsv(file, 100, 20_000);
    const a = await makeCliWorkspace();
    const b = await makeCliWorkspace();
    try {
      const r = await bfly(['-C', a.ws, 'dataset', 'import', file, '--name', 'w', '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      const m = r.json();
      expect(m.columns).toHaveLength(20_000);
      const groups = new Set<string>(m.objects.columns);
      // 20,000 columns of ~1 KiB each in 4 MiB groups
      expect(groups.size).toBeGreaterThan(1);
      expect(groups.size).toBeLessThanOrEqual(8);
      expect(objectFiles(a.ws).length).toBe(groups.size + 1);
      // the same objects when two threads share the columns
      const t = await bfly(['-C', b.ws, 'dataset', 'import', file, '--name', 'w', '--json'], { env: { ...process.env, BFLY_IMPORT_THREADS: '2' } });
      expect(t.exitCode, t.stderr).toBe(0);
      expect(t.json().objects).toEqual(m.objects);
      const ds = getDataset(a.ws, 'w');
      const some = ['c0', 'c1', 'c9999', 'c19999'];
      const loaded = loadDatasetColumns(a.ws, ds, some);
      expect(loaded.columns.map((c) => c.name)).toEqual(some);
      const want = some.map((n) => data.map((row) => row[Number(n.slice(1))]));
      expect(cells(loaded)).toEqual(want);
      expect(m.columns[19_999].stats.p50).toBeCloseTo([...want[3]].sort((x, y) => x - y).slice(49, 51).reduce((s, v) => s + v / 2, 0), 9);
      expect((await bfly(['-C', a.ws, 'fsck'])).exitCode).toBe(0);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  }, 120_000);

  it('a run reads a grouped dataset as it reads the one-object-per-column layout of format 2: same cells, same model', async () => {
    const file = join(dir, 'w2.csv');
    wideCsv(file, 120, 300, (i) => [i % 3 === 0 ? 'x' : 'y'], ['label']);
    const grouped = await makeCliWorkspace();
    const flat = await makeCliWorkspace();
    try {
      const env = { ...process.env, BFLY_COLUMN_GROUP_BYTES: '0' };
      expect((await bfly(['-C', grouped.ws, 'dataset', 'import', file, '--name', 'w'])).exitCode).toBe(0);
      expect((await bfly(['-C', flat.ws, 'dataset', 'import', file, '--name', 'w'], { env })).exitCode).toBe(0);
      const g = getDataset(grouped.ws, 'w');
      const f = getDataset(flat.ws, 'w');
      expect(new Set(g.objects.columns).size).toBe(1);
      expect(new Set(f.objects.columns).size).toBe(301);
      expect(g.columns).toEqual(f.columns);
      expect(cells(loadDatasetColumns(grouped.ws, g))).toEqual(cells(loadDatasetColumns(flat.ws, f)));
      const runs = [];
      for (const ws of [grouped.ws, flat.ws]) {
        expect((await bfly(['-C', ws, 'experiment', 'create', 'w', '--dataset', 'w', '--target', 'label'])).exitCode).toBe(0);
        expect((await bfly(['-C', ws, 'pipeline', 'set', 'w', 'blocks.model_selection.config.candidates=[{model: logistic_regression}]', 'blocks.model_selection.config.cv=2'])).exitCode).toBe(0);
        const r = await bfly(['-C', ws, 'run', 'w', '--json']);
        expect(r.exitCode, r.stderr).toBe(0);
        runs.push(JSON.parse(r.stdout.trim().split('\n').at(-1)!));
      }
      expect(runs[0].executionKey).toBe(runs[1].executionKey);
      expect(runs[0].metrics).toEqual(runs[1].metrics);
    } finally {
      grouped.cleanup();
      flat.cleanup();
    }
  }, 120_000);

  it('a column too big to hold is its own object beside a group; columns that all outgrow memory stay within the open-file budget', async () => {
    const root = join(dir, 'lib');
    await initWorkspace(root, { name: 'lib' });
    // 3 columns: each may hold 1 MiB; the text column (~2.4 MB) outgrows it, the numbers (160 KB each) do not
    const file = join(dir, 'mixed.csv');
    const r = seededRandom(5);
    const lines = ['a,b,note'];
    for (let i = 0; i < 20_000; i++) lines.push(`${i},${(r() * 100).toFixed(2)},${'word'.repeat(20)}${i}`);
    writeFileSync(file, lines.join('\n') + '\n');
    const { dataset: d } = await importDataset(root, file, { name: 'mixed' });
    expect(d.columns.map((c) => c.type)).toEqual(['integer', 'number', 'text']);
    expect(d.objects.columns[0]).toBe(d.objects.columns[1]);
    expect(d.objects.columns[2]).not.toBe(d.objects.columns[0]);
    const t = loadDatasetColumns(root, d);
    expect(t.columns[2].type === 'text' && t.columns[2].values[19_999]).toBe(`${'word'.repeat(20)}19999`);
    expect(t.columns[0].type === 'integer' && t.columns[0].values[12_345]).toBe(12_345);

    // 64 columns that each make a file at once, with room for 16 open files
    const wide = join(dir, 'spill.csv');
    // and a column read as numbers until row 2,500, then as text: read again, its first file abandoned
    const data = wideCsv(wide, 3_000, 64, (i) => [i < 2_500 ? String(i) : `x${i}`], ['late']);
    const before = ColumnarWriter.maxOpen;
    const env = process.env.BFLY_COLUMN_HOLD_BYTES;
    ColumnarWriter.maxOpen = 16;
    process.env.BFLY_COLUMN_HOLD_BYTES = '0';
    try {
      const { dataset } = await importDataset(root, wide, { name: 'spill', threads: 1 });
      // written out as they were built, and still grouped: which columns share an object depends on their sizes only
      expect(new Set(dataset.objects.columns).size).toBe(1);
      expect(dataset.columns[64]).toMatchObject({ name: 'late', type: 'text' });
      expect(cells(loadDatasetColumns(root, dataset, ['c0', 'c63', 'late']))).toEqual([data.map((row) => row[0]), data.map((row) => row[63]), data.map((_, i) => (i < 2_500 ? String(i) : `x${i}`))]);
      // no column file is left open, the abandoned one included
      expect(ColumnarWriter.openFiles).toBe(0);
      // held in memory and parsed by two workers (sharing the 16 files): the same objects
      delete process.env.BFLY_COLUMN_HOLD_BYTES;
      const other = join(dir, 'lib2');
      await initWorkspace(other, { name: 'lib2' });
      const two = await importDataset(other, wide, { name: 'spill', threads: 2 });
      expect(two.dataset.objects).toEqual(dataset.objects);
    } finally {
      ColumnarWriter.maxOpen = before;
      if (env === undefined) delete process.env.BFLY_COLUMN_HOLD_BYTES;
      else process.env.BFLY_COLUMN_HOLD_BYTES = env;
    }
  }, 120_000);

  it('a table whose columns would pass the memory budget is read in passes of columns, to the same dataset with one and two threads', async () => {
    const file = join(dir, 'passes.csv');
    const r = seededRandom(2600);
    const width = 2_600;
    const names = Array.from({ length: width }, (_, j) => `k${j}`);
    // numbers, whole numbers, categories, dates, missing values, and columns that turn to text
    // at row 30 (read again as strings) spread over every pass
    const value = (i: number, j: number): string => {
      switch (j % 6) {
        case 0: return (r() * 100).toFixed(2);
        case 1: return String((i * j) % 7);
        case 2: return ['red', 'green', 'blue'][(i + j) % 3];
        case 3: return `2024-0${1 + (i % 9)}-1${j % 10}`;
        case 4: return i % 5 === 0 ? '' : String(i);
        default: return i < 30 ? String(i) : `t${i}`;
      }
    };
    const lines = [names.join(',')];
    for (let i = 0; i < 40; i++) lines.push(names.map((_, j) => value(i, j)).join(','));
    writeFileSync(file, lines.join('\n') + '\n');
    const env = process.env.BFLY_IMPORT_PASS_BYTES;
    const roots: string[] = [];
    const imported = async (budget: string | undefined, threads: number) => {
      if (budget === undefined) delete process.env.BFLY_IMPORT_PASS_BYTES;
      else process.env.BFLY_IMPORT_PASS_BYTES = budget;
      const root = join(dir, `passes-${roots.length}`);
      roots.push(root);
      await initWorkspace(root, { name: 'p' });
      return { root, dataset: (await importDataset(root, file, { name: 'passes', threads })).dataset };
    };
    try {
      // the default budget holds these 2,600 columns at once; a budget of 1 byte reads them
      // 1,024 at a time at most (three passes, each column in exactly one)
      process.env.BFLY_IMPORT_PASS_BYTES = '1';
      const passes = columnPasses({ rawPath: file, work: dir, format: 'csv', label: file });
      expect(passes.map((p) => p!.size)).toEqual([867, 867, 866]);
      expect(passes.flatMap((p) => [...p!]).sort((a, b) => a - b)).toEqual(names.map((_, j) => j));
      delete process.env.BFLY_IMPORT_PASS_BYTES;
      expect(columnPasses({ rawPath: file, work: dir, format: 'csv', label: file })).toEqual([undefined]);

      const once = await imported(undefined, 1);
      expect(once.dataset.columns.slice(0, 6).map((c) => c.type)).toEqual(['number', 'integer', 'category', 'datetime', 'integer', 'text']);
      for (const [budget, threads] of [['1', 1], ['1', 2]] as const) {
        const { root, dataset } = await imported(budget, threads);
        expect(dataset.objects).toEqual(once.dataset.objects);
        expect(dataset.columns).toEqual(once.dataset.columns);
        expect(cells(loadDatasetColumns(root, dataset, ['k5', 'k2598']))).toEqual(cells(loadDatasetColumns(once.root, once.dataset, ['k5', 'k2598'])));
      }
    } finally {
      if (env === undefined) delete process.env.BFLY_IMPORT_PASS_BYTES;
      else process.env.BFLY_IMPORT_PASS_BYTES = env;
    }
  }, 120_000);

  it('the import lists the first 40 columns of a table wider than 50 and counts the rest by type; 50 columns are all listed', async () => {
    const c = await makeCliWorkspace();
    try {
      const table = (name: string, cols: number): string => {
        const file = join(dir, `${name}.csv`);
        const header = Array.from({ length: cols }, (_, j) => `col${j}`);
        const lines = [header.join(',')];
        for (let i = 0; i < 6; i++) lines.push(header.map((_, j) => (j % 3 === 2 ? ['a', 'b'][i % 2] : j % 3 === 1 ? String(i * j) : (i + j / 7).toFixed(2))).join(','));
        writeFileSync(file, lines.join('\n') + '\n');
        return file;
      };
      const wide = await bfly(['-C', c.ws, 'dataset', 'import', table('sixty', 60)]);
      expect(wide.exitCode, wide.stderr).toBe(0);
      const lines = wide.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe('imported sixty: 6 rows × 60 columns, ' + lines[0].split('columns, ')[1]);
      const listed = lines.filter((l) => /^ {2}col\d+ /.test(l));
      expect(listed.map((l) => l.trim().split(/\s+/)[0])).toEqual(Array.from({ length: 40 }, (_, j) => `col${j}`));
      // columns 40..59: 7 categories (j % 3 = 2: 41, ..., 59), 7 integers (40, ..., 58), 6 numbers (42, ..., 57); most first, ties by name
      expect(lines.at(-1)).toBe('  … and 20 more columns (7 category, 7 integer, 6 number): `bfly dataset show sixty` lists them all');
      const show = await bfly(['-C', c.ws, 'dataset', 'show', 'sixty']);
      expect(show.exitCode).toBe(0);
      for (const j of [0, 40, 59]) expect(show.stdout).toContain(`col${j}`);
      const fifty = await bfly(['-C', c.ws, 'dataset', 'import', table('fifty', 50)]);
      expect(fifty.stdout.trimEnd().split('\n').filter((l) => /^ {2}col\d+ /.test(l))).toHaveLength(50);
      expect(fifty.stdout).not.toContain('more columns');
    } finally {
      c.cleanup();
    }
  }, 60_000);
});
