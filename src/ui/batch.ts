/** Text for batches of runs: the view state (shared with the Ink view), plain lines, the summary. */
import type { BatchEvent, BatchResult, BatchRunResult } from '../runner/batch.js';
import type { BatchRunSpec } from '../core/batch.js';
import { METRICS } from '../core/metrics-info.js';
import { fmtNumber, renderTable } from './format.js';
import { fmtDuration } from './run.js';

/** One run's row in the live batch view. */
export interface BatchRow {
  spec: BatchRunSpec;
  status: 'queued' | 'running' | BatchRunResult['status'];
  runId: string | null;
  block: string | null;
  progress: { done: number; total: number } | null;
  reused: boolean;
  value: number | null;
}

/** The live batch view. */
export interface BatchView {
  batch: string;
  experiment: string;
  metric: string;
  jobs: number;
  rows: BatchRow[];
  startedAt: number;
  finished: { durationMs: number; counts: Record<string, number>; cancelled: boolean } | null;
}

/** Folds one batch event into the view (pure; exported for tests). */
export function reduceBatchView(v: BatchView | null, e: BatchEvent, now: number): BatchView | null {
  if (e.type === 'batch_started') return { batch: e.batch, experiment: e.experiment, metric: e.metric, jobs: e.jobs, startedAt: now, finished: null, rows: e.runs.map((spec) => ({ spec, status: 'queued', runId: null, block: null, progress: null, reused: false, value: null })) };
  if (v === null) return v;
  const patch = (index: number, p: Partial<BatchRow>): BatchView => ({ ...v, rows: v.rows.map((r) => (r.spec.index === index ? { ...r, ...p } : r)) });
  switch (e.type) {
    case 'batch_run_started':
      return patch(e.index, { status: 'running' });
    case 'batch_run_event': {
      const ev = e.event;
      if (ev.type === 'run_created' || ev.type === 'run_started') return patch(e.index, { runId: ev.runId });
      if (ev.type === 'block_started') return patch(e.index, { block: ev.block, progress: null });
      if (ev.type === 'block_progress') return patch(e.index, { progress: { done: ev.done, total: ev.total } });
      return v;
    }
    case 'batch_run_finished':
      return patch(e.result.index, { status: e.result.status, runId: e.result.runId, reused: e.result.reused, block: null, progress: null, value: e.result.metrics[v.metric] ?? null });
    case 'batch_finished':
      return { ...v, finished: { durationMs: e.durationMs, counts: e.counts, cancelled: e.cancelled } };
  }
}

/** A line for a plain (non-terminal) log of a batch, or null. */
export function plainBatchLine(e: BatchEvent, v: BatchView | null): string | null {
  if (e.type === 'batch_started') return `batch ${e.batch}: ${e.experiment}, ${e.runs.length} run(s) ${e.jobs === 0 ? 'through the queue' : `on ${e.jobs} worker(s)`}`;
  if (e.type === 'batch_run_finished' && v !== null) {
    const r = e.result;
    const done = v.rows.filter((x) => !['queued', 'running'].includes(x.status)).length;
    const value = r.metrics[v.metric];
    const what = r.status === 'succeeded' ? `${r.reused ? 'reused' : 'succeeded'}: ${v.metric} ${value === undefined ? '-' : fmtNumber(value)}` : `${r.status}${r.error ? `: ${r.error.message}` : ''}`;
    return `[${done}/${v.rows.length}] ${r.label || '(draft)'}${r.seed !== null ? ` seed=${r.seed}` : ''} ${what}${r.runId ? ` (run ${r.runId})` : ''}`;
  }
  return null;
}

const better = (metric: string): 1 | -1 => (METRICS[metric]?.higherIsBetter === false ? -1 : 1);

/**
 * The batch's summary: a leaderboard (best first by the experiment's metric), per grid point the
 * mean ± std over seeds when there are several, the counts, and how to look further.
 */
export function renderBatchSummary(b: BatchResult): string {
  const dir = better(b.metric);
  const ranked = [...b.runs].sort((x, y) => {
    const a = x.metrics[b.metric];
    const c = y.metrics[b.metric];
    if (a === undefined || c === undefined) return a === undefined ? (c === undefined ? x.index - y.index : 1) : -1;
    return dir * (c - a) || x.index - y.index;
  });
  const lines = [
    renderTable(
      ['#', 'run', 'grid', 'seed', 'status', `${b.metric} ${dir === 1 ? '↑' : '↓'}`],
      ranked.map((r, i) => [String(i + 1), r.runId ?? '-', r.label || '(draft)', r.seed === null ? '-' : String(r.seed), r.reused ? 'reused' : r.status, r.metrics[b.metric] === undefined ? '-' : fmtNumber(r.metrics[b.metric])]),
      ['right', 'left', 'left', 'right', 'left', 'right'],
    ),
  ];
  const seeds = new Set(b.runs.map((r) => r.seed));
  if (seeds.size > 1) {
    const groups = new Map<string, number[]>();
    for (const r of b.runs) if (r.metrics[b.metric] !== undefined) groups.set(r.label, [...(groups.get(r.label) ?? []), r.metrics[b.metric]]);
    const stats = [...groups].map(([label, xs]) => {
      const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
      const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
      return { label, mean, std, n: xs.length };
    });
    stats.sort((x, y) => dir * (y.mean - x.mean));
    lines.push(`over seeds (${b.metric}, mean ± std):`, renderTable(['grid', 'mean', 'std', 'runs'], stats.map((s) => [s.label || '(draft)', fmtNumber(s.mean), fmtNumber(s.std), String(s.n)]), ['left', 'right', 'right', 'right']));
  }
  const counts: Record<string, number> = {};
  for (const r of b.runs) counts[r.reused ? 'reused' : r.status] = (counts[r.reused ? 'reused' : r.status] ?? 0) + 1;
  lines.push(`batch ${b.batch}: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')} in ${fmtDuration(b.durationMs)}${b.cancelled ? ' (cancelled)' : ''}`);
  for (const r of b.runs.filter((x) => x.error !== null && x.status !== 'cancelled')) lines.push(`  ${r.label || '(draft)'}${r.seed !== null ? ` seed=${r.seed}` : ''}: ${r.error!.message}${r.error!.hint ? `\n    hint: ${r.error!.hint}` : ''}`);
  lines.push(`list: bfly runs --where 'batch == "${b.batch}"'`, `compare: bfly compare --batch ${b.batch}`);
  return lines.join('\n') + '\n';
}
