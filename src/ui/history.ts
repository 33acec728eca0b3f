import { METRICS } from '../core/metrics-info.js';
import type { CompareRow, NoiseVerdict, SeedGroup } from '../core/compare.js';
import { ValidationError } from '../core/errors.js';
import { printable } from '../core/printable.js';
import { checkField, fieldValue } from '../core/query.js';
import type { RunManifest } from '../core/run.js';
import { type RunSummary, varyingParams } from '../core/run-summary.js';
import type { ExperimentStatus } from '../runner/run-experiment.js';
import type { FsckReport } from '../store/fsck.js';
import type { GcReport } from '../store/gc.js';
import { briefValue, fmtBytes, fmtNumber, renderTable } from './format.js';
import { fmtDuration, renderDataTable, renderMetricsTable, selectionLine } from './run.js';

function age(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : s < 129_600 ? `${Math.round(s / 3600)}h ago` : `${Math.round(s / 86_400)}d ago`;
}

const SPECIAL_COLUMNS = ['run', 'id', 'experiment', 'status', 'age', 'duration', 'metric', 'value', 'params', 'model', 'seed', 'batch', 'dataset'];

/** Checks a `--columns` list: special names ({@link SPECIAL_COLUMNS}) or query fields. */
export function parseColumns(src: string): string[] {
  const cols = src.split(',').map((c) => c.trim()).filter((c) => c !== '');
  if (cols.length === 0) throw new ValidationError('BAD_COLUMNS', '--columns is empty', { hint: `e.g. --columns id,experiment,metrics.accuracy (also: ${SPECIAL_COLUMNS.join(', ')})` });
  let col = 1;
  for (const c of cols) {
    if (!SPECIAL_COLUMNS.includes(c)) checkField(c, src, src.indexOf(c, col - 1) + 1, '--columns');
    col += c.length + 1;
  }
  return cols;
}

function plain(v: unknown, key = ''): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'number') return fmtNumber(v);
  if (typeof v === 'string') return v;
  return briefValue(v, key);
}

/**
 * `bfly runs`: one line per run; by default the experiment's metric (with which way is better),
 * the params that differ between the listed runs, whether it made a model, and the seed.
 */
export function renderRunsTable(runs: RunSummary[], o: { columns?: string[]; now?: number } = {}): string {
  const now = o.now ?? Date.now();
  const varying = varyingParams(runs);
  const keyParams = varying.slice(0, 3);
  // Runs made on more than one host (queue workers): where each ran is shown too.
  const manyHosts = new Set(runs.map((m) => m.host ?? null)).size > 1;
  const columns = o.columns ?? ['run', 'experiment', 'status', 'age', 'duration', 'metric', 'value', ...(keyParams.length > 0 ? ['params'] : []), 'model', 'seed', ...(manyHosts ? ['host'] : [])];
  const cell = (m: RunSummary, c: string): string => {
    const metric = m.binding?.metric ?? '';
    switch (c) {
      case 'run':
      case 'id':
        return m.id;
      case 'age':
        return age(m.createdAt, now);
      case 'duration':
        return fmtDuration(m.durationMs);
      case 'metric':
        return metric ? `${metric} ${METRICS[metric]?.higherIsBetter === false ? '↓' : '↑'}` : '';
      case 'value':
        return plain(m.metrics?.[metric]);
      case 'params':
        return keyParams.map((k) => `${k.replace(/^params\./, '')}=${plain(fieldValue(m, k), k)}`).join(' ');
      case 'model':
        return m.selection ? m.selection.label : m.model ? 'yes' : '';
      case 'batch':
        return m.batches.length === 0 ? '-' : m.batches.join(',');
      case 'host':
        return m.host ? `${m.host}${m.worker ? ` (${m.worker})` : ''}` : '-';
      default:
        return plain(fieldValue(m, c), c);
    }
  };
  const right = (c: string): boolean => ['age', 'duration', 'value', 'seed'].includes(c) || c.startsWith('metrics.') || c === 'durationMs';
  const table = renderTable(
    columns.map((c) => (c === 'id' ? 'run' : c)),
    runs.map((m) => columns.map((c) => cell(m, c))),
    columns.map((c) => (right(c) ? 'right' : 'left')),
  );
  return table + (o.columns === undefined && varying.length > keyParams.length ? `(${varying.length - keyParams.length} more params differ; --columns params.<block>.<key> shows one)\n` : '');
}

