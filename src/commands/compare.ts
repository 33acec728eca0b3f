import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { compareRunsView } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';
import { renderCompare } from '../ui/history.js';

/** `bfly compare <run> <run> [<run>...] [--all] [--hooks] [--json]`: by default only what differs. */
export async function compareCommand(refs: string[], o: GlobalOptions & { all?: boolean; hooks?: boolean; batch?: string }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { view, runs, rows } = await compareRunsView(ws.root, refs, { all: o.all, hooks: o.hooks, batch: o.batch });
  if (o.json) process.stdout.write(jsonLine(view));
  else process.stdout.write(renderCompare(view.runs, view.rows, { hiddenSame: o.all ? null : rows.filter((r) => !r.differs && r.section !== 'timing').length, noise: { groups: view.groups, verdicts: view.noise }, durations: runs.map((r) => r.manifest.durationMs), hookDiffs: view.hookDiffs ?? null }));
}
