import type { GlobalOptions } from '../cli.js';
import type { ErrorCategory } from '../core/errors.js';
import { validateExperimentPipeline } from '../store/experiments.js';
import { openWorkspace } from '../store/workspace.js';
import { renderPipelineSummary, renderProblems } from '../ui/experiments.js';

/** `bfly pipeline validate <experiment>`: exits with the validation code when invalid. */
export async function pipelineValidateCommand(name: string, o: GlobalOptions): Promise<ErrorCategory | void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const r = validateExperimentPipeline(ws.root, name);
  if (o.json) process.stdout.write(JSON.stringify({ valid: r.valid, file: r.file, problems: r.problems.map((p) => ({ hint: null, ...p })) }) + '\n');
  else process.stdout.write(r.valid ? renderPipelineSummary(r.file, r.pipeline!) : renderProblems(r.file, r.problems) + `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}\n`);
  return r.valid ? undefined : 'validation';
}
