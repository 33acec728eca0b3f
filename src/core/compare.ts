import { METRICS } from './catalog.js';
import type { Pipeline } from './pipeline.js';
import type { RunManifest } from './run.js';

/** One compared quantity across runs. */
export interface CompareRow {
  section: 'run' | 'data' | 'params' | 'hooks' | 'metrics' | 'timing';
  key: string;
  values: Array<string | number | null>;
  /** True when the runs disagree. */
  differs: boolean;
  /** Metrics: the change from the first run, and whether it is an improvement. */
  deltas?: Array<{ delta: number; better: boolean | null } | null>;
}

/** A run as {@link compareRuns} needs it: its manifest and its frozen pipeline. */
export interface ComparedRun {
  manifest: RunManifest;
  pipeline: Pipeline;
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
  add('run', 'bfly / backend', m.map((x) => `${x.env.bfly} / ${x.env.backend}`));
  add('data', 'dataset', m.map((x) => `${x.dataset.name} ${x.dataset.hash.slice(0, 19)}…`));
  add('data', 'target / task', m.map((x) => `${x.binding.target} / ${x.binding.task}`));
  const flat = runs.map((r) => flattenPipeline(r.pipeline));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter((k) => k !== 'seed');
  for (const k of keys) add('params', k, flat.map((f) => f[k] ?? null));
  const hookIds = [...new Set(m.flatMap((x) => x.hooks.map((h) => h.id)))];
  for (const id of hookIds) add('hooks', id, m.map((x) => x.hooks.find((h) => h.id === id)?.hash.slice(0, 19) ?? null));
  const metricNames = [...new Set(m.flatMap((x) => Object.keys(x.metrics)))];
  for (const name of metricNames) {
    const values = m.map((x) => x.metrics[name] ?? null);
    const higher = METRICS[name]?.higherIsBetter;
    const deltas = values.map((v, i) => (i === 0 || v === null || values[0] === null ? null : { delta: v - values[0], better: higher === undefined || v === values[0] ? null : higher ? v > values[0] : v < values[0] }));
    add('metrics', name, values, deltas);
  }
  add('timing', 'duration ms', m.map((x) => x.durationMs));
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
