import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CategoryStats, NumericStats } from '../../src/core/dataset.js';
import { ValidationError } from '../../src/core/errors.js';
import type { LoadedColumn } from '../../src/store/columnar.js';
import { loadDatasetColumns } from '../../src/store/dataset-columns.js';
import type { DatasetManifest } from '../../src/core/dataset.js';
import { getDataset, listDatasets, resolveDataset } from '../../src/store/datasets.js';
import { importDataset } from '../../src/store/import/import-dataset.js';
import { readObject } from '../../src/store/objects.js';
import { makeWorkspace, seededRandom, sha256File, snapshotTree, VEGA } from '../helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

function load(root: string, dataset: DatasetManifest): Record<string, LoadedColumn> {
  const t = loadDatasetColumns(root, dataset);
  return Object.fromEntries(t.columns.map((c) => [c.name, c]));
}

describe('importDataset', () => {
  it('infers types with reasons, computes stats, and stores a columnar copy that round-trips', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const file = w.write('mixed.csv', 'id,price,flag,when,kind,comment,empty\n1,2.5,true,2024-01-02,a,hello,\n2,NA,False,2024-01-03,b,"x, y",\n3,4.5,yes,?,a,z,\n4,,no,2024-01-05,N/A,w,\n');
    const { dataset: d, created } = await importDataset(w.root, file);
    expect(created).toBe(true);
    expect(d.hash).toBe(`sha256:${sha256File(file)}`);
    expect(d.id).toBe(d.hash.slice(7, 19));
    expect({ name: d.name, version: d.version, rows: d.rows, format: d.format, bytes: d.bytes }).toEqual({ name: 'mixed', version: 1, rows: 4, format: 'csv', bytes: readFileSync(file).length });
    expect(d.columns.map((c) => [c.name, c.type, c.missing])).toEqual([
      ['id', 'integer', 0],
      ['price', 'number', 2],
      ['flag', 'boolean', 0],
      ['when', 'datetime', 1],
      ['kind', 'category', 1],
      ['comment', 'category', 0],
      ['empty', 'text', 4],
    ]);
    expect(d.columns[0].reason).toBe('all 4 values are whole numbers; 4 distinct values');
    expect(d.columns[4].reason).toBe('2 distinct values in 3 non-missing rows');
    expect((d.columns[1].stats as NumericStats).mean).toBe(3.5);
    expect(d.columns[2].stats).toEqual({ count: 4, missing: 0, true: 2, false: 2 });
    expect((d.columns[4].stats as CategoryStats).top).toEqual([{ value: 'a', count: 2 }, { value: 'b', count: 1 }]);

    const cols = load(w.root, d);
    expect(Array.from((cols.price as { values: Float64Array }).values)).toEqual([2.5, NaN, 4.5, NaN]);
    expect(Array.from((cols.flag as { values: Int8Array }).values)).toEqual([1, 0, 1, 0]);
    expect(Array.from((cols.when as { values: Float64Array }).values)).toEqual([Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3), NaN, Date.UTC(2024, 0, 5)]);
    const kind = cols.kind as { codes: Int32Array; levels: string[] };
    expect(Array.from(kind.codes).map((c) => (c < 0 ? null : kind.levels[c]))).toEqual(['a', 'b', 'a', null]);
    expect((cols.empty as { values: Array<string | null> }).values).toEqual([null, null, null, null]);
    expect(readObject(w.root, d.objects.raw).equals(readFileSync(file))).toBe(true);
  });

  it('top values: the ten most frequent, ties in text order, from thousands of values', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const rnd = seededRandom(23);
    // two leaders, then forty values tied at 100 (the text decides), then 3,000 rarer ones
    const values = [...Array(150).fill('z1'), ...Array(120).fill('z2')];
    for (let i = 0; i < 40; i++) values.push(...Array(100).fill(`t${i}`));
    for (let i = 0; i < 3000; i++) values.push(...Array(1 + Math.floor(rnd() * 60)).fill(`r${i}`));
    for (let i = values.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [values[i], values[j]] = [values[j], values[i]];
    }
    const { dataset: d } = await importDataset(w.root, w.write('top.csv', 'v\n' + values.join('\n') + '\n'));
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const want = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10).map(([value, count]) => ({ value, count }));
    expect(want.map((t) => t.value).slice(0, 4)).toEqual(['z1', 'z2', 't0', 't1']);
    expect((d.columns[0].stats as CategoryStats).top).toEqual(want);
  });

  it('the same bytes again write nothing and report the existing dataset', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const file = w.write('a.csv', 'x\n1\n');
    const first = await importDataset(w.root, file);
    const before = snapshotTree(w.root);
    const again = await importDataset(w.root, w.write('copy.csv', 'x\n1\n'), { name: 'other' });
    expect(again.created).toBe(false);
    expect(again.dataset.name).toBe('a');
    expect(snapshotTree(w.root)).toEqual(before);
    expect(first.dataset.id).toBe(again.dataset.id);
  });

  it('same name with different bytes is a new version; refs resolve NAME, NAME@V, prefixes', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const v1 = (await importDataset(w.root, w.write('d.csv', 'x\n1\n'))).dataset;
    writeFileSync(join(w.files, 'd.csv'), 'x\n2\n');
    const v2 = (await importDataset(w.root, join(w.files, 'd.csv'))).dataset;
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(getDataset(w.root, 'd').id).toBe(v2.id);
    expect(getDataset(w.root, 'd@1').id).toBe(v1.id);
    expect(getDataset(w.root, 'd@latest').id).toBe(v2.id);
    expect(getDataset(w.root, v1.hash.slice(7, 13)).id).toBe(v1.id);
    expect(getDataset(w.root, v1.hash).id).toBe(v1.id);
    expect(() => getDataset(w.root, 'd@3')).toThrow(/has no version 3/);
    expect(listDatasets(w.root).map((d) => d.version)).toEqual([1, 2]);
  });

  it('an ambiguous hash prefix lists the candidates', () => {
    const fake = (name: string, hex: string) => ({ name, version: 1, id: hex.slice(0, 12), hash: `sha256:${hex}` }) as never;
    const all = [fake('a', 'abcd1' + '0'.repeat(59)), fake('b', 'abcd2' + '0'.repeat(59))];
    expect(() => resolveDataset(all, 'abcd')).toThrow(ValidationError);
    expect(() => resolveDataset(all, 'abcd')).toThrow(/matches 2 datasets/);
    expect(resolveDataset(all, 'abcd2').name).toBe('b');
  });

  it('keeps odd column names: __proto__, constructor, spaces, unicode', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const { dataset } = await importDataset(w.root, w.write('odd.json', '[{"__proto__": 1, "constructor": "x", "with space": 2, "日本": "y"}, {"__proto__": 2, "constructor": "z", "with space": 3, "日本": "y"}]'));
    expect(dataset.columns.map((c) => c.name)).toEqual(['__proto__', 'constructor', 'with space', '日本']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Array.from((load(w.root, dataset).__proto__ as { values: Float64Array }).values)).toEqual([1, 2]);
  });

  it('JSON keys that appear late or go missing become missing values', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const { dataset } = await importDataset(w.root, w.write('late.jsonl', '{"a": 1}\n{"a": 2, "b": "x"}\n{"b": "y", "c": null, "d": {"n": 1}}\n'));
    expect(dataset.columns.map((c) => [c.name, c.missing])).toEqual([['a', 1], ['b', 1], ['c', 3], ['d', 2]]);
    const cols = load(w.root, dataset);
    expect(Array.from((cols.a as { values: Float64Array }).values)).toEqual([1, 2, NaN]);
    expect((cols.d as { values: Array<string | null> }).values ?? (cols.d as { codes: Int32Array }).codes).toBeDefined();
  });

  it('a column that turns from numbers to text after the first block is re-read as strings', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const lines = ['code,n'];
    for (let i = 0; i < 70_000; i++) lines.push(`${i % 7},${i}`);
    lines.push('X1,70000');
    const { dataset } = await importDataset(w.root, w.write('late-text.csv', lines.join('\n') + '\n'));
    const code = dataset.columns[0];
    expect(code.type).toBe('category');
    expect(code.distinct).toBe(8);
    const col = load(w.root, dataset).code as { codes: Int32Array; levels: string[] };
    expect(col.levels[col.codes[0]]).toBe('0');
    expect(col.levels[col.codes[70_000]]).toBe('X1');
    expect(dataset.columns[1].type).toBe('integer');
  });

  it('a column with more distinct strings than the dictionary holds becomes text, values intact', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const lines = ['t,i'];
    for (let i = 0; i < 70_000; i++) lines.push(`${i % 1000 === 0 ? '' : `v${i}`},${i}`);
    const { dataset } = await importDataset(w.root, w.write('text.csv', lines.join('\n') + '\n'));
    const c = dataset.columns[0];
    expect(c.type).toBe('text');
    expect(c.distinctApprox).toBe(true);
    expect(Math.abs(c.distinct - 69_930) / 69_930).toBeLessThan(0.05);
    const vals = (load(w.root, dataset).t as { values: Array<string | null> }).values;
    expect(vals.length).toBe(70_000);
    expect([vals[0], vals[1], vals[65_999], vals[66_000], vals[69_999]]).toEqual([null, 'v1', 'v65999', null, 'v69999']);
  });

  it('free text read by the tokenizer (CSV) is stored exactly as the JavaScript reader stores it (JSON lines)', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const rnd = seededRandom(31);
    const texts: Array<string | null> = [];
    for (let i = 0; i < 150_000; i++) {
      const u = rnd();
      // past 65,536 distinct values the column keeps raw bytes: missing markers, doubled
      // quotes, line breaks, repeats, multi-byte text and a field larger than a read-out
      if (u < 0.02) texts.push(null);
      else if (u < 0.03) texts.push(['NA', ' null ', '?', 'N/A'][i % 4]);
      else if (u < 0.04) texts.push(`say "hi" ${i}`);
      else if (u < 0.05) texts.push(`two\nlines ${i}`);
      else if (u < 0.1) texts.push(`again ${i % 50}`);
      else texts.push(i === 120_000 ? 'x'.repeat(1_100_000) : `v${i} ü ${'z'.repeat(i % 30)}`);
    }
    const csv = 't,i\n' + texts.map((t, i) => `${t === null ? '' : /["\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t},${i}`).join('\n') + '\n';
    const jsonl = texts.map((t, i) => JSON.stringify({ t, i })).join('\n') + '\n';
    const a = (await importDataset(w.root, w.write('free.csv', csv))).dataset;
    const b = (await importDataset(w.root, w.write('free.jsonl', jsonl))).dataset;
    expect(a.columns[0].type).toBe('text');
    expect(a.columns[0].missing).toBe(b.columns[0].missing);
    expect(a.columns).toEqual(b.columns);
    expect(a.objects.columns).toEqual(b.objects.columns);
  });

  it('is deterministic: the same bytes give the same columnar object', async () => {
    const a = await makeWorkspace();
    const b = await makeWorkspace();
    cleanup = () => (a.cleanup(), b.cleanup());
    const src = join(VEGA, 'penguins.json');
    const da = (await importDataset(a.root, src)).dataset;
    const db = (await importDataset(b.root, src)).dataset;
    expect(da.objects).toEqual(db.objects);
    expect(da.columns).toEqual(db.columns);
  });

  it('reads the real vega penguins and seattle-weather data', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const p = (await importDataset(w.root, join(VEGA, 'penguins.json'))).dataset;
    expect(p.rows).toBe(344);
    expect(Object.fromEntries(p.columns.map((c) => [c.name, c.type]))).toEqual({
      Species: 'category', Island: 'category', 'Beak Length (mm)': 'number', 'Beak Depth (mm)': 'number',
      'Flipper Length (mm)': 'integer', 'Body Mass (g)': 'integer', Sex: 'category',
    });
    const s = (await importDataset(w.root, join(VEGA, 'seattle-weather.csv'))).dataset;
    expect(s.rows).toBe(1461);
    expect(s.columns.find((c) => c.name === 'date')!.stats).toMatchObject({ min: '2012-01-01T00:00:00.000Z', max: '2015-12-31T00:00:00.000Z' });
    expect(s.columns.find((c) => c.name === 'weather')!.distinct).toBe(5);
  });
});

