import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { createExperiment, pipelinePath, setPipelineValues } from '../../src/store/experiments.js';
import { importDataset } from '../../src/store/import/import-dataset.js';
import { workspacePaths } from '../../src/store/layout.js';
import { RunFolder } from '../../src/store/run-state.js';
import { findReusableRun, planRun, snapshotRun } from '../../src/store/snapshot.js';
import { makeWorkspace, snapshotTree, VEGA } from '../helpers.js';

let w: Awaited<ReturnType<typeof makeWorkspace>>;
beforeEach(async () => {
  w = await makeWorkspace();
  await importDataset(w.root, join(VEGA, 'penguins.json'));
  createExperiment(w.root, { name: 'p', dataset: 'penguins', target: 'Species' });
  mkdirSync(join(w.root, 'hooks'));
  writeFileSync(join(w.root, 'hooks', 'log.js'), 'export default (ctx) => ctx;\n');
  setPipelineValues(w.root, 'p', ['blocks.train.hooks=[{type: before, file: hooks/log.js}, {type: before, code: "export default (c) => c"}]']);
});
afterEach(() => w.cleanup());

describe('planRun', () => {
  it('applies --seed and --set in memory only; the key follows every input', () => {
    const draft = readFileSync(pipelinePath(w.root, 'p'), 'utf8');
    const base = planRun(w.root, 'p', { backend: 'js' });
    expect(planRun(w.root, 'p', { backend: 'js' }).executionKey).toBe(base.executionKey);
    const withSet = planRun(w.root, 'p', { backend: 'js', sets: ['blocks.model_selection.config.cv=3'] });
    expect(withSet.pipeline.blocks.find((b) => b.id === 'model_selection')!.config.cv).toBe(3);
    expect(withSet.executionKey).not.toBe(base.executionKey);
    expect(planRun(w.root, 'p', { backend: 'js', seed: 7 })).toMatchObject({ seed: 7 });
    expect(planRun(w.root, 'p', { backend: 'js', seed: 7 }).executionKey).not.toBe(base.executionKey);
    expect(planRun(w.root, 'p', { backend: 'tfjs-wasm' }).executionKey).not.toBe(base.executionKey);
    writeFileSync(join(w.root, 'hooks', 'log.js'), 'export default (ctx) => { return ctx; };\n');
    expect(planRun(w.root, 'p', { backend: 'js' }).executionKey).not.toBe(base.executionKey);
    expect(readFileSync(pipelinePath(w.root, 'p'), 'utf8')).toBe(draft);
    expect(base.hooks.map((h) => h.id)).toEqual(['train.before.0', 'train.before.1']);
  });

  it('an invalid --set is refused with its line, and nothing is written', () => {
    const before = snapshotTree(w.root);
    expect(() => planRun(w.root, 'p', { backend: 'js', sets: ['blocks.model_selection.config.cv=1'] })).toThrow(ValidationError);
    expect(snapshotTree(w.root)).toEqual(before);
  });
});

describe('snapshotRun', () => {
  it('freezes the resolved pipeline, each hook source and run.json before anything runs', () => {
    const plan = planRun(w.root, 'p', { backend: 'js' });
    const run = snapshotRun(w.root, plan, new Date('2026-11-22T05:00:00Z'));
    run.lock.release();
    expect(run.id).toMatch(/^20261122-050000000-[0-9a-f]{6}$/);
    const manifest = JSON.parse(readFileSync(join(run.dir, 'run.json'), 'utf8'));
    expect(manifest).toMatchObject({ id: run.id, experiment: 'p', status: 'created', reused: false, seed: 42, executionKey: plan.executionKey, pipelineHash: plan.pipelineHash, error: null });
    expect(manifest.hooks).toEqual(plan.hooks.map((h) => ({ id: h.id, block: h.block, type: h.type, hash: h.hash, origin: h.origin })));
    expect(manifest.blocks.map((b: { id: string }) => b.id)).toEqual(plan.pipeline.blocks.map((b) => b.id));
    expect(readFileSync(join(run.dir, 'hooks', 'train.before.0.js'), 'utf8')).toBe('export default (ctx) => ctx;\n');
    // editing the hook afterwards changes nothing in the run
    writeFileSync(join(w.root, 'hooks', 'log.js'), 'changed');
    expect(readFileSync(join(run.dir, 'hooks', 'train.before.0.js'), 'utf8')).toBe('export default (ctx) => ctx;\n');
    expect(readFileSync(join(run.dir, 'pipeline.yaml'), 'utf8')).toContain('drop_constant: true');
  });

  it('only a succeeded run with the same key is reusable', () => {
    const plan = planRun(w.root, 'p', { backend: 'js' });
    const run = snapshotRun(w.root, plan);
    run.lock.release();
    expect(findReusableRun(w.root, plan.executionKey)).toBeNull();
    // an unsealed run.json that says succeeded is not enough
    const file = join(workspacePaths(w.root).runs, run.id, 'run.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), status: 'succeeded' }));
    expect(findReusableRun(w.root, plan.executionKey)).toBeNull();
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), status: 'created' }));
    const folder = new RunFolder(w.root, run.manifest);
    run.manifest.status = 'succeeded';
    folder.finish();
    expect(findReusableRun(w.root, plan.executionKey)).toBe(run.id);
    expect(findReusableRun(w.root, plan.executionKey, 'p')).toBe(run.id);
    expect(findReusableRun(w.root, plan.executionKey, 'other')).toBeNull();
    expect(findReusableRun(w.root, planRun(w.root, 'p', { backend: 'js', seed: 1 }).executionKey)).toBeNull();
    // a sealed run edited afterwards is never returned in place of running
    chmodSync(file, 0o644);
    writeFileSync(file, readFileSync(file, 'utf8').replace('"seed": 42', '"seed": 43'));
    expect(findReusableRun(w.root, plan.executionKey, 'p')).toBeNull();
  });

  it('gives runs made in the same millisecond distinct folders, each complete from the start', () => {
    const plan = planRun(w.root, 'p', { backend: 'js' });
    const at = new Date('2026-01-03T00:00:00Z');
    const runs = Array.from({ length: 40 }, () => snapshotRun(w.root, plan, at));
    for (const r of runs) r.lock.release();
    expect(new Set(runs.map((r) => r.id)).size).toBe(40);
    for (const r of runs) expect(JSON.parse(readFileSync(join(r.dir, 'run.json'), 'utf8')).id).toBe(r.id);
    expect(readdirSync(workspacePaths(w.root).tmp)).toEqual([]);
  });
});
