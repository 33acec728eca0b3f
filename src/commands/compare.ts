import type { GlobalOptions } from '../cli.js';
import { compareRuns } from '../core/compare.js';
import { ValidationError } from '../core/errors.js';
import { readRunPipeline } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';
import { renderCompare } from '../ui/history.js';

/** `bfly compare <run> <run> [<run>...] [--all] [--json]`: by default only what differs. */
export async function compareCommand(refs: string[], o: GlobalOptions & { all?: boolean }): Promise<void> {
  if (refs.length < 2) throw new ValidationError('COMPARE_ONE', 'compare needs at least two runs', { hint: 'e.g. bfly compare penguins@latest 20261122-0528' });
  const ws = await openWorkspace(o.C ?? process.cwd());
  const runs = refs.map((ref) => {
    const { run, pipeline } = readRunPipeline(ws.root, ref);
    return { manifest: run, pipeline };
  });
  const rows = compareRuns(runs);
  const shown = o.all ? rows : rows.filter((r) => r.differs || r.section === 'metrics');
  const ids = runs.map((r) => r.manifest.id);
  if (o.json) process.stdout.write(JSON.stringify({ runs: ids, rows: shown }) + '\n');
  else process.stdout.write(renderCompare(ids, shown, o.all ? null : rows.filter((r) => !r.differs && r.section !== 'timing').length));
}
