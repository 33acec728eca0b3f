import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LAYOUT_DIRS, workspacePaths } from './layout.js';

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
