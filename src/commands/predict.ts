import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { GlobalOptions } from '../cli.js';
import { NotFoundError } from '../core/errors.js';
import { loadModel } from '../runner/model-artifact.js';
import { predictFile } from '../runner/predict-file.js';
import { runWithDir } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly predict <run> <file> [--out F] [--proba] [--id col] [--json]` */
export async function predictCommand(ref: string, file: string, o: GlobalOptions & { out?: string; proba?: boolean; id?: string }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { run, dir } = runWithDir(ws.root, ref);
  if (!run.artifacts.some((a) => a.name === 'model.json')) {
    throw new NotFoundError('NO_MODEL', `run ${run.id} has no model (status ${run.status})`, { hint: 'predict with a run that trained a model, e.g. <experiment>@latest' });
  }
  const model = loadModel(join(dir, 'artifacts', 'model.json'));
  const format = o.json || o.out?.endsWith('.jsonl') ? 'jsonl' : 'csv';
  if (o.out === undefined) {
    predictFile(model, file, { proba: o.proba, id: o.id, format, write: (t) => process.stdout.write(t) });
    return;
  }
  // Written aside and renamed: a failed prediction leaves no half-written output.
  const tmp = `${o.out}.bfly-${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  let rows: number;
  try {
    rows = predictFile(model, file, { proba: o.proba, id: o.id, format: o.out.endsWith('.jsonl') ? 'jsonl' : 'csv', write: (t) => writeSync(fd, t) }).rows;
    closeSync(fd);
    renameSync(tmp, o.out);
  } catch (err) {
    closeSync(fd);
    (await import('node:fs')).rmSync(tmp, { force: true });
    throw err;
  }
  process.stdout.write(o.json ? JSON.stringify({ run: run.id, rows, out: o.out }) + '\n' : `wrote ${rows} predictions of run ${run.id} to ${o.out}\n`);
}
