import { describe, expect, it } from 'vitest';
import { type BoostingParams, GradientBoosting } from '../../src/ml/gbdt.js';
import type { Matrix } from '../../src/ml/matrix.js';
import { scoresToProba } from '../../src/ml/link.js';
import { classificationMetrics, regressionMetrics } from '../../src/ml/metrics.js';
import { rngStream } from '../../src/ml/random.js';
import type { KernelPartner, PartnerFactory } from '../../src/ml/wasm/kernels.js';
import { startPartner } from '../../src/runner/kernel-partner.js';

const P: BoostingParams = { learning_rate: 0.1, max_iter: 100, max_leaf_nodes: 31, max_depth: null, min_samples_leaf: 20, l2_regularization: 0, max_bins: 255, early_stopping: false, validation_fraction: 0.1, n_iter_no_change: 10 };

function data(n: number, seed: number, label: (x: (j: number) => number, noise: number) => number): { X: Matrix; y: number[] } {
  const r = rngStream(seed, 'gb');
  const d = 5;
  const X = Float64Array.from({ length: n * d }, () => r.next() * 2 - 1);
  const y = Array.from({ length: n }, (_, i) => label((j) => X[i * d + j], r.next() - 0.5));
  return { X: { rows: n, cols: d, data: X }, y };
}

