import { describe, expect, it } from 'vitest';
import type { DatasetColumn, DatasetManifest } from '../../src/core/dataset.js';
import { chooseMetric, decideTask } from '../../src/core/task.js';

function dataset(rows: number, cols: Array<Partial<DatasetColumn> & { name: string }>): DatasetManifest {
  return { name: 'd', rows, columns: cols.map((c) => ({ type: 'number', missing: 0, distinct: 100, reason: '', stats: {}, ...c })) } as unknown as DatasetManifest;
}

describe('decideTask', () => {
  const d = dataset(1000, [
    { name: 'label', type: 'category', distinct: 3 },
    { name: 'flag', type: 'boolean', distinct: 2 },
    { name: 'grade', type: 'integer', distinct: 5 },
    { name: 'count', type: 'integer', distinct: 60 },
    { name: 'few_rows_int', type: 'integer', distinct: 20 },
    { name: 'price', type: 'number', distinct: 900 },
    { name: 'const', type: 'integer', distinct: 1 },
    { name: 'empty', type: 'text', distinct: 0, missing: 1000 },
    { name: 'when', type: 'datetime', distinct: 500 },
  ]);

  it('decides from the stored schema and says why', () => {
    expect(decideTask(d, 'label')).toEqual({ task: 'classification', reason: 'label is a category column (3 distinct values)' });
    expect(decideTask(d, 'flag').task).toBe('classification');
    expect(decideTask(d, 'grade')).toEqual({ task: 'classification', reason: 'grade holds whole numbers with only 5 distinct values in 1000 rows' });
    expect(decideTask(d, 'count').task).toBe('regression');
    expect(decideTask(d, 'price')).toEqual({ task: 'regression', reason: 'price is a number column with 900 distinct values' });
  });

  it('an integer target with <= 20 values but >= 5% of rows is regression', () => {
    const small = dataset(100, [{ name: 'y', type: 'integer', distinct: 10 }]);
    expect(decideTask(small, 'y').task).toBe('regression');
  });

  it('--task overrides, but not for impossible targets', () => {
    expect(decideTask(d, 'count', 'classification').task).toBe('classification');
    expect(() => decideTask(d, 'label', 'regression')).toThrow(/regression needs numbers/);
    expect(() => decideTask(d, 'const')).toThrow(/one distinct value/);
    expect(() => decideTask(d, 'empty')).toThrow(/only missing values/);
    expect(() => decideTask(d, 'when')).toThrow(/datetime/);
    expect(() => decideTask(d, 'Label')).toThrow('did you mean `label`?');
  });
});

describe('chooseMetric', () => {
  it('defaults per task, accepts a fitting metric, refuses others with the list', () => {
    expect(chooseMetric('classification')).toBe('accuracy');
    expect(chooseMetric('regression')).toBe('rmse');
    expect(chooseMetric('classification', 'roc_auc')).toBe('roc_auc');
    expect(() => chooseMetric('regression', 'accuracy')).toThrow(/for classification/);
    expect(() => chooseMetric('regression', 'rsme')).toThrow('did you mean `rmse`?');
  });
});
