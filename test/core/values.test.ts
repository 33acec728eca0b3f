import { describe, expect, it } from 'vitest';
import { isMissingBytes, lastNumber, parseBooleanWord, parseDateBytes, parseNumberBytes } from '../../src/core/values.js';

const b = (s: string) => Buffer.from(s);
const num = (s: string) => parseNumberBytes(b(s), 0, b(s).length);
const date = (s: string) => parseDateBytes(b(s), 0, b(s).length);

describe('parseNumberBytes', () => {
  it('parses what Number() parses, correctly rounded', () => {
    for (const s of ['0', '-0', '42', '+7', '-3.25', '0.1', '.5', '5.', '1e5', '1E-3', '-2.5e+10', '123456789012345678901234', '0.1234567890123456789', '4.9e-324', '1.7976931348623157e308', '000123']) {
      expect(num(s), s).toBe(Number(s));
    }
  });

  it('rejects what is not a plain decimal number', () => {
    for (const s of ['', '-', '.', 'e5', '1e', '1.2.3', '12a', '0x1F', 'Infinity', '1,000', '--1', '1 2']) {
      expect(num(s), s).toBeNaN();
    }
  });

  it('tells whole-number syntax from fractions and exponents', () => {
    num('12');
    expect(lastNumber.integerSyntax).toBe(true);
    num('12.0');
    expect(lastNumber.integerSyntax).toBe(false);
    num('1e3');
    expect(lastNumber.integerSyntax).toBe(false);
    num('99999999999999999999');
    expect(lastNumber.integerSyntax).toBe(false);
  });
});

describe('parseDateBytes', () => {
  it('parses ISO dates and date-times as UTC epoch ms', () => {
    expect(date('2012-01-01')).toBe(Date.UTC(2012, 0, 1));
    expect(date('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
    expect(date('1969-12-31T23:59:59Z')).toBe(Date.UTC(1969, 11, 31, 23, 59, 59));
    expect(date('2024-03-05 12:34')).toBe(Date.UTC(2024, 2, 5, 12, 34));
    expect(date('2024-03-05T12:34:56.789')).toBe(Date.UTC(2024, 2, 5, 12, 34, 56, 789));
    expect(date('2024-03-05T12:00:00+02:00')).toBe(Date.UTC(2024, 2, 5, 10));
    expect(date('2024/03/05')).toBe(Date.UTC(2024, 2, 5));
    expect(date('1600-01-01')).toBe(Date.UTC(1600, 0, 1));
  });

  it('rejects impossible or partial dates', () => {
    for (const s of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-1-1', '2024-01-01T25:00', '2024-01-01X', '20240101', 'hello world']) {
      expect(date(s), s).toBeNaN();
    }
  });
});

describe('missing markers and booleans', () => {
  it('recognises NA, N/A, null, NaN and ? in any case', () => {
    for (const s of ['NA', 'na', 'N/A', 'n/a', 'null', 'NULL', 'NaN', 'nan', '?']) expect(isMissingBytes(b(s), 0, s.length), s).toBe(true);
    for (const s of ['N', 'NAN1', 'none', '0', '??', 'nul']) expect(isMissingBytes(b(s), 0, s.length), s).toBe(false);
  });

  it('reads true/false/yes/no', () => {
    expect(parseBooleanWord(' TRUE ')).toBe(1);
    expect(parseBooleanWord('no')).toBe(0);
    expect(parseBooleanWord('maybe')).toBe(-1);
  });
});
