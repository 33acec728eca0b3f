import { describe, expect, it } from 'vitest';
import { type CategoricalColumn, makeFrame, type NumericColumn, rowOf, takeRows } from '../../src/ml/frame.js';
import { fitPreprocess, OTHER_LEVEL, type PreprocessOptions, transformPreprocess } from '../../src/ml/preprocess.js';

const num = (name: string, values: number[]): NumericColumn => ({ kind: 'numeric', name, values: Float64Array.from(values) });
const cat = (name: string, values: Array<string | null>): CategoricalColumn => {
  const levels = [...new Set(values.filter((v): v is string => v !== null))].sort();
  return { kind: 'categorical', name, levels, codes: Int32Array.from(values, (v) => (v === null ? -1 : levels.indexOf(v))) };
};
const OPTIONS: PreprocessOptions = {
  impute: { numeric: 'median', categorical: 'most_frequent' },
  encode: { categorical: 'onehot', min_frequency: 0, max_levels: 30 },
  scale: 'standard',
  drop_constant: true,
  drop: [],
};
const col = (X: { rows: number; cols: number; data: Float64Array }, j: number) => Array.from({ length: X.rows }, (_, i) => X.data[i * X.cols + j]);

describe('Frame', () => {
  it('row subsets share the column data and compose', () => {
    const f = makeFrame([num('a', [10, 11, 12, 13, 14])]);
    const s = takeRows(f, Int32Array.from([4, 2, 0]));
    const ss = takeRows(s, Int32Array.from([1, 2]));
    expect(s.columns[0]).toBe(f.columns[0]);
    expect([0, 1].map((i) => (ss.columns[0] as NumericColumn).values[rowOf(ss, i)])).toEqual([12, 10]);
    expect(() => makeFrame([num('a', [1, 2]), num('b', [1])])).toThrow(/b has 1 rows/);
  });
});

describe('fitPreprocess / transformPreprocess', () => {
  it('imputes and scales numeric columns with statistics of the training rows only (no leakage)', () => {
    // rows 0-3 train, rows 4-5 test with extreme values that must not influence the fit
    const frame = makeFrame([num('x', [1, NaN, 3, 5, 1e6, NaN])]);
    const train = takeRows(frame, Int32Array.from([0, 1, 2, 3]));
    const test = takeRows(frame, Int32Array.from([4, 5]));
    const f = fitPreprocess(train, OPTIONS);
    expect(f.columns[0]).toMatchObject({ kind: 'numeric', fill: 3 }); // median of 1, 3, 5
    const Xtrain = transformPreprocess(f, train).X;
    const t = col(Xtrain, 0);
    expect(t.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    expect(Math.sqrt(t.reduce((a, b) => a + b * b, 0) / 4)).toBeCloseTo(1, 12);
    // imputed values are [1, 3, 3, 5]: mean 3, population std sqrt(2)
    expect(col(transformPreprocess(f, test).X, 0)).toEqual([(1e6 - 3) / Math.SQRT2, 0]);
  });

  it('mean, most_frequent and constant imputation; min-max scaling', () => {
    const train = makeFrame([num('x', [2, 2, 4, NaN, 10])]);
    expect(fitPreprocess(train, { ...OPTIONS, impute: { ...OPTIONS.impute, numeric: 'mean' } }).columns[0]).toMatchObject({ fill: 4.5 });
    expect(fitPreprocess(train, { ...OPTIONS, impute: { ...OPTIONS.impute, numeric: 'most_frequent' } }).columns[0]).toMatchObject({ fill: 2 });
    expect(fitPreprocess(train, { ...OPTIONS, impute: { ...OPTIONS.impute, numeric: 'constant', fill_value: -1 } }).columns[0]).toMatchObject({ fill: -1 });
    const mm = fitPreprocess(train, { ...OPTIONS, scale: 'minmax' });
    expect(col(transformPreprocess(mm, train).X, 0)).toEqual([0, 0, 0.25, 0.125, 1]); // the missing value is the median, 3
  });

  it('one-hot: most-frequent fill, rare levels grouped, unseen levels counted and sent to __other__', () => {
    const values = [...Array(10).fill('a'), ...Array(6).fill('b'), 'c', null];
    const train = makeFrame([cat('k', values)]);
    const f = fitPreprocess(train, { ...OPTIONS, encode: { categorical: 'onehot', min_frequency: 0.1, max_levels: 30 } });
    expect(f.columns[0]).toEqual({ kind: 'onehot', name: 'k', fill: 'a', levels: ['a', 'b'], other: true });
    expect(f.features).toEqual(['k=a', 'k=b', `k=${OTHER_LEVEL}`]);
    const X = transformPreprocess(f, train).X;
    expect(Array.from(X.data.subarray(16 * 3, 18 * 3))).toEqual([0, 0, 1, 1, 0, 0]); // 'c' -> other, null -> 'a'
    const fresh = makeFrame([cat('k', ['b', 'zzz'])]);
    const r = transformPreprocess(f, fresh);
    expect(Array.from(r.X.data)).toEqual([0, 1, 0, 0, 0, 1]);
    expect(r.unknownLevels).toEqual({ k: 1 });
    // max_levels caps the kept levels; without rare levels there is no other column
    expect(fitPreprocess(train, { ...OPTIONS, encode: { categorical: 'onehot', min_frequency: 0, max_levels: 1 } }).columns[0]).toMatchObject({ levels: ['a'], other: true });
    const clean = makeFrame([cat('k', ['a', 'b', 'a'])]);
    const fc = fitPreprocess(clean, OPTIONS);
    expect(fc.features).toEqual(['k=a', 'k=b']);
    expect(Array.from(transformPreprocess(fc, makeFrame([cat('k', ['q'])])).X.data)).toEqual([0, 0]);
  });

  it('ordinal encoding, dropped constant and listed columns (with reasons)', () => {
    const train = makeFrame([cat('k', ['lo', 'hi', 'mid', 'hi']), num('c', [7, 7, 7, 7]), num('gone', [1, 2, 3, 4]), cat('one', ['x', 'x', 'x', 'x'])]);
    const f = fitPreprocess(train, { ...OPTIONS, drop: ['gone'], encode: { categorical: 'ordinal', min_frequency: 0, max_levels: 30 } });
    expect(f.features).toEqual(['k']);
    expect(f.dropped).toEqual([
      { name: 'c', reason: 'constant in the training rows' },
      { name: 'gone', reason: 'listed in drop' },
      { name: 'one', reason: 'constant in the training rows' },
    ]);
    expect(col(transformPreprocess(f, train).X, 0)).toEqual([1, 0, 2, 0]);
  });

  it('the fitted state round-trips through JSON', () => {
    const train = makeFrame([num('x', [1, 2, NaN, 8]), cat('k', ['a', 'b', null, 'a'])]);
    const f = fitPreprocess(train, OPTIONS);
    const back = JSON.parse(JSON.stringify(f));
    expect(transformPreprocess(back, train).X).toEqual(transformPreprocess(f, train).X);
  });
});
