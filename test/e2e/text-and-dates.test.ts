// Issue #22 through the built CLI: free text becomes TF-IDF features, dates in the forms people
// write are read with their format recorded, and `pipeline validate` follows the columns
// through the steps as the run will.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfly, makeCliWorkspace, seededRandom, VEGA } from '../helpers.js';

let ws: string;
let cleanup: () => void;
const run = (args: string[]) => bfly(['-C', ws, ...args]);
const draft = (name: string) => join(ws, '.butterfly', 'experiments', name, 'pipeline.yaml');
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

const GOOD = ['great', 'excellent', 'loved', 'wonderful', 'superb'];
const BAD = ['awful', 'boring', 'hated', 'terrible', 'dull'];
const FILLER = 'the a film plot actor scene music story camera ending cast director script long short old new first last light dark quiet loud'.split(' ');

/** A table whose label depends only on words in `review`: `score` is noise, `id` unique per row. */
function reviews(rows: number, seed: number): string {
  const rnd = seededRandom(seed);
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const lines = ['id,review,score,label'];
  for (let i = 0; i < rows; i++) {
    const good = rnd() < 0.5;
    const words = Array.from({ length: 6 + Math.floor(rnd() * 6) }, () => pick(FILLER));
    words.splice(Math.floor(rnd() * words.length), 0, pick(good ? GOOD : BAD));
    lines.push(`r${i},"${words.join(' ')}",${(rnd() * 10).toFixed(2)},${good ? 'pos' : 'neg'}`);
  }
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  ({ ws, cleanup } = await makeCliWorkspace());
  writeFileSync(join(ws, 'reviews.csv'), reviews(400, 7));
  expect((await run(['dataset', 'import', join(ws, 'reviews.csv')])).exitCode).toBe(0);
});
afterAll(() => cleanup());

