import type { GlobalOptions } from '../cli.js';
import { listRuns } from '../store/run-artifacts.js';
import { listRunIds } from '../store/runs.js';
import { openWorkspace } from '../store/workspace.js';
import { renderRunsTable } from '../ui/history.js';

/** `bfly runs [--experiment E] [--status S] [--limit N] [--json]`: newest first. */
export async function runsCommand(o: GlobalOptions & { experiment?: string; status?: string; limit?: string }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const runs = listRuns(ws.root, { experiment: o.experiment, status: o.status, limit: o.limit === undefined ? undefined : Number(o.limit) });
  if (o.json) process.stdout.write(JSON.stringify(runs.map(({ files: _files, ...m }) => m)) + '\n');
  else if (runs.length === 0) process.stdout.write(listRunIds(ws.root).length === 0 ? 'no runs yet (start one with `bfly run <experiment>`)\n' : 'no runs match\n');
  else process.stdout.write(renderRunsTable(runs));
}
