import type { BooleanStats, CategoryStats, ColumnType, DatasetColumn, DatetimeStats } from '../../core/dataset.js';
import { inferDates } from '../../core/dates.js';
import { ValidationError } from '../../core/errors.js';
import { numericStatsFromBlocks } from '../../core/stats.js';
import { FALSE_WORDS, TRUE_WORDS } from '../../core/values.js';
import type { ColumnarColumnMeta } from '../columnar.js';
import { type ColumnBuilder, ColState, DICT_CAP } from './column-builder.js';

/** At most this many distinct strings make a category column (and at most half the values). */
export const CATEGORY_MAX_DISTINCT = 1000;
/** Up to this many distinct values a string column is a category whatever the row count. */
export const CATEGORY_ALWAYS = 20;

const TOP = 10;

const n = (x: number): string => x.toLocaleString('en-US');

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** The {@link TOP} most frequent values, most first (ties by text), in one pass (a free-text column has 65,536). */
function topEntries(texts: string[], counts: Float64Array): Array<{ value: string; count: number }> {
  const before = (x: number, y: number): boolean => counts[x] > counts[y] || (counts[x] === counts[y] && texts[x] < texts[y]);
  const top: number[] = [];
  for (let id = 0; id < texts.length; id++) {
    if (top.length === TOP) {
      if (!before(id, top[TOP - 1])) continue;
      top.pop();
    }
    let k = top.length;
    top.push(id);
    for (; k > 0 && before(id, top[k - 1]); k--) top[k] = top[k - 1];
    top[k] = id;
  }
  return top.map((id) => ({ value: texts[id], count: counts[id] }));
}

/**
 * Decides a column's final type from what its builder saw and returns its footer entry and
 * manifest entry (type, why, statistics). Numeric columns are read back one at a time for
 * exact statistics; string columns need nothing more than their dictionary.
 */
