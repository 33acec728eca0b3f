import { describe, expect, it } from 'vitest';
import { parseRunEvent, runEvent } from '../../src/core/events.js';
import { executionKey, isRunId, newRunId } from '../../src/core/run.js';

const KEY = { datasetHash: 'sha256:aa', pipelineHash: 'sha256:bb', hookHashes: ['sha256:cc'], seed: 42, bflyVersion: '0.1.0', backend: 'js', binding: { target: 'species', task: 'classification', metric: 'accuracy' } };

describe('executionKey', () => {
  it('is stable and changes with every input', () => {
    expect(executionKey(KEY)).toBe(executionKey({ ...KEY }));
    expect(executionKey(KEY)).toMatch(/^sha256:[0-9a-f]{64}$/);
    const variants = [{ datasetHash: 'sha256:ab' }, { pipelineHash: 'sha256:bc' }, { hookHashes: [] }, { hookHashes: ['sha256:cc', 'sha256:dd'] }, { seed: 43 }, { bflyVersion: '0.2.0' }, { backend: 'tfjs-wasm' }, { binding: { target: 'island', task: 'classification', metric: 'accuracy' } }, { binding: { target: 'species', task: 'classification', metric: 'f1_macro' } }];
    const keys = new Set([executionKey(KEY), ...variants.map((v) => executionKey({ ...KEY, ...v }))]);
    expect(keys.size).toBe(variants.length + 1);
    expect(executionKey({ ...KEY, hookHashes: ['sha256:dd', 'sha256:cc'] })).not.toBe(executionKey({ ...KEY, hookHashes: ['sha256:cc', 'sha256:dd'] })); // order matters
  });
});

describe('run ids', () => {
  it('sort by creation time and carry a random suffix', () => {
    const a = newRunId(new Date('2026-11-22T04:52:00.123Z'), 'a1b2c3');
    expect(a).toBe('20261122-045200123-a1b2c3');
    const b = newRunId(new Date('2026-11-22T04:52:00.124Z'), '000000');
    const c = newRunId(new Date('2027-01-01T00:00:00.000Z'), 'ffffff');
    expect([c, a, b].sort()).toEqual([a, b, c]);
    expect([a, b, c].every(isRunId)).toBe(true);
    expect(isRunId('penguins@latest')).toBe(false);
    expect(() => newRunId(new Date(), 'xyz')).toThrow(RangeError);
  });
});

describe('run events', () => {
  it('parse every kind the engine emits, and refuse malformed ones', () => {
    const at = '2026-11-22T04:52:00.000Z';
    const events = [
      { type: 'run_created', runId: 'r', at, experiment: 'p', executionKey: 'sha256:x' },
      { type: 'run_started', runId: 'r', at, blocks: [{ id: 'split', type: 'split' }] },
      { type: 'block_started', runId: 'r', at, block: 'split', blockType: 'split' },
      { type: 'block_progress', runId: 'r', at, block: 'model_selection', done: 3, total: 20, label: 'fold 3' },
      { type: 'block_finished', runId: 'r', at, block: 'split', durationMs: 12, cached: false, status: 'succeeded' },
      { type: 'hook_started', runId: 'r', at, block: 'train', hook: 'h1' },
      { type: 'hook_finished', runId: 'r', at, block: 'train', hook: 'h1', durationMs: 3, ok: true },
      { type: 'artifact_written', runId: 'r', at, name: 'model', path: 'artifacts/model.json', hash: 'sha256:x', bytes: 10 },
      { type: 'log', runId: 'r', at, level: 'info', message: 'hello' },
      { type: 'log_truncated', runId: 'r', at, block: 'train', hook: 'train.before.0', scope: 'hook', limitBytes: 1048576, limitLines: 10000 },
      { type: 'run_finished', runId: 'r', at, status: 'succeeded', metrics: { accuracy: 0.9 }, durationMs: 100 },
    ];
    for (const e of events) expect(parseRunEvent(JSON.stringify(e))).toEqual(e);
    expect(runEvent.options.length).toBe(events.length);
    expect(() => parseRunEvent(JSON.stringify({ type: 'block_progress', runId: 'r', at, block: 'b', done: -1, total: 0 }))).toThrow();
    expect(() => parseRunEvent(JSON.stringify({ type: 'run_finished', runId: 'r', at, status: 'done', metrics: {}, durationMs: 1 }))).toThrow();
    expect(() => parseRunEvent('{"type":"unknown"}')).toThrow();
  });
});
