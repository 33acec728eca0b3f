import type { DatasetManifest } from '../core/dataset.js';
import { ValidationError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { type LoadedTable, loadColumn } from './columnar.js';
import { readObject } from './objects.js';

/**
 * Loads a dataset's columnar copy (each column object re-hashed as it is read), or only the
 * named columns, in dataset order.
 *
 * @example
 * const t = loadDatasetColumns(root, getDataset(root, 'penguins'), ['Species', 'Body Mass (g)']);
 */
export function loadDatasetColumns(root: string, dataset: DatasetManifest, names?: readonly string[]): LoadedTable {
  const all = dataset.columns.map((c) => c.name);
  for (const n of names ?? []) {
    if (!all.includes(n)) throw new ValidationError('UNKNOWN_COLUMN', `dataset ${dataset.name} has no column ${JSON.stringify(n)}${didYouMean(n, all)}`, { hint: `columns: ${all.join(', ')}` });
  }
  const wanted = names === undefined ? all : all.filter((n) => names.includes(n));
  // a group object holds several columns: read (and hashed) once for all of them, and let go
  // after its last wanted column
  const uses = new Map<string, number>();
  for (const n of wanted) {
    const h = dataset.objects.columns[all.indexOf(n)];
    uses.set(h, (uses.get(h) ?? 0) + 1);
  }
  const objects = new Map<string, Uint8Array>();
  const bytesOf = (hash: string): Uint8Array => {
    const b = objects.get(hash) ?? readObject(root, hash);
    const left = uses.get(hash)! - 1;
    uses.set(hash, left);
    if (left > 0) objects.set(hash, b);
    else objects.delete(hash);
    return b;
  };
  return {
    rows: dataset.rows,
    columns: wanted.map((n) => {
      const col = loadColumn(bytesOf(dataset.objects.columns[all.indexOf(n)]), n);
      const format = dataset.columns[all.indexOf(n)].format;
      return col.type === 'datetime' && format !== undefined ? { ...col, format } : col;
    }),
  };
}
