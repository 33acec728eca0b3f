import type { DatasetColumn } from './contracts/dataset.js';
import type { ColumnRole, RunData } from './contracts/run.js';
import type { Pipeline } from './pipeline.js';

const n = (x: number): string => x.toLocaleString('en-US');
const plural = (x: number, word: string): string => `${n(x)} ${word}${x === 1 ? '' : 's'}`;

/** Every column a pipeline's `drop` settings name, with where it is named. */
function droppedByPipeline(pipeline: Pick<Pipeline, 'blocks'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of pipeline.blocks) {
    if (b.type === 'features') {
      for (const s of (b.config.steps ?? []) as Array<{ op: string; columns?: string[] }>) if (s.op === 'drop') for (const c of s.columns ?? []) if (!out.has(c)) out.set(c, `dropped by the pipeline (${b.id}: drop step)`);
    } else if (b.type === 'preprocess') {
      for (const c of (b.config.drop ?? []) as string[]) if (!out.has(c)) out.set(c, `dropped by the pipeline (${b.id}.drop)`);
    }
  }
  return out;
}

/** The parts each `date_parts` step splits a column into, by column (`*`: a step over every date column). */
function dateParts(pipeline: Pick<Pipeline, 'blocks'>): Map<string, string[]> {
  const parts = new Map<string, string[]>();
  for (const b of pipeline.blocks) {
    if (b.type !== 'features') continue;
    for (const s of (b.config.steps ?? []) as Array<{ op: string; columns?: string[]; parts?: string[] }>) {
      if (s.op !== 'date_parts') continue;
      const columns = s.columns ?? [];
      for (const c of columns.length === 0 ? ['*'] : columns) parts.set(c, s.parts ?? []);
    }
  }
  return parts;
}

/** How each `text` step tokenizes, by column (`*`: a step over every text column). */
function textSteps(pipeline: Pick<Pipeline, 'blocks'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of pipeline.blocks) {
    if (b.type !== 'features') continue;
    for (const s of (b.config.steps ?? []) as Array<{ op: string; columns?: string[]; method?: string; max_features?: number; char_ngrams?: unknown; ngram_range?: number[] }>) {
      if (s.op !== 'text') continue;
      const words = s.ngram_range !== undefined && s.ngram_range[1] > 1 ? `words and ${s.ngram_range[1]}-word phrases` : 'words';
      const how = `tokenized (${words}${s.char_ngrams ? ', character n-grams' : ''}), up to ${s.max_features ?? 100} ${s.method === 'hashing' ? 'hashed' : 'TF-IDF'} features`;
      const columns = s.columns ?? [];
      for (const c of columns.length === 0 ? ['*'] : columns) if (!out.has(c)) out.set(c, how);
    }
  }
  return out;
}

/** Whether preprocessing drops constant columns (its default). */
function dropsConstant(pipeline: Pick<Pipeline, 'blocks'>): boolean {
  const pre = pipeline.blocks.filter((b) => b.type === 'preprocess');
  return pre.length === 0 || pre.some((b) => b.config.drop_constant !== false);
}

/**
 * A text column of single tokens, a different one in every row (`r17`, a UUID): an identifier,
 * with no words shared between rows to learn from. Free text that happens to be unique per row
 * (reviews, descriptions) has spaces in its values.
 */
export function isIdentifierLike(c: Pick<DatasetColumn, 'type' | 'distinct' | 'stats'>): boolean {
  if (c.type !== 'text' || c.stats.count <= 1 || c.distinct < c.stats.count) return false;
  const top = 'top' in c.stats ? c.stats.top : [];
  return top.every((t) => !/\s/.test(t.value.trim()));
}

/**
 * The text step a built-in template gets for a dataset: its free-text columns (not the target,
 * not identifier-like, not dates that failed to parse), or null when it has none.
 *
 * @example
 * defaultTextStep(movies.columns, 'IMDB Rating') // { op: 'text', columns: ['Title'] }
 */
export function defaultTextStep(columns: readonly DatasetColumn[], target: string): { op: 'text'; columns: string[] } | null {
  const text = columns.filter((c) => c.type === 'text' && c.name !== target && c.stats.count > 0 && !isIdentifierLike(c) && !c.reason.startsWith('looks like dates')).map((c) => c.name);
  return text.length === 0 ? null : { op: 'text', columns: text };
}

