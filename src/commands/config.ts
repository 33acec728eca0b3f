import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { NotFoundError } from '../core/errors.js';
import { readConfigSync, setConfigValue } from '../store/hooks.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly config get [key]` */
export async function configGetCommand(key: string | undefined, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const config = readConfigSync(ws.root) as unknown as Record<string, unknown>;
  if (key !== undefined && !(key in config)) throw new NotFoundError('NO_CONFIG_KEY', `the workspace config has no ${JSON.stringify(key)}`, { hint: `keys: ${Object.keys(config).join(', ')}` });
  const value = key === undefined ? config : config[key];
  if (o.json) process.stdout.write(jsonLine(key === undefined ? { schemaVersion: 1, ...config } : { schemaVersion: 1, key, value }));
  else if (key === undefined) process.stdout.write(Object.entries(config).map(([k, v]) => `${k} = ${typeof v === 'string' ? v : JSON.stringify(v)}\n`).join(''));
  else process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
}

/** `bfly config set <key>=<value> [--force]` */
export async function configSetCommand(assignment: string, o: GlobalOptions & { force?: boolean }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const r = setConfigValue(ws.root, assignment, { force: o.force });
  if (o.json) process.stdout.write(jsonLine({ schemaVersion: 1, ...r }));
  else process.stdout.write(r.from === r.to ? `${r.key} is already ${JSON.stringify(r.to)}\n` : `${r.key}: ${JSON.stringify(r.from)} -> ${JSON.stringify(r.to)}\n`);
}
