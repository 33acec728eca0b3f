import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import type { Task } from '../core/catalog.js';
import { createExperiment } from '../store/experiments.js';
import { openWorkspace } from '../store/workspace.js';
import { renderExperimentCreated } from '../ui/experiments.js';
import { experimentView } from '../core/views.js';

/** `bfly experiment create <name> --dataset D --target T [--task] [--metric] [--template]` */
export async function experimentCreateCommand(name: string, o: GlobalOptions & { dataset: string; target: string; task?: Task | 'auto'; metric?: string; template?: string }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const e = createExperiment(ws.root, { name, dataset: o.dataset, target: o.target, task: o.task, metric: o.metric, template: o.template });
  process.stdout.write(o.json ? jsonLine(experimentView(e)) : renderExperimentCreated(e));
}
