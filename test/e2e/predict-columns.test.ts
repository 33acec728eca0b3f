// Issue #26 part 1: `bfly predict` reads a CSV column-wise (the import tokenizer into typed
// arrays, no object per row). The same rows given as JSON lines go through the object path;
// both must predict the same, whatever the batch size, with every column type and the awkward
// cells (quotes, padding, missing markers in any case, unseen levels, the slow number path),
// and a bad cell is named by its row wherever it falls.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfly, makeCliWorkspace, seededRandom } from '../helpers.js';
import { loadRunModel } from '../../src/runner/model-artifact.js';
import { predictFile, readInputFrames } from '../../src/runner/predict-file.js';
import type { Frame } from '../../src/ml/frame.js';
import { resolveRunRef } from '../../src/store/runs.js';

let ws: string;
let cleanup: () => void;
const run = (args: string[]) => bfly(['-C', ws, ...args]);
const HEADER = ['rid', 'when', 'day', 'flag', 'kind', 'note', 'x', 'n'];
const WORDS = 'red green blue quick slow bright dark calm loud soft'.split(' ');

function pad(v: number): string {
  return String(v).padStart(2, '0');
}

/** Training rows: y depends on x, n, kind and the words; dates and a flag ride along. */
function trainingRows(rows: number): string[][] {
  const r = seededRandom(11);
  const out: string[][] = [];
  for (let i = 0; i < rows; i++) {
    const x = r() * 10 - 5;
    const n = Math.floor(r() * 20);
    const kind = ['A', 'B', 'C', 'D', 'NA'][Math.floor(r() * 5)];
    const words = Array.from({ length: 3 + Math.floor(r() * 4) }, () => WORDS[Math.floor(r() * WORDS.length)]);
    const y = x + (kind === 'B' ? 2 : 0) + (words.includes('red') ? 1.5 : 0) - n / 10 > 0 ? 'up' : 'down';
    const d = 1 + Math.floor(r() * 28);
    const m = 1 + Math.floor(r() * 12);
    out.push([`t${i}`, `2024-${pad(m)}-${pad(d)}`, `${pad(d)}/${pad(m)}/2023`, r() < 0.5 ? 'true' : 'false', kind, words.join(' '), x.toFixed(3), String(n), y]);
  }
  return out;
}

