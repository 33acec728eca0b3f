// The run engine through the library API: events, the model artifact, slot enforcement,
// immutability of finished runs, transient retries, error classification, default templates.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BflyError, ValidationError } from '../../src/core/errors.js';
import { parseRunEvent, type RunEvent } from '../../src/core/events.js';
import { blockAccess, ExecutionContext, SlotAccessError } from '../../src/runner/context.js';
import { classifyError } from '../../src/runner/execute-run.js';
import { loadModel } from '../../src/runner/model-artifact.js';
import { retryTransient } from '../../src/runner/retry.js';
import { previewRun, runExperiment } from '../../src/runner/run-experiment.js';
import { createExperiment } from '../../src/store/experiments.js';
import { importDataset } from '../../src/store/import/import-dataset.js';
import { RunFolder, readRunManifest, recoverInterruptedRuns } from '../../src/store/run-state.js';
import { makeWorkspace, VEGA } from '../helpers.js';

let w: Awaited<ReturnType<typeof makeWorkspace>>;
beforeAll(async () => {
  w = await makeWorkspace();
  await importDataset(w.root, join(VEGA, 'penguins.json'), { name: 'penguins' });
  await importDataset(w.root, join(VEGA, 'cars.json'), { name: 'cars' });
  createExperiment(w.root, { name: 'penguins', dataset: 'penguins', target: 'Species' });
  createExperiment(w.root, { name: 'cars', dataset: 'cars', target: 'Miles_per_Gallon' });
});
afterAll(() => w.cleanup());

