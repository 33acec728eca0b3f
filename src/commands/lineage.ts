import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { runLineage } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';
import { renderLineage } from '../ui/history.js';

/** `bfly lineage <run | artifact-hash> [--json]` */
export async function lineageCommand(ref: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { run, lineage } = runLineage(ws.root, ref);
  process.stdout.write(o.json ? jsonLine(lineage) : renderLineage(run, lineage.artifact));
}
