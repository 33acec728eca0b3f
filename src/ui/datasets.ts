import { printable } from '../core/printable.js';
import { type BooleanStats, type CategoryStats, type DatasetColumn, type DatasetManifest, type DatetimeStats, type NumericStats, datasetLabel } from '../core/dataset.js';
import { fmtBytes, fmtNumber, fmtPercent, renderTable, sparkline, truncate } from './format.js';

function shortHash(hash: string): string {
  return hash.replace(/^sha256:/, '').slice(0, 12);
}

/** The `bfly dataset list` table. */
export function renderDatasetList(datasets: DatasetManifest[]): string {
  if (datasets.length === 0) return 'no datasets yet: import one with `bfly dataset import <file>`\n';
  return renderTable(
    ['NAME', 'ROWS', 'COLS', 'SIZE', 'FORMAT', 'HASH', 'IMPORTED'],
    datasets.map((d) => [datasetLabel(d), d.rows.toLocaleString('en-US'), String(d.columns.length), fmtBytes(d.bytes), d.format, shortHash(d.hash), d.importedAt.slice(0, 16).replace('T', ' ')]),
    ['left', 'right', 'right', 'right', 'left', 'left', 'left'],
  );
}

function summary(c: DatasetColumn): string {
  switch (c.type) {
    case 'number':
    case 'integer': {
      const s = c.stats as NumericStats;
      if (s.count === 0) return 'all missing';
      return `mean ${fmtNumber(s.mean)} ± ${fmtNumber(s.std)}  [${fmtNumber(s.min)} … ${fmtNumber(s.max)}]  median ${fmtNumber(s.p50)}`;
    }
    case 'boolean': {
      const s = c.stats as BooleanStats;
      return `true ${s.true.toLocaleString('en-US')}, false ${s.false.toLocaleString('en-US')}`;
    }
    case 'datetime': {
      const s = c.stats as DatetimeStats;
      return `${s.min ?? '-'} … ${s.max ?? '-'}`;
    }
    default: {
      const s = c.stats as CategoryStats;
      const top = s.top.slice(0, 3).map((t) => `${truncate(t.value, 18)} ${t.count.toLocaleString('en-US')}`).join(', ');
      return `${s.distinctApprox ? '~' : ''}${s.distinct.toLocaleString('en-US')} distinct${top ? `: ${top}${s.top.length > 3 ? ', …' : ''}` : ''}`;
    }
  }
}

/** The `bfly dataset show` view: header, then one line per column with a histogram. */
export function renderDatasetShow(d: DatasetManifest): string {
  const head = [
    `dataset  ${datasetLabel(d)}  (id ${d.id})`,
    `hash     ${d.hash}`,
    `source   ${d.source.path}  (${d.format}, ${fmtBytes(d.bytes)})`,
    `rows     ${d.rows.toLocaleString('en-US')}   columns ${d.columns.length}   imported ${d.importedAt}`,
    '',
  ].join('\n');
  const rows = d.columns.map((c) => {
    const s = c.stats as NumericStats;
    const hist = (c.type === 'number' || c.type === 'integer') && s.histogram ? sparkline(s.histogram.counts) : '';
    return [truncate(c.name, 28), c.type, fmtPercent(c.missing, d.rows), hist, summary(c)];
  });
  const why = d.columns.map((c) => printable(`  ${truncate(c.name, 28)}: ${c.type} — ${c.reason}`)).join('\n');
  return head + '\n' + renderTable(['COLUMN', 'TYPE', 'MISSING', 'HISTOGRAM', 'SUMMARY'], rows, ['left', 'left', 'right', 'left', 'left']) + `\nwhy these types:\n${why}\n`;
}

/** What `bfly dataset import` prints. */
/** A table wider than this lists its first {@link IMPORT_COLUMNS_LISTED} columns after an import, and counts the rest by type. */
export const IMPORT_COLUMNS_MAX = 50;
/** Columns listed after importing a wider table than {@link IMPORT_COLUMNS_MAX}. */
export const IMPORT_COLUMNS_LISTED = 40;

export function renderImportResult(d: DatasetManifest, created: boolean): string {
  if (!created) return `already imported as ${datasetLabel(d)} (${d.hash}); nothing changed\n`;
  const listed = d.columns.length > IMPORT_COLUMNS_MAX ? d.columns.slice(0, IMPORT_COLUMNS_LISTED) : d.columns;
  const lines = listed.map((c) => `  ${truncate(printable(c.name), 28).padEnd(28)}  ${c.type.padEnd(8)}  ${printable(c.reason)}`);
  if (listed.length < d.columns.length) {
    // a 20,000-column table would print 20,000 lines: the rest by type, and where to see them
    const byType = new Map<string, number>();
    for (const c of d.columns.slice(listed.length)) byType.set(c.type, (byType.get(c.type) ?? 0) + 1);
    const counts = [...byType].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([t, k]) => `${k.toLocaleString('en-US')} ${t}`);
    lines.push(`  … and ${(d.columns.length - listed.length).toLocaleString('en-US')} more columns (${counts.join(', ')}): \`bfly dataset show ${datasetLabel(d)}\` lists them all`);
  }
  return `imported ${datasetLabel(d)}: ${d.rows.toLocaleString('en-US')} rows × ${d.columns.length.toLocaleString('en-US')} columns, ${fmtBytes(d.bytes)} ${d.format}\n  hash ${d.hash}\n${lines.join('\n')}\n`;
}
