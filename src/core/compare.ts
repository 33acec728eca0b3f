import { candidateName } from './candidate-name.js';
import { METRICS } from './metrics-info.js';
import type { DatasetManifest } from './dataset.js';
import type { Pipeline } from './pipeline.js';
import type { RunManifest } from './run.js';

export type { CompareRow, SeedGroup, NoiseVerdict, CompareReport, CompareView } from './contracts/compare.js';
import type { CompareRow, SeedGroup, NoiseVerdict, CompareReport } from './contracts/compare.js';

/** A run as {@link compareRuns} needs it: its manifest, its frozen pipeline, and its dataset. */
export interface ComparedRun {
  manifest: RunManifest;
  pipeline: Pipeline;
  /** The dataset's manifest, for schema and statistics differences (null if unavailable). */
  dataset?: DatasetManifest | null;
}

/** `blocks.<id>.config.a.b` → value, for every leaf of every block's config (arrays as JSON). */
export function flattenPipeline(p: Pipeline): Record<string, string> {
  const out: Record<string, string> = { seed: String(p.seed) };
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(`${prefix}.${k}`, x);
    } else out[prefix] = JSON.stringify(v);
  };
  for (const b of p.blocks) {
    out[`blocks.${b.id}.type`] = b.type;
    walk(`blocks.${b.id}.config`, b.config);
  }
  return out;
}

/**
 * Compares runs side by side: run facts (experiment, status, seed), data, flattened pipeline
 * params, hooks (by hash), metrics (with the delta from the first run and whether it is better
 * for that metric) and timings. Every row says whether the runs differ; callers show only those
 * unless asked for all.
 */
export function compareRuns(runs: readonly ComparedRun[]): CompareRow[] {
  const rows: CompareRow[] = [];
  const add = (section: CompareRow['section'], key: string, values: Array<string | number | null>, deltas?: CompareRow['deltas']): void => {
    const differs = values.some((v) => JSON.stringify(v) !== JSON.stringify(values[0]));
    rows.push({ section, key, values, differs, ...(deltas ? { deltas } : {}) });
  };
  const m = runs.map((r) => r.manifest);
  add('run', 'experiment', m.map((x) => x.experiment));
  add('run', 'status', m.map((x) => x.status));
  add('run', 'seed', m.map((x) => x.seed));
  add('run', 'env', m.map((x) => `bfly ${x.env.bfly}, node ${x.env.node}, ${x.env.platform}, ${x.env.backend}`));
  add('data', 'dataset', m.map((x) => `${x.dataset.name} ${x.dataset.hash.slice(0, 19)}…`));
  add('data', 'target / task', m.map((x) => `${x.binding.target} / ${x.binding.task}`));
  if (new Set(m.map((x) => x.dataset.hash)).size > 1 && runs.every((r) => r.dataset)) {
    const ds = runs.map((r) => r.dataset!);
    add('data', 'rows', ds.map((d) => d.rows));
    const columns = [...new Set(ds.flatMap((d) => d.columns.map((c) => c.name)))];
    for (const name of columns) add('data', `column ${name}`, ds.map((d) => describeColumn(d.columns.find((c) => c.name === name))));
  }
  const flat = runs.map((r) => flattenPipeline(r.pipeline));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter((k) => k !== 'seed');
  for (const k of keys) add('params', k, flat.map((f) => f[k] ?? null));
  if (m.some((x) => x.selection)) add('run', 'model', m.map((x) => (x.selection ? candidateName({ id: x.selection.candidate, label: x.selection.label, model: x.selection.model }) : null)));
  const hookIds = [...new Set(m.flatMap((x) => x.hooks.map((h) => h.id)))];
  for (const id of hookIds) add('hooks', id, m.map((x) => x.hooks.find((h) => h.id === id)?.hash.slice(0, 19) ?? null));
  const metricNames = [...new Set(m.flatMap((x) => Object.keys(x.metrics)))];
  for (const name of metricNames) {
    const values = m.map((x) => x.metrics[name] ?? null);
    const higher = METRICS[name]?.higherIsBetter;
    const deltas = values.map((v, i) => (i === 0 || v === null || values[0] === null ? null : { delta: v - values[0], better: higher === undefined || v === values[0] ? null : higher ? v > values[0] : v < values[0] }));
    add('metrics', name, values, deltas);
  }
  rows.push({ section: 'timing', key: 'duration ms', values: m.map((x) => x.durationMs), differs: false });
  const blockIds = [...new Set(m.flatMap((x) => x.blocks.map((b) => b.id)))];
  for (const id of blockIds) {
    const values = m.map((x) => {
      const b = x.blocks.find((y) => y.id === id);
      return b === undefined ? null : b.cached ? 'cached' : b.durationMs === null ? null : Math.round(b.durationMs);
    });
    rows.push({ section: 'timing', key: `${id} ms`, values, differs: false });
  }
  return rows;
}

