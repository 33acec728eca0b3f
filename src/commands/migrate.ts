import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { migrateWorkspace } from '../store/workspace.js';

/** `bfly migrate [--dry-run] [--json]`: upgrade an older workspace to this bfly's format. */
export async function migrateCommand(o: GlobalOptions & { dryRun?: boolean }): Promise<void> {
  const r = await migrateWorkspace(o.C ?? process.cwd(), { dryRun: o.dryRun === true });
  if (o.json) {
    process.stdout.write(jsonLine({ schemaVersion: 1, ...r }));
    return;
  }
  if (r.steps.length === 0) {
    process.stdout.write(`the workspace is already at format ${r.from}: nothing to do\n`);
    return;
  }
  const lines = r.steps.map((s) => `  ${s.description}`);
  process.stdout.write(r.dryRun ? `would migrate ${r.root} from format ${r.from} to ${r.to}:\n${lines.join('\n')}\nrun \`bfly migrate\` to do it\n` : `migrated ${r.root} from format ${r.from} to ${r.to}:\n${lines.join('\n')}\n`);
}
