// The text step's vectoriser against scikit-learn's TfidfVectorizer on movie titles (real
// Python; skipped with a note when python3-sklearn is missing), and its own contracts.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyFeatures, fitFeatures } from '../../src/ml/features.js';
import { makeFrame } from '../../src/ml/frame.js';
import { type TextOptions, fitText, tokens, transformText } from '../../src/ml/text.js';
import { VEGA } from '../helpers.js';

const PYTHON = '/usr/bin/python3';
const available = spawnSync(PYTHON, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;
const O: TextOptions = { ngram_range: [1, 1], char_ngrams: null, method: 'vocabulary', max_features: 100, min_df: 2, tfidf: true };
const titles = (JSON.parse(readFileSync(join(VEGA, 'movies.json'), 'utf8')) as Array<{ Title: string | number | null }>).map((m) => (m.Title === null ? null : String(m.Title)));

describe('text vectoriser', () => {
  it.skipIf(!available)('matches scikit-learn TfidfVectorizer (smooth idf, l2 rows) on 3,201 movie titles, words and word pairs', () => {
    const texts = titles.map((t) => t ?? '');
    for (const ngram of [
      [1, 1],
      [1, 2],
    ] as Array<[number, number]>) {
      const o = { ...O, ngram_range: ngram, max_features: 50 };
      const fit = fitText('Title', texts, o);
      const X = transformText(fit, texts, o);
      const py = spawnSync(
        PYTHON,
        [
          '-c',
          `import json,sys
from sklearn.feature_extraction.text import TfidfVectorizer
t=json.load(sys.stdin)
v=TfidfVectorizer(token_pattern=r"(?u)[^\\W_]+(?:'[^\\W\\d_]+)?|\\d+", ngram_range=(${ngram[0]},${ngram[1]}), min_df=2, vocabulary=json.loads(sys.argv[1]))
X=v.fit_transform(t)
print(json.dumps({"idf": list(v.idf_), "rows": X[:40].toarray().tolist()}))`,
          JSON.stringify(fit.terms),
        ],
        { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 1 << 26 },
      );
      expect(py.status, py.stderr).toBe(0);
      const ref = JSON.parse(py.stdout) as { idf: number[]; rows: number[][] };
      fit.idf.forEach((v, j) => expect(v).toBeCloseTo(ref.idf[j], 10));
      for (let i = 0; i < 40; i++) for (let j = 0; j < fit.terms!.length; j++) expect(X[j][i]).toBeCloseTo(ref.rows[i][j], 10);
    }
  });

  it('keeps the most frequent tokens seen in min_df rows, ties by token; unseen words are ignored; empty rows are zeros', () => {
    const fit = fitText('t', ['red apple', 'red pear', 'green apple', null, 'blue'], O);
    expect(fit.terms).toEqual(['apple', 'red']);
    expect(fit.features).toEqual(['t:apple', 't:red']);
    const X = transformText(fit, ['apple apple red', 'kiwi', null], O);
    expect(Math.hypot(X[0][0], X[1][0])).toBeCloseTo(1, 12);
    expect(X[0][0]).toBeGreaterThan(X[1][0]);
    expect([X[0][1], X[1][1], X[0][2], X[1][2]]).toEqual([0, 0, 0, 0]);
    expect(() => fitText('t', ['a b', 'c d'], O)).toThrow('no token of "t" appears in 2 or more of the 2 training rows');
  });

  it('character n-grams within words, and hashing into a fixed number of buckets', () => {
    expect(tokens("Don't stop", { ngram_range: [1, 2], char_ngrams: [3, 3] })).toEqual(["don't", 'stop', "don't stop", '# do', '#don', "#on'", "#n't", "#'t ", '# st', '#sto', '#top', '#op ']);
    const o: TextOptions = { ...O, method: 'hashing', max_features: 16 };
    const fit = fitText('t', ['red apple', 'green pear'], o);
    expect(fit.terms).toBeNull();
    expect(fit.features).toHaveLength(16);
    const X = transformText(fit, ['red apple'], o);
    expect(X.filter((col) => col[0] > 0).length).toBeGreaterThanOrEqual(1);
  });

  it('is fitted on the training rows only: the test rows never change the vocabulary', () => {
    const frame = (texts: string[]) => makeFrame([{ kind: 'text', name: 'review', values: texts }]);
    const steps = [{ op: 'text' as const, columns: [], ...O, min_df: 1 }];
    const { fits, out } = fitFeatures(frame(['good film', 'bad film']), steps);
    expect(out.columns.map((c) => c.name)).toEqual(['review:film', 'review:bad', 'review:good']);
    const test = applyFeatures(frame(['great film', 'awful awful']), steps, fits);
    expect(test.columns.map((c) => c.name)).toEqual(['review:film', 'review:bad', 'review:good']);
    expect(() => applyFeatures(frame(['x']), steps)).toThrow('not been fitted');
  });
});
