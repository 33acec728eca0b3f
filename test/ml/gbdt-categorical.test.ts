// Native categorical splits in gradient boosting: category columns (the preprocessing's one-hot
// groups and ordinal codes) split on sets of levels sorted by gradient statistics.
import { describe, expect, it } from 'vitest';
import { type BoostingParams, GradientBoosting, categorySplit } from '../../src/ml/gbdt.js';
import { type Frame, makeFrame } from '../../src/ml/frame.js';
import { BinMapper } from '../../src/ml/binning.js';
import { RandomForest } from '../../src/ml/forest.js';
import { type Matrix, categoryCodes, subsetRows } from '../../src/ml/matrix.js';
import { type PreprocessOptions, fitPreprocess, preprocessMatrix, transformPreprocess } from '../../src/ml/preprocess.js';
import { FINAL_PREPROCESS } from '../../src/ml/chain.js';
import { rngStream } from '../../src/ml/random.js';
import type { PartnerFactory } from '../../src/ml/wasm/kernels.js';
import { startPartner } from '../../src/runner/kernel-partner.js';

const P: BoostingParams = { learning_rate: 0.3, max_iter: 10, max_leaf_nodes: 4, max_depth: null, min_samples_leaf: 20, l2_regularization: 0, max_bins: 255, early_stopping: false, validation_fraction: 0.1, n_iter_no_change: 10 };

/**
 * A table whose class depends on which half of 24 city levels a row's city is in (a random
 * half: no order of the levels separates them) and a little on a number; some cities missing.
 */
function table(n: number, seed: number): { frame: Frame; y: Int32Array } {
  const levels = Array.from({ length: 24 }, (_, k) => `city${String(k).padStart(2, '0')}`);
  const good = new Set([0, 3, 4, 7, 9, 10, 14, 15, 17, 18, 21, 23]);
  const r = rngStream(seed, 'categorical-table');
  const codes = new Int32Array(n);
  const x = new Float64Array(n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    codes[i] = r.next() < 0.03 ? -1 : Math.floor(r.next() * levels.length);
    x[i] = r.next() * 2 - 1;
    const score = (codes[i] < 0 ? 0.5 : good.has(codes[i]) ? 2 : -2) + 0.5 * x[i] + (r.next() - 0.5);
    y[i] = score > 0 ? 1 : 0;
  }
  return { frame: makeFrame([{ kind: 'numeric', name: 'x', values: x }, { kind: 'categorical', name: 'city', codes, levels }]), y };
}

const accuracy = (pred: Float64Array, y: Int32Array): number => pred.reduce((a, p, i) => a + (p === y[i] ? 1 : 0), 0) / y.length;

