import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/core/errors.js';
import { workspacePaths } from '../../src/store/layout.js';
import { freshRunId, listRunIds, resolveRunRef } from '../../src/store/runs.js';
import { makeWorkspace } from '../helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

async function withRuns(specs: Array<[string, string]>): Promise<{ root: string; ids: string[] }> {
  const w = await makeWorkspace();
  cleanup = w.cleanup;
  const ids = specs.map(([when, exp]) => {
    const id = freshRunId(new Date(when));
    mkdirSync(join(workspacePaths(w.root).runs, id));
    writeFileSync(join(workspacePaths(w.root).runs, id, 'run.json'), JSON.stringify({ id, experiment: exp }));
    return id;
  });
  return { root: w.root, ids };
}

describe('run folders and references', () => {
  it('lists run folders oldest first, and never a link, a file or a folder being deleted', async () => {
    const { root, ids } = await withRuns([['2026-01-02T00:00:00Z', 'a'], ['2026-01-01T00:00:00Z', 'b']]);
    const runs = workspacePaths(root).runs;
    symlinkSync(join(runs, ids[0]), join(runs, freshRunId(new Date('2026-01-05T00:00:00Z'))));
    writeFileSync(join(runs, freshRunId(new Date('2026-01-06T00:00:00Z'))), '{}');
    mkdirSync(join(runs, `.deleting-${ids[0]}`));
    expect(listRunIds(root)).toEqual([ids[1], ids[0]]);
  });

  it('resolves an id, a unique prefix, @latest and <experiment>@latest', async () => {
    const { root, ids } = await withRuns([['2026-01-01T00:00:00Z', 'penguins'], ['2026-02-01T00:00:00Z', 'cars'], ['2026-03-01T00:00:00Z', 'penguins'], ['2026-04-01T00:00:00Z', 'cars']]);
    expect(resolveRunRef(root, ids[1])).toBe(ids[1]);
    expect(resolveRunRef(root, '202602')).toBe(ids[1]);
    expect(resolveRunRef(root, '@latest')).toBe(ids[3]);
    expect(resolveRunRef(root, 'penguins@latest')).toBe(ids[2]);
    expect(resolveRunRef(root, 'cars@latest')).toBe(ids[3]);
  });

  it('says what is wrong: ambiguous, too short, unknown (with the closest experiment)', async () => {
    const { root } = await withRuns([['2026-01-01T00:00:00Z', 'penguins'], ['2026-01-02T00:00:00Z', 'penguins']]);
    expect(() => resolveRunRef(root, '202601')).toThrow(ValidationError);
    expect(() => resolveRunRef(root, '202601')).toThrow(/matches 2 runs/);
    expect(() => resolveRunRef(root, '20')).toThrow(/too short/);
    expect(() => resolveRunRef(root, '2099')).toThrow(NotFoundError);
    expect(() => resolveRunRef(root, 'pengiuns@latest')).toThrow('did you mean `penguins`?');
    const empty = await makeWorkspace();
    try {
      expect(() => resolveRunRef(empty.root, '@latest')).toThrow(/no runs yet/);
    } finally {
      empty.cleanup();
    }
  });
});
