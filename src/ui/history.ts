import { METRICS } from '../core/catalog.js';
import type { CompareRow } from '../core/compare.js';
import type { RunManifest } from '../core/run.js';
import type { ExperimentStatus } from '../runner/run-experiment.js';
import { fmtBytes, fmtNumber, renderTable } from './format.js';
import { fmtDuration, renderMetricsTable } from './run.js';

function age(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : s < 129_600 ? `${Math.round(s / 3600)}h ago` : `${Math.round(s / 86_400)}d ago`;
}

/** `bfly runs`: one line per run, the experiment's metric with which way is better. */
export function renderRunsTable(runs: RunManifest[], now = Date.now()): string {
  return renderTable(
    ['run', 'experiment', 'status', 'age', 'duration', 'metric', 'value', 'model', 'seed'],
    runs.map((m) => {
      const metric = m.binding?.metric ?? '';
      const v = m.metrics?.[metric];
      const model = m.artifacts.some((a) => a.name === 'model.json') ? 'yes' : '';
      return [m.id, m.experiment, m.status, age(m.createdAt, now), fmtDuration(m.durationMs), metric ? `${metric} ${METRICS[metric]?.higherIsBetter === false ? '↓' : '↑'}` : '', v === undefined ? '-' : fmtNumber(v), model, String(m.seed)];
    }),
    ['left', 'left', 'left', 'right', 'right', 'left', 'right', 'left', 'right'],
  );
}

/** `bfly show`: the run's facts, error, metrics, blocks, hooks and artifacts. */
export function renderRunShow(run: RunManifest, dir: string): string {
  const out: string[] = [
    `run ${run.id}  ${run.status}${run.durationMs !== null ? ` in ${fmtDuration(run.durationMs)}` : ''}`,
    `experiment  ${run.experiment}: predict ${run.binding.target} (${run.binding.task}), metric ${run.binding.metric}`,
    `dataset     ${run.dataset.name} ${run.dataset.hash}`,
    `seed        ${run.seed}`,
    `pipeline    ${run.pipelineHash}`,
    `key         ${run.executionKey}`,
    `env         bfly ${run.env.bfly}, node ${run.env.node}, ${run.env.platform}, backend ${run.env.backend}`,
    `created     ${run.createdAt}`,
    `folder      ${dir}`,
    '',
  ];
  if (run.error) out.push(`error       ${run.error.category}${run.error.block ? ` in block ${run.error.block}` : ''}${run.error.hook ? `, hook ${run.error.hook}` : ''}: ${run.error.message}`, ...(run.error.hint ? [`  hint: ${run.error.hint}`] : []), '');
  if (Object.keys(run.metrics).length > 0) out.push(renderMetricsTable(run));
  out.push(renderTable(['block', 'type', 'status', 'time', 'cached'], run.blocks.map((b) => [b.id, b.type, b.status, b.durationMs === null ? '-' : fmtDuration(b.durationMs), b.cached ? 'cached' : ''])));
  if (run.hooks.length > 0) out.push('', renderTable(['hook', 'block', 'type', 'source', 'sha256'], run.hooks.map((h) => [h.id, h.block, h.type, h.origin, h.hash])));
  if (run.artifacts.length > 0) out.push('', renderTable(['artifact', 'type', 'size'], run.artifacts.map((a) => [a.name, a.type, fmtBytes(a.bytes)]), ['left', 'left', 'right']));
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

function cell(v: string | number | null): string {
  return v === null ? '-' : typeof v === 'number' ? fmtNumber(v) : v;
}

/** `bfly compare`: the rows side by side; metric changes from the first run marked better or worse. */
export function renderCompare(ids: string[], rows: CompareRow[], hiddenSame: number | null): string {
  const render = (r: CompareRow): string[] => [
    `${r.section === 'params' ? '' : `${r.section}: `}${r.key}`,
    ...r.values.map((v, i) => {
      const d = r.deltas?.[i];
      return d ? `${cell(v)} (${d.delta >= 0 ? '+' : ''}${fmtNumber(d.delta)}${d.better === null ? '' : d.better ? ' better' : ' worse'})` : cell(v);
    }),
  ];
  return renderTable(['', ...ids], rows.map(render)) + (hiddenSame === null ? '' : `(${hiddenSame} other values are the same in every run; --all shows them)\n`);
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
