import { join } from 'node:path';
import type { GlobalOptions } from '../cli.js';
import { NotFoundError } from '../core/errors.js';
import { loadModel } from '../runner/model-artifact.js';
import { predictFile, predictToFile } from '../runner/predict-file.js';
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
  if (o.out === undefined) {
    predictFile(model, file, { proba: o.proba, id: o.id, format: o.json ? 'jsonl' : 'csv', write: (t) => process.stdout.write(t) });
    return;
  }
  const { rows } = predictToFile(model, file, o.out, { proba: o.proba, id: o.id });
  process.stdout.write(o.json ? JSON.stringify({ run: run.id, rows, out: o.out }) + '\n' : `wrote ${rows} predictions of run ${run.id} to ${o.out}\n`);
}
