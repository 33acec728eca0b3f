import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { importedDatasetView } from '../core/views.js';
import { parseByteSize } from '../core/byte-size.js';
import type { DatasetFormat } from '../core/dataset.js';
import { ImportCancelled, importDataset } from '../store/import/import-dataset.js';
import { openWorkspace } from '../store/workspace.js';
import { renderImportResult } from '../ui/datasets.js';
import { fmtBytes } from '../ui/format.js';

/**
 * `bfly dataset import <file> [--name N] [--format F] [--max-bytes SIZE]`. Ctrl-C or SIGTERM
 * stops it between reads and leaves nothing behind (exit 130).
 */
export async function datasetImportCommand(file: string, o: GlobalOptions & { name?: string; format?: DatasetFormat; maxBytes?: string }): Promise<'cancelled' | undefined> {
  const maxBytes = o.maxBytes === undefined ? undefined : parseByteSize(o.maxBytes, '--max-bytes');
  const ws = await openWorkspace(o.C ?? process.cwd());
  const tty = process.stderr.isTTY && !o.json;
  const threads = Number(process.env.BFLY_IMPORT_THREADS);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const { dataset, created } = await importDataset(ws.root, file, {
      name: o.name,
      format: o.format,
      maxBytes,
      signal: controller.signal,
      threads: Number.isInteger(threads) && threads > 0 ? threads : undefined,
      onProgress: tty ? ({ bytes, total }) => process.stderr.write(`\rimporting ${file}: ${fmtBytes(bytes)} of ${fmtBytes(total)}`) : undefined,
    });
    if (tty) process.stderr.write('\r\x1b[K');
    if (o.json) process.stdout.write(jsonLine(importedDatasetView(dataset, created)));
    else process.stdout.write(renderImportResult(dataset, created));
    return undefined;
  } catch (err) {
    if (!(err instanceof ImportCancelled)) throw err;
    if (tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`import of ${file} cancelled: nothing was imported\n`);
    return 'cancelled';
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
