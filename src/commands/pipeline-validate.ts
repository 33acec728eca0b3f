import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import type { ErrorCategory } from '../core/errors.js';
import { validationReport } from '../runner/hooks/check-hooks.js';
import { openWorkspace } from '../store/workspace.js';
import { renderPipelineSummary, renderProblems } from '../ui/experiments.js';

/**
 * `bfly pipeline validate <experiment>`: the draft's schema, columns and hook files, then each
 * hook compiled in the sandbox; exits with the validation code when anything is wrong.
 */
export async function pipelineValidateCommand(name: string, o: GlobalOptions): Promise<ErrorCategory | void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { pipeline, ...r } = await validationReport(ws.root, name);
  if (o.json) process.stdout.write(jsonLine({ schemaVersion: 1, ...r }));
  else process.stdout.write(r.valid ? renderPipelineSummary(r.file, pipeline!) : renderProblems(r.file, r.problems.map((p) => ({ ...p, hint: p.hint ?? undefined }))) + `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}\n`);
  return r.valid ? undefined : 'validation';
}
