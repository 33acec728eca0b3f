import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { GlobalOptions } from '../cli.js';
import { type CompareRow, compareRuns } from '../core/compare.js';
import { ValidationError } from '../core/errors.js';
import type { Pipeline } from '../core/pipeline.js';
import { runWithDir } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';
import { fmtNumber, renderTable } from '../ui/format.js';

function cell(v: string | number | null): string {
  return v === null ? '-' : typeof v === 'number' ? fmtNumber(v) : v;
}

/** `bfly compare <run> <run> [<run>...] [--all] [--json]`: by default only what differs. */
export async function compareCommand(refs: string[], o: GlobalOptions & { all?: boolean }): Promise<void> {
  if (refs.length < 2) throw new ValidationError('COMPARE_ONE', 'compare needs at least two runs', { hint: 'e.g. bfly compare penguins@latest 20261122-0528' });
  const ws = await openWorkspace(o.C ?? process.cwd());
  const runs = refs.map((ref) => {
    const { run, dir } = runWithDir(ws.root, ref);
    return { manifest: run, pipeline: parse(readFileSync(join(dir, 'pipeline.yaml'), 'utf8')) as Pipeline };
  });
  const rows = compareRuns(runs);
  const shown = o.all ? rows : rows.filter((r) => r.differs || r.section === 'metrics');
  if (o.json) {
    process.stdout.write(JSON.stringify({ runs: runs.map((r) => r.manifest.id), rows: shown }) + '\n');
    return;
  }
  const head = ['', ...runs.map((r) => r.manifest.id)];
  const render = (r: CompareRow): string[] => [
    `${r.section === 'params' ? '' : `${r.section}: `}${r.key}`,
    ...r.values.map((v, i) => {
      const d = r.deltas?.[i];
      return d ? `${cell(v)} (${d.delta >= 0 ? '+' : ''}${fmtNumber(d.delta)}${d.better === null ? '' : d.better ? ' better' : ' worse'})` : cell(v);
    }),
  ];
  const same = rows.filter((r) => !r.differs && r.section !== 'timing').length;
  process.stdout.write(renderTable(head, shown.map(render)) + (o.all ? '' : `(${same} other values are the same in every run; --all shows them)\n`));
}
