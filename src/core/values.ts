/**
 * Byte-level recognisers for field values: missing markers, numbers, ISO dates, booleans.
 * They work on UTF-8 bytes so that import never builds a string for a number.
 */

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** Set by {@link parseNumberBytes}: whether the last number was written as a whole number. */
export const lastNumber = { integerSyntax: false };

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * True when `buf[a..b)` (already trimmed, non-empty) is a missing marker: NA, N/A, null, NaN
 * or ? (case-insensitive).
 */
export function isMissingBytes(buf: Uint8Array, a: number, b: number): boolean {
  const len = b - a;
  if (len === 1) return buf[a] === 63; // ?
  if (len === 2) return lower(buf[a]) === 110 && lower(buf[a + 1]) === 97; // na
  if (len === 3) {
    const c0 = lower(buf[a]);
    const c1 = lower(buf[a + 1]);
    const c2 = lower(buf[a + 2]);
    return (c0 === 110 && c1 === 47 && c2 === 97) || (c0 === 110 && c1 === 97 && c2 === 110); // n/a, nan
  }
  if (len === 4) return lower(buf[a]) === 110 && lower(buf[a + 1]) === 117 && lower(buf[a + 2]) === 108 && lower(buf[a + 3]) === 108; // null
  return false;
}

/** True when trimmed bytes spell an infinity: `inf` or `infinity`, any case, optionally signed. */
export function isInfinityBytes(buf: Uint8Array, a: number, b: number): boolean {
  if (a < b && (buf[a] === 43 || buf[a] === 45)) a++;
  const len = b - a;
  if (len !== 3 && len !== 8) return false;
  const word = 'infinity';
  for (let i = 0; i < len; i++) if (lower(buf[a + i]) !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * Parses a decimal number (optional sign, digits, optional fraction, optional exponent) from
 * trimmed bytes; NaN when the bytes are not exactly a number. Uses the exact fast path
 * (mantissa < 2^53, |exponent| <= 22) and falls back to `Number()` otherwise, so results are
 * always correctly rounded.
 */
export function parseNumberBytes(buf: Uint8Array, a: number, b: number): number {
  let i = a;
  let neg = false;
  let c = buf[i];
  if (c === 45 || c === 43) {
    neg = c === 45;
    i++;
  }
  let mant = 0;
  let digits = 0;
  let intDigits = 0;
  let fracDigits = 0;
  let integerSyntax = true;
  while (i < b) {
    c = buf[i];
    if (c < 48 || c > 57) break;
    mant = mant * 10 + (c - 48);
    if (mant !== 0) digits++;
    intDigits++;
    i++;
  }
  if (i < b && buf[i] === 46) {
    integerSyntax = false;
    i++;
    while (i < b) {
      c = buf[i];
      if (c < 48 || c > 57) break;
      mant = mant * 10 + (c - 48);
      if (mant !== 0) digits++;
      fracDigits++;
      i++;
    }
  }
  if (intDigits + fracDigits === 0) return NaN;
  let exp = 0;
  if (i < b && (buf[i] === 101 || buf[i] === 69)) {
    integerSyntax = false;
    i++;
    let eneg = false;
    if (i < b && (buf[i] === 45 || buf[i] === 43)) {
      eneg = buf[i] === 45;
      i++;
    }
    const e0 = i;
    while (i < b) {
      c = buf[i];
      if (c < 48 || c > 57) break;
      exp = exp * 10 + (c - 48);
      if (exp > 100000) exp = 100000;
      i++;
    }
    if (i === e0) return NaN;
    if (eneg) exp = -exp;
  }
  if (i !== b) return NaN;
  lastNumber.integerSyntax = integerSyntax;
  const e10 = exp - fracDigits;
  let value: number;
  if (digits <= 15 && e10 >= -22 && e10 <= 22) {
    value = e10 >= 0 ? mant * POW10[e10] : mant / POW10[-e10];
  } else {
    value = slowNumber(buf, neg || buf[a] === 43 ? a + 1 : a, b);
  }
  if (integerSyntax && !Number.isSafeInteger(value)) lastNumber.integerSyntax = false;
  return neg ? -value : value;
}

function slowNumber(buf: Uint8Array, a: number, b: number): number {
  let s = '';
  for (let i = a; i < b; i++) s += String.fromCharCode(buf[i]);
  return Number(s);
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** `n` decimal digits at `i`, all before `b`: their value, or -1. */
function digitsAt(buf: Uint8Array, i: number, n: number, b: number): number {
  if (i + n > b) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = buf[i + k];
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses an ISO 8601 date or date-time from trimmed bytes: `YYYY-MM-DD` (or `/`), optionally
 * followed by `T` or a space, `HH:MM[:SS[.fff]]` and `Z` or `±HH:MM`. Returns epoch
 * milliseconds (UTC when no offset is given), or NaN.
 */
export function parseDateBytes(buf: Uint8Array, a: number, b: number): number {
  const len = b - a;
  if (len < 10) return NaN;
  const sep = buf[a + 4];
  if ((sep !== 45 && sep !== 47) || buf[a + 7] !== sep) return NaN;
  const y = digitsAt(buf, a, 4, b);
  const mo = digitsAt(buf, a + 5, 2, b);
  const d = digitsAt(buf, a + 8, 2, b);
  if (y < 0 || mo < 1 || mo > 12 || d < 1) return NaN;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (d > (mo === 2 && leap ? 29 : DAYS[mo - 1])) return NaN;
  let h = 0;
  let mi = 0;
  let s = 0;
  let ms = 0;
  let offset = 0;
  let i = a + 10;
  if (i < b) {
    if (buf[i] !== 84 && buf[i] !== 32) return NaN;
    i++;
    if (b - i < 5 || buf[i + 2] !== 58) return NaN;
    h = digitsAt(buf, i, 2, b);
    mi = digitsAt(buf, i + 3, 2, b);
    if (h < 0 || h > 23 || mi < 0 || mi > 59) return NaN;
    i += 5;
    if (i < b && buf[i] === 58) {
      s = digitsAt(buf, i + 1, 2, b);
      if (s < 0 || s > 59) return NaN;
      i += 3;
      if (i < b && buf[i] === 46) {
        i++;
        const f0 = i;
        let frac = 0;
        let scale = 1;
        while (i < b && buf[i] >= 48 && buf[i] <= 57) {
          if (i - f0 < 3) {
            frac = frac * 10 + (buf[i] - 48);
            scale *= 10;
          }
          i++;
        }
        if (i === f0) return NaN;
        ms = Math.round((frac * 1000) / scale);
      }
    }
    if (i < b) {
      if (buf[i] === 90 && i + 1 === b) {
        i++;
      } else if ((buf[i] === 43 || buf[i] === 45) && b - i === 6 && buf[i + 3] === 58) {
        const oh = digitsAt(buf, i + 1, 2, b);
        const om = digitsAt(buf, i + 4, 2, b);
        if (oh < 0 || om < 0) return NaN;
        offset = (buf[i] === 45 ? -1 : 1) * (oh * 60 + om);
        i = b;
      } else {
        return NaN;
      }
    }
  }
  return daysFromCivil(y, mo, d) * 86400000 + ((h * 60 + mi - offset) * 60 + s) * 1000 + ms;
}

/** Boolean spellings recognised (lower case). */
export const TRUE_WORDS = ['true', 'yes'];
/** Boolean spellings recognised (lower case). */
export const FALSE_WORDS = ['false', 'no'];

/** 1 for a true word, 0 for a false word, -1 otherwise (case-insensitive, trimmed). */
export function parseBooleanWord(value: string): number {
  const v = value.trim().toLowerCase();
  if (TRUE_WORDS.includes(v)) return 1;
  if (FALSE_WORDS.includes(v)) return 0;
  return -1;
}
