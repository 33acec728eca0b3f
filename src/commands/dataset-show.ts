import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { getDataset } from '../store/datasets.js';
import { openWorkspace } from '../store/workspace.js';
import { renderDatasetShow } from '../ui/datasets.js';

/** `bfly dataset show <NAME | NAME@V | hash-prefix>` */
export async function datasetShowCommand(ref: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const d = getDataset(ws.root, ref);
  process.stdout.write(o.json ? jsonLine(d) : renderDatasetShow(d));
}
