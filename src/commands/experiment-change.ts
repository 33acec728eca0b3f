import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { getExperiment, removeExperiment, renameExperiment, setExperiment } from '../store/experiments.js';
import { listRuns } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly experiment set <exp> metric=… description=…` */
export async function experimentSetCommand(name: string, assignments: string[], o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const r = setExperiment(ws.root, name, assignments);
  if (o.json) process.stdout.write(jsonLine({ schemaVersion: 1, experiment: r.experiment, changed: r.changed }));
  else process.stdout.write(Object.entries(r.changed).map(([k, c]) => `${name}: ${k} ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}\n`).join('') + (r.changed.metric !== undefined ? 'the metric is part of the execution key: the next run executes anew\n' : ''));
}

/** `bfly experiment rename <old> <new>` */
export async function experimentRenameCommand(from: string, to: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const e = renameExperiment(ws.root, from, to);
  if (o.json) process.stdout.write(jsonLine({ schemaVersion: 1, experiment: e }));
  else process.stdout.write(`renamed experiment ${from} to ${e.name}; its earlier runs keep the name ${from} and are listed under both\n`);
}

/** `bfly experiment rm <exp> [--archive]` */
export async function experimentRmCommand(name: string, o: GlobalOptions & { archive?: boolean }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const e = getExperiment(ws.root, name);
  const names = new Set([name, ...(e.formerNames ?? [])]);
  const runs = listRuns(ws.root).filter((r) => names.has(r.experiment)).length;
  const r = removeExperiment(ws.root, name, { archive: o.archive, runs });
  if (o.json) process.stdout.write(jsonLine({ schemaVersion: 1, ...r, runs }));
  else process.stdout.write(r.archivedTo === null ? `removed experiment ${name}\n` : `archived experiment ${name} to ${r.archivedTo}; its ${runs} run(s) stay readable\n`);
}
