import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_SCHEMA_VERSION, type DatasetManifest } from '../core/dataset.js';
import { IntegrityError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { writeFileAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';

/**
 * A manifest's text without its seal: what the seal is the sha256 of. bfly writes manifests as
 * `JSON.stringify(m, null, 2)` with `seal` last, so the seal is checked on the file's own bytes
 * (no re-serialising: `dataset list` reads every manifest on start-up).
 */
function unsealedText(m: Omit<DatasetManifest, 'seal'>): string {
  return JSON.stringify(m, null, 2) + '\n';
}

const SEAL_TAIL = /,\n {2}"seal": "(sha256:[0-9a-f]{64})"\n\}\n$/;

/** The manifest with its schema version and seal (written once, never again), and its text. */
export function sealManifest(m: DatasetManifest): { manifest: DatasetManifest; text: string } {
  const body: DatasetManifest = { schemaVersion: DATASET_SCHEMA_VERSION, ...m };
  delete body.seal;
  const unsealed = unsealedText(body);
  const seal = `sha256:${sha256Hex(unsealed)}`;
  const manifest = { ...body, seal };
  // the text of `manifest` (the seal is its last key), made from the unsealed text rather than
  // stringified again: a 20,000-column manifest is ~20 MB
  return { manifest, text: `${unsealed.slice(0, unsealed.lastIndexOf('\n}\n'))},\n  "seal": ${JSON.stringify(seal)}\n}\n` };
}

/**
 * Writes a dataset manifest once: sealed, atomically, read-only (0444). Nothing rewrites it
 * afterwards (`bfly migrate` seals the manifests of older workspaces once).
 */
export function writeDatasetManifest(root: string, m: DatasetManifest): DatasetManifest {
  const sealed = sealManifest(m);
  writeFileAtomic(join(workspacePaths(root).datasets, `${sealed.manifest.id}.json`), sealed.text, { tmpDir: workspacePaths(root).tmp, mode: 0o444 });
  return sealed.manifest;
}

/** The reason a manifest file's text cannot be trusted, or null; and the parsed manifest. */
export function manifestProblem(text: string, fileName: string): { manifest: DatasetManifest | null; problem: string | null } {
  let m: DatasetManifest;
  try {
    m = JSON.parse(text) as DatasetManifest;
  } catch (err) {
    return { manifest: null, problem: `not readable JSON (${(err as Error).message.split('\n')[0]})` };
  }
  if (m === null || typeof m !== 'object' || typeof m.id !== 'string') return { manifest: null, problem: 'not a dataset manifest' };
  if (typeof m.seal !== 'string') return { manifest: m, problem: 'it has no seal (written by an older bfly? run `bfly migrate`)' };
  const tail = SEAL_TAIL.exec(text);
  if (tail === null || tail[1] !== m.seal || `sha256:${sha256Hex(text.slice(0, tail.index) + '\n}\n')}` !== m.seal) return { manifest: m, problem: 'its content no longer matches its seal: it was changed after import' };
  if (fileName !== `${m.id}.json`) return { manifest: m, problem: `it is named ${fileName} but holds dataset ${m.id}` };
  return { manifest: m, problem: null };
}

/** Reads and verifies one manifest file; throws an {@link IntegrityError} naming it. */
export function readDatasetManifest(root: string, fileName: string): DatasetManifest {
  const path = join(workspacePaths(root).datasets, fileName);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new IntegrityError('DATASET_MANIFEST_UNREADABLE', `.butterfly/datasets/${fileName} cannot be read (${(err as Error).message.split('\n')[0]})`, { hint: 'run `bfly fsck`; restore the file from a backup, or re-import the data', data: { path } });
  }
  const { manifest: m, problem } = manifestProblem(text, fileName);
  if (problem !== null || m === null) {
    throw new IntegrityError('DATASET_CHANGED', `.butterfly/datasets/${fileName}: ${problem}`, { hint: 'run `bfly fsck`; restore the file from a backup, or re-import the data (the same bytes give the same dataset)', data: { path } });
  }
  return m;
}
