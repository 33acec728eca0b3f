// The tokenizer's column readers (csv.wat `values`) against core/values.ts: every value they
// read must be exactly what JavaScript reads, and what they leave must be left to JavaScript.
import { describe, expect, it } from 'vitest';
import { bytesReader, seededRandom } from '../helpers.js';
import { isMissingBytes, lastNumber, parseDateBytes, parseNumberBytes } from '../../src/core/values.js';
import { type CsvBatch, CsvParser, ValueKind } from '../../src/store/import/csv.js';

/** What JavaScript makes of one field: NaN and missing, a value, or null (not a number/date). */
function reference(kind: number, field: Buffer, escaped: boolean): { missing: boolean; value: number; fraction: boolean } | null {
  if (escaped) return null;
  let a = 0;
  let b = field.length;
  while (a < b && (field[a] === 32 || field[a] === 9)) a++;
  while (b > a && (field[b - 1] === 32 || field[b - 1] === 9)) b--;
  if (a === b || (b - a <= 4 && isMissingBytes(field, a, b))) return { missing: true, value: NaN, fraction: false };
  const value = kind === ValueKind.Number ? parseNumberBytes(field, a, b) : parseDateBytes(field, a, b);
  return Number.isNaN(value) ? null : { missing: false, value, fraction: kind === ValueKind.Number && !lastNumber.integerSyntax };
}

