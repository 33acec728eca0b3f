/** Small formatting helpers shared by the text renderers. */
import { printable } from '../core/printable.js';

/** A number in at most ~4 significant digits (1234.5 -> "1,234.5", 0.00012 -> "1.2e-4"). */
export function fmtNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a >= 1e7 || a < 1e-3) return n.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
  if (Number.isInteger(n)) return grouped(String(n));
  const digits = a >= 1000 ? 1 : a >= 100 ? 2 : a >= 10 ? 3 : a >= 1 ? 3 : 4;
  return grouped(String(Number(n.toFixed(digits))));
}

/**
 * Thousands separators for a plain decimal string ("-12345.67" -> "-12,345.67"); like
 * toLocaleString('en-US') without loading ICU (~30 ms on first use).
 */
export function grouped(s: string): string {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(s);
  return m === null ? s : `${m[1]}${m[2].replace(/\B(?=(\d{3})+$)/g, ',')}${m[3] ?? ''}`;
}

/** Bytes as B/KiB/MiB/GiB. */
export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** A percentage with one decimal (0 -> "0%"). */
export function fmtPercent(part: number, whole: number): string {
  if (whole === 0 || part === 0) return '0%';
  const p = (100 * part) / whole;
  return p < 0.1 ? '<0.1%' : `${p.toFixed(p >= 10 ? 0 : 1)}%`;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line sparkline of counts. */
export function sparkline(counts: readonly number[]): string {
  const max = Math.max(...counts);
  if (max <= 0) return '';
  return counts.map((c) => (c === 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((c / max) * (BARS.length - 1) + 0.5))])).join('');
}

/** Display width of a string (code points; wide CJK counts 2). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    w += cp >= 0x1100 && (cp <= 0x115f || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0x1f300 && cp <= 0x1faff)) ? 2 : 1;
  }
  return w;
}

/** Truncates to a display width, ending with "…". */
export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = '';
  for (const ch of s) {
    if (displayWidth(out + ch) > width - 1) break;
    out += ch;
  }
  return out + '…';
}

/** Column alignment for {@link renderTable}. */
export type Align = 'left' | 'right';

/**
 * An aligned plain-text table with a header row. Every cell is made {@link printable}: cells
 * carry user data (column names, category values, hook metric names), never terminal codes.
 */
export function renderTable(headers: string[], rawRows: string[][], align: Align[] = []): string {
  const rows = rawRows.map((r) => r.map((c) => printable(c)));
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const pad = (s: string, i: number): string => {
    const gap = ' '.repeat(widths[i] - displayWidth(s));
    return align[i] === 'right' ? gap + s : s + gap;
  };
  const line = (cells: string[]): string => cells.map((c, i) => pad(c, i)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Longest list or map a table cell shows whole, in characters of JSON. */
const BRIEF_MAX = 40;

/**
 * A list or map value for a table cell: whole when short, otherwise summarised by its size and
 * named after its key (`4 candidates`, `3 fields`). `--json` always carries the whole value.
 * Strings that hold JSON (as compare's flattened params do) are summarised the same way.
 *
 * @example
 * briefValue([{ model: 'knn' }, { model: 'mlp' }, …], 'model_selection.candidates') // '4 candidates'
 */
export function briefValue(v: unknown, key = ''): string {
  let value = v;
  if (typeof v === 'string') {
    if (v.length <= BRIEF_MAX || !/^[[{]/.test(v)) return v;
    try {
      value = JSON.parse(v);
    } catch {
      return v;
    }
  }
  const text = JSON.stringify(value);
  if (text.length <= BRIEF_MAX) return text;
  const noun = key.split('.').at(-1) ?? '';
  if (Array.isArray(value)) {
    const n = value.length;
    const word = /^[a-z_]+s$/.test(noun) ? (n === 1 ? noun.slice(0, -1) : noun) : n === 1 ? 'item' : 'items';
    return `${n} ${word}`;
  }
  const k = Object.keys(value as object).length;
  return `{${k} ${k === 1 ? 'field' : 'fields'}}`;
}