/** `bfly show`: the run's facts, error, metrics, blocks, hooks and artifacts. */
export function renderRunShow(run: RunManifest, dir: string): string {
  const out: string[] = [
    `run ${run.id}  ${run.status}${run.durationMs !== null ? ` in ${fmtDuration(run.durationMs)}` : ''}`,
    `experiment  ${run.experiment}: predict ${run.binding.target} (${run.binding.task}), metric ${run.binding.metric}`,
    `dataset     ${run.dataset.name} ${run.dataset.hash}`,
    `seed        ${run.seed}`,
    ...(run.selection ? [`model       ${selectionLine(run.selection)}`] : []),
    `pipeline    ${run.pipelineHash}`,
    `key         ${run.executionKey}`,
    `env         bfly ${run.env.bfly}, node ${run.env.node}, ${run.env.platform}, backend ${run.env.backend}`,
    ...(run.env.host !== undefined ? [printable(`ran on      ${run.env.host}${run.env.worker !== undefined ? `, worker ${run.env.worker}` : ''}`)] : []),
    `created     ${run.createdAt}`,
    `folder      ${dir}`,
    '',
  ];
  if (run.error) out.push(printable(`error       ${run.error.category}${run.error.block ? ` in block ${run.error.block}` : ''}${run.error.hook ? `, hook ${run.error.hook}` : ''}: ${run.error.message}`), ...(run.error.hint ? [`  hint: ${printable(run.error.hint)}`] : []), '');
  if (run.data !== undefined) out.push(renderDataTable(run.data));
  if (Object.keys(run.metrics).length > 0) out.push(renderMetricsTable(run));
  out.push(renderTable(['block', 'type', 'status', 'time', 'cached'], run.blocks.map((b) => [b.id, b.type, b.status, b.durationMs === null ? '-' : fmtDuration(b.durationMs), b.cached ? 'cached' : ''])));
  if (run.hooks.length > 0) out.push('', renderTable(['hook', 'block', 'type', 'source', 'sha256'], run.hooks.map((h) => [h.id, h.block, h.type, h.origin, h.hash])));
  if (run.artifacts.length > 0) out.push('', renderTable(['artifact', 'type', 'size'], run.artifacts.map((a) => [a.name, a.type, fmtBytes(a.bytes)]), ['left', 'left', 'right']));
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

function cell(v: string | number | null, key = ''): string {
  return v === null ? '-' : typeof v === 'number' ? fmtNumber(v) : briefValue(v, key);
}

/** What {@link renderCompare} adds below the table. */
export interface CompareExtras {
  /** How many values are equal in every run (hidden), or null when everything is shown. */
  hiddenSame: number | null;
  noise: { groups: SeedGroup[]; verdicts: NoiseVerdict[] };
  durations: Array<number | null>;
  hookDiffs: Array<{ hook: string; diff: string }> | null;
}

/**
 * `bfly compare`: the rows side by side, metric changes from the first run marked better or
 * worse; then the seed-noise verdict, durations, and hook source diffs when asked.
 */
export function renderCompare(ids: string[], rows: CompareRow[], x: CompareExtras): string {
  const render = (r: CompareRow): string[] => [
    `${r.section === 'params' ? '' : `${r.section}: `}${r.key}`,
    ...r.values.map((v, i) => {
      const d = r.deltas?.[i];
      return d ? `${cell(v)} (${d.delta >= 0 ? '+' : ''}${fmtNumber(d.delta)}${d.better === null ? '' : d.better ? ' better' : ' worse'})` : cell(v, r.key);
    }),
  ];
  const out: string[] = [rows.length === 0 ? 'no differences: the runs have the same config, data, hooks, seed and metrics\n' : renderTable(['', ...ids], rows.map(render))];
  const { groups, verdicts } = x.noise;
  if (groups.length === 1 && ids.length > 1) {
    out.push(`these runs differ only in seed (${groups[0].seeds.join(', ')}): every metric difference above is seed noise`);
    for (const v of verdicts) out.push(`  ${v.metric}: ${fmtNumber(v.groups[0].mean)} ± ${fmtNumber(v.groups[0].std)} over ${v.groups[0].n} seeds`);
  } else if (verdicts.length > 0) {
    out.push(`seed groups: ${groups.map((g, i) => `${String.fromCharCode(65 + i)} = ${g.runs.map((r) => r.slice(-6)).join(', ')} (seeds ${g.seeds.join(', ')})`).join('; ')}`);
    for (const v of verdicts) {
      out.push(`  ${v.metric}: ${v.groups.map((g, i) => `${String.fromCharCode(65 + i)} ${fmtNumber(g.mean)} ± ${fmtNumber(g.std)}`).join(', ')}  ${v.verdict === 'within_noise' ? '≈ within seed noise' : '≠ beyond seed noise'}`);
    }
  }
  if (x.durations.some((d) => d !== null)) out.push(`durations: ${x.durations.map((d) => fmtDuration(d)).join(', ')}`);
  if (x.hiddenSame !== null) out.push(`(${x.hiddenSame} other values are the same in every run; --all shows them)`);
  if (x.hookDiffs !== null) out.push(x.hookDiffs.length === 0 ? 'hooks: the same source in every run' : x.hookDiffs.map((h) => h.diff).join('\n'));
  return out.join('\n').replace(/\n*$/, '\n');
}

/** `bfly lineage`: dataset → pipeline → hooks → blocks → artifacts, with hashes, as a tree. */
export function renderLineage(run: RunManifest, artifact: string | null): string {
  const lines = [
    ...(artifact ? [`artifact ${artifact} was made by run ${run.id}`, ''] : []),
    `run ${run.id} (${run.experiment}, ${run.status}, seed ${run.seed})`,
    `├─ dataset ${run.dataset.name}  ${run.dataset.hash}`,
    `├─ pipeline snapshot  ${run.pipelineHash}`,
    ...run.hooks.map((h) => `├─ hook ${h.id} (${h.origin})  ${h.hash}`),
    `├─ execution key  ${run.executionKey}`,
    '└─ blocks',
  ];
  run.blocks.forEach((b, i) => {
    const last = i === run.blocks.length - 1;
    lines.push(`   ${last ? '└─' : '├─'} ${b.id} (${b.type}, ${b.status}${b.cached ? ', from cache' : ''})  key ${b.key.slice(0, 19)}…`);
    const made = run.artifacts.filter((a) => a.block === b.id);
    made.forEach((a, j) => lines.push(`   ${last ? '  ' : '│ '}  ${j === made.length - 1 ? '└─' : '├─'} ${a.name}  ${a.hash}${a.name === artifact ? '  ←' : ''}`));
  });
  return lines.join('\n') + '\n';
}

/** `bfly status`: the workspace line, then per experiment its latest run and what a run would do. */
export function renderStatus(s: { workspace: string; profile: string; datasets: number; runs: number; experiments: ExperimentStatus[] }): string {
  const lines = [`workspace ${s.workspace} (${s.profile}): ${s.datasets} datasets, ${s.experiments.length} experiments, ${s.runs} runs`, ''];
  for (const e of s.experiments) {
    const head = `${e.name}: latest run ${e.latest ?? 'none'}${e.latestStatus ? ` (${e.latestStatus})` : ''}`;
    if (e.problem) lines.push(`${head}\n  draft is invalid: ${e.problem.split('\n')[0]}`);
    else if (e.upToDate) lines.push(`${head}\n  up to date: \`bfly run ${e.name}\` would return run ${e.upToDate}`);
    else lines.push(`${head}\n  \`bfly run ${e.name}\` would run: ${e.wouldRun.length === 0 ? 'only the report' : e.wouldRun.map((w) => `${w.block} (${w.reason})`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

/** `bfly fsck`: what was checked, the problems grouped by kind, what a repair did. */
export function renderFsck(r: FsckReport): string {
  const c = r.checked;
  const lines = [
    `checked ${c.objects} objects, ${c.datasets} datasets, ${c.runs} runs (${c.runFiles} files), ${c.cacheEntries} cache entries: ${fmtBytes(c.bytesHashed)} hashed at ${Math.round(r.hashMBps)} MB/s (objects ${Math.round(r.objectsMBps)} MB/s); whole check ${r.seconds.toFixed(2)} s`,
  ];
  for (const x of r.repaired) lines.push(`repaired: ${x}`);
  if (r.ok) lines.push('ok: no problems found');
  else {
    lines.push(`${r.problems.length} problem(s):`);
    for (const x of r.problems) lines.push(`  ${x.kind.padEnd(20)} ${x.path}\n  ${' '.repeat(20)} ${x.message}${x.repairable ? ' [repairable]' : ''}`);
    const repairable = r.problems.filter((x) => x.repairable).length;
    if (repairable > 0) lines.push(`${repairable} can be repaired (derived data only): bfly fsck --repair`);
    if (repairable < r.problems.length) lines.push('objects and runs are never changed by bfly: restore damaged ones from a backup or export');
  }
  return lines.join('\n') + '\n';
}

/** `bfly gc`: what was (or would be) removed and how much it freed. */
export function renderGc(r: GcReport): string {
  const verb = r.dryRun ? 'would remove' : 'removed';
  const parts = [
    ...r.runs.map((x) => `${verb} run ${x.id} (${x.status}, ended ${x.endedAt ?? '?'}, ${fmtBytes(x.bytes)})`),
    ...(r.objects.count > 0 ? [`${verb} ${r.objects.count} unreferenced object(s), ${fmtBytes(r.objects.bytes)}`] : []),
    ...(r.cacheEntries > 0 ? [`${verb} ${r.cacheEntries} broken cache entr${r.cacheEntries === 1 ? 'y' : 'ies'}`] : []),
    ...(r.cacheBlobs.count > 0 ? [`${verb} ${r.cacheBlobs.count} unreferenced cache blob(s), ${fmtBytes(r.cacheBlobs.bytes)}`] : []),
    ...(r.runKeys > 0 ? [`${verb} ${r.runKeys} run key(s) of runs that are gone`] : []),
    ...(r.tempFiles > 0 ? [`${verb} ${r.tempFiles} temp leftover(s) of dead processes`] : []),
    ...(r.halfDeleted > 0 ? [`${r.dryRun ? 'would finish' : 'finished'} removing ${r.halfDeleted} run folder(s) an earlier gc had begun to remove`] : []),
  ];
  const skipped = r.skipped.map((x) => `skipped ${x.path}: ${x.why} (see bfly fsck)`);
  if (parts.length === 0) return [...skipped, 'nothing to collect: every object, cache entry and run is in use (freed 0 B)'].join('\n') + '\n';
  return [...parts, ...skipped, `${r.dryRun ? 'would free' : 'freed'} ${fmtBytes(r.freedBytes)}`].join('\n') + '\n';
}