describe('text features', () => {
  it('the template tokenizes free text by default; the label that lives in the words is learnt; identifiers are dropped with the reason', async () => {
    const c = await run(['experiment', 'create', 'rv', '--dataset', 'reviews', '--target', 'label']);
    expect(c.exitCode, c.stderr).toBe(0);
    expect(readFileSync(draft('rv'), 'utf8')).toContain('steps: [{op: text, columns: [review]}]');
    expect((await run(['pipeline', 'set', 'rv', 'blocks.model_selection.config.candidates=[{model: logistic_regression}]'])).exitCode).toBe(0);
    const r = await run(['run', 'rv', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const m = last(r.stdout);
    expect(m.selection.cv.mean).toBeGreaterThanOrEqual(0.95);
    expect(m.data.columns).toEqual([
      { name: 'id', type: 'text', use: 'dropped', reason: 'identifier-like: a different single-word value in each of 400 rows' },
      expect.objectContaining({ name: 'review', type: 'text', use: 'text', reason: expect.stringMatching(/^free text, [\d,]+ distinct values: tokenized \(words\), up to 100 TF-IDF features$/) }),
      expect.objectContaining({ name: 'score', use: 'numeric' }),
      expect.objectContaining({ name: 'label', use: 'target' }),
    ]);
    // the words are what the model uses
    const explain = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', m.id, 'artifacts', 'explain.json'), 'utf8'));
    expect(explain.importance[0].feature).toBe('review');
    // new rows: text read the same way (vocabulary learnt from the training rows)
    writeFileSync(join(ws, 'new.csv'), 'id,review,score\nx1,"what a wonderful story",3\nx2,"a dull and boring plot",3\n');
    const p = await run(['predict', 'rv@latest', join(ws, 'new.csv')]);
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout.trim().split('\n')).toEqual(['prediction', 'pos', 'neg']);
  }, 180_000);

  it('without the text step the same table is at chance, and the column says why it is dropped', async () => {
    expect((await run(['experiment', 'create', 'rv0', '--dataset', 'reviews', '--target', 'label'])).exitCode).toBe(0);
    expect((await run(['pipeline', 'set', 'rv0', 'blocks.features.config.steps=[]'])).exitCode).toBe(0);
    expect((await run(['pipeline', 'set', 'rv0', 'blocks.model_selection.config.candidates=[{model: logistic_regression}]'])).exitCode).toBe(0);
    const m = last((await run(['run', 'rv0', '--json'])).stdout);
    expect(m.selection.cv.mean).toBeLessThan(0.65);
    expect(m.data.columns[1]).toMatchObject({ name: 'review', use: 'dropped', reason: expect.stringContaining('no text step reads it') });
  }, 180_000);

  it('hooks at split and features see text columns as strings, and what they return stays text', async () => {
    mkdirSync(join(ws, 'hooks'), { recursive: true });
    // the same file after split (it gets outputs) and before features (inputs): the second sees what the first returned
    writeFileSync(
      join(ws, 'hooks', 'words.js'),
      [
        'export default function (ctx) {',
        "  const key = ctx.outputs && ctx.outputs.train ? 'outputs' : 'inputs';",
        '  const { train, test } = ctx[key];',
        '  for (const part of [train, test]) {',
        '    const texts = part.columns.review;',
        "    if (typeof texts[0] !== 'string') throw new Error('review is not text: ' + typeof texts[0]);",
        "    part.columns['words_' + key] = Float64Array.from(texts, (t) => t.split(' ').length);",
        '  }',
        "  bfly.log(key + ': review seen as text: ' + train.columns.review[0]);",
        '  return { [key]: { train, test } };',
        '}',
      ].join('\n'),
    );
    expect((await run(['hook', 'add', 'rv', 'after_split', '--file', join(ws, 'hooks', 'words.js')])).exitCode).toBe(0);
    expect((await run(['hook', 'add', 'rv', 'before_features', '--file', join(ws, 'hooks', 'words.js')])).exitCode).toBe(0);
    const r = await run(['run', 'rv', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const log = readFileSync(join(ws, '.butterfly', 'runs', last(r.stdout).id, 'events.jsonl'), 'utf8');
    expect(log).toMatch(/outputs: review seen as text: [a-z]+ [a-z]+/);
    expect(log).toMatch(/inputs: review seen as text: [a-z]+ [a-z]+/);
    const m = last(r.stdout);
    expect(m.selection.cv.mean).toBeGreaterThanOrEqual(0.95); // still tokenized after the hook
    const explain = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', m.id, 'artifacts', 'explain.json'), 'utf8'));
    expect(explain.importance.map((i: { feature: string }) => i.feature)).toEqual(expect.arrayContaining(['words_outputs', 'words_inputs', 'review']));
  }, 180_000);
});

describe('dates as people write them', () => {
  it('month names, day-first and month-first numbers, times and zones: the format recorded; a column that fails to parse is text and says so', async () => {
    writeFileSync(
      join(ws, 'dates.csv'),
      [
        'named,dmy,mdy,stamp,broken,y',
        'Jun 12 1998,06/12/1998,06/12/1998,1998-06-12 10:00,Jun 12 1998,1',
        'Aug 07 1998,13/06/1998,06/13/1998,1998-06-12T10:00:00+02:00,Jun 31 1998,2',
        '"Dec 31, 2001",01/02/2000,01/02/2000,1998-06-12 10:00 UTC,Jul 01 1998,3',
      ].join('\n') + '\n',
    );
    const r = await run(['dataset', 'import', join(ws, 'dates.csv'), '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const cols = Object.fromEntries(last(r.stdout).columns.map((c: { name: string }) => [c.name, c]));
    expect(cols.named).toMatchObject({ type: 'datetime', format: 'MMM DD YYYY | MMM DD, YYYY', stats: { min: '1998-06-12T00:00:00.000Z', max: '2001-12-31T00:00:00.000Z' } });
    expect(cols.dmy).toMatchObject({ type: 'datetime', format: 'DD/MM/YYYY', reason: expect.stringContaining('day first: a first number is above 12'), stats: { min: '1998-06-13T00:00:00.000Z' } });
    expect(cols.mdy).toMatchObject({ type: 'datetime', format: 'MM/DD/YYYY', reason: expect.stringContaining('month first') });
    expect(cols.stamp).toMatchObject({ type: 'datetime', stats: { min: '1998-06-12T08:00:00.000Z', max: '1998-06-12T10:00:00.000Z' } });
    expect(cols.broken).toMatchObject({ type: 'text', reason: 'looks like dates, but 1 of 3 distinct values does not parse as one date format (e.g. "Jun 31 1998"): kept as text' });
    const show = await run(['dataset', 'show', 'dates']);
    expect(show.stdout).toContain('dates written DD/MM/YYYY');
  });

  it('date_parts works on movies\' `Jun 12 1998` release dates, validated and run; predict reads the same format', async () => {
    expect((await run(['dataset', 'import', join(VEGA, 'movies.json')])).exitCode).toBe(0);
    expect((await run(['experiment', 'create', 'mv', '--dataset', 'movies', '--target', 'IMDB Rating'])).exitCode).toBe(0);
    expect(readFileSync(draft('mv'), 'utf8')).toContain('steps: [{op: text, columns: [Title]}]');
    const steps = '[{op: date_parts, columns: ["Release Date"], parts: [year, month]}, {op: text, columns: [Title]}]';
    expect((await run(['pipeline', 'set', 'mv', `blocks.features.config.steps=${steps}`])).exitCode).toBe(0);
    expect((await run(['pipeline', 'set', 'mv', 'blocks.model_selection.config.candidates=[{model: linear_regression}]'])).exitCode).toBe(0);
    expect((await run(['pipeline', 'validate', 'mv'])).exitCode).toBe(0);
    const r = await run(['run', 'mv', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const m = last(r.stdout);
    expect(m.data.columns.find((c: { name: string }) => c.name === 'Release Date')).toMatchObject({ type: 'datetime', use: 'date', reason: 'dates, split into year, month' });
    expect(m.data.columns.find((c: { name: string }) => c.name === 'Title')).toMatchObject({ use: 'text' });
    const movies = JSON.parse(readFileSync(join(VEGA, 'movies.json'), 'utf8')).slice(0, 2);
    writeFileSync(join(ws, 'movies-new.json'), JSON.stringify(movies));
    const p = await run(['predict', 'mv@latest', join(ws, 'movies-new.json')]);
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout.trim().split('\n')).toHaveLength(3);
    movies[1]['Release Date'] = '31/31/1998';
    writeFileSync(join(ws, 'movies-bad.json'), JSON.stringify(movies));
    const bad = await run(['predict', 'mv@latest', join(ws, 'movies-bad.json')]);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain('column "Release Date" row 2: "31/31/1998" is not a datetime');
  }, 180_000);
});

describe('validation follows the columns as the run sees them', () => {
  /** The problems `pipeline validate` finds in the draft with these feature steps (edited by hand), after `pipeline set` refused the same. */
  const validate = async (steps: string): Promise<string[]> => {
    const s = await run(['pipeline', 'set', 'mv', `blocks.features.config.steps=${steps}`]);
    const text = readFileSync(draft('mv'), 'utf8');
    writeFileSync(draft('mv'), text.replace(/^ {6}steps: .*$/m, `      steps: ${steps}`));
    const v = await run(['pipeline', 'validate', 'mv', '--json']);
    expect(s.exitCode === 0).toBe(v.exitCode === 0);
    return JSON.parse(v.stdout).problems.map((p: { message: string }) => p.message);
  };

  it.each([
    ['date_parts', 'Title', /date_parts works on date columns, but `Title` holds free text/],
    ['date_parts', 'Director', /date_parts works on date columns, but `Director` holds a category/],
    ['log1p', 'Title', /log1p works on numeric columns, but `Title` holds free text/],
    ['log1p', 'Release Date', /log1p works on numeric columns, but `Release Date` holds dates/],
    ['polynomial', 'Title', /polynomial works on numeric columns, but `Title` holds free text/],
    ['polynomial', 'Release Date', /polynomial works on numeric columns, but `Release Date` holds dates/],
    ['text', 'Release Date', /text works on text \(or category\) columns, but `Release Date` holds dates/],
    ['text', 'US Gross', /text works on text \(or category\) columns, but `US Gross` holds numbers/],
  ])('%s on %s is refused before any run', async (op, column, message) => {
    const problems = await validate(`[{op: ${op}, columns: ["${column}"]}]`);
    expect(problems.join('\n')).toMatch(message);
  });

  it.each(['date_parts', 'log1p', 'polynomial', 'text', 'drop'])('%s on a column an earlier step dropped or replaced is refused, naming that step', async (op) => {
    const column = op === 'date_parts' ? 'Release Date' : op === 'text' ? 'Title' : 'US Gross';
    const dropped = await validate(`[{op: drop, columns: ["${column}"]}, {op: ${op}, columns: ["${column}"]}]`);
    expect(dropped.join('\n')).toContain(`\`${column}\` is no longer there when step 1 of features runs: dropped by step 0 of features`);
  });

  it('a date split into parts, or text tokenized, is gone for later steps, and its parts are there; the target is never a feature', async () => {
    expect((await validate('[{op: date_parts, columns: ["Release Date"]}, {op: log1p, columns: ["Release Date.year"]}]'))).toEqual([]);
    expect((await validate('[{op: date_parts, columns: ["Release Date"]}, {op: drop, columns: ["Release Date"]}]')).join('\n')).toContain('split into Release Date.year, Release Date.month, Release Date.day, Release Date.dayofweek by step 0 of features');
    expect((await validate('[{op: text, columns: [Title]}, {op: drop, columns: [Title]}]')).join('\n')).toContain('tokenized into Title:<token> features by step 0 of features');
    expect((await validate('[{op: log1p, columns: ["IMDB Rating"]}]')).join('\n')).toContain('`IMDB Rating` is the target');
    expect((await validate('[{op: log1p, columns: ["US Grosss"]}]')).join('\n')).toMatch(/no column `US Grosss` in the dataset/);
  });
});
