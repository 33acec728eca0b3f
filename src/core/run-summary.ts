/**
 * The run summary: what the run index keeps per run and `bfly runs --json` prints. Derived from
 * a run's `run.json` and its frozen `pipeline.yaml` alone, so the index can always be rebuilt.
 */
import { fieldValue, parseQuery, parseSort, sortBy } from './query.js';
import { ValidationError } from './errors.js';
import type { RunManifest } from './run-manifest.js';

export type { RunSummary } from './contracts/run.js';
import type { RunSummary } from './contracts/run.js';

/** The block configs of a pipeline as `params` (only the parts a summary needs). */
export interface SummaryPipeline {
  seed?: number;
  blocks: Array<{ id: string; config?: unknown }>;
}

/**
 * Keys an index document may not hold (nedb refuses `.` inside a key and a leading `$`): such
 * config keys are kept with `.` as `·` and `$` as `＄`.
 */
function safeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(safeKeys);
  if (v === null || typeof v !== 'object') return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k.replaceAll('.', '·').replace(/^\$/, '＄')] = safeKeys(x);
  return out;
}

/** The summary of a run from its manifest and frozen pipeline. */
export function summarizeRun(m: RunManifest, pipeline: SummaryPipeline | null, memberOf: readonly string[] = []): RunSummary {
  const params: Record<string, unknown> = { seed: pipeline?.seed ?? m.seed };
  for (const b of pipeline?.blocks ?? []) params[b.id] = safeKeys(b.config ?? {});
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(m.metrics ?? {})) if (typeof v === 'number' && Number.isFinite(v)) metrics[k.replaceAll('.', '·')] = v;
  return {
    schemaVersion: 1,
    id: m.id,
    experiment: m.experiment,
    status: m.status,
    reused: m.reused,
    seed: m.seed,
    batch: m.batch ?? null,
    batches: [...new Set([...(m.batch ? [m.batch] : []), ...memberOf])].sort(),
    host: m.env.host ?? null,
    worker: m.env.worker ?? null,
    dataset: { id: m.dataset.id, name: m.dataset.name, hash: m.dataset.hash },
    binding: m.binding,
    pipelineHash: m.pipelineHash,
    executionKey: m.executionKey,
    createdAt: m.createdAt,
    startedAt: m.startedAt,
    endedAt: m.endedAt,
    durationMs: m.durationMs,
    metrics,
    params,
    hooks: m.hooks.map((h) => h.id),
    model: m.artifacts.some((a) => a.name === 'model.json'),
    selection: m.selection ? { candidate: m.selection.candidate, label: m.selection.label, model: m.selection.model } : null,
    error: m.error === null ? null : { category: m.error.category, code: m.error.code, block: m.error.block, message: m.error.message },
  };
}

/** What {@link selectRuns} keeps and in which order. */
export interface RunSelection {
  experiment?: string;
  /** Earlier names of that experiment (its runs made before a rename carry them). */
  formerNames?: string[];
  status?: string;
  /** A `--where` expression (see core/query.ts). */
  where?: string;
  /** `--sort` keys, e.g. `-metrics.accuracy,createdAt`; default newest first. */
  sort?: string;
  limit?: number;
  /** How errors name the expressions: `--where`/`--sort` (the CLI, default) or `where`/`sort` (the service). */
  flags?: { where: string; sort: string };
}

/** The summaries a selection keeps, in its order (input: oldest first, as listed). */
export function selectRuns(runs: readonly RunSummary[], s: RunSelection): RunSummary[] {
  return selectRunDocs(runs, (r) => r, s);
}

/**
 * What a selection keeps of `items` (oldest first), in its order: each item judged by the document
 * `docOf` gives (a summary, or any object with the fields {@link selectionFields} names).
 */
export function selectRunDocs<T>(items: readonly T[], docOf: (item: T) => unknown, s: RunSelection): T[] {
  const q = s.where === undefined ? null : parseQuery(s.where, s.flags?.where);
  const keys = s.sort === undefined ? null : parseSort(s.sort, s.flags?.sort);
  const names = s.experiment === undefined ? null : [s.experiment, ...(s.formerNames ?? [])];
  let out: Array<{ item: T; doc: unknown }> = [];
  for (const item of items) {
    const doc = docOf(item);
    if ((names === null || names.includes(fieldValue(doc, 'experiment') as string)) && (s.status === undefined || fieldValue(doc, 'status') === s.status) && (q === null || q.test(doc))) out.push({ item, doc });
  }
  out = out.reverse(); // newest first, and the tie order of an explicit sort
  if (keys !== null) out = sortBy(out, keys, (x) => x.doc);
  return (s.limit === undefined ? out : out.slice(0, s.limit)).map((x) => x.item);
}

