import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { loadRunModel, runModelFile } from '../runner/model-artifact.js';
import { predictFile, predictToFile } from '../runner/predict-file.js';
import { resolveRunRef } from '../store/runs.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly predict <run> <file> [--model <candidate>] [--out F] [--proba] [--id col] [--json]` */
export async function predictCommand(ref: string, file: string, o: GlobalOptions & { out?: string; proba?: boolean; id?: string; model?: string }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const id = resolveRunRef(ws.root, ref);
  // the run's seal and the model's sha256 are checked before a single prediction is made
  const model = loadRunModel(ws.root, id, o.model === undefined ? undefined : runModelFile(ws.root, id, o.model));
  if (o.out === undefined) {
    predictFile(model, file, { proba: o.proba, id: o.id, format: o.json ? 'jsonl' : 'csv', write: (t) => process.stdout.write(t) });
    return;
  }
  const { rows } = predictToFile(model, file, o.out, { proba: o.proba, id: o.id, root: ws.root });
  process.stdout.write(o.json ? jsonLine({ run: id, rows, out: o.out }) : `wrote ${rows} predictions of run ${id} to ${o.out}\n`);
}
