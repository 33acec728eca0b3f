import type { GlobalOptions } from '../cli.js';
import { previewRun } from '../runner/run-experiment.js';
import { listDatasets } from '../store/datasets.js';
import { listExperiments } from '../store/experiments.js';
import { listRuns } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly status [--json]`: the workspace, and per experiment what `bfly run` would do now. */
export async function statusCommand(o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const runs = listRuns(ws.root);
  const experiments = listExperiments(ws.root).map((e) => {
    const latest = runs.find((r) => r.experiment === e.name) ?? null;
    try {
      const p = previewRun(ws.root, e.name);
      const rerun = p.steps.filter((s) => s.action === 'run' && s.type !== 'report');
      return { name: e.name, latest: latest?.id ?? null, latestStatus: latest?.status ?? null, upToDate: p.upToDate, wouldRun: rerun.map((s) => ({ block: s.id, reason: s.reason })), problem: null as string | null };
    } catch (err) {
      return { name: e.name, latest: latest?.id ?? null, latestStatus: latest?.status ?? null, upToDate: null, wouldRun: [], problem: (err as Error).message };
    }
  });
  const summary = { workspace: ws.config.name, root: ws.root, profile: ws.config.profile, datasets: listDatasets(ws.root).length, runs: runs.length, experiments };
  if (o.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return;
  }
  const lines = [`workspace ${summary.workspace} (${summary.profile}): ${summary.datasets} datasets, ${experiments.length} experiments, ${summary.runs} runs`, ''];
  for (const e of experiments) {
    const head = `${e.name}: latest run ${e.latest ?? 'none'}${e.latestStatus ? ` (${e.latestStatus})` : ''}`;
    if (e.problem) lines.push(`${head}\n  draft is invalid: ${e.problem.split('\n')[0]}`);
    else if (e.upToDate) lines.push(`${head}\n  up to date: \`bfly run ${e.name}\` would return run ${e.upToDate}`);
    else lines.push(`${head}\n  \`bfly run ${e.name}\` would run: ${e.wouldRun.length === 0 ? 'only the report' : e.wouldRun.map((w) => `${w.block} (${w.reason})`).join(', ')}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