describe('gradient boosting', () => {
  it('binary: learns an interaction on held-out rows; each tree has at most max_leaf_nodes leaves', () => {
    const rule = (x: (j: number) => number, e: number) => (x(0) * x(1) + 0.1 * e > 0 ? 1 : 0);
    const tr = data(3000, 1, rule);
    const te = data(1000, 2, rule);
    const gb = new GradientBoosting({ ...P, max_leaf_nodes: 8 }, 1).fit(tr.X, Int32Array.from(tr.y), 2);
    expect(classificationMetrics(Int32Array.from(te.y), gb.predictProba(te.X), 2).accuracy).toBeGreaterThan(0.9);
    for (const t of gb.trees) expect(t.feature.filter((f) => f === -1).length).toBeLessThanOrEqual(8);
    expect(gb.trees.length).toBe(100);
  });

  it('multiclass: one tree per class per iteration, probabilities sum to 1', () => {
    const rule = (x: (j: number) => number) => (x(0) < -0.3 ? 0 : x(0) < 0.3 ? 1 : 2);
    const tr = data(2000, 3, rule);
    const te = data(500, 4, rule);
    const gb = new GradientBoosting({ ...P, max_iter: 30 }, 1).fit(tr.X, Int32Array.from(tr.y), 3);
    expect(gb.trees.length).toBe(90);
    const proba = gb.predictProba(te.X);
    for (let i = 0; i < 500; i++) expect(proba[i * 3] + proba[i * 3 + 1] + proba[i * 3 + 2]).toBeCloseTo(1, 12);
    expect(classificationMetrics(Int32Array.from(te.y), proba, 3).accuracy).toBeGreaterThan(0.95);
  });

  it('regression: fits a nonlinear function; max_depth bounds the trees', () => {
    const rule = (x: (j: number) => number, e: number) => Math.sin(3 * x(0)) + x(1) * x(1) + 0.05 * e;
    const tr = data(3000, 5, rule);
    const te = data(500, 6, rule);
    const gb = new GradientBoosting({ ...P, max_depth: 3 }, 1).fit(tr.X, Float64Array.from(tr.y), 0);
    expect(regressionMetrics(Float64Array.from(te.y), gb.predict(te.X)).r2).toBeGreaterThan(0.95);
    const depth = (t: GradientBoosting['trees'][number], node = 0): number => (t.feature[node] === -1 ? 0 : 1 + Math.max(depth(t, t.left[node]), depth(t, t.right[node])));
    for (const t of gb.trees) expect(depth(t)).toBeLessThanOrEqual(3);
  });

  it('early stopping ends when the validation loss stops improving', () => {
    const rule = (x: (j: number) => number, e: number) => (x(0) + 2 * e > 0 ? 1 : 0); // very noisy: overfits fast
    const tr = data(3000, 7, rule);
    const gb = new GradientBoosting({ ...P, max_iter: 500, early_stopping: true }, 1).fit(tr.X, Int32Array.from(tr.y), 2);
    expect(gb.iterations).toBeLessThan(500);
    expect(gb.validationLoss.length).toBe(gb.iterations);
  });

  it('handles missing values natively', () => {
    // the label is 1 exactly where feature 0 is missing
    const rule = (x: (j: number) => number) => (x(2) > 0 ? 1 : 0);
    const tr = data(2000, 8, rule);
    const scramble = rngStream(10, 'scramble');
    for (let i = 0; i < tr.X.rows; i++) {
      if (tr.y[i] === 1) tr.X.data[i * 5] = NaN;
      tr.X.data[i * 5 + 2] = scramble.next() * 2 - 1; // the missingness of feature 0 is now the only signal
    }
    const gb = new GradientBoosting({ ...P, max_iter: 20 }, 1).fit(tr.X, Int32Array.from(tr.y), 2);
    const probe: Matrix = { rows: 2, cols: 5, data: Float64Array.from([NaN, 0, -0.5, 0, 0, 0.3, 0, -0.5, 0, 0]) };
    expect(Array.from(gb.predict(probe))).toEqual([1, 0]);
  });

  it('is deterministic for a seed and round-trips through JSON', () => {
    const rule = (x: (j: number) => number, e: number) => (x(0) + e > 0 ? 1 : 0);
    const tr = data(12_000, 9, rule); // > 10,000 rows: 'auto' early stopping uses a seeded validation split
    const a = new GradientBoosting({ ...P, max_iter: 15, early_stopping: 'auto' }, 3).fit(tr.X, Int32Array.from(tr.y), 2);
    const b = new GradientBoosting({ ...P, max_iter: 15, early_stopping: 'auto' }, 3).fit(tr.X, Int32Array.from(tr.y), 2);
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    expect(a.validationLoss.length).toBe(15);
    const back = GradientBoosting.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    expect(back.predictProba(tr.X)).toEqual(a.predictProba(tr.X));
  });

  it('with a partner thread: the same model as on one thread (binary, 5 classes, regression), and the thread stops after the fit', async () => {
    // 24,000 rows: a partner thread (>= 20,000), shared histograms (nodes >= 1,024 rows), halved partitions (>= 8,192)
    const rules: Array<[number, (x: (j: number) => number, e: number) => number]> = [
      [2, (x, e) => (x(0) * x(1) + 0.1 * e > 0 ? 1 : 0)],
      [5, (x, e) => Math.min(4, Math.max(0, Math.floor((x(0) + x(2) + 0.2 * e + 2) * 1.25)))],
      [0, (x, e) => Math.sin(3 * x(0)) + x(1) * x(1) + 0.05 * e],
    ];
    for (const [classes, rule] of rules) {
      const tr = data(24_000, 11 + classes, rule);
      const y = classes > 0 ? Int32Array.from(tr.y) : Float64Array.from(tr.y);
      const started: Array<KernelPartner & { exited: Promise<number> }> = [];
      const partners: PartnerFactory = (module, memory) => {
        const p = startPartner(module, memory);
        started.push(p);
        return p;
      };
      const params = { ...P, max_iter: 6 };
      const one = new GradientBoosting(params, 3).fit(tr.X, y, classes);
      const two = new GradientBoosting(params, 3).fit(tr.X, y, classes, undefined, partners);
      expect(started.length).toBe(1);
      expect(JSON.stringify(two.toJSON())).toBe(JSON.stringify(one.toJSON()));
      // the worker ends by itself once the fit has closed it (no thread left spinning)
      await expect(Promise.race([started[0].exited, new Promise((r) => setTimeout(() => r('still running'), 5000))])).resolves.toBe(0);
    }
  });

  it('rows kept in node order (tables larger than the caches): the same model as in table order, with one thread or two', () => {
    const rules: Array<[number, (x: (j: number) => number, e: number) => number]> = [
      [2, (x, e) => (x(0) * x(1) + 0.1 * e > 0 ? 1 : 0)],
      [5, (x, e) => Math.min(4, Math.max(0, Math.floor((x(0) + x(2) + 0.2 * e + 2) * 1.25)))],
      [0, (x, e) => Math.sin(3 * x(0)) + x(1) * x(1) + 0.05 * e],
    ];
    const before = GradientBoosting.orderedBytes;
    try {
      for (const [classes, rule] of rules) {
        // 30,000 rows with missing values: halved partitions (>= 4,096 rows) move their halves' blocks
        const tr = data(30_000, 21 + classes, rule);
        for (let i = 0; i < tr.X.data.length; i += 13) tr.X.data[i] = NaN;
        const y = classes > 0 ? Int32Array.from(tr.y) : Float64Array.from(tr.y);
        const params = { ...P, max_iter: 5 };
        GradientBoosting.orderedBytes = Infinity;
        const inTableOrder = JSON.stringify(new GradientBoosting(params, 3).fit(tr.X, y, classes).toJSON());
        GradientBoosting.orderedBytes = 0;
        const inNodeOrder = JSON.stringify(new GradientBoosting(params, 3).fit(tr.X, y, classes).toJSON());
        const partners: PartnerFactory = (module, memory) => startPartner(module, memory);
        const twoThreads = JSON.stringify(new GradientBoosting(params, 3).fit(tr.X, y, classes, undefined, partners).toJSON());
        expect(inNodeOrder).toBe(inTableOrder);
        expect(twoThreads).toBe(inTableOrder);
      }
    } finally {
      GradientBoosting.orderedBytes = before;
    }
  });

  it("the training rows' scores the fit keeps are the trees' sums (leaf values added by two threads, in table and in node order)", () => {
    // 30,000 rows: a partner adds the values of the leaves past half the rows
    const before = GradientBoosting.orderedBytes;
    let kept: Float64Array | null = null;
    GradientBoosting.onTrainScores = (raw) => (kept = raw);
    try {
      for (const [classes, rule] of [
        [0, (x: (j: number) => number, e: number) => Math.sin(3 * x(0)) + x(1) * x(1) + 0.05 * e],
        [3, (x: (j: number) => number, e: number) => Math.min(2, Math.max(0, Math.floor((x(0) + x(2) + 0.2 * e + 2) * 0.75)))],
      ] as const) {
        const tr = data(30_000, 31 + classes, rule);
        const y = classes > 0 ? Int32Array.from(tr.y) : Float64Array.from(tr.y);
        for (const bytes of [Infinity, 0]) {
          GradientBoosting.orderedBytes = bytes;
          const m = new GradientBoosting({ ...P, max_iter: 4 }, 3).fit(tr.X, y, classes, undefined, (module, memory) => startPartner(module, memory));
          const n = tr.X.rows;
          if (classes === 0) expect(Array.from(kept!)).toEqual(Array.from(m.predict(tr.X)));
          else {
            // probabilities from the kept scores (class-major) as predictProba makes them from the trees'
            const K = classes;
            const rowMajor = new Float64Array(n * K);
            for (let i = 0; i < n; i++) for (let c = 0; c < K; c++) rowMajor[i * K + c] = kept![c * n + i];
            expect(Array.from(scoresToProba(rowMajor, n, K))).toEqual(Array.from(m.predictProba(tr.X)));
          }
        }
      }
    } finally {
      GradientBoosting.orderedBytes = before;
      GradientBoosting.onTrainScores = null;
    }
  });
});
