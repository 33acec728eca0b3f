import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { listDatasets } from '../store/datasets.js';
import { openWorkspace } from '../store/workspace.js';
import { renderDatasetList } from '../ui/datasets.js';

/** `bfly dataset list` */
export async function datasetListCommand(o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const all = listDatasets(ws.root);
  process.stdout.write(o.json ? jsonLine(all) : renderDatasetList(all));
}
