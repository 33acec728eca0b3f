import type { GlobalOptions } from '../cli.js';
import { ValidationError } from '../core/errors.js';
import { addHook } from '../store/hooks.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly hook add <exp> <before|after|override>_<stage> (--file F | --code C)` */
export async function hookAddCommand(experiment: string, type: string, o: GlobalOptions & { file?: string; code?: string }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  if ((o.file === undefined) === (o.code === undefined)) throw new ValidationError('HOOK_SOURCE', 'give exactly one of --file or --code', { hint: 'e.g. bfly hook add penguins before_preprocess --file hooks/clean.js' });
  const id = addHook(ws.root, experiment, type, { file: o.file, code: o.code });
  process.stdout.write(o.json ? JSON.stringify({ experiment, id, type }) + '\n' : `added hook ${id} (${type}) to ${experiment}\n`);
}
