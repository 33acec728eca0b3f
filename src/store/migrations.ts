import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetManifest } from '../core/dataset.js';
import { writeFileAtomic } from './atomic.js';
import { writeDatasetManifest } from './dataset-manifest.js';
import { firstRevision, historyPath, listDraftRevisions } from './draft-history.js';
import { LAYOUT_DIRS, workspacePaths } from './layout.js';
import { writeObject } from './objects.js';
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
      for (const e of entries(workspacePaths(root).datasets)) {
        if (e.kind !== 'file' || !e.name.endsWith('.json')) continue;
        const m = JSON.parse(readFileSync(e.path, 'utf8')) as DatasetManifest;
        if (m.seal === undefined) {
          chmodSync(e.path, 0o644);
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
