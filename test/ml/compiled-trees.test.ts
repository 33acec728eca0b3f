import { describe, expect, it } from 'vitest';
import { RandomForest } from '../../src/ml/forest.js';
import { GradientBoosting } from '../../src/ml/gbdt.js';
import type { Matrix } from '../../src/ml/matrix.js';
import { rngStream } from '../../src/ml/random.js';
import { CompiledTrees, type Tree } from '../../src/ml/tree.js';

function data(n: number, seed: number): { X: Matrix; y: Int32Array } {
  const r = rngStream(seed, 'walk');
  const d = 5;
  const X = Float64Array.from({ length: n * d }, () => (r.next() < 0.1 ? NaN : r.next() * 2 - 1)); // 10% missing
  const y = Int32Array.from({ length: n }, (_, i) => ((X[i * d] || 0) + (X[i * d + 1] || 0.3) * (X[i * d + 2] || -0.2) > 0 ? 1 : 0));
  return { X: { rows: n, cols: d, data: X }, y };
}

/** Every tree's leaves through the compiled walker, as arrays per tree. */
function walk(c: CompiledTrees, X: Matrix): number[][] {
  const got = c.trees.map(() => new Array<number>(X.rows).fill(-1));
  c.forEachLeaves(X, (t, start, count, leaves) => {
    for (let r = 0; r < count; r++) got[t][start + r] = leaves[r];
  });
  return got;
}

describe('trees compiled to WebAssembly for prediction', () => {
  const train = data(3000, 1);
  const forest = new RandomForest({ n_estimators: 5, max_depth: null, max_features: 'sqrt', min_samples_leaf: 1, bootstrap: true }, 7).fit(train.X, train.y, 2);
  const boosting = new GradientBoosting({ learning_rate: 0.1, max_iter: 20, max_leaf_nodes: 31, max_depth: null, min_samples_leaf: 20, l2_regularization: 0, max_bins: 255, early_stopping: false, validation_fraction: 0.1, n_iter_no_change: 10 }, 7).fit(train.X, train.y, 2);

  it.each([
    ['a random forest (deep trees)', forest.trees],
    ['gradient boosting (missing values sent either way)', boosting.trees],
  ] as Array<[string, Tree[]]>)('reach the same leaf as the plain walk for every row: %s', (_, trees) => {
    expect(trees.some((t) => t.missingLeft.includes(1)) || trees === forest.trees).toBe(true);
    // blocks of 100 rows: 1,001 rows are 11 blocks, the last one not a multiple of four
    const c = new CompiledTrees(trees, 8 * 5 * 100);
    for (const X of [data(7, 2).X, data(1001, 3).X, data(3, 4).X]) {
      expect(walk(c, X)).toEqual(trees.map((t) => Array.from(t.leavesOf(X))));
    }
  });

  it('predictions are unchanged by the compiled walk (forest and boosting, before and after JSON)', () => {
    const test = data(500, 5);
    for (const m of [forest, boosting]) {
      const p = m.predictProba(test.X);
      const back = m instanceof RandomForest ? RandomForest.fromJSON(JSON.parse(JSON.stringify(m.toJSON()))) : GradientBoosting.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
      expect(back.predictProba(test.X)).toEqual(p);
    }
    // the forest's probabilities, summed the plain way
    const plain = new Float64Array(500 * 2);
    for (const t of forest.trees) {
      const leaves = t.leavesOf(test.X);
      for (let i = 0; i < 500; i++) for (let c = 0; c < 2; c++) plain[i * 2 + c] += t.values[leaves[i] * 2 + c];
    }
    for (let i = 0; i < plain.length; i++) plain[i] /= forest.trees.length;
    expect(forest.predictProba(test.X)).toEqual(plain);
  });
});
