import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import type { ErrorCategory } from '../core/errors.js';
import { checkPipelineHooks } from '../runner/hooks/check-hooks.js';
import { validateExperimentPipeline } from '../store/experiments.js';
import { openWorkspace } from '../store/workspace.js';
import { renderPipelineSummary, renderProblems } from '../ui/experiments.js';

/**
 * `bfly pipeline validate <experiment>`: the draft's schema, columns and hook files, then each
 * hook compiled in the sandbox; exits with the validation code when anything is wrong.
 */
export async function pipelineValidateCommand(name: string, o: GlobalOptions): Promise<ErrorCategory | void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const r = validateExperimentPipeline(ws.root, name);
  const problems = r.valid ? await checkPipelineHooks(ws.root, r.pipeline!) : r.problems;
  const valid = problems.length === 0;
  if (o.json) process.stdout.write(jsonLine({ schemaVersion: 1, valid, file: r.file, problems: problems.map((p) => ({ hint: null, ...p })) }));
  else process.stdout.write(valid ? renderPipelineSummary(r.file, r.pipeline!) : renderProblems(r.file, problems) + `${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
  return valid ? undefined : 'validation';
}