export function finalizeColumn(b: ColumnBuilder, label: string, dateFormat?: { formats: string[]; orderReason: string | null }): { meta: ColumnarColumnMeta; column: DatasetColumn } {
  if (b.state === ColState.Number && b.firstInfinite !== null) {
    const { row, text } = b.firstInfinite;
    throw new ValidationError('NUMBER_OUT_OF_RANGE', `${label}: column ${JSON.stringify(b.name)}, data row ${row}: ${JSON.stringify(text)} is beyond the range of a 64-bit number (about ±1.8e308)`, {
      hint: 'write a finite number, or leave the field empty (or NA) if the value is unknown; bfly never turns it into a silent missing value or an infinity',
      data: { column: b.name, row, value: text },
    });
  }
  const rows = b.rows;
  const count = rows - b.missing;
  if (b.state === ColState.Unknown) {
    const stats: CategoryStats = { count: 0, missing: rows, distinct: 0, top: [] };
    return {
      meta: { name: b.name, type: 'text', blocks: b.blocks, levels: [] },
      column: { name: b.name, type: 'text', reason: `all ${plural(rows, 'value')} are missing`, missing: rows, distinct: 0, stats },
    };
  }
  if (b.state === ColState.Number || b.state === ColState.Date) {
    const { stats: ns, distinct, approx } = numericStatsFromBlocks((visit) => b.eachFloatBlock(visit), b.firstPass);
    const approxFlag = approx ? { distinctApprox: true } : {};
    if (b.state === ColState.Date) {
      const stats: DatetimeStats = { count, missing: b.missing, min: ns.min === null ? null : new Date(ns.min).toISOString(), max: ns.max === null ? null : new Date(ns.max).toISOString() };
      const format = dateFormat ?? { formats: ['ISO 8601'], orderReason: null };
      const written = dateFormat === undefined ? 'ISO 8601 dates' : `dates written ${format.formats.join(' or ')}${format.orderReason === null ? '' : ` (${format.orderReason})`}`;
      return {
        meta: { name: b.name, type: 'datetime', blocks: b.blocks },
        column: { name: b.name, type: 'datetime', reason: `all ${plural(count, 'value')} are ${written}`, missing: b.missing, distinct, ...approxFlag, format: format.formats.join(' | '), stats },
      };
    }
    const type: ColumnType = b.integerSyntax ? 'integer' : 'number';
    const kind = b.integerSyntax ? 'whole numbers' : 'numbers';
    return {
      meta: { name: b.name, type, blocks: b.blocks },
      column: { name: b.name, type, reason: `all ${plural(count, 'value')} are ${kind}; ${approx ? '~' : ''}${plural(distinct, 'distinct value')}`, missing: b.missing, distinct, ...approxFlag, stats: ns },
    };
  }
  // Strings.
  const texts = Array.from({ length: b.dict.size }, (_, id) => b.dict.text(id));
  const counts = b.dict.counts;
  const distinct = b.bytesMode ? b.hll!.estimate() : b.dict.size;
  const words = b.bytesMode ? [] : texts.map((t) => t.trim().toLowerCase());
  if (words.length > 0 && words.every((v) => TRUE_WORDS.includes(v) || FALSE_WORDS.includes(v))) {
    const trueLevels = words.flatMap((v, id) => (TRUE_WORDS.includes(v) ? [id] : []));
    const t = trueLevels.reduce((sum, id) => sum + counts[id], 0);
    const stats: BooleanStats = { count, missing: b.missing, true: t, false: count - t };
    return {
      meta: { name: b.name, type: 'boolean', blocks: b.blocks, levels: texts, trueLevels },
      column: { name: b.name, type: 'boolean', reason: `only the values ${[...new Set(words)].sort().join('/')}`, missing: b.missing, distinct, stats },
    };
  }
  // Dates written another way than ISO 8601 (`Jun 12 1998`, `12/06/1998`): read from the
  // distinct values, then the column is rewritten as instants.
  const dates = b.bytesMode ? null : inferDates(texts);
  if (dates?.dates === true) {
    b.idsToFloats(dates.values);
    return finalizeColumn(b, label, { formats: dates.formats, orderReason: dates.orderReason });
  }
  if (dates !== null && !dates.dates && dates.parsed > 0 && dates.parsed >= texts.length / 2) {
    const stats: CategoryStats = { count, missing: b.missing, distinct, top: topEntries(texts, counts) };
    const bad = texts.length - dates.parsed;
    return {
      meta: { name: b.name, type: 'text', blocks: b.blocks, levels: texts },
      column: {
        name: b.name,
        type: 'text',
        reason: `looks like dates, but ${n(bad)} of ${plural(texts.length, 'distinct value')} ${bad === 1 ? 'does' : 'do'} not parse as one date format (e.g. ${dates.failures.map((f) => JSON.stringify(f)).join(', ')}): kept as text`,
        missing: b.missing,
        distinct,
        stats,
      },
    };
  }
  const isCategory = !b.bytesMode && distinct <= CATEGORY_MAX_DISTINCT && (distinct <= CATEGORY_ALWAYS || distinct <= count / 2);
  const stats: CategoryStats = { count, missing: b.missing, distinct, ...(b.bytesMode ? { distinctApprox: true, topApprox: true } : {}), top: topEntries(texts, counts) };
  if (isCategory) {
    return {
      meta: { name: b.name, type: 'category', blocks: b.blocks, levels: texts },
      column: { name: b.name, type: 'category', reason: `${plural(distinct, 'distinct value')} in ${plural(count, 'non-missing row')}`, missing: b.missing, distinct, stats },
    };
  }
  const why = b.bytesMode
    ? `~${plural(distinct, 'distinct value')} (more than ${DICT_CAP.toLocaleString('en-US')}): free text`
    : `${plural(distinct, 'distinct value')} in ${plural(count, 'non-missing row')}: too many for a category`;
  return {
    meta: { name: b.name, type: 'text', blocks: b.blocks, levels: texts },
    column: { name: b.name, type: 'text', reason: why, missing: b.missing, distinct, ...(b.bytesMode ? { distinctApprox: true } : {}), stats },
  };
}
