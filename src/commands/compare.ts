import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { compareReport, unifiedDiff } from '../core/compare.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { listRunSummaries } from '../store/run-index.js';
import { loadComparedRuns } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';
import { renderCompare } from '../ui/history.js';

/** `bfly compare <run> <run> [<run>...] [--all] [--hooks] [--json]`: by default only what differs. */
export async function compareCommand(refs: string[], o: GlobalOptions & { all?: boolean; hooks?: boolean; batch?: string }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  if (o.batch !== undefined) {
    const listing = await listRunSummaries(ws.root);
    const members = listing.ids.filter((id) => listing.summary(id).batches.includes(o.batch!));
    if (members.length === 0) throw new NotFoundError('BATCH_NOT_FOUND', `no runs of batch ${JSON.stringify(o.batch)}`, { hint: "list batches with bfly runs --columns id,batch --where 'batch'" });
    refs = [...refs, ...members];
  }
  if (refs.length < 2) throw new ValidationError('COMPARE_ONE', 'compare needs at least two runs', { hint: 'e.g. bfly compare penguins@latest 20261122-0528, or --batch <id>' });
  const runs = loadComparedRuns(ws.root, refs);
  const report = compareReport(runs);
  const { rows, runs: ids } = report;
  const shown = o.all ? rows : rows.filter((r) => r.differs);
  const noise = { groups: report.groups, verdicts: report.noise };
  const hookDiffs: Array<{ hook: string; diff: string }> = [];
  if (o.hooks) {
    const hookIds = [...new Set(runs.flatMap((r) => r.manifest.hooks.map((h) => h.id)))];
    for (const id of hookIds) {
      for (let i = 1; i < runs.length; i++) {
        const diff = unifiedDiff(runs[0].hookSource(id), runs[i].hookSource(id), `${ids[0]}/hooks/${id}.js`, `${ids[i]}/hooks/${id}.js`);
        if (diff !== '') hookDiffs.push({ hook: id, diff });
      }
    }
  }
  if (o.json) process.stdout.write(jsonLine({ runs: ids, rows: shown, groups: noise.groups, noise: noise.verdicts, ...(o.hooks ? { hookDiffs } : {}) }));
  else process.stdout.write(renderCompare(ids, shown, { hiddenSame: o.all ? null : rows.filter((r) => !r.differs && r.section !== 'timing').length, noise, durations: runs.map((r) => r.manifest.durationMs), hookDiffs: o.hooks ? hookDiffs : null }));
}