describe('runExperiment (default templates, every candidate trained for real)', () => {
  let penguinsRun: string;

  it('penguins: 5-fold CV of logistic regression, random forest, boosting and the MLP, then train, evaluate, explain, report', async () => {
    const events: RunEvent[] = [];
    const { run, reused } = await runExperiment(w.root, 'penguins', { onEvent: (e) => events.push(e) });
    expect(reused).toBe(false);
    expect(run.status).toBe('succeeded');
    expect(run.env.backend).toMatch(/^tfjs-(wasm|node)$/);
    penguinsRun = run.id;
    const board = JSON.parse(readFileSync(join(w.root, '.butterfly', 'runs', run.id, 'artifacts', 'leaderboard.json'), 'utf8'));
    expect(board.candidates.map((c: { model: string }) => c.model).sort()).toEqual(['gradient_boosting', 'logistic_regression', 'mlp', 'random_forest']);
    for (const c of board.candidates) {
      expect(c.folds).toHaveLength(5);
      expect(c.metrics.accuracy.mean).toBeGreaterThan(0.9); // each model learnt (a constant guess scores ~0.44)
    }
    expect(run.metrics.accuracy).toBeGreaterThan(0.93);
    expect(run.metrics.roc_auc).toBeGreaterThan(0.95);
    // the callback saw the same stream as events.jsonl, fold progress included
    const logged = readFileSync(join(w.root, '.butterfly', 'runs', run.id, 'events.jsonl'), 'utf8').trim().split('\n').map(parseRunEvent);
    expect(logged).toEqual(events);
    const folds = events.filter((e) => e.type === 'block_progress' && e.block === 'model_selection');
    expect(folds.at(-1)).toMatchObject({ done: 20, total: 20 });
  }, 120_000);

  it('cars: regression candidates (ridge, forest, boosting, MLP), rmse/mae/r2', async () => {
    const { run } = await runExperiment(w.root, 'cars');
    expect(run.status).toBe('succeeded');
    expect(run.metrics.r2).toBeGreaterThan(0.7);
    expect(run.metrics.rmse).toBeLessThan(4.5);
  }, 120_000);

  it('the model file predicts without the workspace, reproducing the stored test predictions', () => {
    const dir = join(w.root, '.butterfly', 'runs', penguinsRun, 'artifacts');
    const model = loadModel(join(dir, 'model.json'));
    const records = JSON.parse(readFileSync(join(VEGA, 'penguins.json'), 'utf8')) as Array<Record<string, unknown>>;
    const stored = readFileSync(join(dir, 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const predicted = model.predict(stored.map((r) => records[Number(r[0])]));
    expect(predicted).toEqual(stored.map((r) => r[2]));
    const proba = model.predictProba(stored.slice(0, 3).map((r) => records[Number(r[0])]));
    proba.forEach((p, i) => p.forEach((v, c) => expect(v).toBeCloseTo(Number(stored[i][3 + c]), 12)));
    const { Island: _drop, ...noIsland } = records[0];
    expect(() => model.predict([noIsland])).toThrow(/no column "Island"/);
    expect(() => model.predict([{ ...records[0], 'Body Mass (g)': 'heavy' }])).toThrow(ValidationError);
    expect(model.predict([{ ...records[0], Island: 'Atlantis' }])).toHaveLength(1); // unseen level: handled
    expect(() => loadModel(join(dir, 'metrics.json'))).toThrow(/not a bfly model/);
  });

  it('previewRun after a run: everything cached, up to date', () => {
    const p = previewRun(w.root, 'penguins');
    expect(p.upToDate).toBe(penguinsRun);
    expect(p.steps.filter((s) => s.action === 'run').map((s) => s.id)).toEqual(['report']);
  });

  it('a finished run is never written again: not by a RunFolder, not by interrupted-run recovery', () => {
    const m = readRunManifest(w.root, penguinsRun);
    expect(() => new RunFolder(w.root, m)).toThrow(/has ended/);
    const before = readFileSync(join(w.root, '.butterfly', 'runs', penguinsRun, 'run.json'));
    expect(recoverInterruptedRuns(w.root)).toEqual([]);
    expect(readFileSync(join(w.root, '.butterfly', 'runs', penguinsRun, 'run.json')).equals(before)).toBe(true);
  });
});

describe('execution context', () => {
  it('a block reads and writes only the slots its type declares', () => {
    const ctx = new ExecutionContext();
    ctx.set('train', 'sha256:t', { rows: 1 });
    const a = blockAccess(ctx, { id: 'ev', type: 'evaluate', config: {}, hooks: [] });
    expect(() => a.read('train')).toThrow(SlotAccessError);
    expect(() => a.write('model', {})).toThrow(/may write only: predictions, metrics/);
    expect(() => a.read('test')).toThrow(/needs "test", which no earlier block produced/);
    a.write('metrics', { values: {} });
    expect(a.written.get('metrics')).toEqual({ values: {} });
    let loads = 0;
    ctx.setLazy('test', 'sha256:x', () => ++loads);
    expect(a.read('test')).toBe(1);
    expect(a.read('test')).toBe(1);
    expect(loads).toBe(1);
  });
});

describe('failures', () => {
  it('retries transient I/O errors only', () => {
    let calls = 0;
    expect(retryTransient(() => (++calls < 3 ? (() => { throw Object.assign(new Error('busy'), { code: 'EBUSY' }); })() : 'ok'))).toBe('ok');
    expect(calls).toBe(3);
    calls = 0;
    expect(() => retryTransient(() => { calls++; throw Object.assign(new Error('gone'), { code: 'ENOENT' }); })).toThrow('gone');
    expect(calls).toBe(1);
    calls = 0;
    expect(() => retryTransient(() => { calls++; throw new RangeError('deterministic'); })).toThrow('deterministic');
    expect(calls).toBe(1);
  });

  it('classifies what a block threw', () => {
    const block = { id: 'train', type: 'train' as const, config: {}, hooks: [] };
    expect(classifyError(new BflyError('policy', 'NO', 'forbidden', { hint: 'trust it' }), block, 'r')).toMatchObject({ category: 'policy', code: 'NO', block: 'train', hint: 'trust it' });
    expect(classifyError(new RangeError('singular'), block, 'r')).toMatchObject({ category: 'framework', code: 'MODEL_FAILED', block: 'train' });
    expect(classifyError(new TypeError('oops'), { ...block, id: 'split', type: 'split' as const }, 'r')).toMatchObject({ category: 'unknown', block: 'split' });
  });
});
