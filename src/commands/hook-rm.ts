import type { GlobalOptions } from '../cli.js';
import { removeHook } from '../store/hooks.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly hook rm <exp> <hook-id>` */
export async function hookRmCommand(experiment: string, id: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  removeHook(ws.root, experiment, id);
  process.stdout.write(o.json ? JSON.stringify({ experiment, removed: id }) + '\n' : `removed hook ${id} from ${experiment}\n`);
}
