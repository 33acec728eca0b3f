import { resolve } from 'node:path';
import { jsonLine } from '../ui/json.js';
import type { GlobalOptions } from '../cli.js';
import type { Profile } from '../core/config.js';
import { initWorkspace } from '../store/workspace.js';

/** `bfly init [dir] [--name N] [--profile P]` */
export async function initCommand(dir: string | undefined, o: GlobalOptions & { name?: string; profile?: Profile }): Promise<void> {
  const ws = await initWorkspace(resolve(o.C ?? process.cwd(), dir ?? '.'), { name: o.name, profile: o.profile });
  if (o.json) process.stdout.write(jsonLine({ root: ws.root, ...ws.config }));
  else process.stdout.write(`Initialized empty bfly workspace "${ws.config.name}" in ${ws.paths.dir}/ (profile ${ws.config.profile})\n`);
}
