import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { workspaceStatus } from '../runner/run-experiment.js';
import { openWorkspace } from '../store/workspace.js';
import { renderStatus } from '../ui/history.js';

/** `bfly status [--json]`: the workspace, and per experiment what `bfly run` would do now. */
export async function statusCommand(o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const summary = await workspaceStatus(ws.root, ws.config);
  process.stdout.write(o.json ? jsonLine(summary) : renderStatus(summary));
}