/** The fields a selection reads (as written): its `where` expression's, its sort keys', experiment and status. */
export function selectionFields(s: RunSelection): Set<string> {
  const fields = new Set(['experiment', 'status']);
  if (s.where !== undefined) for (const f of parseQuery(s.where, s.flags?.where).fields) fields.add(f);
  if (s.sort !== undefined) for (const k of parseSort(s.sort, s.flags?.sort)) fields.add(k.path);
  return fields;
}

/**
 * The params (leaf config paths, without the seed) whose values differ between the runs: the
 * "key params" of a listing.
 */
export function varyingParams(runs: readonly RunSummary[]): string[] {
  const seen = new Map<string, Set<string>>();
  const walk = (prefix: string, v: unknown, into: Map<string, string>): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(`${prefix}.${k}`, x, into);
    else into.set(prefix, JSON.stringify(v));
  };
  for (const r of runs) {
    const leaves = new Map<string, string>();
    for (const [block, config] of Object.entries(r.params)) if (block !== 'seed') walk(`params.${block}`, config, leaves);
    for (const [k, v] of leaves) {
      if (!seen.has(k)) seen.set(k, new Set());
      seen.get(k)!.add(v);
    }
    for (const [k, vs] of seen) if (!leaves.has(k)) vs.add('undefined');
  }
  return [...seen].filter(([, vs]) => vs.size > 1).map(([k]) => k);
}

/** One page of a run listing: {@link pageRuns}. */
export interface RunPageQuery extends Omit<RunSelection, 'limit'> {
  /** Runs per page (1 to 1000). */
  limit: number;
  /** The `nextCursor` of the page before. */
  cursor?: string;
}

function encodeCursor(c: { after?: string; offset?: number; query: string }): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, query: string): { after?: string; offset?: number } {
  let c: { after?: unknown; offset?: unknown; query?: unknown } | null;
  try {
    c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown; offset?: unknown; query?: unknown } | null;
  } catch {
    c = null;
  }
  const ok = c !== null && typeof c === 'object' && c.query === query && (typeof c.after === 'string' || (typeof c.offset === 'number' && Number.isInteger(c.offset) && c.offset >= 0));
  if (!ok) throw new ValidationError('BAD_CURSOR', 'the cursor is not one this listing returned (or the query changed since)', { hint: 'start again without `cursor`, then pass each page’s nextCursor with the same query' });
  return c as unknown as { after?: string; offset?: number };
}

/**
 * A page of runs, newest first unless sorted. `ids` oldest first (as listed); `summary` parses
 * one on demand, so a plain page reads only the runs it returns. Pages of the default order
 * continue after the last id shown (new runs do not shift them); sorted or filtered pages by offset.
 */
export function pageRuns(ids: readonly string[], summary: (id: string) => RunSummary, q: RunPageQuery, select?: (s: RunSelection) => string[]): { runs: RunSummary[]; total: number; nextCursor: string | null } {
  const query = JSON.stringify([q.experiment ?? null, q.formerNames ?? [], q.status ?? null, q.where ?? null, q.sort ?? null]);
  const from = q.cursor === undefined ? {} : decodeCursor(q.cursor, query);
  const plain = q.experiment === undefined && q.status === undefined && q.where === undefined && q.sort === undefined;
  if (plain) {
    // ids are sorted: the page ends just before the cursor's id (binary search)
    let end = ids.length;
    if (from.after !== undefined) {
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ids[mid] < from.after) lo = mid + 1;
        else hi = mid;
      }
      end = lo;
    }
    const start = Math.max(0, end - q.limit);
    const runs = ids.slice(start, end).reverse().map(summary);
    return { runs, total: ids.length, nextCursor: start > 0 ? encodeCursor({ after: ids[start], query }) : null };
  }
  // by the listing's own selection when it has one (the run index's columns), else from the summaries
  const matching = select !== undefined ? select({ ...q, limit: undefined }) : selectRuns(ids.map(summary), { ...q, limit: undefined }).map((r) => r.id);
  const offset = from.offset ?? 0;
  const runs = matching.slice(offset, offset + q.limit).map(summary);
  return { runs, total: matching.length, nextCursor: offset + q.limit < matching.length ? encodeCursor({ offset: offset + q.limit, query }) : null };
}