function describeColumn(c: DatasetManifest['columns'][number] | undefined): string | null {
  if (c === undefined) return null;
  const st = c.stats as unknown as Record<string, unknown>;
  const num = (k: string): string => (typeof st[k] === 'number' ? `${k} ${Number((st[k] as number).toPrecision(4))}` : '');
  return [c.type, c.missing > 0 ? `${c.missing} missing` : '', num('mean'), num('std'), c.type === 'category' || c.type === 'text' ? `${c.distinct} distinct` : ''].filter((x) => x !== '').join(', ');
}



/** What identifies a configuration apart from its seed. */
function configKey(r: ComparedRun): string {
  const flat = flattenPipeline(r.pipeline);
  delete flat.seed;
  return JSON.stringify([flat, r.manifest.dataset.hash, r.manifest.binding, r.manifest.hooks.map((h) => [h.id, h.hash])]);
}

function meanStd(xs: readonly number[]): { mean: number; std: number; n: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  return { mean, std, n: xs.length };
}

/**
 * Groups runs that differ only in seed and judges, per metric, whether the differences between
 * groups are larger than the spread seeds alone cause (a gap within two pooled standard
 * deviations is "within noise"). Needs at least one group of two or more runs; otherwise there is
 * no noise estimate and the verdicts are empty.
 */
export function seedNoise(runs: readonly ComparedRun[]): { groups: SeedGroup[]; verdicts: NoiseVerdict[] } {
  const byKey = new Map<string, ComparedRun[]>();
  for (const r of runs) {
    const k = configKey(r);
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  const groups = [...byKey.values()];
  const out = groups.map((g) => ({ runs: g.map((r) => r.manifest.id), seeds: g.map((r) => r.manifest.seed) }));
  if (!groups.some((g) => g.length >= 2 && new Set(g.map((r) => r.manifest.seed)).size >= 2)) return { groups: out, verdicts: [] };
  const metricNames = [...new Set(runs.flatMap((r) => Object.keys(r.manifest.metrics)))];
  const verdicts: NoiseVerdict[] = [];
  for (const metric of metricNames) {
    const stats = groups.map((g) => meanStd(g.map((r) => r.manifest.metrics[metric]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))));
    if (stats.some((s) => s.n === 0) || runs.every((r) => r.manifest.metrics[metric] === runs[0].manifest.metrics[metric])) continue;
    if (groups.length === 1) {
      verdicts.push({ metric, groups: stats, verdict: 'seed_only' });
      continue;
    }
    const spread = stats.filter((s) => s.n >= 2);
    const pooled = Math.sqrt(spread.reduce((a, s) => a + s.std ** 2, 0) / spread.length);
    const gap = Math.max(...stats.map((s) => s.mean)) - Math.min(...stats.map((s) => s.mean));
    verdicts.push({ metric, groups: stats, verdict: gap <= 2 * pooled ? 'within_noise' : 'beyond_noise' });
  }
  return { groups: out, verdicts };
}


/** Every compared row plus the seed groups and noise verdicts of the runs. */
export function compareReport(runs: readonly ComparedRun[]): CompareReport {
  const { groups, verdicts } = seedNoise(runs);
  return { runs: runs.map((r) => r.manifest.id), rows: compareRuns(runs), groups, noise: verdicts };
}

/**
 * A unified diff of two texts (line based, longest common subsequence, 3 lines of context),
 * or '' when they are equal.
 */
export function unifiedDiff(a: string, b: string, nameA: string, nameB: string, context = 3): string {
  if (a === b) return '';
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const mm = y.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(mm + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = mm - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: Array<{ op: ' ' | '-' | '+'; text: string; ai: number; bi: number }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < mm) {
    if (i < n && j < mm && x[i] === y[j]) ops.push({ op: ' ', text: x[i], ai: i++, bi: j++ });
    else if (i < n && (j >= mm || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ op: '-', text: x[i], ai: i++, bi: j });
    else ops.push({ op: '+', text: y[j], ai: i, bi: j++ });
  }
  const out = [`--- ${nameA}`, `+++ ${nameB}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k].op === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // extend the hunk while changes are within 2*context lines of each other
    for (let e = k; e < ops.length; e++) if (ops[e].op !== ' ') end = e;
    else if (e - end > 2 * context) break;
    end = Math.min(ops.length - 1, end + context);
    const hunk = ops.slice(start, end + 1);
    const aLen = hunk.filter((o) => o.op !== '+').length;
    const bLen = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${ops[start].ai + 1},${aLen} +${ops[start].bi + 1},${bLen} @@`, ...hunk.map((o) => o.op + o.text));
    k = end + 1;
  }
  return out.join('\n') + '\n';
}
