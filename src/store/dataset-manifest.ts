import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_SCHEMA_VERSION, type DatasetManifest } from '../core/dataset.js';
import { IntegrityError } from '../core/errors.js';
import { canonicalJson, sha256Hex } from '../core/hash.js';
import { writeJsonAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';

/** The seal of a manifest: `sha256:` of the canonical JSON of every field but `seal`. */
export function manifestSeal(m: DatasetManifest): string {
  const { seal: _seal, ...rest } = m;
  return `sha256:${sha256Hex(canonicalJson(rest))}`;
}

/** The manifest with its schema version and seal (written once, never again). */
export function sealManifest(m: DatasetManifest): DatasetManifest {
  const body: DatasetManifest = { schemaVersion: DATASET_SCHEMA_VERSION, ...m };
  delete body.seal;
  return { ...body, seal: manifestSeal(body) };
}

/**
 * Writes a dataset manifest once: sealed, atomically, read-only (0444). Nothing rewrites it
 * afterwards (`bfly migrate` seals the manifests of older workspaces once).
 */
export function writeDatasetManifest(root: string, m: DatasetManifest): DatasetManifest {
  const sealed = sealManifest(m);
  writeJsonAtomic(join(workspacePaths(root).datasets, `${sealed.id}.json`), sealed, { tmpDir: workspacePaths(root).tmp, mode: 0o444 });
  return sealed;
}

/** The reason a parsed manifest cannot be trusted, or null. */
export function manifestProblem(m: DatasetManifest, fileName: string): string | null {
  if (m === null || typeof m !== 'object' || typeof m.id !== 'string') return 'not a dataset manifest';
  if (typeof m.seal !== 'string') return 'it has no seal (written by an older bfly? run `bfly migrate`)';
  if (m.seal !== manifestSeal(m)) return 'its content no longer matches its seal: it was changed after import';
  if (fileName !== `${m.id}.json`) return `it is named ${fileName} but holds dataset ${m.id}`;
  return null;
}

/** Reads and verifies one manifest file; throws an {@link IntegrityError} naming it. */
export function readDatasetManifest(root: string, fileName: string): DatasetManifest {
  const path = join(workspacePaths(root).datasets, fileName);
  let m: DatasetManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as DatasetManifest;
  } catch (err) {
    throw new IntegrityError('DATASET_MANIFEST_UNREADABLE', `.butterfly/datasets/${fileName} cannot be read (${(err as Error).message.split('\n')[0]})`, { hint: 'run `bfly fsck`; restore the file from a backup, or re-import the data', data: { path } });
  }
  const problem = manifestProblem(m, fileName);
  if (problem !== null) {
    throw new IntegrityError('DATASET_CHANGED', `.butterfly/datasets/${fileName}: ${problem}`, { hint: 'run `bfly fsck`; restore the file from a backup, or re-import the data (the same bytes give the same dataset)', data: { path } });
  }
  return m;
}
