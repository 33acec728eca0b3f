import { describe, expect, it } from 'vitest';
import { rngStream } from '../../src/ml/random.js';
import { trainTestSplit } from '../../src/ml/split.js';

describe('rngStream', () => {
  it('is the same for the same seed and name, different otherwise, uniform in [0, 1)', () => {
    const draw = (seed: number, name: string) => Array.from({ length: 5 }, ((r) => () => r.next())(rngStream(seed, name)));
    expect(draw(42, 'split')).toEqual(draw(42, 'split'));
    expect(draw(42, 'split')).not.toEqual(draw(43, 'split'));
    expect(draw(42, 'split')).not.toEqual(draw(42, 'model_selection'));
    const r = rngStream(7, 'u');
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      bins[Math.floor(x * 10)]++;
    }
    for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });

  it('shuffles into a permutation', () => {
    const a = rngStream(1, 's').shuffle(Int32Array.from({ length: 1000 }, (_, i) => i));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...a.slice(0, 10)]).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('trainTestSplit', () => {
  it('splits every row exactly once, deterministically per seed', () => {
    const s1 = trainTestSplit(100, rngStream(42, 'split'), { testSize: 0.2 });
    expect([s1.train.length, s1.test.length]).toEqual([80, 20]);
    expect([...s1.train, ...s1.test].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(trainTestSplit(100, rngStream(42, 'split'), { testSize: 0.2 })).toEqual(s1);
    expect(trainTestSplit(100, rngStream(43, 'split'), { testSize: 0.2 }).test).not.toEqual(s1.test);
  });

  it('stratified: each class keeps its share in both parts', () => {
    // 152/68/124 like the penguins species
    const strata = Int32Array.from([...Array(152).fill(0), ...Array(68).fill(1), ...Array(124).fill(2)]);
    const { train, test } = trainTestSplit(strata.length, rngStream(42, 'split'), { testSize: 0.2, strata });
    const count = (rows: Int32Array, c: number) => [...rows].filter((i) => strata[i] === c).length;
    expect([count(test, 0), count(test, 1), count(test, 2)]).toEqual([30, 14, 25]);
    expect([count(train, 0), count(train, 1), count(train, 2)]).toEqual([122, 54, 99]);
  });

  it('without shuffle the last rows are the test part; bad sizes are refused', () => {
    expect([...trainTestSplit(5, rngStream(1, 'x'), { testSize: 0.4, shuffle: false }).test]).toEqual([3, 4]);
    expect(() => trainTestSplit(5, rngStream(1, 'x'), { testSize: 1 })).toThrow(RangeError);
    expect(() => trainTestSplit(1, rngStream(1, 'x'), { testSize: 0.5 })).toThrow(RangeError);
  });
});
