import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.js';
import { reduceRunView } from '../../src/ui/run-ink.js';
import { fmtDuration, plainEventLine, renderMetricsTable } from '../../src/ui/run.js';

const at = '2026-11-22T05:00:00.000Z';
const events: RunEvent[] = [
  { type: 'run_created', runId: 'r1', at, experiment: 'penguins', executionKey: 'sha256:k' },
  { type: 'run_started', runId: 'r1', at, blocks: [{ id: 'split', type: 'split' }, { id: 'ms', type: 'model_selection' }] },
  { type: 'block_started', runId: 'r1', at, block: 'split', blockType: 'split' },
  { type: 'block_finished', runId: 'r1', at, block: 'split', durationMs: 12, cached: true, status: 'succeeded' },
  { type: 'block_started', runId: 'r1', at, block: 'ms', blockType: 'model_selection' },
  { type: 'block_progress', runId: 'r1', at, block: 'ms', done: 3, total: 10, label: 'mlp (fold 3/5)' },
];

describe('run views', () => {
  it('the live view folds events into block rows with status, cache and progress', () => {
    let v = { id: null, experiment: null, blocks: [], finished: null } as Parameters<typeof reduceRunView>[0];
    for (const e of events) v = reduceRunView(v, e, 1000);
    expect(v).toMatchObject({ id: 'r1', experiment: 'penguins' });
    expect(v.blocks[0]).toMatchObject({ id: 'split', status: 'succeeded', cached: true });
    expect(v.blocks[1]).toMatchObject({ id: 'ms', status: 'running', startedAt: 1000, progress: { done: 3, total: 10, label: 'mlp (fold 3/5)' } });
    v = reduceRunView(v, { type: 'run_finished', runId: 'r1', at, status: 'failed', metrics: {}, durationMs: 5 }, 2000);
    expect(v.finished).toEqual({ status: 'failed', metrics: {}, durationMs: 5 });
  });

  it('plain lines: one per block start and end, logs indented, no progress noise', () => {
    expect(events.map(plainEventLine)).toEqual([null, 'run r1: 2 blocks', '▸ split (split)', '↺ split from cache 12 ms', '▸ ms (model_selection)', null]);
    expect(plainEventLine({ type: 'log', runId: 'r1', at, level: 'warn', message: 'careful', block: 'ms' })).toBe('    warn: careful');
  });

  it('the metrics table puts the experiment metric first and says which way is better', () => {
    const t = renderMetricsTable({ metrics: { log_loss: 0.1, accuracy: 0.9 }, binding: { target: 'y', task: 'classification', metric: 'accuracy' } });
    expect(t.split('\n')[1]).toMatch(/^accuracy\s+0\.9\s+higher is better \(experiment metric\)$/);
    expect(t).toMatch(/log_loss\s+0\.1\s+lower is better/);
    expect([fmtDuration(850), fmtDuration(2400), fmtDuration(65_000)]).toEqual(['850 ms', '2.4 s', '1 m 05 s']);
  });
});
