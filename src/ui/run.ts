import { METRICS } from '../core/metrics-info.js';
import type { RunEvent } from '../core/events.js';
import type { RunManifest } from '../core/run.js';
import type { RunData, TrainedModel } from '../core/contracts/run.js';
import { dataSummary } from '../core/column-roles.js';
import { candidateName } from '../core/candidate-name.js';
import type { RunPreview } from '../runner/run-experiment.js';
import { printable } from '../core/printable.js';
import { fmtBytes, fmtNumber, grouped, renderTable } from './format.js';

/** Milliseconds as "850 ms", "2.4 s", "1 m 05 s". */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
}

/** The metrics of a run as a table, the experiment's metric first, with which way is better. */
export function renderMetricsTable(run: Pick<RunManifest, 'metrics' | 'binding'>): string {
  const names = Object.keys(run.metrics).sort((a, b) => (a === run.binding.metric ? -1 : b === run.binding.metric ? 1 : 0));
  if (names.length === 0) return '';
  return renderTable(
    ['metric', 'value', ''],
    names.map((n) => [n, fmtNumber(run.metrics[n]), `${METRICS[n]?.higherIsBetter === false ? 'lower' : 'higher'} is better${n === run.binding.metric ? ' (experiment metric)' : ''}`]),
    ['left', 'right', 'left'],
  );
}

/** Most column rows a data table prints (the rest are counted; `bfly show --json` has them all). */
const DATA_TABLE_MAX = 40;

/**
 * The run's data: a line of counts, then every column with its type, how the run uses it and
 * why (at most {@link DATA_TABLE_MAX} rows unless `all`). Column names and reasons are user
 * data: made printable.
 */
export function renderDataTable(d: RunData, o: { all?: boolean } = {}): string {
  const shown = o.all === true ? d.columns : d.columns.slice(0, DATA_TABLE_MAX);
  const more = d.columns.length - shown.length;
  return `data: ${printable(dataSummary(d))}\n${renderTable(['column', 'type', 'use', 'why'], shown.map((c) => [printable(c.name), c.type, c.use, printable(c.reason)]))}${more > 0 ? `(${more} more columns: bfly show --json lists them all)\n` : ''}`;
}

/** The model a run trained, e.g. `knn (n_neighbors=15) [knn-2], cv accuracy 0.9712 ± 0.0123`. */
export function selectionLine(s: TrainedModel): string {
  const cv = s.cv === null ? '' : `, cv ${s.cv.metric} ${fmtNumber(s.cv.mean)}${s.cv.std === null ? '' : ` ± ${fmtNumber(s.cv.std)}`}`;
  return printable(`${candidateName({ id: s.candidate, label: s.label, model: s.model })}${cv}`);
}

/** The human summary of a finished (or reused) run, printed on stdout. */
export function renderRunResult(run: RunManifest): string {
  if (run.reused) return `up to date: run ${run.id} (same execution key; --force runs it again)\n${renderMetricsTable(run)}`;
  const cached = run.blocks.filter((b) => b.cached).length;
  const head = `run ${run.id} ${run.status} in ${fmtDuration(run.durationMs)}${cached > 0 ? ` (${cached} block${cached === 1 ? '' : 's'} from cache)` : ''}\n`;
  if (run.status !== 'succeeded') {
    const e = run.error;
    return `${head}${e ? `${printable(`${e.block ? `block ${e.block}: ` : ''}${e.message}`)}\n${e.hint ? `  hint: ${printable(e.hint)}\n` : ''}` : ''}`;
  }
  const artifacts = run.artifacts.length > 0 ? `artifacts: .butterfly/runs/${run.id}/artifacts/ (${run.artifacts.map((a) => a.name).join(', ')})\n` : '';
  const data = run.data === undefined ? '' : `${renderDataTable(run.data)}\n`;
  const model = run.selection ? `model: ${selectionLine(run.selection)}\n` : '';
  return `${head}${data}${model}${renderMetricsTable(run)}${artifacts}`;
}

/** `bfly run --dry-run`: the plan, block by block. */
export function renderPreview(p: RunPreview): string {
  const lines = [
    `experiment ${p.experiment}, seed ${p.seed}, backend ${p.backend}`,
    `execution key ${p.executionKey.slice(0, 19)}…`,
    p.upToDate !== null ? `up to date: run ${p.upToDate} has this key; \`bfly run\` would return it (--force runs it again)` : 'no succeeded run has this key: `bfly run` would execute',
    '',
  ];
  return lines.join('\n') + '\n' + renderTable(['block', 'type', 'would', 'why'], p.steps.map((s) => [s.id, s.type, s.action === 'cached' ? 'use cache' : 'run', s.reason]));
}

/** What a `log_truncated` event says. */
export function truncationNote(e: { hook: string; scope: 'hook' | 'run'; limitBytes: number; limitLines: number }): string {
  return `log of ${e.scope === 'hook' ? `hook ${e.hook}` : 'this run\'s hooks'} cut at its limit (${grouped(String(e.limitLines))} lines or ${fmtBytes(e.limitBytes)}${e.scope === 'hook' ? ' per hook call' : ' per run'}); later lines are dropped`;
}

const ICON: Record<string, string> = { succeeded: '✔', failed: '✖', cancelled: '■', timed_out: '⏱', cached: '↺' };

/**
 * Plain-line rendering of run events (stderr when it is not a terminal): one line per block
 * start and end, logs as indented lines, no progress bars.
 */
export function plainEventLine(e: RunEvent): string | null {
  switch (e.type) {
    case 'run_started':
      return `run ${e.runId}: ${e.blocks.length} blocks`;
    case 'block_started':
      return `▸ ${e.block} (${e.blockType})`;
    case 'block_finished':
      return `${e.cached ? ICON.cached : ICON[e.status]} ${e.block} ${e.cached ? 'from cache' : e.status} ${fmtDuration(e.durationMs)}`;
    case 'log':
      return e.level === 'debug' ? null : `    ${e.level === 'info' ? '' : `${e.level}: `}${printable(e.message)}`;
    case 'log_truncated':
      return `    warn: ${truncationNote(e)}`;
    default:
      return null;
  }
}