/**
 * How a run uses each column of its dataset, and why: the target; numbers, booleans and
 * integers as numeric features; categories; dates (split into parts by a `date_parts` step, else
 * used as a number); free text read by a `text` step; and what is dropped: columns the pipeline drops, columns with no
 * value, constant columns, free-text columns no step reads. Decided from the dataset's schema
 * and the pipeline, before any block runs, so a cached run says the same.
 *
 * @example
 * columnRoles(dataset.columns, 'Species', pipeline).find((c) => c.name === 'Island') // { use: 'category', … }
 */
export function columnRoles(columns: readonly DatasetColumn[], target: string, pipeline: Pick<Pipeline, 'blocks'>): ColumnRole[] {
  const dropped = droppedByPipeline(pipeline);
  const dates = dateParts(pipeline);
  const constantDropped = dropsConstant(pipeline);
  const texts = textSteps(pipeline);
  return columns.map((c): ColumnRole => {
    const role = (use: ColumnRole['use'], reason: string): ColumnRole => ({ name: c.name, type: c.type, use, reason });
    if (c.name === target) return role('target', `the experiment's target${c.missing > 0 ? ` (${plural(c.missing, 'row')} without a value are left out)` : ''}`);
    const byPipeline = dropped.get(c.name);
    if (byPipeline !== undefined) return role('dropped', byPipeline);
    const count = c.stats.count;
    if (count === 0) return role('dropped', 'every value is missing');
    if (constantDropped && c.distinct === 1 && c.missing === 0) return role('dropped', 'constant: a single value in every row');
    switch (c.type) {
      case 'number':
      case 'integer':
        return role('numeric', `${c.type === 'integer' ? 'whole numbers' : 'numbers'}, ${plural(c.distinct, 'distinct value')}${c.missing > 0 ? `, ${n(c.missing)} missing (imputed)` : ''}`);
      case 'boolean':
        return role('numeric', `true/false as 1/0${c.missing > 0 ? `, ${n(c.missing)} missing (imputed)` : ''}`);
      case 'category': {
        const tokens = texts.get(c.name);
        if (tokens !== undefined) return role('text', `${plural(c.distinct, 'distinct value')}: ${tokens}`);
        return role('category', `${plural(c.distinct, 'level')}${c.missing > 0 ? `, ${n(c.missing)} missing (imputed)` : ''}`);
      }
      case 'datetime': {
        const parts = dates.get(c.name) ?? dates.get('*');
        return role('date', parts !== undefined ? `dates, split into ${parts.join(', ')}` : 'dates, used as a number (time since 1970); a date_parts step splits them into year, month, …');
      }
      case 'text': {
        const tokens = texts.get(c.name) ?? texts.get('*');
        if (tokens !== undefined) return role('text', `free text, ${plural(c.distinct, 'distinct value')}: ${tokens}`);
        if (isIdentifierLike(c)) return role('dropped', `identifier-like: a different single-word value in each of ${plural(count, 'row')}`);
        if (c.reason.startsWith('looks like dates')) return role('dropped', `${c.reason}; no text step reads it`);
        return role('dropped', `free text (${plural(c.distinct, 'distinct value')}): no text step reads it`);
      }
    }
  });
}

/** The `data` section of a run before its split: every column's role and the row counts. */
export function runData(columns: readonly DatasetColumn[], rows: number, target: string, pipeline: Pick<Pipeline, 'blocks'>): RunData {
  const roles = columnRoles(columns, target, pipeline);
  const t = columns.find((c) => c.name === target);
  return { rows, trainRows: null, testRows: null, droppedRows: { missingTarget: t?.missing ?? 0 }, columns: roles };
}

/** A one-line summary of a run's data, e.g. `3,201 rows (213 without a target dropped): 2,390 train, 598 test; 16 columns: …`. */
export function dataSummary(d: RunData): string {
  const uses: Array<ColumnRole['use']> = ['numeric', 'category', 'text', 'date', 'dropped'];
  const counts = uses.map((u) => [u, d.columns.filter((c) => c.use === u).length] as const).filter(([, k]) => k > 0);
  const rows = `${plural(d.rows, 'row')}${d.droppedRows.missingTarget > 0 ? ` (${n(d.droppedRows.missingTarget)} without a target dropped)` : ''}`;
  const split = d.trainRows !== null && d.testRows !== null ? `: ${n(d.trainRows)} train, ${n(d.testRows)} test` : '';
  return `${rows}${split}; ${plural(d.columns.length, 'column')}: 1 target, ${counts.map(([u, k]) => `${k} ${u}`).join(', ')}`;
}
