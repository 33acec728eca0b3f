import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, parseJsonNumbers, stringifyJsonNumbers } from '../../src/core/codec.js';
import { blockChangeReason, planBlocks } from '../../src/core/run.js';
import type { Pipeline } from '../../src/core/pipeline.js';

describe('encodeValue / decodeValue', () => {
  it('round-trips nested values with typed arrays, NaN and infinities', () => {
    const value = { a: Float64Array.from([1.5, NaN, -Infinity]), b: [Int32Array.from([-1, 2]), { c: Uint8Array.from([255]), d: 'x', e: null, f: true }], g: NaN, h: Infinity, skip: undefined };
    const back = decodeValue(encodeValue(value)) as typeof value;
    expect(back.a).toBeInstanceOf(Float64Array);
    expect(Array.from(back.a)).toEqual([1.5, NaN, -Infinity]);
    expect(back.b[0]).toBeInstanceOf(Int32Array);
    expect(Array.from(back.b[0] as Int32Array)).toEqual([-1, 2]);
    expect(back.b[1]).toEqual({ c: Uint8Array.from([255]), d: 'x', e: null, f: true });
    expect(back.g).toBeNaN();
    expect(back.h).toBe(Infinity);
    expect('skip' in back).toBe(false);
  });

  it('encodes a view of a larger buffer as just its elements, and is deterministic', () => {
    const big = new Float64Array(100).map((_, i) => i);
    const view = big.subarray(10, 13);
    expect(Array.from((decodeValue(encodeValue({ view })) as { view: Float64Array }).view)).toEqual([10, 11, 12]);
    expect(Buffer.from(encodeValue({ view })).equals(Buffer.from(encodeValue({ view: Float64Array.from([10, 11, 12]) })))).toBe(true);
  });

  it('refuses bytes that are not an encoded value, or truncated ones', () => {
    expect(() => decodeValue(new TextEncoder().encode('hello world, not ours'))).toThrow(/not a bfly encoded value/);
    const bytes = encodeValue({ a: new Float64Array(10) });
    expect(() => decodeValue(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
  });

  it('JSON with non-finite numbers survives a round trip', () => {
    expect(parseJsonNumbers(stringifyJsonNumbers({ x: [NaN, Infinity, 1] }))).toEqual({ x: [NaN, Infinity, 1] });
  });
});

describe('planBlocks', () => {
  const pipeline = (seed: number, cv = 5): Pipeline => ({
    apiVersion: 'bfly/v1',
    seed,
    blocks: [
      { id: 'split', type: 'split', config: { test_size: 0.2 }, hooks: [] },
      { id: 'preprocess', type: 'preprocess', config: {}, hooks: [] },
      { id: 'model_selection', type: 'model_selection', config: { cv }, hooks: [] },
      { id: 'train', type: 'train', config: { model: 'best' }, hooks: [] },
      { id: 'evaluate', type: 'evaluate', config: {}, hooks: [] },
    ],
  });
  const inputs = { datasetHash: 'sha256:aa', hooks: {}, bflyVersion: '0.1.0', backend: 'js', binding: { target: 'y', task: 'classification', metric: 'accuracy' } };

  it('changes exactly the keys of a changed block and everything downstream of it', () => {
    const a = planBlocks(pipeline(1), inputs);
    const b = planBlocks(pipeline(1, 3), inputs);
    expect(a.map((x, i) => x.key === b[i].key)).toEqual([true, true, false, false, false]);
    expect(blockChangeReason(b[2], a[2], false)).toBe('its config changed');
    expect(blockChangeReason(b[3], a[3], false)).toBe('input selection, leaderboard changed');
    expect(blockChangeReason(a[0], a[0], false)).toBeNull();
    expect(blockChangeReason(a[0], undefined, false)).toBe('not run before');
  });

  it('a hook, the seed, the dataset or the binding change the keys', () => {
    const base = planBlocks(pipeline(1), inputs);
    const hooked = planBlocks(pipeline(1), { ...inputs, hooks: { preprocess: ['sha256:hh'] } });
    expect(hooked[0].key).toBe(base[0].key);
    expect(hooked[1].key).not.toBe(base[1].key);
    expect(blockChangeReason(hooked[1], base[1], false)).toBe('its hooks changed');
    expect(planBlocks(pipeline(2), inputs)[0].key).not.toBe(base[0].key);
    expect(blockChangeReason(planBlocks(pipeline(2), inputs)[0], base[0], true)).toBe('the seed changed');
    expect(planBlocks(pipeline(1), { ...inputs, datasetHash: 'sha256:ab' })[0].key).not.toBe(base[0].key);
    expect(planBlocks(pipeline(1), { ...inputs, binding: { ...inputs.binding, target: 'z' } })[0].key).not.toBe(base[0].key);
  });
});
