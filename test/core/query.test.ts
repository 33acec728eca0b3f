import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/core/compare.js';
import { parseQuery, parseSort, sortBy } from '../../src/core/query.js';

const runs = [
  { id: 'a', experiment: 'p', status: 'succeeded', seed: 1, createdAt: '2026-11-01T00:00:00Z', batch: null, batches: [], dataset: { name: 'penguins' }, binding: { target: 'Species' }, metrics: { accuracy: 0.9, log_loss: 0.3, 'hook·test_rows': 86 }, params: { train: { model: 'best' }, split: { test_size: 0.2 } } },
  { id: 'b', experiment: 'p', status: 'failed', seed: 2, createdAt: '2026-11-02T00:00:00Z', batch: 'b1', batches: ['b1'], dataset: { name: 'penguins' }, binding: { target: 'Species' }, metrics: {}, params: { train: { model: 'gradient_boosting' }, split: { test_size: 0.3 } } },
  { id: 'c', experiment: 'q', status: 'succeeded', seed: 3, createdAt: '2026-11-03T00:00:00Z', batch: 'b1', batches: ['b1', 'b2'], dataset: { name: 'cars' }, binding: { target: 'mpg' }, metrics: { accuracy: 0.95, log_loss: 0.2 }, params: { train: { model: 'gradient_boosting' }, split: { test_size: 0.2 } } },
];
const ids = (where: string) => runs.filter((r) => parseQuery(where).test(r)).map((r) => r.id);

describe('--where', () => {
  it('compares numbers, strings, booleans and null; combines with and/or/not and parentheses', () => {
    expect(ids('metrics.accuracy > 0.9')).toEqual(['c']);
    expect(ids('metrics.hook.test_rows == 86')).toEqual(['a']); // a hook metric: hook.<name>
    expect(ids('metrics.accuracy >= 0.9')).toEqual(['a', 'c']);
    expect(ids('metrics.accuracy < 1')).toEqual(['a', 'c']); // a missing metric compares false
    expect(ids('params.train.model == "gradient_boosting" and status == "succeeded"')).toEqual(['c']);
    expect(ids("params.train.model = 'gradient_boosting' or seed = 1")).toEqual(['a', 'b', 'c']);
    expect(ids('not (status == "failed") and dataset == "penguins"')).toEqual(['a']);
    expect(ids('batch == null')).toEqual(['a']);
    expect(ids('batch != null')).toEqual(['b', 'c']);
    expect(ids('batch')).toEqual(['b', 'c']);
    expect(ids('batch == "b2"')).toEqual(['c']); // every batch a run belongs to
    expect(ids('batch in ["b1"]')).toEqual(['b', 'c']);
    expect(ids('seed in [1, 3]')).toEqual(['a', 'c']);
    expect(ids('seed not in (1, 3)')).toEqual(['b']);
    expect(ids('createdAt >= "2026-11-02"')).toEqual(['b', 'c']);
    expect(ids('params.split.test_size == 0.2 and target == "Species"')).toEqual(['a']);
    expect(ids('a_or_b_is_not_a_field == 1'.replace('a_or_b_is_not_a_field', 'metrics.nope'))).toEqual([]);
    expect(ids('metrics.log_loss > -1 and metrics.log_loss <= 2e-1')).toEqual(['c']);
    expect(ids('seed > "1"')).toEqual([]); // different types never compare
    // precedence: and binds tighter than or
    expect(ids('seed == 1 or seed == 2 and status == "succeeded"')).toEqual(['a']);
  });

  it('names the column of what is wrong, with a caret', () => {
    const err = (src: string): string => {
      try {
        parseQuery(src);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error(`no error for ${src}`);
    };
    expect(err('seed > ')).toMatch(/column 8: expected a field or a value, found the end/);
    expect(err('seed >> 1')).toMatch(/column 7: expected a field or a value, found ">"/);
    expect(err('(seed > 1')).toMatch(/column 10: expected "\)"/);
    expect(err('seed > 1 status')).toMatch(/column 10: expected "and", "or" or the end, found "status"/);
    expect(err('seed in 1')).toMatch(/column 9: expected a list after "in"/);
    expect(err('status == "x')).toMatch(/column 11: this string is not closed/);
    expect(err('sed == 1')).toMatch(/column 1: unknown field "sed" \(did you mean `seed`/);
    expect(err('metrics == 1')).toMatch(/metrics needs a name after it/);
    expect(err('seed == 1 & x')).toMatch(/column 11: unexpected character "&"/);
    expect(err('seed > 1 and and')).toMatch(/column 14: expected a value, found the keyword "and"\n {2}seed > 1 and and\n {15}\^/);
  });
});

describe('--sort', () => {
  it('sorts by several keys, descending with -, missing values last', () => {
    expect(sortBy(runs, parseSort('-metrics.accuracy')).map((r) => r.id)).toEqual(['c', 'a', 'b']);
    expect(sortBy(runs, parseSort('metrics.accuracy')).map((r) => r.id)).toEqual(['a', 'c', 'b']);
    expect(sortBy(runs, parseSort('params.split.test_size,-seed')).map((r) => r.id)).toEqual(['c', 'a', 'b']);
    expect(() => parseSort('-nope')).toThrow(/unknown field "nope"/);
  });
});

describe('unifiedDiff', () => {
  it('shows removed lines before added ones, with context and hunk headers', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'].join('\n');
    const b = a.replace('2', 'two').replace('11', 'eleven');
    const d = unifiedDiff(a, b, 'a', 'b');
    expect(d).toBe(['--- a', '+++ b', '@@ -1,5 +1,5 @@', ' 1', '-2', '+two', ' 3', ' 4', ' 5', '@@ -8,5 +8,5 @@', ' 8', ' 9', ' 10', '-11', '+eleven', ' 12', ''].join('\n'));
    expect(unifiedDiff(a, a, 'a', 'b')).toBe('');
  });
});
