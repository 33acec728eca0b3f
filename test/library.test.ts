import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, REPO, VEGA } from './helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

describe('library API (the built package entry, as a script would use it)', () => {
  it('init, import, experiments and pipelines', async () => {
    const lib = await import(pathToFileURL(join(REPO, 'dist', 'index.js')).href);
    const t = makeTempDir();
    cleanup = t.cleanup;
    const ws = await lib.initWorkspace(join(t.dir, 'proj'), { name: 'proj' });
    const { dataset, created } = await lib.importDataset(ws, join(VEGA, 'penguins.json'));
    expect([created, dataset.rows]).toEqual([true, 344]);
    expect((await lib.listDatasets(join(t.dir, 'proj'))).map((d: { name: string }) => d.name)).toEqual(['penguins']);
    expect((await lib.getDataset(ws, 'penguins@1')).id).toBe(dataset.id);
    const e = await lib.createExperiment(ws, { name: 'p', dataset: 'penguins', target: 'Species' });
    expect(e.task).toBe('classification');
    expect((await lib.listExperiments(ws)).length).toBe(1);
    expect((await lib.validatePipeline(ws, 'p')).valid).toBe(true);
    await lib.setPipelineValues(ws, 'p', ['seed=7']);
    expect((await lib.readPipeline(ws, 'p')).seed).toBe(7);
    await expect(lib.writePipeline(ws, 'p', 'apiVersion: nope\n')).rejects.toBeInstanceOf(lib.ValidationError);
    expect(lib.describeBlocks().length).toBe(8);
    await expect(lib.getExperiment(ws, 'nope')).rejects.toMatchObject({ category: 'not_found' });
  });
});