describe('gradient boosting: native categorical splits', () => {
  const train = table(6000, 1);
  const test = table(3000, 2);
  const pre = fitPreprocess(train.frame, FINAL_PREPROCESS);
  const Xtr = transformPreprocess(pre, train.frame).X;
  const Xte = transformPreprocess(pre, test.frame).X;

  it('the one-hot group is one category feature: splits on sets of levels beat the same trees on one-hot columns', () => {
    // missing cities are imputed (the most frequent level): 24 one-hot columns after x
    expect(Xtr.categories).toEqual([{ name: 'city', start: 1, width: 24, levels: 24 }]);
    // few small trees: one split on a set of levels does what one-hot columns need 12 splits for
    const native = new GradientBoosting({ ...P, max_iter: 3 }, 1).fit(Xtr, train.y, 2);
    const encoded = new GradientBoosting({ ...P, max_iter: 3, categorical: 'encoded' }, 1).fit(Xtr, train.y, 2);
    const j = native.toJSON();
    expect(j.categorical).toEqual({ cols: 25, categories: Xtr.categories });
    // the first tree's root splits the cities into the two halves
    expect(j.trees[0].feature[0]).toBe(1);
    const root = j.trees[0].categories![0]!;
    const good = [0, 3, 4, 7, 9, 10, 14, 15, 17, 18, 21, 23].map((k) => pre.columns[1].kind === 'onehot' && pre.columns[1].levels.indexOf(`city${String(k).padStart(2, '0')}`));
    const bad = Array.from({ length: 24 }, (_, k) => k).filter((k) => !good.includes(k));
    expect([good.sort((a, b) => Number(a) - Number(b)), bad]).toContainEqual(root);
    expect(encoded.toJSON().categorical).toBeUndefined();
    const a = accuracy(native.predict(Xte), test.y);
    const b = accuracy(encoded.predict(Xte), test.y);
    console.log(`held-out accuracy, 3 trees of 4 leaves: native ${a.toFixed(4)}, one-hot ${b.toFixed(4)}`);
    expect(a).toBeGreaterThan(0.85);
    expect(a).toBeGreaterThan(b + 0.1);
  });

  it('predictions: the WebAssembly walk, the trees walked row by row and the model from JSON agree (missing and unseen levels too)', () => {
    const m = new GradientBoosting({ ...P, max_iter: 20, max_leaf_nodes: 8 }, 1).fit(Xtr, train.y, 2);
    // rows whose city is missing, or a level the training never saw (all one-hot columns 0)
    const X: Matrix = { ...Xte, data: Xte.data.slice() };
    for (let i = 0; i < 40; i++) for (let k = 0; k < 24; k++) X.data[i * 25 + 1 + k] = 0;
    const proba = m.predictProba(X);
    const codes = categoryCodes(X, Xtr.categories!);
    expect(Number.isNaN(codes.data[0 * 2 + 1])).toBe(true);
    const raw = new Float64Array(X.rows).fill(m.baseline[0]);
    for (const t of m.trees) for (let i = 0; i < X.rows; i++) raw[i] += t.values[t.leafOf(codes, i)];
    for (let i = 0; i < X.rows; i++) expect(proba[2 * i + 1]).toBeCloseTo(1 / (1 + Math.exp(-raw[i])), 12);
    const again = GradientBoosting.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(again.predictProba(X)).toEqual(proba);
    expect(() => m.predict({ rows: 1, cols: 3, data: new Float64Array(3) })).toThrow(/takes 25 columns, not 3/);
  });

  it('ordinal codes are category features too; missing values (-1) take the side the split chose', () => {
    const ordinal = fitPreprocess(train.frame, { ...FINAL_PREPROCESS, impute: { numeric: 'median', categorical: 'constant', fill_value: 'none' }, encode: { ...FINAL_PREPROCESS.encode, categorical: 'ordinal' } });
    const X = transformPreprocess(ordinal, train.frame).X;
    expect(X.categories).toEqual([{ name: 'city', start: 1, width: 1, levels: 25 }]);
    const m = new GradientBoosting(P, 1).fit(X, train.y, 2);
    const cats = m.trees.flatMap((t) => (t.categories ?? []).filter((c) => c !== null));
    expect(cats.length).toBeGreaterThan(0);
    const Xt = transformPreprocess(ordinal, test.frame).X;
    expect(accuracy(m.predict(Xt), test.y)).toBeGreaterThan(0.85);
    // a code the model never saw (-1, or past its levels) walks as missing / right, never throws
    const odd: Matrix = { rows: 2, cols: 2, data: Float64Array.from([0, -1, 0, 400]) };
    expect(m.predict(odd)).toHaveLength(2);
  });

  it('a lazy preprocessing matrix writes the code columns itself (its one-hot columns never made): the same codes, the same model', () => {
    // new rows where city05 became a level the training never saw, and some cities missing
    const city = test.frame.columns[1];
    if (city.kind !== 'categorical') throw new Error('city is categorical');
    const renamed = makeFrame([test.frame.columns[0], { ...city, levels: city.levels.map((l) => (l === 'city05' ? 'city99' : l)) }]);
    const encodings: Array<PreprocessOptions['encode']> = [
      { categorical: 'onehot', min_frequency: 0, max_levels: 30 }, // unseen: no column hot
      { categorical: 'onehot', min_frequency: 0, max_levels: 10 }, // rare and unseen: __other__
      { categorical: 'ordinal', min_frequency: 0, max_levels: 30 },
    ];
    for (const encode of encodings) {
      const f = fitPreprocess(train.frame, { ...FINAL_PREPROCESS, impute: { numeric: 'median', categorical: 'constant', fill_value: 'none' }, encode });
      for (const frame of [train.frame, renamed]) {
        const eager = transformPreprocess(f, frame).X;
        const groups = eager.categories!;
        const codes = categoryCodes(preprocessMatrix(f, frame), groups);
        expect(codes.cols).toBe(2);
        expect(codes.data).toEqual(categoryCodes({ rows: eager.rows, cols: eager.cols, data: eager.data }, groups).data);
        if (frame === renamed) expect(codes.data.some((v) => Number.isNaN(v))).toBe(encode.max_levels === 30);
      }
      // with early stopping (the training rows binned from the matrix as they are)
      const params = { ...P, early_stopping: true };
      const a = JSON.stringify(new GradientBoosting(params, 4).fit(preprocessMatrix(f, train.frame), train.y, 2).toJSON());
      expect(JSON.stringify(new GradientBoosting(params, 4).fit(transformPreprocess(f, train.frame).X, train.y, 2).toJSON())).toBe(a);
    }
    // binning some rows of a matrix in place: as binning a copy of them; a lazy matrix (its rows
    // made a block at a time, or the sampled ones) bins as the matrix made whole
    const rows = Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % Xtr.rows);
    const mapper = new BinMapper(32).fit(Xtr, rows);
    const copy = subsetRows(Xtr, rows);
    expect(mapper.transform(Xtr, rows)).toEqual(new BinMapper(32).fit(copy).transform(copy));
    const lazy = preprocessMatrix(pre, train.frame);
    expect(new BinMapper(32).fit(lazy, rows, 300).transform(lazy, rows)).toEqual(new BinMapper(32).fit(Xtr, rows, 300).transform(Xtr, rows));
    expect(new BinMapper().fit(lazy).transform(lazy)).toEqual(new BinMapper().fit(Xtr).transform(Xtr));
    expect(subsetRows(lazy, rows)).toEqual(copy);
    // a random forest on it (binned the same way): the same trees
    const forest = (X: Matrix) => JSON.stringify(new RandomForest({ n_estimators: 3, max_depth: null, max_features: 'sqrt', min_samples_leaf: 1, bootstrap: true }, 5).fit(X, train.y, 2).toJSON());
    expect(forest(preprocessMatrix(pre, train.frame))).toBe(forest(Xtr));
  });

  it('with a partner thread and with rows kept in node order: the same model', async () => {
    const params = { ...P, max_iter: 6, max_leaf_nodes: 16, min_samples_leaf: 5 };
    const big = table(30_000, 3);
    const X = transformPreprocess(fitPreprocess(big.frame, FINAL_PREPROCESS), big.frame).X;
    const one = JSON.stringify(new GradientBoosting(params, 3).fit(X, big.y, 2).toJSON());
    const partners: PartnerFactory = (module, memory) => startPartner(module, memory);
    expect(JSON.stringify(new GradientBoosting(params, 3).fit(X, big.y, 2, undefined, partners).toJSON())).toBe(one);
    const before = GradientBoosting.orderedBytes;
    GradientBoosting.orderedBytes = 1;
    try {
      expect(JSON.stringify(new GradientBoosting(params, 3).fit(X, big.y, 2, undefined, partners).toJSON())).toBe(one);
    } finally {
      GradientBoosting.orderedBytes = before;
    }
    // regression and 3 classes split on categories as well
    const yr = Float64Array.from(big.y, (v, i) => v * 3 + X.data[i * X.cols]);
    expect(new GradientBoosting(params, 3).fit(X, yr, 0).trees.some((t) => t.categories !== null)).toBe(true);
    const y3 = Int32Array.from(big.y, (v, i) => (X.data[i * X.cols] > 0.5 ? 2 : v));
    expect(new GradientBoosting(params, 3).fit(X, y3, 3).trees.some((t) => t.categories !== null)).toBe(true);
  });

  it('categorySplit: the best set of levels from a histogram, levels with too little support left right', () => {
    const h = new Float64Array(256 * 4);
    // levels 0 and 2 pull one way, 1 and 3 the other; level 4 has 3 rows (too few to place)
    const put = (b: number, g: number, n: number): void => h.set([g, n, n, 0], b * 4);
    put(0, -40, 50);
    put(1, 30, 50);
    put(2, -35, 50);
    put(3, 45, 50);
    put(4, -30, 3);
    let G = 0;
    let H = 0;
    for (let b = 0; b < 256; b++) {
      G += h[b * 4];
      H += h[b * 4 + 1];
    }
    const s = categorySplit(h, 5, H, G, H, 0, 1, 2);
    expect(s).not.toBeNull();
    expect([[0, 2], [1, 3]]).toContainEqual(s!.codes);
    expect(s!.missingLeft).toBe(false);
    // missing values (bin 255) are a level: with the negative ones they go left
    put(255, -50, 40);
    const m = categorySplit(h, 5, H + 40, G - 50, H + 40, 0, 1, 2);
    // (the same partition either way round)
    expect([JSON.stringify({ codes: [0, 2], missingLeft: true }), JSON.stringify({ codes: [1, 3], missingLeft: false })]).toContain(JSON.stringify({ codes: m!.codes, missingLeft: m!.missingLeft }));
    // one level with support: no split
    const one = new Float64Array(256 * 4);
    one.set([5, 20, 20, 0], 0);
    one.set([-5, 5, 5, 0], 4);
    expect(categorySplit(one, 2, 25, 0, 25, 0, 1, 2)).toBeNull();
  });
});
