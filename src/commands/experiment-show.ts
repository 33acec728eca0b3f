import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { getExperiment, validateExperimentPipeline } from '../store/experiments.js';
import { openWorkspace } from '../store/workspace.js';
import { experimentJson, renderExperiment } from '../ui/experiments.js';

/** `bfly experiment show <name>` */
export async function experimentShowCommand(name: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const e = getExperiment(ws.root, name);
  const v = validateExperimentPipeline(ws.root, name);
  const summary = { valid: v.valid, problems: v.problems.length, blocks: v.pipeline?.blocks.map((b) => b.id) ?? [] };
  process.stdout.write(o.json ? jsonLine({ ...experimentJson(e), pipeline: summary }) : renderExperiment(e, summary));
}