/** New rows with every awkward cell a user sends, as raw texts (what a CSV field holds after unquoting). */
function newRows(): string[][] {
  const base = trainingRows(40).map((row) => row.slice(0, 8));
  const odd: string[][] = [
    ['o1', '2024-03-05T10:20:30', '31/12/2023', 'TRUE', 'b', 'say "red" twice', ' 3.5 ', '7'],
    ['o2', '', 'na', 'no', 'E', '', '0.12345678901234567890123', 'NULL'],
    ['o3', 'NaN', '01/02/2023', 'yes', ' A ', 'red, bright', '1e3', ' 4 '],
    ['o4', '2024-02-29', '', '', 'null', 'N/A', '-0', '?'],
    ['o5', ' 2024-01-01 ', '15/06/2023', 'f', 'B', 'a "quoted" ""word""', '-2.5e-1', '12'],
    ['o6', '2024-12-31', '28/02/2023', 'false', 'C,D', 'soft\nloud', '.5', '+3'],
  ];
  return [...base.slice(0, 20), ...odd, ...base.slice(20)];
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

function writeCsv(file: string, header: string[], rows: string[][]): void {
  writeFileSync(file, [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n');
}

function writeJsonl(file: string, header: string[], rows: string[][]): void {
  writeFileSync(file, rows.map((r) => JSON.stringify(Object.fromEntries(header.map((h, j) => [h, r[j]])))).join('\n') + '\n');
}

beforeAll(async () => {
  ({ ws, cleanup } = await makeCliWorkspace());
  writeCsv(join(ws, 'train.csv'), [...HEADER, 'y'], trainingRows(400));
  expect((await run(['dataset', 'import', join(ws, 'train.csv'), '--name', 'mixed'])).exitCode).toBe(0);
  const show = (await run(['dataset', 'show', 'mixed', '--json'])).json();
  const types = Object.fromEntries(show.columns.map((c: { name: string; type: string }) => [c.name, c.type]));
  // every column type the reader fills is in the table
  expect(types).toMatchObject({ when: 'datetime', day: 'datetime', flag: 'boolean', kind: 'category', note: 'text', x: 'number', n: 'integer' });
  expect((await run(['experiment', 'create', 'm', '--dataset', 'mixed', '--target', 'y'])).exitCode).toBe(0);
  expect((await run(['pipeline', 'set', 'm', 'blocks.model_selection.config.candidates=[{model: gradient_boosting, params: {max_iter: 20}}]', 'blocks.model_selection.config.cv=2'])).exitCode).toBe(0);
  const r = await run(['run', 'm', '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  writeCsv(join(ws, 'new.csv'), HEADER, newRows());
  writeJsonl(join(ws, 'new.jsonl'), HEADER, newRows());
}, 120_000);
afterAll(() => cleanup());

describe('bfly predict, column-wise', () => {
  it('a CSV predicts exactly as the same rows sent as JSON lines, with ids and probabilities, in CSV and JSON out', async () => {
    for (const json of [false, true]) {
      const flags = ['--proba', '--id', 'rid', ...(json ? ['--json'] : [])];
      const a = await run(['predict', 'm@latest', join(ws, 'new.csv'), ...flags]);
      const b = await run(['predict', 'm@latest', join(ws, 'new.jsonl'), ...flags]);
      expect(a.exitCode, a.stderr).toBe(0);
      expect(b.exitCode, b.stderr).toBe(0);
      expect(a.stdout).toBe(b.stdout);
      const lines = a.stdout.trim().split('\n');
      expect(lines.length).toBe(newRows().length + (json ? 0 : 1));
      if (json) {
        const first = JSON.parse(lines[20]);
        expect(first).toEqual({ rid: 'o1', prediction: expect.stringMatching(/^(up|down)$/), proba: { down: expect.any(Number), up: expect.any(Number) } });
        expect(first.proba.down + first.proba.up).toBeCloseTo(1, 12);
      } else expect(lines[0]).toBe('rid,prediction,proba_down,proba_up');
    }
  }, 60_000);

  it('the CSV reader fills every column as the object path does, cell by cell, across batches', () => {
    const model = loadRunModel(ws, resolveRunRef(ws, 'm@latest'));
    /** Each column's cells as comparable values: numbers (NaN as null), level texts, texts; and the ids. */
    const cells = (file: string, batchRows: number): { columns: Record<string, unknown[]>; ids: unknown[]; frames: number } => {
      const columns: Record<string, unknown[]> = {};
      const ids: unknown[] = [];
      let frames = 0;
      readInputFrames(file, model.artifact.inputs, { id: 'rid', batchRows }, (f: Frame, batchIds) => {
        frames++;
        ids.push(...batchIds!);
        for (const c of f.columns) {
          const out = (columns[c.name] ??= []);
          for (let i = 0; i < f.rows; i++) out.push(c.kind === 'numeric' ? (Number.isNaN(c.values[i]) ? null : c.values[i]) : c.kind === 'categorical' ? (c.codes[i] < 0 ? null : c.levels[c.codes[i]]) : c.values[i]);
        }
      });
      return { columns, ids, frames };
    };
    const json = cells(join(ws, 'new.jsonl'), 1000);
    for (const batchRows of [5, 1000]) {
      const csv = cells(join(ws, 'new.csv'), batchRows);
      expect(csv.frames).toBe(Math.ceil(newRows().length / batchRows));
      expect(csv.ids).toEqual(json.ids);
      for (const name of Object.keys(json.columns)) expect(csv.columns[name], name).toEqual(json.columns[name]);
    }
    // the awkward cells, as read
    const c = json.columns;
    const at = (rid: string): number => json.ids.indexOf(rid);
    expect(c.x.slice(at('o1'), at('o6') + 1)).toEqual([3.5, 0.12345678901234568, 1000, -0, -0.25, 0.5]);
    expect(c.n.slice(at('o1'), at('o6') + 1)).toEqual([7, null, 4, null, 12, 3]);
    expect(c.flag.slice(at('o1'), at('o6') + 1)).toEqual([1, 0, 1, null, 0, 0]);
    expect(c.kind.slice(at('o1'), at('o6') + 1)).toEqual(['b', 'E', ' A ', null, 'B', 'C,D']);
    expect(c.note.slice(at('o1'), at('o6') + 1)).toEqual(['say "red" twice', null, 'red, bright', null, 'a "quoted" ""word""', 'soft\nloud']);
    expect(c.when[at('o3')]).toBeNull();
    expect(c.when[at('o1')]).toBe(Date.UTC(2024, 2, 5, 10, 20, 30));
    expect(c.when[at('o5')]).toBe(Date.UTC(2024, 0, 1));
    expect(c.day.slice(at('o1'), at('o6') + 1)).toEqual([Date.UTC(2023, 11, 31), null, Date.UTC(2023, 1, 1), null, Date.UTC(2023, 5, 15), Date.UTC(2023, 1, 28)]);
  });

  it('any batch size gives the same bytes; a bad cell is named by its row in whichever batch it falls', async () => {
    const model = loadRunModel(ws, resolveRunRef(ws, 'm@latest'));
    const text = (file: string, batchRows?: number): string => {
      let s = '';
      predictFile(model, file, { proba: true, id: 'rid', batchRows, write: (t) => (s += t) });
      return s;
    };
    const whole = text(join(ws, 'new.csv'));
    for (const rows of [1, 7, 26, 1000]) {
      expect(text(join(ws, 'new.csv'), rows)).toBe(whole);
      expect(text(join(ws, 'new.jsonl'), rows)).toBe(whole);
    }
    // the model behaves: most of the plain rows are predicted as the rule says
    const rows = newRows();
    const truth = trainingRows(40).map((r) => r[8]);
    const predicted = whole.trim().split('\n').slice(1).map((l) => l.split(',')[1]);
    const plain = rows.map((r, i) => (r[0].startsWith('t') ? i : -1)).filter((i) => i >= 0);
    const right = plain.filter((i, k) => predicted[i] === truth[k]).length;
    expect(right / plain.length).toBeGreaterThan(0.8);

    const bad = newRows();
    bad[24][6] = 'twelve';
    writeCsv(join(ws, 'bad.csv'), HEADER, bad);
    writeJsonl(join(ws, 'bad.jsonl'), HEADER, bad);
    for (const file of ['bad.csv', 'bad.jsonl']) {
      for (const batchRows of [4, 1000]) {
        expect(() => text(join(ws, file), batchRows)).toThrow(/column "x" row 25: "twelve" is not a number/);
      }
    }
    bad[24][6] = '1';
    bad[30][1] = '2024-13-45';
    writeCsv(join(ws, 'bad.csv'), HEADER, bad);
    expect(() => text(join(ws, 'bad.csv'), 8)).toThrow(/column "when" row 31: "2024-13-45" is not a datetime/);
    bad[30][1] = '';
    bad[2][3] = 'maybe';
    writeCsv(join(ws, 'bad.csv'), HEADER, bad);
    expect(() => text(join(ws, 'bad.csv'), 8)).toThrow(/column "flag" row 3: "maybe" is not a boolean/);
  });

  it('refuses an id column that the output already has, a missing column and a bad cell, writing nothing', async () => {
    const out = join(ws, 'never.csv');
    const r = await run(['predict', 'm@latest', join(ws, 'new.csv'), '--id', 'prediction', '--out', out]);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('--id prediction would be written beside the output\'s own "prediction"');
    writeCsv(join(ws, 'short.csv'), ['rid', 'x'], [['a', '1']]);
    const m = await run(['predict', 'm@latest', join(ws, 'short.csv'), '--out', out]);
    expect(m.exitCode).toBe(4);
    expect(m.stderr).toContain('has no column "when", "day", "flag", "kind", "note", "n"');
    const rows = newRows();
    rows[45][7] = '3 apples';
    writeCsv(join(ws, 'late.csv'), HEADER, rows);
    const late = await run(['predict', 'm@latest', join(ws, 'late.csv'), '--out', out]);
    expect(late.exitCode).toBe(4);
    expect(late.stderr).toContain('column "n" row 46: "3 apples" is not a integer');
    expect(existsSync(out)).toBe(false);
    expect((await run(['predict', 'm@latest', join(ws, 'late.csv')])).exitCode).toBe(4);
  });
});
