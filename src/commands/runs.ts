import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { formerNamesOf } from '../store/experiments.js';
import { ValidationError } from '../core/errors.js';
import { FINAL_RUN_STATUSES } from '../core/run-manifest.js';
import { selectRuns } from '../core/run-summary.js';
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
  if (o.json && !filtered) {
    // newest first, straight from the index's JSON text: nothing to parse for a plain listing
    const ids = listing.ids.slice(-(limit ?? listing.ids.length)).reverse();
    process.stdout.write(`[${ids.map(listing.json).join(',')}]\n`);
    return;
  }
  const runs = listing.ids.map(listing.summary);
  // A table for people shows the first 50 unless told otherwise; JSON has everything.
  const tableLimit = o.json || limit !== undefined ? limit : TABLE_LIMIT;
  const formerNames = o.experiment === undefined ? [] : formerNamesOf(ws.root, o.experiment);
  const matching = selectRuns(runs, { experiment: o.experiment, formerNames, status: o.status, where: o.where, sort: o.sort });
  const shown = tableLimit === undefined ? matching : matching.slice(0, tableLimit);
  if (o.json) process.stdout.write(jsonLine(shown));
  else if (shown.length === 0) process.stdout.write(runs.length === 0 ? 'no runs yet (start one with `bfly run <experiment>`)\n' : `no runs match (of ${runs.length})\n`);
  else process.stdout.write(renderRunsTable(shown, { columns }) + (matching.length > shown.length && limit === undefined ? `(${matching.length - shown.length} more not shown: --limit N shows more, --where narrows)\n` : ''));
}
