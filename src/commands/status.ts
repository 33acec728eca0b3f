import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { experimentStatuses } from '../runner/run-experiment.js';
import { listDatasets } from '../store/datasets.js';
import { listRunIds } from '../store/runs.js';
import { openWorkspace } from '../store/workspace.js';
import { renderStatus } from '../ui/history.js';

/** `bfly status [--json]`: the workspace, and per experiment what `bfly run` would do now. */
export async function statusCommand(o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const summary = { workspace: ws.config.name, root: ws.root, profile: ws.config.profile, datasets: listDatasets(ws.root).length, runs: listRunIds(ws.root).length, experiments: experimentStatuses(ws.root) };
  process.stdout.write(o.json ? jsonLine(summary) : renderStatus(summary));
}
