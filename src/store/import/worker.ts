// An import worker: builds its share of a CSV's columns (see buildColumns) from the raw copy
// as the main thread makes it, and posts the result.
import { parentPort, workerData } from 'node:worker_threads';
import { isBflyError } from '../../core/errors.js';
import { type BuildOptions, buildColumns } from './build-columns.js';

const data = workerData as Omit<BuildOptions, 'owned'> & { owned: number[] };
try {
  const result = buildColumns({ ...data, owned: new Set(data.owned) });
  // the small columns' images are moved, not copied: a wide table holds tens of MB of them
  const images = new Set<ArrayBuffer>();
  for (const c of result.columns) if (c.image !== undefined && c.image.byteOffset === 0 && c.image.byteLength === c.image.buffer.byteLength) images.add(c.image.buffer as ArrayBuffer);
  parentPort!.postMessage({ ok: true, result }, [...images]);
} catch (err) {
  const e = err as Error;
  parentPort!.postMessage({ ok: false, error: isBflyError(err) ? { ...err.toJSON(), data: err.data } : { category: 'unknown', code: 'INTERNAL', message: e.message, stack: e.stack } });
}