describe('importDataset with worker threads', () => {
  it('two threads give the same manifest and column objects as one, including a re-read column', async () => {
    const w = await makeWorkspace();
    const v = await makeWorkspace();
    cleanup = () => (w.cleanup(), v.cleanup());
    const lines = ['id,code,"name, quoted",when,flag,amount,note'];
    for (let i = 0; i < 70_000; i++) lines.push(`${i},${i % 9},"Doe, ""J"" ${i % 40}",2024-01-${String((i % 28) + 1).padStart(2, '0')},${i % 3 ? 'yes' : 'no'},${i % 11 === 0 ? 'NA' : (i * 0.25).toFixed(2)},"line\nbreak ${i}"`);
    lines.push('70000,X9,"Doe, ""J"" 1",2024-02-01,yes,1.5,end');
    const text = lines.join('\n') + '\n';
    const one = (await importDataset(w.root, w.write('t.csv', text), { threads: 1 })).dataset;
    const two = (await importDataset(v.root, v.write('t.csv', text), { threads: 2 })).dataset;
    expect(two.columns).toEqual(one.columns);
    expect(two.objects).toEqual(one.objects);
    expect(two.columns.map((c) => c.type)).toEqual(['integer', 'category', 'category', 'datetime', 'boolean', 'number', 'text']);
    const code = load(v.root, two).code as { codes: Int32Array; levels: string[] };
    expect(code.levels[code.codes[70_000]]).toBe('X9');
  });

  it('a wide table (smaller blocks) gives the same column objects with two threads as with one', async () => {
    const w = await makeWorkspace();
    const v = await makeWorkspace();
    cleanup = () => (w.cleanup(), v.cleanup());
    const width = 600; // blocks of 8,192 rows (16,384 for a share of 300): the block size follows the width
    const lines = [Array.from({ length: width }, (_, k) => `c${k}`).join(',')];
    for (let r = 0; r < 9_000; r++) lines.push(Array.from({ length: width }, (_, k) => (r * (k + 1)) % 97).join(','));
    const text = lines.join('\n') + '\n';
    const one = (await importDataset(w.root, w.write('wide.csv', text), { threads: 1 })).dataset;
    const two = (await importDataset(v.root, v.write('wide.csv', text), { threads: 2 })).dataset;
    expect(two.objects).toEqual(one.objects);
    expect(two.columns).toEqual(one.columns);
  });

  it('errors found in a worker surface as the same user-facing errors', async () => {
    const w = await makeWorkspace();
    cleanup = w.cleanup;
    const before = snapshotTree(w.root);
    await expect(importDataset(w.root, w.write('r.csv', 'a,b,c\n1,2,3\n4,5\n'), { threads: 2 })).rejects.toMatchObject({ code: 'RAGGED_ROW', category: 'validation', message: expect.stringContaining('line 3') });
    await expect(importDataset(w.root, w.write('n.csv', Buffer.from('a,b\n1,2\n\u0000,3\n')), { threads: 2 })).rejects.toMatchObject({ code: 'NUL_BYTE', message: expect.stringContaining('line 3') });
    expect(snapshotTree(w.root)).toEqual(before);
  });
});
