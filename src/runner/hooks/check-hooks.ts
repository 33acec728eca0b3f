import { isBflyError } from '../../core/errors.js';
import type { Pipeline } from '../../core/pipeline.js';
import type { PipelineProblem } from '../../core/validate-pipeline.js';
import { readHookFile } from '../../store/hook-file.js';
import { checkHook } from './sandbox.js';
import { resolve } from 'node:path';
import { addHook } from '../../store/hooks.js';
import { getExperiment, pipelinePath, validateExperimentPipeline, validateForExperiment } from '../../store/experiments.js';
import { ValidationError } from '../../core/errors.js';
import type { ValidationReport } from '../../core/contracts/experiment.js';

/**
 * Compiles every hook of a valid pipeline in the sandbox (without calling it) and reports each
 * one that cannot run: a syntax error, a top level that throws, a default export that is not a
 * function. Each problem names the hook's own file (or `<id> (inline)`) with its line and column.
 */
export async function checkPipelineHooks(root: string, pipeline: Pipeline): Promise<PipelineProblem[]> {
  const problems: PipelineProblem[] = [];
  for (const block of pipeline.blocks) {
    const counts: Record<string, number> = {};
    for (const [k, h] of block.hooks.entries()) {
      const n = (counts[h.kind] = (counts[h.kind] ?? -1) + 1);
      const id = `${block.id}.${h.kind}.${n}`;
      let source: string;
      try {
        source = h.file !== undefined ? readHookFile(root, h.file).source : h.code!;
      } catch (err) {
        if (!isBflyError(err)) throw err;
        continue; // the file checks of validation already report it
      }
      const file = h.file ?? `${id} (inline)`;
      const failure = await checkHook(source, file);
      if (failure === null) continue;
      problems.push({
        path: `blocks.${block.id}.hooks[${k}].${h.file !== undefined ? 'file' : 'code'}`,
        file,
        line: failure.line ?? 1,
        column: failure.column ?? 1,
        message: `hook ${id}: ${failure.message}`,
        hint: failure.message.startsWith('SyntaxError') ? `fix the syntax at ${file}:${failure.line ?? 1}:${failure.column ?? 1}` : 'a hook module runs its top level once and must `export default` a function (ctx) => …',
      });
    }
  }
  return problems;
}

/**
 * An experiment's draft checked in full (`bfly pipeline validate --json`): the schema, columns
 * and hook files, then each hook compiled in the sandbox. With `text`, that text is checked as
 * the experiment's draft instead (nothing is saved: the service's live validation).
 */
export async function validationReport(root: string, experiment: string, text?: string): Promise<ValidationReport & { pipeline: Pipeline | null }> {
  const r = text === undefined ? validateExperimentPipeline(root, experiment) : { ...validateForExperiment(root, getExperiment(root, experiment), text), file: pipelinePath(root, experiment) };
  const problems = r.valid ? await checkPipelineHooks(root, r.pipeline!) : r.problems;
  return { valid: problems.length === 0, file: r.file, problems: problems.map((p) => ({ ...p, hint: p.hint ?? null })), pipeline: r.pipeline ?? null };
}

/**
 * Adds a hook to an experiment's draft (`bfly hook add`, `POST …/hooks`): compiled in the
 * sandbox first; a syntax error (file, line, column) or a default export that is not a function
 * refuses it, and the draft is not changed. `file` is relative to the workspace root.
 */
export async function addCheckedHook(root: string, experiment: string, type: string, source: { file?: string; code?: string }): Promise<{ experiment: string; id: string; type: string }> {
  if ((source.file === undefined) === (source.code === undefined)) throw new ValidationError('HOOK_SOURCE', 'give exactly one of a file or code', { hint: 'e.g. bfly hook add penguins before_preprocess --file hooks/clean.js' });
  const text = source.file === undefined ? source.code! : readHookFile(root, source.file).source;
  const label = source.file ?? `${type} (inline)`;
  const failure = await checkHook(text, label);
  if (failure !== null) {
    throw new ValidationError('HOOK_INVALID', `${label}:${failure.line ?? 1}:${failure.column ?? 1}: ${failure.message}`, {
      hint: failure.message.startsWith('SyntaxError') ? 'fix the syntax there, then add the hook again' : 'a hook module must `export default` a function (ctx) => …',
      data: { file: label, line: failure.line, column: failure.column },
    });
  }
  const id = addHook(root, experiment, type, source.file !== undefined ? { file: resolve(root, source.file) } : { code: source.code });
  return { experiment, id, type };
}
