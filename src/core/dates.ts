/**
 * Dates as people write them, beyond ISO 8601: `Jun 12 1998`, `June 12, 1998`, `12 June 1998`,
 * `12-Jun-1998`, `06/12/1998` or `12/06/1998` (which number is the day is decided from a whole
 * column, never from one value), `1998-06-12 10:00`, each with an optional time (`10:00`,
 * `10:00:30.5`, `10:00 PM`) and time zone (`Z`, `UTC`, `GMT`, `+02:00`, `+0200`). Values
 * without a zone are read as UTC, so the same text gives the same instant on every machine.
 * Pure: no I/O.
 */

/** Which number comes first in a numeric date such as `06/12/1998`. */
export type DayOrder = 'MDY' | 'DMY';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const FULL = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const MONTH = '([A-Za-z]{3,9})\\.?';
const TIME = '(?:(?:[T ]|, ?| at )(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)? ?([AaPp][Mm])?)?';
const ZONE = '(?: ?(Z|UTC|GMT|[+-]\\d{2}:?\\d{2}))?';
const WEEKDAY = '(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\\.?,? )?';
const ORD = '(?:st|nd|rd|th)?';

const SHAPES: Array<{ re: RegExp; kind: 'ymd' | 'numeric' | 'mdy-name' | 'dmy-name' }> = [
  { re: new RegExp(`^(\\d{4})([-/.])(\\d{1,2})\\2(\\d{1,2})${TIME}${ZONE}$`), kind: 'ymd' },
  { re: new RegExp(`^(\\d{1,2})([-/.])(\\d{1,2})\\2(\\d{4})${TIME}${ZONE}$`), kind: 'numeric' },
  { re: new RegExp(`^${WEEKDAY}${MONTH} (\\d{1,2})${ORD}(,? )(\\d{4})${TIME}${ZONE}$`, 'i'), kind: 'mdy-name' },
  { re: new RegExp(`^${WEEKDAY}(\\d{1,2})${ORD}[ -]${MONTH}(,? |-)(\\d{4})${TIME}${ZONE}$`, 'i'), kind: 'dmy-name' },
];

/** One value taken apart: its fields and the format it is written in. */
interface Parts {
  kind: (typeof SHAPES)[number]['kind'];
  /** The numeric date's two leading numbers (`06/12/1998`: 6 and 12). */
  a: number;
  b: number;
  y: number;
  /** Month for named forms and `ymd`. */
  month: number;
  day: number;
  time: { h: number; mi: number; s: number; ms: number; ampm: string | undefined } | null;
  /** Offset east of UTC in minutes. */
  offset: number;
  /** The format, with `{D}` standing for the date part of a numeric form. */
  format: string;
}

function monthOf(word: string): { month: number; full: boolean } | null {
  const w = word.toLowerCase();
  const short = MONTHS.indexOf(w.slice(0, 3));
  if (short < 0) return null;
  if (w.length === 3) return { month: short + 1, full: false };
  if (FULL[short] === w || (w === 'sept' && short === 8)) return { month: short + 1, full: w !== 'sept' };
  return null;
}

function take(text: string): Parts | null {
  const s = text.trim();
  for (const { re, kind } of SHAPES) {
    const m = re.exec(s);
    if (m === null) continue;
    let y: number;
    let month = 0;
    let day = 0;
    let a = 0;
    let b = 0;
    let date: string;
    let rest: string[];
    if (kind === 'ymd') {
      y = Number(m[1]);
      month = Number(m[3]);
      day = Number(m[4]);
      date = `YYYY${m[2]}MM${m[2]}DD`;
      rest = m.slice(5);
    } else if (kind === 'numeric') {
      a = Number(m[1]);
      b = Number(m[3]);
      y = Number(m[4]);
      date = `{D${m[2]}}${m[2]}YYYY`;
      rest = m.slice(5);
    } else {
      const [dayText, monthText] = kind === 'mdy-name' ? [m[2], m[1]] : [m[1], m[2]];
      const mo = monthOf(monthText);
      if (mo === null) return null;
      month = mo.month;
      day = Number(dayText);
      y = Number(m[4]);
      const name = mo.full ? 'MMMM' : 'MMM';
      const dd = dayText.length === 2 ? 'DD' : 'D';
      const sep = m[3] === '-' ? '-' : m[3] === ' ' ? ' ' : ', ';
      date = kind === 'mdy-name' ? `${name} ${dd}${sep}YYYY` : `${dd}${sep === '-' ? '-' : ' '}${name}${sep}YYYY`;
      rest = m.slice(5);
    }
    const [h, mi, sec, frac, ampm, zone] = rest;
    let time: Parts['time'] = null;
    let format = date;
    if (h !== undefined) {
      let hour = Number(h);
      if (ampm !== undefined) {
        if (hour < 1 || hour > 12) return null;
        hour = (hour % 12) + (ampm.toLowerCase() === 'pm' ? 12 : 0);
      }
      time = { h: hour, mi: Number(mi), s: sec === undefined ? 0 : Number(sec), ms: frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000), ampm };
      format += ` ${ampm !== undefined ? 'h' : 'HH'}:mm${sec !== undefined ? ':ss' : ''}${frac !== undefined ? '.SSS' : ''}${ampm !== undefined ? ' a' : ''}`;
    }
    let offset = 0;
    if (zone !== undefined) {
      if (time === null) return null;
      if (/^[+-]/.test(zone)) {
        const digits = zone.replace(':', '');
        offset = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
        format += ' Z';
      } else format += ` ${zone.toUpperCase()}`;
    }
    return { kind, a, b, y, month, day, time, offset, format };
  }
  return null;
}

