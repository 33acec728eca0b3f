import { describe, expect, it } from 'vitest';
import { chainMatrix, fitChainLazy, fitChainStages, withFinalPreprocess } from '../../src/ml/chain.js';
import { applyFeatures } from '../../src/ml/features.js';
import { type CategoricalColumn, makeFrame, type NumericColumn, takeRows } from '../../src/ml/frame.js';

const num = (name: string, values: number[], semantic?: NumericColumn['semantic']): NumericColumn => ({ kind: 'numeric', name, values: Float64Array.from(values), ...(semantic ? { semantic } : {}) });
const vals = (f: ReturnType<typeof applyFeatures>, name: string) => Array.from((f.columns.find((c) => c.name === name) as NumericColumn).values);

describe('applyFeatures', () => {
  const cat: CategoricalColumn = { kind: 'categorical', name: 'k', codes: Int32Array.from([0, 1, 0]), levels: ['a', 'b'] };
  const frame = makeFrame([num('a', [1, 2, 3]), num('b', [0, -0.5, NaN]), num('when', [Date.UTC(2024, 1, 29, 13), Date.UTC(2023, 11, 31), NaN], 'datetime'), cat]);

  it('polynomial: squares and interactions (degree 2), or interactions only', () => {
    const f = applyFeatures(frame, [{ op: 'polynomial', columns: ['a', 'b'], degree: 2, interaction_only: false }]);
    expect(f.columns.map((c) => c.name)).toEqual(['a', 'b', 'when', 'k', 'a^2', 'a*b', 'b^2']);
    expect(vals(f, 'a*b')).toEqual([0, -1, NaN]);
    expect(vals(f, 'a^2')).toEqual([1, 4, 9]);
    const only = applyFeatures(frame, [{ op: 'polynomial', columns: ['a', 'b'], degree: 3, interaction_only: true }]);
    expect(only.columns.map((c) => c.name).slice(4)).toEqual(['a*b']);
    const all = applyFeatures(frame, [{ op: 'polynomial', columns: [], degree: 2, interaction_only: false }]);
    expect(all.columns.slice(4).map((c) => c.name)).toEqual(['a^2', 'a*b', 'b^2']); // datetimes are not multiplied
  });

  it('date parts replace the datetime column (UTC; Monday = 0)', () => {
    const f = applyFeatures(frame, [{ op: 'date_parts', columns: [], parts: ['year', 'month', 'day', 'dayofweek', 'dayofyear', 'hour'] }]);
    expect(f.columns.map((c) => c.name)).toEqual(['a', 'b', 'when.year', 'when.month', 'when.day', 'when.dayofweek', 'when.dayofyear', 'when.hour', 'k']);
    expect(['year', 'month', 'day', 'dayofweek', 'dayofyear', 'hour'].map((p) => vals(f, `when.${p}`)[0])).toEqual([2024, 2, 29, 3, 60, 13]);
    expect(vals(f, 'when.dayofyear')[1]).toBe(365);
    expect(vals(f, 'when.year')[2]).toBeNaN();
  });

  it('log1p and drop; unknown or non-numeric columns are errors', () => {
    const f = applyFeatures(frame, [{ op: 'log1p', columns: ['a', 'b'] }, { op: 'drop', columns: ['k'] }]);
    expect(vals(f, 'a')).toEqual([Math.log(2), Math.log(3), Math.log(4)]);
    expect(vals(f, 'b')[1]).toBeCloseTo(Math.log(0.5), 15);
    expect(f.columns.map((c) => c.name)).toEqual(['a', 'b', 'when']);
    expect(() => applyFeatures(frame, [{ op: 'log1p', columns: ['k'] }])).toThrow(/not numeric/);
    expect(() => applyFeatures(frame, [{ op: 'drop', columns: ['zz'] }])).toThrow(/no column/);
  });

  it('works on a row subset (and keeps the other columns aligned)', () => {
    const sub = takeRows(frame, Int32Array.from([2, 0]));
    const f = applyFeatures(sub, [{ op: 'polynomial', columns: ['a'], degree: 2, interaction_only: false }]);
    expect(f.index).toBeNull();
    expect(vals(f, 'a')).toEqual([3, 1]);
    expect(vals(f, 'a^2')).toEqual([9, 1]);
    expect(Array.from((f.columns.find((c) => c.name === 'k') as CategoricalColumn).codes)).toEqual([0, 0]);
  });
});

describe('fitChainLazy', () => {
  it("gives the training rows' matrix from the output its fit made: the same stages and matrix as fitting, then applying the chain", () => {
    const n = 50;
    const frame = makeFrame([
      num('a', Array.from({ length: n }, (_, i) => (i * 37) % 11)),
      num('b', Array.from({ length: n }, (_, i) => (i % 7 === 0 ? NaN : i / 3))),
      { kind: 'categorical', name: 'k', codes: Int32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? -1 : i % 3)), levels: ['x', 'y', 'z'] },
    ]);
    const rows = takeRows(frame, Int32Array.from({ length: 40 }, (_, i) => (i * 13) % n));
    const specs = withFinalPreprocess([{ kind: 'features', steps: [{ op: 'polynomial', columns: ['a', 'b'], degree: 2, interaction_only: false }, { op: 'log1p', columns: ['a'] }] }]);
    const { stages, X } = fitChainLazy(specs, rows);
    const stagesAgain = fitChainStages(specs, rows);
    expect(JSON.stringify(stages)).toBe(JSON.stringify(stagesAgain));
    const want = chainMatrix(stagesAgain, rows);
    expect(X.cols).toBe(want.cols);
    expect(X.data).toEqual(want.data);
    expect(X.categories).toEqual(want.categories);
  });
});
