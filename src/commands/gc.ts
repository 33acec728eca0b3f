import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { ValidationError } from '../core/errors.js';
import { gc } from '../store/gc.js';
import { openWorkspace } from '../store/workspace.js';
import { renderGc } from '../ui/history.js';

/** `bfly gc [--dry-run] [--keep-failed-days N] [--json]`. */
export async function gcCommand(o: GlobalOptions & { dryRun?: boolean; keepFailedDays?: string }): Promise<void> {
  const days = o.keepFailedDays === undefined ? undefined : Number(o.keepFailedDays);
  if (days !== undefined && !(Number.isFinite(days) && days >= 0)) throw new ValidationError('BAD_DAYS', `--keep-failed-days must be a number of days >= 0, not ${JSON.stringify(o.keepFailedDays)}`, { hint: 'e.g. --keep-failed-days 30' });
  const ws = await openWorkspace(o.C ?? process.cwd());
  const report = await gc(ws.root, { dryRun: o.dryRun, keepFailedDays: days });
  process.stdout.write(o.json ? jsonLine(report) : renderGc(report));
}
