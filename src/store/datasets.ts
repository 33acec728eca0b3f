import { readdirSync } from 'node:fs';
import { readDatasetManifest } from './dataset-manifest.js';
import { type DatasetManifest, datasetLabel } from '../core/dataset.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { parseHash } from '../core/hash.js';
import { didYouMean } from '../core/suggest.js';
import { workspacePaths } from './layout.js';

/**
 * Every dataset manifest in the workspace, sorted by name then version, each verified against
 * its seal (a changed manifest is an IntegrityError naming it). Reads the manifest files
 * directly (no index, no schema library): this is on the start-up path of `bfly dataset list`.
 */
export function listDatasets(root: string): DatasetManifest[] {
  const dir = workspacePaths(root).datasets;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: DatasetManifest[] = [];
  // every manifest is checked against its seal whenever it is read
  for (const name of names) if (name.endsWith('.json')) out.push(readDatasetManifest(root, name));
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version));
  return out;
}

/**
 * Finds a dataset by `NAME` (its latest version), `NAME@V`, its id, or a hash prefix
 * (hex, at least 4 characters, optionally `sha256:`). An unknown name suggests the closest;
 * an ambiguous prefix lists the candidates.
 *
 * @example
 * resolveDataset(listDatasets(root), 'penguins@2')
 */
export function resolveDataset(all: DatasetManifest[], ref: string): DatasetManifest {
  const at = ref.lastIndexOf('@');
  if (at > 0) {
    const name = ref.slice(0, at);
    const v = ref.slice(at + 1);
    if (v === 'latest' || /^\d+$/.test(v)) {
      const versions = all.filter((d) => d.name === name);
      if (versions.length > 0) {
        const found = v === 'latest' ? versions[versions.length - 1] : versions.find((d) => d.version === Number(v));
        if (found !== undefined) return found;
        throw new NotFoundError('DATASET_NOT_FOUND', `dataset ${name} has no version ${v}`, {
          hint: `versions: ${versions.map((d) => datasetLabel(d)).join(', ')}`,
          data: { ref },
        });
      }
    }
  }
  const byName = all.filter((d) => d.name === ref);
  if (byName.length > 0) return byName[byName.length - 1];
  const byId = all.find((d) => d.id === ref);
  if (byId !== undefined) return byId;
  const hex = ref.startsWith('sha256:') ? ref.slice(7) : ref;
  if (/^[0-9a-f]{4,64}$/.test(hex)) {
    const matches = all.filter((d) => (parseHash(d.hash) ?? '').startsWith(hex));
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      throw new ValidationError('AMBIGUOUS_REF', `${ref} matches ${matches.length} datasets`, {
        hint: `use more characters, or a name: ${matches.map((d) => `${datasetLabel(d)} (${d.hash.slice(7, 19)})`).join(', ')}`,
        data: { ref, candidates: matches.map((d) => ({ name: datasetLabel(d), hash: d.hash })) },
      });
    }
  }
  const names = [...new Set(all.map((d) => d.name))];
  throw new NotFoundError('DATASET_NOT_FOUND', `no dataset named ${JSON.stringify(ref)}${didYouMean(ref, names)}`, {
    hint: all.length === 0 ? 'import one with `bfly dataset import <file>`' : 'list them with `bfly dataset list`',
    data: { ref },
  });
}

/** Finds a dataset in the workspace at `root`; see {@link resolveDataset}. */
export function getDataset(root: string, ref: string): DatasetManifest {
  return resolveDataset(listDatasets(root), ref);
}
