import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { setYamlPath } from '../../src/core/yaml-edit.js';
import { briefValue } from '../../src/ui/format.js';
import { resolveModelParams } from '../../src/core/catalog.js';

const TEXT = `# top
seed: 42
blocks:
  - id: split
    config: {test_size: 0.2}   # spaced comment
  - id: pre
    config:
      impute: { numeric: median }
      list: [ 1, 2 ]
      nested:   # a comment on the key
        a: 1
        b: 2
  - id: ms
    config:
      candidates:
        - model: mlp
          params: {hidden_layer_sizes: [64, 64]}
        - model: knn
`;

/** The lines of `b` not in `a`. */
const added = (a: string, b: string): string[] => b.split('\n').filter((l) => !a.split('\n').includes(l));

describe('setYamlPath', () => {
  it('replaces scalars, flow and block values in place, keeping every other line', () => {
    const cases: Array<[Array<string | number>, unknown, string[], string[]]> = [
      [['seed'], 7, ['seed: 7'], ['seed: 42']],
      [['blocks', 1, 'config', 'impute', 'numeric'], 'mean', ['      impute: { numeric: mean }'], ['      impute: { numeric: median }']],
      [['blocks', 1, 'config', 'list'], [3], ['      list: [3]'], ['      list: [ 1, 2 ]']],
      [['blocks', 1, 'config', 'nested'], { c: 3 }, ['        {c: 3}'], ['        a: 1', '        b: 2']],
      [['blocks', 2, 'config', 'candidates', 0, 'params', 'hidden_layer_sizes', 1], 8, ['          params: {hidden_layer_sizes: [64, 8]}'], ['          params: {hidden_layer_sizes: [64, 64]}']],
      [['blocks', 2, 'config', 'candidates', 1], { model: 'gradient_boosting' }, ['        - {model: gradient_boosting}'], ['        - model: knn']],
      [['blocks', 0, 'config', 'shuffle'], false, ['    config: {test_size: 0.2, shuffle: false}   # spaced comment'], ['    config: {test_size: 0.2}   # spaced comment']],
      [['blocks', 2, 'config', 'candidates', 2], { model: 'knn' }, ['        - {model: knn}'], []],
      [['blocks', 2, 'config', 'cv'], 3, ['      cv: 3'], []],
      [['blocks', 1, 'timeout'], '5m', ['    timeout: 5m'], []],
      [['blocks', 2, 'config', 'metric', 'x', 'y'], 1, ['      metric:', '        x:', '          y: 1'], []],
    ];
    for (const [path, value, plus, minus] of cases) {
      const out = setYamlPath(TEXT, path, value);
      expect(added(TEXT, out), path.join('.')).toEqual(plus);
      expect(added(out, TEXT), path.join('.')).toEqual(minus);
      // the result is the document with exactly that value set
      const want = parse(TEXT);
      let o = want;
      for (const k of path.slice(0, -1)) o = o[k] ??= {};
      o[path.at(-1)!] = value;
      expect(parse(out), path.join('.')).toEqual(want);
    }
  });
});

describe('briefValue', () => {
  it('shows short values whole and summarises long ones by size and key', () => {
    expect(briefValue([64, 64], 'params.hidden_layer_sizes')).toBe('[64,64]');
    const cands = [{ model: 'logistic_regression', params: { C: 1 } }, { model: 'random_forest' }, { model: 'gradient_boosting' }, { model: 'mlp' }];
    expect(briefValue(cands, 'params.model_selection.candidates')).toBe('4 candidates');
    expect(briefValue(JSON.stringify(cands), 'model_selection.candidates')).toBe('4 candidates');
    expect(briefValue(JSON.stringify(cands.slice(0, 1)), 'x.candidates')).toBe('1 candidate');
    expect(briefValue(`[not json ${'x'.repeat(40)}`, 'x')).toBe(`[not json ${'x'.repeat(40)}`);
    expect(briefValue({ a: 'x'.repeat(50), b: 1 }, 'impute')).toBe('{2 fields}');
    expect(briefValue('plain text that is long enough to pass the forty character limit')).toBe('plain text that is long enough to pass the forty character limit');
  });
});

describe('resolveModelParams', () => {
  it('fills task defaults: regression forests try every feature, classifiers sqrt; a given value wins', () => {
    expect(resolveModelParams('random_forest', {}, 'regression').max_features).toBe('all');
    expect(resolveModelParams('random_forest', {}, 'classification').max_features).toBe('sqrt');
    expect(resolveModelParams('random_forest', { max_features: 'log2' }, 'regression').max_features).toBe('log2');
    expect(() => resolveModelParams('random_forest', { max_features: 'most' }, 'regression')).toThrow();
  });
});
