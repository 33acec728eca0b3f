import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { experimentDetail } from '../store/experiments.js';
import { openWorkspace } from '../store/workspace.js';
import { renderExperiment } from '../ui/experiments.js';

/** `bfly experiment show <name>` */
export async function experimentShowCommand(name: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const e = experimentDetail(ws.root, name);
  process.stdout.write(o.json ? jsonLine(e) : renderExperiment(e, e.pipeline));
}
