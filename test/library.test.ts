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

  it('runs an experiment, streams its events, previews, finds and loads what it made', async () => {
    const lib = await import(pathToFileURL(join(REPO, 'dist', 'index.js')).href);
    const t = makeTempDir();
    cleanup = t.cleanup;
    const ws = await lib.initWorkspace(join(t.dir, 'proj'));
    await lib.importDataset(ws, join(VEGA, 'penguins.json'));
    await lib.createExperiment(ws, { name: 'p', dataset: 'penguins', target: 'Species' });
    await lib.setPipelineValues(ws, 'p', ['blocks.model_selection.config.candidates=[{model: logistic_regression}]', 'blocks.model_selection.config.cv=3']);
    const seen: string[] = [];
    const it = lib.runExperimentEvents(ws, 'p');
    let step = await it.next();
    while (!step.done) {
      seen.push(step.value.type);
      step = await it.next();
    }
    const { run, reused } = step.value;
    expect([run.status, reused]).toEqual(['succeeded', false]);
    expect(seen[0]).toBe('run_created');
    expect(seen.at(-1)).toBe('run_finished');
    const again = await lib.runExperiment(ws, 'p');
    expect([again.reused, again.run.id]).toEqual([true, run.id]);
    expect((await lib.previewRun(ws, 'p', { seed: 3 })).upToDate).toBeNull();
    expect((await lib.getRun(ws, 'p@latest')).id).toBe(run.id);
    expect((await lib.getRun(ws, run.id.slice(0, 12))).metrics).toEqual(run.metrics);
    const model = lib.loadModel(join(t.dir, 'proj', '.butterfly', 'runs', run.id, 'artifacts', 'model.json'));
    expect(model.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(model.predict([{ Island: 'Biscoe', 'Beak Length (mm)': 48.7, 'Beak Depth (mm)': 14.1, 'Flipper Length (mm)': 210, 'Body Mass (g)': 4450, Sex: 'FEMALE' }])).toEqual(['Gentoo']);
  });
});
