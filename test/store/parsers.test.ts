import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { type CsvHandlers, CsvParser, MAX_COLUMNS, fieldText, type ReadFn } from '../../src/store/import/csv.js';
import { parseJsonArray, parseJsonLines } from '../../src/store/import/json.js';

/** A ReadFn over `data` that hands out at most `step(i)` bytes per call. */
function reader(data: Buffer, step: (call: number) => number): ReadFn {
  let pos = 0;
  let call = 0;
  return (buf, off, len) => {
    const n = Math.min(len, data.length - pos, step(call++));
    data.copy(buf, off, pos, pos + n);
    pos += n;
    return n;
  };
}

/** Parses with a `record` handler, or with `records` (batches) when `batched`. */
function parseCsvWith(text: string | Buffer, step = (_: number) => 1 << 20, delimiter = 44, batched = false): { header: string[]; rows: string[][]; lines: number[] } {
  const out = { header: [] as string[], rows: [] as string[][], lines: [] as number[] };
  const handlers: CsvHandlers = batched
    ? {
        header: (names) => (out.header = names),
        records: (b) => {
          for (let r = 0; r < b.count; r++) {
            const row: string[] = [];
            for (let k = 0; k < b.width; k++) row.push(fieldText(b.buf, b.starts[r * b.width + k], b.ends[r * b.width + k], b.flags[r * b.width + k]));
            out.rows.push(row);
            out.lines.push(b.lines[r]);
          }
        },
      }
    : {
        header: (names) => (out.header = names),
        record: (buf, s, e, f, n, line) => {
          const row: string[] = [];
          for (let k = 0; k < n; k++) row.push(fieldText(buf, s[k], e[k], f[k]));
          out.rows.push(row);
          out.lines.push(line);
        },
      };
  new CsvParser(delimiter, handlers, 'test.csv').run(reader(Buffer.isBuffer(text) ? text : Buffer.from(text), step), 16);
  return out;
}

const TRICKY = '\uFEFFname,"note, with comma",n\r\n"Smith, J","line1\nline2",1\r\n\r\n"say ""hi""",,2\nü∂,"",3';

describe.each([
  ['one record at a time', false],
  ['in batches', true],
])('CsvParser, %s', (_, batched) => {
  const parseCsv = (text: string | Buffer, step?: (call: number) => number, delimiter?: number) => parseCsvWith(text, step, delimiter, batched);

  it('parses quotes, doubled quotes, embedded newlines, CRLF, BOM and blank lines', () => {
    const r = parseCsv(TRICKY);
    expect(r.header).toEqual(['name', 'note, with comma', 'n']);
    expect(r.rows).toEqual([
      ['Smith, J', 'line1\nline2', '1'],
      ['say "hi"', '', '2'],
      ['ü∂', '', '3'],
    ]);
    expect(r.lines).toEqual([2, 5, 6]);
  });

  it('gives the same records whatever the read sizes (every buffer boundary)', () => {
    const expected = parseCsv(TRICKY);
    for (const size of [1, 2, 3, 5, 7]) {
      expect(parseCsv(TRICKY, () => size), `reads of ${size}`).toEqual(expected);
    }
    expect(parseCsv(TRICKY, (i) => 1 + (i % 4))).toEqual(expected);
  });

  it('takes up to MAX_COLUMNS fields a record, and names the line of one with more', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    const ok = parseCsv(`${names(MAX_COLUMNS)}\n${'1,'.repeat(MAX_COLUMNS - 1)}1\n`);
    expect(ok.header.length).toBe(MAX_COLUMNS);
    expect(ok.rows[0].length).toBe(MAX_COLUMNS);
    for (const [text, line] of [[`${names(MAX_COLUMNS + 1)}\n`, 1], [`a,b\n1,2\n${'1,'.repeat(MAX_COLUMNS)}1\n`, 3]] as const) {
      let err: unknown;
      try {
        parseCsv(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ code: 'TOO_MANY_COLUMNS', message: expect.stringContaining(`line ${line}:`) });
    }
  });

  it('finds every field end wherever it falls in the sixteen bytes scanned at a time', () => {
    const rows: string[][] = [];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let r = 0; r < 300; r++) rows.push(Array.from({ length: 4 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789éü'.slice(0, Math.floor(next() * 40))));
    const text = 'a,b,c,d\n' + rows.map((row, i) => row.join(',') + (i % 3 === 0 ? '\r\n' : '\n')).join('');
    expect(parseCsv(text).rows).toEqual(rows); // one buffer: most fields are scanned by the vector loop
    expect(parseCsv(text, () => 7).rows).toEqual(rows);
  });

  it('handles a trailing delimiter and no final newline', () => {
    expect(parseCsv('a,b\n1,').rows).toEqual([['1', '']]);
    expect(parseCsv('a,b\n1,2').rows).toEqual([['1', '2']]);
    expect(parseCsv('a\tb\nx y\tz\n', undefined, 9).rows).toEqual([['x y', 'z']]);
  });

  it('names the line of a ragged row, an unclosed quote and text after a closing quote', () => {
    const err = (text: string): ValidationError => {
      try {
        parseCsv(text);
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('no error');
    };
    expect(err('a,b\n1,2\n3\n').message).toBe('test.csv: line 3: has 1 field, but the header has 2');
    expect(err('a,b\n1,2\n"3,4\n5,6\n').code).toBe('UNCLOSED_QUOTE');
    expect(err('a,b\n1,2\n"3,4\n5,6\n').data.line).toBe(3);
    expect(err('a,b\n"x"y,2\n').code).toBe('BAD_QUOTE');
    expect(err('').code).toBe('EMPTY_FILE');
    expect(err('\n\n').code).toBe('EMPTY_FILE');
  });

  it('refuses a record over 16 MiB', () => {
    const big = Buffer.concat([Buffer.from('a\n"'), Buffer.alloc(17 * 1024 * 1024, 120), Buffer.from('"\n')]);
    expect(() => parseCsv(big)).toThrow(/larger than 16 MiB/);
  });

  it('gives the same records across many batches and read boundaries', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => [String(i), i % 7 === 0 ? `"q,${i}"` : `v${i % 13}`, i % 11 === 0 ? '' : String(i * 0.5)]);
    const text = 'a,b,c\n' + rows.map((r, i) => r.join(',') + (i % 5 === 0 ? '\r\n' : '\n') + (i % 997 === 0 ? '\n' : '')).join('');
    const expected = rows.map((r) => r.map((f) => f.replace(/^"(.*)"$/, '$1')));
    for (const step of [1 << 20, 1000, 37]) {
      const got = parseCsv(text, () => step);
      expect(got.rows).toEqual(expected);
      expect(got.lines[9999]).toBe(10_001 + Math.floor(9999 / 997) + 1);
    }
  });
});

