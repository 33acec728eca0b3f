import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { expandBatch, parseGridAxis, parseSeeds } from '../../src/core/batch.js';
import type { BatchEvent, BatchResult, BatchRunResult } from '../../src/runner/batch.js';
import { type BatchView, plainBatchLine, reduceBatchView, renderBatchSummary } from '../../src/ui/batch.js';
import { renderBatchLive } from '../../src/ui/batch-ink.js';

const specs = expandBatch([parseGridAxis('blocks.train.config.model=logistic_regression,gradient_boosting')], parseSeeds('1-2'));
const result = (index: number, accuracy: number | null, status: BatchRunResult['status'] = 'succeeded'): BatchRunResult => ({
  ...specs[index],
  status,
  runId: `2026112${index}-000000000-00000${index}`,
  reused: false,
  metrics: accuracy === null ? {} : { accuracy },
  durationMs: 1000,
  error: status === 'succeeded' ? null : { category: 'validation', code: 'X', message: 'boom', hint: 'fix it' },
});
const events: BatchEvent[] = [
  { type: 'batch_started', batch: 'b-1', experiment: 'p', metric: 'accuracy', jobs: 2, runs: specs },
  { type: 'batch_run_started', batch: 'b-1', index: 0 },
  { type: 'batch_run_event', batch: 'b-1', index: 0, event: { type: 'run_started', runId: 'r0', at: 'x', blocks: [] } },
  { type: 'batch_run_event', batch: 'b-1', index: 0, event: { type: 'block_started', runId: 'r0', at: 'x', block: 'model_selection', blockType: 'model_selection' } },
  { type: 'batch_run_event', batch: 'b-1', index: 0, event: { type: 'block_progress', runId: 'r0', at: 'x', block: 'model_selection', done: 2, total: 6 } },
];

describe('batch specs', () => {
  it('expands the grid and seeds in a stable order, seeds innermost', () => {
    expect(specs.map((s) => `${s.label} ${s.seed}`)).toEqual(['train.model=logistic_regression 1', 'train.model=logistic_regression 2', 'train.model=gradient_boosting 1', 'train.model=gradient_boosting 2']);
    expect(specs[3].sets).toEqual(['blocks.train.config.model=gradient_boosting']);
    expect(parseGridAxis('blocks.features.config.steps=[],[{op: log1p, columns: [a, b]}]').values).toEqual(['[]', '[{op: log1p, columns: [a, b]}]']);
    expect(parseSeeds('1-3,10,2')).toEqual([1, 2, 3, 10]);
    expect(expandBatch([], null)).toEqual([{ index: 0, sets: [], seed: null, label: '' }]);
    expect(() => expandBatch([parseGridAxis('a=1,2'), parseGridAxis('a=3')], null)).toThrow(/same path/);
  });
});

describe('batch views', () => {
  it('the live view folds events: running rows with block and progress, finished ones with the metric', () => {
    let v: BatchView | null = null;
    for (const e of events) v = reduceBatchView(v, e, 1000);
    expect(v!.rows[0]).toMatchObject({ status: 'running', runId: 'r0', block: 'model_selection', progress: { done: 2, total: 6 } });
    expect(v!.rows[1].status).toBe('queued');
    v = reduceBatchView(v, { type: 'batch_run_finished', batch: 'b-1', result: result(0, 0.97) }, 2000);
    expect(v!.rows[0]).toMatchObject({ status: 'succeeded', value: 0.97, block: null });
    expect(plainBatchLine({ type: 'batch_run_finished', batch: 'b-1', result: result(0, 0.97) }, v)).toBe('[1/4] train.model=logistic_regression seed=1 succeeded: accuracy 0.97 (run 20261120-000000000-000000)');
  });

  it('the summary ranks best first, puts runs without the metric last, and gives mean ± std over seeds', () => {
    const b: BatchResult = { batch: 'b-1', experiment: 'p', metric: 'accuracy', runs: [result(0, 0.9), result(1, 0.95), result(2, 0.99), result(3, null, 'failed')], cancelled: false, durationMs: 12_000 };
    const text = renderBatchSummary(b);
    const ranks = text.split('\n').slice(1, 5).map((l) => l.split(/\s+/)[1]);
    expect(ranks).toEqual([b.runs[2].runId, b.runs[1].runId, b.runs[0].runId, b.runs[3].runId]);
    expect(text).toMatch(/train\.model=gradient_boosting\s+0\.99\s+0\s+1\n/);
    expect(text).toMatch(/train\.model=logistic_regression\s+0\.925\s+0\.0354\s+2\n/);
    expect(text).toContain('batch b-1: 3 succeeded, 1 failed in 12.0 s');
    expect(text).toContain('  train.model=gradient_boosting seed=2: boom\n    hint: fix it');
    expect(text).toContain("list: bfly runs --where 'batch == \"b-1\"'");
  });

  it('the Ink view draws a row per run and the overall bar', async () => {
    const out = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
    Object.assign(out, { columns: 120, rows: 40, isTTY: true });
    let text = '';
    // eslint-disable-next-line no-control-regex
    out.on('data', (d: Buffer) => (text += d.toString().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')));
    const live = renderBatchLive(out);
    for (const e of events) live.onEvent(e);
    live.onEvent({ type: 'batch_run_finished', batch: 'b-1', result: result(1, 0.95) });
    await new Promise((r) => setTimeout(r, 120));
    await live.done();
    expect(text).toContain('batch b-1 · p · 4 runs on 2 workers');
    expect(text).toMatch(/#1 +train\.model=logistic_regression seed=1 +model_selection 2\/6/);
    expect(text).toMatch(/#2 +train\.model=logistic_regression seed=2 +accuracy 0\.95/);
    expect(text).toMatch(/[█░]{30} 1\/4 {2}1 running {2}0 failed/);
  });
});
