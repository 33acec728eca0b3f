/**
 * The run summary: what the run index keeps per run and `bfly runs --json` prints. Derived from
 * a run's `run.json` and its frozen `pipeline.yaml` alone, so the index can always be rebuilt.
 */
import { parseQuery, parseSort, sortBy } from './query.js';
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
}

/** The summaries a selection keeps, in its order (input: oldest first, as listed). */
export function selectRuns(runs: readonly RunSummary[], s: RunSelection): RunSummary[] {
  const q = s.where === undefined ? null : parseQuery(s.where);
  const keys = s.sort === undefined ? null : parseSort(s.sort);
  const names = s.experiment === undefined ? null : [s.experiment, ...(s.formerNames ?? [])];
  let out = runs.filter((r) => (names === null || names.includes(r.experiment)) && (s.status === undefined || r.status === s.status) && (q === null || q.test(r)));
  out = out.reverse(); // newest first, and the tie order of an explicit sort
  if (keys !== null) out = sortBy(out, keys);
  return s.limit === undefined ? out : out.slice(0, s.limit);
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
