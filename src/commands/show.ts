import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { runWithDir } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';
import { renderRunShow } from '../ui/history.js';

/** `bfly show <run> [--json]`: manifest, metrics, blocks with timings, hooks, artifacts, error. */
export async function showCommand(ref: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { run, dir } = runWithDir(ws.root, ref);
  process.stdout.write(o.json ? jsonLine({ ...run, dir }) : renderRunShow(run, dir));
}
