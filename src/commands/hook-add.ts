import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { addCheckedHook } from '../runner/hooks/check-hooks.js';
import { openWorkspace } from '../store/workspace.js';
import { relative, resolve } from 'node:path';

/**
 * `bfly hook add <exp> <before|after|override>_<stage> (--file F | --code C)`: the hook is
 * compiled in the sandbox first; a syntax error (file, line, column) or a default export that
 * is not a function refuses it, and the draft is not changed.
 */
export async function hookAddCommand(experiment: string, type: string, o: GlobalOptions & { file?: string; code?: string }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const file = o.file === undefined ? undefined : relative(ws.root, resolve(o.file));
  const { id } = await addCheckedHook(ws.root, experiment, type, { file, code: o.code });
  process.stdout.write(o.json ? jsonLine({ schemaVersion: 1, experiment, id, type }) : `added hook ${id} (${type}) to ${experiment}\n`);
}
