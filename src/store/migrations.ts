import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetManifest } from '../core/dataset.js';
import { writeFileAtomic } from './atomic.js';
import { writeDatasetManifest } from './dataset-manifest.js';
import { firstRevision, historyPath, listDraftRevisions } from './draft-history.js';
import { LAYOUT_DIRS, workspacePaths } from './layout.js';
import { objectPath, writeObject } from './objects.js';
import { IntegrityError } from '../core/errors.js';
import { entries, lstatOrNull } from './safe-fs.js';

/**
 * One additive step from `from` to `from + 1`. It may add files, folders and config keys; it
 * never deletes or rewrites user data.
 */
export interface Migration {
  from: number;
  description: string;
  /** Changes the workspace on disk and returns the config mapping for the next version. */
  apply(root: string, config: Record<string, unknown>): Record<string, unknown>;
}

/** The dataset manifests as stored (whatever their format's version), with their paths. */
function datasetManifests(root: string): Array<{ path: string; m: DatasetManifest }> {
  return entries(workspacePaths(root).datasets)
    .filter((e) => e.kind === 'file' && e.name.endsWith('.json'))
    .map((e) => ({ path: e.path, m: JSON.parse(readFileSync(e.path, 'utf8')) as DatasetManifest }));
}

/** Every migration bfly knows, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    from: 0,
    description: 'format 0 (pre-release) -> 1: add cache/, index/, locks/, tmp/ and the `profile` key',
    apply(root, config) {
      const dir = workspacePaths(root).dir;
      for (const name of LAYOUT_DIRS) mkdirSync(join(dir, name), { recursive: true });
      return { ...config, profile: config.profile ?? 'internal_fast' };
    },
  },
  {
    from: 1,
    description: 'format 1 -> 2: seal every dataset manifest, keep each experiment\'s draft as revision 1 of its history, start the audit log',
    apply(root, config) {
      for (const { path, m } of datasetManifests(root)) {
        if (m.seal === undefined) {
          chmodSync(path, 0o644);
          writeDatasetManifest(root, m);
        }
      }
      for (const e of entries(workspacePaths(root).experiments)) {
        if (e.kind !== 'dir' || listDraftRevisions(root, e.name).length > 0) continue;
        const draft = join(e.path, 'pipeline.yaml');
        if (lstatOrNull(draft) === null) continue;
        const text = readFileSync(draft, 'utf8');
        writeObject(root, text);
        writeFileAtomic(historyPath(root, e.name), JSON.stringify(firstRevision(text, 'migrate')) + '\n', { tmpDir: workspacePaths(root).tmp });
      }
      return config;
    },
  },
  {
    from: 2,
    description: 'format 2 -> 3: datasets imported from now on keep small columns together in group objects (a manifest may name one object for several columns); existing datasets keep one object per column and read as before, nothing is rewritten',
    apply(root, config) {
      // Nothing to rewrite: the reader of format 3 finds a column by name in whichever object
      // holds it, one of its own or a group. What is checked is that every column object a
      // manifest names is there, so an upgrade never hides a damaged store.
      for (const { m } of datasetManifests(root)) {
        for (const h of m.objects.columns) {
          if (lstatOrNull(objectPath(root, h.slice('sha256:'.length))) === null) {
            throw new IntegrityError('MISSING_OBJECT', `dataset ${m.name}@${m.version} names column object ${h.slice(0, 19)}…, which is missing`, { hint: 'run `bfly fsck` to see what is damaged, and restore the object before migrating' });
          }
        }
      }
      return config;
    },
  },
];

/** The migrations that take a workspace from `from` to `to`, or null if the chain has a gap. */
export function planMigrations(from: number, to: number, registry: readonly Migration[] = MIGRATIONS): Migration[] | null {
  const steps: Migration[] = [];
  for (let v = from; v < to; v++) {
    const step = registry.find((m) => m.from === v);
    if (step === undefined) return null;
    steps.push(step);
  }
  return steps;
}