/** A number that the tokenizer leaves to JavaScript: more than 15 digits, or a power of ten past 1e22. */
function slowPath(text: string): boolean {
  const m = /^[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(text.trim())!;
  const fracDigits = (m[2] ?? '').length;
  const e10 = Number(m[3] ?? 0) - fracDigits;
  return m[1].length + fracDigits > 15 || e10 < -22 || e10 > 22;
}

interface Outcome {
  read: number;
  left: number;
}

/** Parses a one-column CSV of `fields` and checks every batch's `values` against {@link reference}. */
function check(kind: number, fields: string[]): Outcome {
  // a second column, so that an empty field is not a blank line
  const text = 'v,w\n' + fields.map((f) => (/[",\n\r]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f) + ',x').join('\n') + '\n';
  const out: Outcome = { read: 0, left: 0 };
  let row = 0;
  new CsvParser(44, {
    header: () => undefined,
    records: (batch: CsvBatch) => {
      let r = 0;
      while (r < batch.count) {
        const stop = batch.values(kind, 0, r);
        let missing = 0;
        let fraction = false;
        for (let i = r; i < stop; i++) {
          const field = Buffer.from(batch.buf.subarray(batch.starts[i * 2], batch.ends[i * 2]));
          const ref = reference(kind, field, (batch.flags[i * 2] & 2) !== 0);
          expect(ref, `row ${row + i}: ${JSON.stringify(field.toString())} was read but JavaScript does not read it`).not.toBeNull();
          expect(Object.is(batch.out[i], ref!.value), `row ${row + i}: ${JSON.stringify(field.toString())}: ${batch.out[i]} vs ${ref!.value}`).toBe(true);
          if (ref!.missing) missing++;
          if (ref!.fraction) fraction = true;
        }
        expect(batch.missing).toBe(missing);
        expect(batch.fraction).toBe(fraction);
        out.read += stop - r;
        if (stop < batch.count) {
          const field = Buffer.from(batch.buf.subarray(batch.starts[stop * 2], batch.ends[stop * 2]));
          const ref = reference(kind, field, (batch.flags[stop * 2] & 2) !== 0);
          // left to JavaScript: not a value there either, or one for its slow path
          if (ref !== null) expect(kind === ValueKind.Number && slowPath(field.toString()), JSON.stringify(field.toString())).toBe(true);
          out.left++;
        }
        r = stop + 1;
      }
      row += batch.count;
    },
  }, 'values.csv').run(bytesReader(text));
  return out;
}

function digits(rnd: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rnd() * 10);
  return s;
}

describe('CsvBatch.values', () => {
  it('reads numbers exactly as parseNumberBytes does, and leaves the slow path and non-numbers to it', () => {
    const rnd = seededRandom(7);
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    const fields: string[] = [];
    for (let i = 0; i < 30000; i++) {
      const shape = rnd();
      if (shape < 0.6) {
        // plain decimals of every length, signs, points, exponents
        const sign = pick(['', '', '-', '+']);
        const int = digits(rnd, Math.floor(rnd() * 12));
        const frac = rnd() < 0.6 ? '.' + digits(rnd, Math.floor(rnd() * 10)) : '';
        const exp = rnd() < 0.15 ? pick(['e', 'E']) + pick(['', '-', '+']) + digits(rnd, Math.floor(rnd() * 3)) : '';
        fields.push(sign + int + frac + exp);
      } else if (shape < 0.7) {
        fields.push(pick(['', ' ', 'NA', 'na', 'N/A', 'n/a', 'null', 'NULL', 'NaN', 'nan', '?', ' NA ', '\t?', 'nul', 'nulls', 'n', 'N/', 'None']));
      } else if (shape < 0.8) {
        // long mantissas, leading zeros, far exponents: the slow path
        fields.push(pick(['', '-']) + '0'.repeat(Math.floor(rnd() * 20)) + digits(rnd, 1 + Math.floor(rnd() * 22)) + (rnd() < 0.5 ? '.' + digits(rnd, Math.floor(rnd() * 8)) : '') + (rnd() < 0.3 ? 'e' + pick(['-', '']) + digits(rnd, 1 + Math.floor(rnd() * 3)) : ''));
      } else if (shape < 0.9) {
        // spaces, quotes, junk
        fields.push(pick([' ', '\t', '']) + pick(['1', '-2.5', '3e4', '0.000', '7.']) + pick([' ', '\t', '', 'x', '..', '.5', 'e', '"']));
      } else {
        fields.push(pick(['Infinity', '-Infinity', '0x10', '1_000', '1,5', '١٢', '1..2', '.', '-', '+', '+.5', '-.e1', '1e', '1e+', '--1', '12a', 'a12', '"1"', '1 2', '-0', '0', '00', '0.0', '9007199254740993', '123456789012345', '1234567890123456', '1e22', '1e23', '1e-22', '1e-23']));
      }
    }
    const { read, left } = check(ValueKind.Number, fields);
    expect(read + left).toBe(fields.length);
    expect(read).toBeGreaterThan(fields.length * 0.6);
  });

  it('reads dates exactly as parseDateBytes does', () => {
    const rnd = seededRandom(11);
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    const two = (n: number) => String(n).padStart(2, '0');
    const fields: string[] = [];
    for (let i = 0; i < 30000; i++) {
      const y = pick([0, 1, 4, 100, 400, 1600, 1900, 1969, 1970, 2000, 2020, 2023, 2024, 2100, 9999]) + (rnd() < 0.3 ? Math.floor(rnd() * 50) : 0);
      const mo = Math.floor(rnd() * 14);
      const d = Math.floor(rnd() * 33);
      const sep = pick(['-', '-', '/', '.']);
      let s = `${String(y).padStart(4, '0')}${sep}${two(mo)}${rnd() < 0.95 ? sep : '-'}${two(d)}`;
      if (rnd() < 0.6) {
        s += pick(['T', ' ', 't', '_']) + two(Math.floor(rnd() * 26)) + pick([':', ':', '-']) + two(Math.floor(rnd() * 62));
        if (rnd() < 0.7) s += ':' + two(Math.floor(rnd() * 62)).slice(0, rnd() < 0.05 ? 1 : 2);
        if (rnd() < 0.4) s += '.' + digits(rnd, Math.floor(rnd() * 7));
        if (rnd() < 0.5) s += pick(['Z', 'z', '+01:00', '-05:30', '+14:00', '+1:00', '-0530', 'ZZ', '+01:0x', ' ']);
      }
      if (rnd() < 0.05) s = s.slice(0, Math.floor(rnd() * s.length));
      if (rnd() < 0.05) s = pick(['', 'NA', 'null', '?']);
      fields.push(s);
    }
    const { read, left } = check(ValueKind.Date, fields);
    expect(read + left).toBe(fields.length);
    expect(read).toBeGreaterThan(fields.length * 0.2);
  });
});
