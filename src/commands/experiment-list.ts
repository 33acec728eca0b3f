import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { listExperiments } from '../store/experiments.js';
import { openWorkspace } from '../store/workspace.js';
import { renderExperimentList } from '../ui/experiments.js';
import { experimentView } from '../core/views.js';

/** `bfly experiment list` */
export async function experimentListCommand(o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const list = listExperiments(ws.root);
  process.stdout.write(o.json ? jsonLine(list.map(experimentView)) : renderExperimentList(list));
}
