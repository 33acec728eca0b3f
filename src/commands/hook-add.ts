import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { ValidationError } from '../core/errors.js';
import { checkHook } from '../runner/hooks/sandbox.js';
import { readHookFile } from '../store/hook-file.js';
import { addHook } from '../store/hooks.js';
import { openWorkspace } from '../store/workspace.js';
import { relative, resolve } from 'node:path';

/**
 * `bfly hook add <exp> <before|after|override>_<stage> (--file F | --code C)`: the hook is
 * compiled in the sandbox first; a syntax error (file, line, column) or a default export that
 * is not a function refuses it, and the draft is not changed.
 */
export async function hookAddCommand(experiment: string, type: string, o: GlobalOptions & { file?: string; code?: string }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  if ((o.file === undefined) === (o.code === undefined)) throw new ValidationError('HOOK_SOURCE', 'give exactly one of --file or --code', { hint: 'e.g. bfly hook add penguins before_preprocess --file hooks/clean.js' });
  const file = o.file === undefined ? null : relative(ws.root, resolve(o.file));
  const source = file === null ? o.code! : readHookFile(ws.root, file).source;
  const label = file ?? `${type} (inline)`;
  const failure = await checkHook(source, label);
  if (failure !== null) {
    throw new ValidationError('HOOK_INVALID', `${label}:${failure.line ?? 1}:${failure.column ?? 1}: ${failure.message}`, {
      hint: failure.message.startsWith('SyntaxError') ? 'fix the syntax there, then add the hook again' : 'a hook module must `export default` a function (ctx) => …',
      data: { file: label, line: failure.line, column: failure.column },
    });
  }
  const id = addHook(ws.root, experiment, type, { file: o.file, code: o.code });
  process.stdout.write(o.json ? jsonLine({ schemaVersion: 1, experiment, id, type }) : `added hook ${id} (${type}) to ${experiment}\n`);
}
