import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { setPipelineValues } from '../store/experiments.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly pipeline set <experiment> <path>=<value>...` */
export async function pipelineSetCommand(name: string, assignments: string[], o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const r = setPipelineValues(ws.root, name, assignments);
  if (o.json) process.stdout.write(jsonLine({ set: r.set, pipeline: r.pipeline }));
  else process.stdout.write(r.set.map((a) => `set ${a.path} = ${JSON.stringify(a.value)}\n`).join(''));
}
