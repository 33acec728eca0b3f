import type { BooleanStats, CategoryStats, ColumnType, DatasetColumn, DatetimeStats } from '../../core/dataset.js';
import { countDistinct, numericStats } from '../../core/stats.js';
import { FALSE_WORDS, TRUE_WORDS } from '../../core/values.js';
import { type ColumnarColumnMeta, ColumnarWriter } from '../columnar.js';
import { type ColumnBuilder, ColState, DICT_CAP } from './column-builder.js';

/** At most this many distinct strings make a category column (and at most half the values). */
export const CATEGORY_MAX_DISTINCT = 1000;
/** Below this many distinct values a string column is a category whatever the row count. */
export const CATEGORY_ALWAYS = 20;

const TOP = 10;

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function topEntries(b: ColumnBuilder): Array<{ value: string; count: number }> {
  const ids = Array.from({ length: b.dict.size }, (_, i) => i);
  ids.sort((x, y) => b.dict.counts[y] - b.dict.counts[x] || (b.dict.text(x) < b.dict.text(y) ? -1 : 1));
  return ids.slice(0, TOP).map((id) => ({ value: b.dict.text(id), count: b.dict.counts[id] }));
}

/**
 * Decides each column's final type from what its builder saw, writes its section(s) to the
 * columnar file and returns its manifest entry (type, why, statistics). One column is in
 * memory at a time.
 */
export function finalizeColumn(b: ColumnBuilder, w: ColumnarWriter): { meta: ColumnarColumnMeta; column: DatasetColumn } {
  const rows = b.rows;
  const count = rows - b.missing;
  if (b.state === ColState.Unknown) {
    const offsets = new Float64Array(rows + 1);
    const bytes = w.section(new Uint8Array(0));
    const stats: CategoryStats = { count: 0, missing: rows, distinct: 0, top: [] };
    return {
      meta: { name: b.name, type: 'text', bytes, offsets: w.section(offsets) },
      column: { name: b.name, type: 'text', reason: `all ${plural(rows, 'value')} are missing`, missing: rows, distinct: 0, stats },
    };
  }
  if (b.state === ColState.Number || b.state === ColState.Date) {
    const values = b.readFloats();
    const section = w.section(values);
    const { distinct, approx } = countDistinct(values);
    if (b.state === ColState.Date) {
      const ns = numericStats(values);
      const stats: DatetimeStats = { count, missing: b.missing, min: ns.min === null ? null : new Date(ns.min).toISOString(), max: ns.max === null ? null : new Date(ns.max).toISOString() };
      return {
        meta: { name: b.name, type: 'datetime', values: section },
        column: { name: b.name, type: 'datetime', reason: `all ${plural(count, 'value')} are ISO 8601 dates`, missing: b.missing, distinct, ...(approx ? { distinctApprox: true } : {}), stats },
      };
    }
    const type: ColumnType = b.integerSyntax ? 'integer' : 'number';
    const reason = b.integerSyntax
      ? `all ${plural(count, 'value')} are whole numbers; ${approx ? '~' : ''}${plural(distinct, 'distinct value')}`
      : `all ${plural(count, 'value')} are numbers; ${approx ? '~' : ''}${plural(distinct, 'distinct value')}`;
    return {
      meta: { name: b.name, type, values: section },
      column: { name: b.name, type, reason, missing: b.missing, distinct, ...(approx ? { distinctApprox: true } : {}), stats: numericStats(values) },
    };
  }
  // Strings.
  const distinct = b.bytesMode ? b.hll!.estimate() : b.dict.size;
  const words = b.bytesMode ? [] : Array.from({ length: b.dict.size }, (_, id) => b.dict.text(id).trim().toLowerCase());
  const isBoolean = !b.bytesMode && words.length > 0 && words.every((v) => TRUE_WORDS.includes(v) || FALSE_WORDS.includes(v));
  if (isBoolean) {
    const map = Int8Array.from(words, (v) => (TRUE_WORDS.includes(v) ? 1 : 0));
    const out = new Int8Array(rows);
    let r = 0;
    let t = 0;
    for (const chunk of b.readStringChunks()) {
      if (chunk.mode !== 'ids') throw new Error('boolean column spilled as bytes');
      for (let k = 0; k < chunk.ids.length; k++) {
        const id = chunk.ids[k];
        const v = id < 0 ? -1 : map[id];
        out[r++] = v;
        if (v === 1) t++;
      }
    }
    const stats: BooleanStats = { count, missing: b.missing, true: t, false: count - t };
    return {
      meta: { name: b.name, type: 'boolean', values: w.section(out) },
      column: { name: b.name, type: 'boolean', reason: `only the values ${[...new Set(words)].sort().join('/')}`, missing: b.missing, distinct, stats },
    };
  }
  const isCategory = !b.bytesMode && distinct <= CATEGORY_MAX_DISTINCT && (distinct <= CATEGORY_ALWAYS || distinct <= count / 2);
  const top = topEntries(b);
  const stats: CategoryStats = { count, missing: b.missing, distinct, ...(b.bytesMode ? { distinctApprox: true, topApprox: true } : {}), top };
  if (isCategory) {
    const order = Array.from({ length: b.dict.size }, (_, i) => i).sort((x, y) => (b.dict.text(x) < b.dict.text(y) ? -1 : b.dict.text(x) > b.dict.text(y) ? 1 : 0));
    const code = new Int32Array(b.dict.size);
    order.forEach((id, c) => (code[id] = c));
    const levels = order.map((id) => b.dict.text(id));
    const start = w.beginSection();
    for (const chunk of b.readStringChunks()) {
      if (chunk.mode !== 'ids') throw new Error('category column spilled as bytes');
      const out = new Int32Array(chunk.ids.length);
      for (let k = 0; k < out.length; k++) out[k] = chunk.ids[k] < 0 ? -1 : code[chunk.ids[k]];
      w.append(out);
    }
    return {
      meta: { name: b.name, type: 'category', values: w.endSection(start), levels },
      column: { name: b.name, type: 'category', reason: `${plural(distinct, 'distinct value')} in ${plural(count, 'non-missing row')}`, missing: b.missing, distinct, stats },
    };
  }
  const offsets = new Float64Array(rows + 1);
  let r = 0;
  let pos = 0;
  const start = w.beginSection();
  for (const chunk of b.readStringChunks()) {
    if (chunk.mode === 'ids') {
      for (let k = 0; k < chunk.ids.length; k++) {
        const id = chunk.ids[k];
        if (id >= 0) {
          const bytes = b.dict.bytes(id);
          w.append(bytes);
          pos += bytes.length;
        }
        offsets[++r] = pos;
      }
    } else {
      w.append(chunk.bytes);
      for (let k = 0; k < chunk.lens.length; k++) {
        if (chunk.lens[k] > 0) pos += chunk.lens[k];
        offsets[++r] = pos;
      }
    }
  }
  const bytesRef = w.endSection(start);
  const why = b.bytesMode
    ? `~${plural(distinct, 'distinct value')} (more than ${DICT_CAP.toLocaleString('en-US')}): free text`
    : `${plural(distinct, 'distinct value')} in ${plural(count, 'non-missing row')}: too many for a category`;
  return {
    meta: { name: b.name, type: 'text', bytes: bytesRef, offsets: w.section(offsets) },
    column: { name: b.name, type: 'text', reason: why, missing: b.missing, distinct, ...(b.bytesMode ? { distinctApprox: true } : {}), stats },
  };
}
