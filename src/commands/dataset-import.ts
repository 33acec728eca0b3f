import type { GlobalOptions } from '../cli.js';
import type { DatasetFormat } from '../core/dataset.js';
import { importDataset } from '../store/import/import-dataset.js';
import { openWorkspace } from '../store/workspace.js';
import { renderImportResult } from '../ui/datasets.js';
import { fmtBytes } from '../ui/format.js';

/** `bfly dataset import <file> [--name N] [--format F]` */
export async function datasetImportCommand(file: string, o: GlobalOptions & { name?: string; format?: DatasetFormat }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const tty = process.stderr.isTTY && !o.json;
  const threads = Number(process.env.BFLY_IMPORT_THREADS);
  const { dataset, created } = await importDataset(ws.root, file, {
    name: o.name,
    format: o.format,
    threads: Number.isInteger(threads) && threads > 0 ? threads : undefined,
    onProgress: tty ? ({ bytes, total }) => process.stderr.write(`\rimporting ${file}: ${fmtBytes(bytes)} of ${fmtBytes(total)}`) : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (o.json) process.stdout.write(JSON.stringify({ ...dataset, created }) + '\n');
  else process.stdout.write(renderImportResult(dataset, created));
}
