import { readFileSync } from 'node:fs';
import type { GlobalOptions } from '../cli.js';
import { pipelinePath, getExperiment, renderPipelineYaml, resolvePipeline } from '../store/experiments.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly pipeline show <experiment> [--resolved]` */
export async function pipelineShowCommand(name: string, o: GlobalOptions & { resolved?: boolean }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  getExperiment(ws.root, name);
  if (o.resolved || o.json) {
    const p = resolvePipeline(ws.root, name);
    process.stdout.write(o.json ? JSON.stringify(p) + '\n' : renderPipelineYaml(p));
  } else {
    process.stdout.write(readFileSync(pipelinePath(ws.root, name), 'utf8'));
  }
}
