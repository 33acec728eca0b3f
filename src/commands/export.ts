import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { exportRun } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly export <run> <dir>` */
export async function exportCommand(ref: string, dest: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const r = exportRun(ws.root, ref, dest);
  process.stdout.write(o.json ? jsonLine({ ...r, dir: dest }) : `exported run ${r.run} to ${dest}: ${r.files.length} files, each checked against its sha256\n`);
}
