import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { listRunArtifacts } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';
import { fmtBytes, renderTable } from '../ui/format.js';

/** `bfly artifacts <run> [--json]` */
export async function artifactsCommand(ref: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { run, rows } = listRunArtifacts(ws.root, ref);
  if (o.json) process.stdout.write(jsonLine(rows));
  else process.stdout.write(rows.length === 0 ? `run ${run.id} has no artifacts (${run.status})\n` : renderTable(['name', 'type', 'block', 'size', 'sha256'], rows.map((a) => [a.name, a.type, a.block, fmtBytes(a.bytes), a.hash.slice(7, 19)]), ['left', 'left', 'left', 'right', 'left']));
}