describe('JSON readers', () => {
  const ARRAY = '\uFEFF[\n {"a": 1, "s": "x ] } , {"},\n {"a": [1, {"b": 2}], "s": "\\"q\\"\\n"}\n]\n';

  function collect(fn: typeof parseJsonArray, text: string, step = 1 << 20): Array<[unknown, number]> {
    const out: Array<[unknown, number]> = [];
    fn(reader(Buffer.from(text), () => step), (o, line) => out.push([o, line]), 'x.json');
    return out;
  }

  it('streams the objects of an array with their line numbers, at any read size', () => {
    const expected = [[{ a: 1, s: 'x ] } , {' }, 2], [{ a: [1, { b: 2 }], s: '"q"\n' }, 3]];
    expect(collect(parseJsonArray, ARRAY)).toEqual(expected);
    for (const step of [1, 2, 3, 7]) expect(collect(parseJsonArray, ARRAY, step)).toEqual(expected);
  });

  it('refuses what is not an array of objects, naming where', () => {
    expect(() => collect(parseJsonArray, '{"a": 1}')).toThrow(/expected a JSON array, found an object/);
    expect(() => collect(parseJsonArray, '[1, 2]')).toThrow(/element 1 of the array is not an object/);
    expect(() => collect(parseJsonArray, '[{"a": 1},\n {"a": }]')).toThrow(/line 2: element 2 is not valid JSON/);
    expect(() => collect(parseJsonArray, '[{"a": 1}')).toThrow(/never closed/);
    expect(() => collect(parseJsonArray, '[{"a": 1},]')).toThrow(/trailing comma/);
    expect(() => collect(parseJsonArray, '[{"a": 1}] x')).toThrow(/after the closing/);
    expect(() => collect(parseJsonArray, '   ')).toThrow(/empty/);
  });

  it('JSONL: one object per line, blank lines skipped, broken line named', () => {
    expect(collect(parseJsonLines, '{"a":1}\n\n{"a":2}\r\n{"a":3}')).toEqual([[{ a: 1 }, 1], [{ a: 2 }, 3], [{ a: 3 }, 4]]);
    expect(collect(parseJsonLines, '{"a":1}\n{"a":2}\n', 1)).toEqual([[{ a: 1 }, 1], [{ a: 2 }, 2]]);
    expect(() => collect(parseJsonLines, '{"a":1}\n{"a":\n')).toThrow(/line 2: the line is not valid JSON/);
    expect(() => collect(parseJsonLines, '{"a":1}\n[1]\n')).toThrow(/line 2: expected a JSON object, found an array/);
  });
});
