import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { trustHook, untrustHook } from '../store/hooks.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly hook trust <file>` and `bfly hook untrust <file|hash>` */
export async function hookTrustCommand(file: string, trust: boolean, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  if (trust) {
    const r = trustHook(ws.root, file);
    process.stdout.write(o.json ? jsonLine(r) : `${r.added ? 'trusted' : 'already trusted'}: ${r.file} ${r.hash}\n`);
  } else {
    const r = untrustHook(ws.root, file);
    process.stdout.write(o.json ? jsonLine(r) : `${r.removed ? 'no longer trusted' : 'was not trusted'}: ${r.hash}\n`);
  }
}
