import type { GlobalOptions } from '../cli.js';
import { runWithDir } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';
import { fmtBytes, renderTable } from '../ui/format.js';
import { fmtDuration, renderMetricsTable } from '../ui/run.js';

/** `bfly show <run> [--json]`: manifest, metrics, blocks with timings, hooks, artifacts, error. */
export async function showCommand(ref: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { run, dir } = runWithDir(ws.root, ref);
  if (o.json) {
    process.stdout.write(JSON.stringify({ ...run, dir }) + '\n');
    return;
  }
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
  process.stdout.write(out.join('\n').replace(/\n+$/, '') + '\n');
}
