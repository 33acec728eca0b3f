import type { GlobalOptions } from '../cli.js';
import { formerNamesOf } from '../store/experiments.js';
import { ValidationError } from '../core/errors.js';
import { FINAL_RUN_STATUSES } from '../core/run-manifest.js';
import { listRunSummaries } from '../store/run-index.js';
import { openWorkspace } from '../store/workspace.js';
import { parseColumns, renderRunsTable } from '../ui/history.js';

const STATUSES = ['created', 'running', ...FINAL_RUN_STATUSES];
const TABLE_LIMIT = 50;

/** `bfly runs [--experiment E] [--status S] [--where EXPR] [--sort KEYS] [--limit N] [--columns C] [--json]`. */
export async function runsCommand(o: GlobalOptions & { experiment?: string; status?: string; where?: string; sort?: string; limit?: string; columns?: string }): Promise<void> {
  const limit = o.limit === undefined ? undefined : Number(o.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new ValidationError('BAD_LIMIT', `--limit must be a positive whole number, not ${JSON.stringify(o.limit)}`, { hint: 'e.g. --limit 20' });
  if (o.status !== undefined && !STATUSES.includes(o.status)) throw new ValidationError('BAD_STATUS', `unknown run status ${JSON.stringify(o.status)}`, { hint: `one of ${STATUSES.join(', ')}` });
  const columns = o.columns === undefined ? undefined : parseColumns(o.columns);
  const ws = await openWorkspace(o.C ?? process.cwd());
  const listing = await listRunSummaries(ws.root);
  if (listing.note !== null) process.stderr.write(`note: ${listing.note}\n`);
  const filtered = o.experiment !== undefined || o.status !== undefined || o.where !== undefined || o.sort !== undefined;
  // A table for people shows the first 50 unless told otherwise; JSON has everything.
  const tableLimit = o.json || limit !== undefined ? limit : TABLE_LIMIT;
  const formerNames = o.experiment === undefined ? [] : formerNamesOf(ws.root, o.experiment);
  // newest first; a plain listing needs no selection at all
  const matching = filtered ? listing.select({ experiment: o.experiment, formerNames, status: o.status, where: o.where, sort: o.sort }) : listing.ids.slice().reverse();
  const shown = tableLimit === undefined ? matching : matching.slice(0, tableLimit);
  if (o.json) writeJsonArray(shown, listing.jsonMany);
  else if (shown.length === 0) process.stdout.write(listing.ids.length === 0 ? 'no runs yet (start one with `bfly run <experiment>`)\n' : `no runs match (of ${listing.ids.length})\n`);
  else process.stdout.write(renderRunsTable(shown.map(listing.summary), { columns }) + (matching.length > shown.length && limit === undefined ? `(${matching.length - shown.length} more not shown: --limit N shows more, --where narrows)\n` : ''));
  const damage = listing.damage();
  if (damage !== null) process.stderr.write(`note: ${damage}\n`);
}

/**
 * Prints `[a,b,…]`: the runs' JSON texts, read and written 5,000 at a time (all of a million
 * runs' texts at once would not fit V8's heap).
 */
function writeJsonArray(ids: readonly string[], jsonMany: (ids: readonly string[]) => string[]): void {
  const step = 5000;
  if (ids.length === 0) process.stdout.write('[]\n');
  for (let i = 0; i < ids.length; i += step) process.stdout.write(`${i === 0 ? '[' : ','}${jsonMany(ids.slice(i, i + step)).join(',')}${i + step >= ids.length ? ']\n' : ''}`);
}
