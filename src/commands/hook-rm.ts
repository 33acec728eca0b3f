import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { removeHook } from '../store/hooks.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly hook rm <exp> <hook-id>` */
export async function hookRmCommand(experiment: string, id: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  removeHook(ws.root, experiment, id);
  process.stdout.write(o.json ? jsonLine({ experiment, removed: id }) : `removed hook ${id} from ${experiment}\n`);
}
