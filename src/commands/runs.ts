import type { GlobalOptions } from '../cli.js';
import { METRICS } from '../core/catalog.js';
import type { RunManifest } from '../core/run.js';
import { listRunIds } from '../store/runs.js';
import { readRunManifest } from '../store/run-state.js';
import { openWorkspace } from '../store/workspace.js';
import { fmtNumber, renderTable } from '../ui/format.js';
import { fmtDuration } from '../ui/run.js';

function age(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : s < 129_600 ? `${Math.round(s / 3600)}h ago` : `${Math.round(s / 86_400)}d ago`;
}

/** `bfly runs [--experiment E] [--status S] [--limit N] [--json]`: newest first. */
export async function runsCommand(o: GlobalOptions & { experiment?: string; status?: string; limit?: string }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const limit = o.limit === undefined ? Infinity : Number(o.limit);
  const runs: RunManifest[] = [];
  const ids = listRunIds(ws.root);
  for (let i = ids.length - 1; i >= 0 && runs.length < limit; i--) {
    let m: RunManifest;
    try {
      m = readRunManifest(ws.root, ids[i]);
    } catch {
      continue; // a folder killed while being created has no run.json
    }
    if ((o.experiment === undefined || m.experiment === o.experiment) && (o.status === undefined || m.status === o.status)) runs.push(m);
  }
  if (o.json) {
    process.stdout.write(JSON.stringify(runs.map(({ files: _files, ...m }) => m)) + '\n');
    return;
  }
  if (runs.length === 0) {
    process.stdout.write(ids.length === 0 ? 'no runs yet (start one with `bfly run <experiment>`)\n' : 'no runs match\n');
    return;
  }
  const now = Date.now();
  process.stdout.write(
    renderTable(
      ['run', 'experiment', 'status', 'age', 'duration', 'metric', 'value', 'model', 'seed'],
      runs.map((m) => {
        const metric = m.binding?.metric ?? '';
        const v = m.metrics?.[metric];
        const model = m.artifacts.some((a) => a.name === 'model.json') ? (m.blocks.find((b) => b.type === 'train')?.status === 'succeeded' ? 'yes' : '') : '';
        return [m.id, m.experiment, m.status, age(m.createdAt, now), fmtDuration(m.durationMs), metric ? `${metric} ${METRICS[metric]?.higherIsBetter === false ? '↓' : '↑'}` : '', v === undefined ? '-' : fmtNumber(v), model, String(m.seed)];
      }),
      ['left', 'left', 'left', 'right', 'right', 'left', 'right', 'left', 'right'],
    ),
  );
}