function instant(p: Parts, order: DayOrder): number {
  let { month, day } = p;
  if (p.kind === 'numeric') [month, day] = order === 'MDY' ? [p.a, p.b] : [p.b, p.a];
  if (month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]) return NaN;
  const leap = (p.y % 4 === 0 && p.y % 100 !== 0) || p.y % 400 === 0;
  if (month === 2 && day === 29 && !leap) return NaN;
  const t = p.time ?? { h: 0, mi: 0, s: 0, ms: 0 };
  if (t.h > 23 || t.mi > 59 || t.s > 59) return NaN;
  return Date.UTC(p.y, month - 1, day, t.h, t.mi, t.s, t.ms) - p.offset * 60_000;
}

function formatFor(p: Parts, order: DayOrder): string {
  if (p.kind !== 'numeric') return p.format;
  return p.format.replace(/\{D(.)\}/, (_, sep: string) => (order === 'MDY' ? `MM${sep}DD` : `DD${sep}MM`));
}

/** What {@link inferDates} found in a column's distinct values. */
export type DateInference =
  | {
      dates: true;
      /** Epoch ms of each text, in order. */
      values: Float64Array;
      /** The formats seen, most used first, e.g. `MMM DD YYYY`. */
      formats: string[];
      order: DayOrder | null;
      /** How the day order was decided, when a numeric form was seen. */
      orderReason: string | null;
    }
  | {
      dates: false;
      /** How many texts look like dates (0: not a date column at all). */
      parsed: number;
      /** Texts that do not parse though most of the column does, a few of them. */
      failures: string[];
    };

/**
 * Whether every text is a date in a form this module reads, and the instants. A column mixing
 * `06/12/1998` with `13/06/1998` reads day first; one with `06/13/1998` month first; with no
 * number above 12 in either place month first (US), which the reason says; with both, the
 * numeric values are not dates.
 *
 * @example
 * inferDates(['Jun 12 1998', 'Aug 07 1998']).formats // ['MMM DD YYYY']
 * inferDates(['13/06/1998', '01/02/2000']).order     // 'DMY'
 */
export function inferDates(texts: readonly string[]): DateInference {
  // A column whose first values are no dates is not a date column: stop before reading them all.
  const parts: Array<Parts | null> = [];
  for (const t of texts) {
    parts.push(take(t));
    if (parts.length === 64 && parts.every((p) => p === null)) return { dates: false, parsed: 0, failures: texts.slice(0, 3) as string[] };
  }
  let firstBig = false;
  let secondBig = false;
  for (const p of parts) {
    if (p?.kind !== 'numeric') continue;
    if (p.a > 12) firstBig = true;
    if (p.b > 12) secondBig = true;
  }
  const numeric = parts.some((p) => p?.kind === 'numeric');
  const order: DayOrder = firstBig && !secondBig ? 'DMY' : 'MDY';
  const values = new Float64Array(texts.length);
  const failures: string[] = [];
  let parsed = 0;
  const formats = new Map<string, number>();
  parts.forEach((p, i) => {
    const ms = p === null || (numeric && firstBig && secondBig && p.kind === 'numeric') ? NaN : instant(p, order);
    values[i] = ms;
    if (ms === ms) {
      parsed++;
      const f = formatFor(p!, order);
      formats.set(f, (formats.get(f) ?? 0) + 1);
    } else if (failures.length < 3) failures.push(texts[i]);
  });
  if (parsed < texts.length || texts.length === 0) return { dates: false, parsed, failures };
  // A column writing days both as `1` and `12` is one format, `D`.
  for (const [f, k] of [...formats]) {
    const short = f.replace('DD', 'D');
    if (short !== f && formats.has(short)) {
      formats.set(short, formats.get(short)! + k);
      formats.delete(f);
    }
  }
  const orderReason = !numeric ? null : firstBig ? 'day first: a first number is above 12' : secondBig ? 'month first: a second number is above 12' : 'month first (US): no number above 12 tells the order';
  return {
    dates: true,
    values,
    formats: [...formats.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([f]) => f),
    order: numeric ? order : null,
    orderReason,
  };
}

/**
 * One text as a date in a column's format (prediction inputs): the day order recorded for the
 * column decides numeric forms; any form {@link inferDates} reads is accepted. NaN when it does not parse.
 *
 * @example
 * parseDate('12/06/1998', 'DMY') // Date.UTC(1998, 5, 12)
 */
export function parseDate(text: string, order: DayOrder = 'MDY'): number {
  const p = take(text);
  return p === null ? NaN : instant(p, order);
}

/** The day order of a recorded format (`DD/MM/YYYY` → DMY), MDY otherwise. */
export function orderOfFormat(format: string | undefined): DayOrder {
  return format !== undefined && /^D{1,2}[-/.]M/.test(format) ? 'DMY' : 'MDY';
}
