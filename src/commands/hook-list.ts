import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { listHooks, readConfigSync } from '../store/hooks.js';
import { openWorkspace } from '../store/workspace.js';
import { renderTable } from '../ui/format.js';

/** `bfly hook list` */
export async function hookListCommand(o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const hooks = listHooks(ws.root);
  if (o.json) {
    process.stdout.write(jsonLine(hooks));
    return;
  }
  const profile = readConfigSync(ws.root).profile;
  if (hooks.length === 0) {
    process.stdout.write('no hooks (add one with `bfly hook add <experiment> before_<stage> --file <f>`)\n');
    return;
  }
  process.stdout.write(renderTable(['experiment', 'hook', 'type', 'source', 'sha256', profile === 'enterprise' ? 'trusted' : ''], hooks.map((h) => [h.experiment, h.id, h.type, h.origin, h.hash ? h.hash.slice(7, 19) : 'missing', profile === 'enterprise' ? (h.trusted ? 'yes' : 'NO') : ''])));
}
