import { describe, expect, it } from 'vitest';
import { RandomForest } from '../../src/ml/forest.js';
import { GradientBoosting } from '../../src/ml/gbdt.js';
import type { Matrix } from '../../src/ml/matrix.js';
import { rngStream } from '../../src/ml/random.js';
import { CompiledTrees, type Tree } from '../../src/ml/tree.js';
import type { KernelPartner, PartnerFactory } from '../../src/ml/wasm/kernels.js';
import { startPartner } from '../../src/runner/kernel-partner.js';

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

  it('predictions of many rows shared with a partner thread: the same numbers, the partner summing some of the rows', async () => {
    // 30,000 rows: a partner (>= 20,000 rows a block), rows claimed in chunks by both threads
    const test = data(30_000, 6);
    const multi = data(3000, 8);
    const y5 = Int32Array.from({ length: 3000 }, (_, i) => Math.min(4, Math.floor(((multi.X.data[i * 5] || 0) + 1) * 2.5)));
    const boosting5 = new GradientBoosting({ ...boosting.params, max_iter: 8 }, 7).fit(multi.X, y5, 5);
    const regression = new GradientBoosting({ ...boosting.params, max_iter: 8 }, 7).fit(train.X, Float64Array.from(train.y, (v, i) => v + (train.X.data[i * 5 + 3] || 0)), 0);
    for (const m of [forest, boosting, boosting5, regression]) {
      const summed: number[] = [];
      const partners: PartnerFactory = (module, memory) => {
        const p = startPartner(module, memory);
        return { start: (fn, args) => p.start(fn, args), join: () => summed[summed.push(p.join()) - 1], close: () => p.close() };
      };
      const json = JSON.parse(JSON.stringify(m.toJSON()));
      const one = m instanceof RandomForest ? RandomForest.fromJSON(json) : GradientBoosting.fromJSON(json);
      const two = m instanceof RandomForest ? RandomForest.fromJSON(json).threads(partners) : GradientBoosting.fromJSON(json).threads(partners);
      const want = m === regression ? one.predict(test.X) : one.predictProba(test.X);
      // the partner boots during the first call (that one may run here alone), and on a busy
      // machine it may not be scheduled in time for a call: call until it has taken rows (20 s at most)
      const until = Date.now() + 20_000;
      for (let call = 0; (call < 3 || !summed.some((s) => s > 0)) && Date.now() < until; call++) {
        expect(m === regression ? two.predict(test.X) : two.predictProba(test.X)).toEqual(want);
        if (call > 0) await new Promise((r) => setTimeout(r, 5));
      }
      expect(summed.some((s) => s > 0)).toBe(true);
      two.threads(undefined); // lets the thread go
    }
  }, 120_000);

  it('an idle partner sleeps: a loaded model between predictions takes no CPU', async () => {
    const test = data(30_000, 6);
    let partner: ReturnType<typeof startPartner> | undefined;
    let taken = 0;
    const partners: PartnerFactory = (module, memory) => {
      partner = startPartner(module, memory);
      return { start: (fn, args) => partner!.start(fn, args), join: () => (taken += partner!.join()), close: () => partner!.close() };
    };
    const m = GradientBoosting.fromJSON(JSON.parse(JSON.stringify(boosting.toJSON()))).threads(partners);
    const until = Date.now() + 20_000;
    while (taken === 0 && Date.now() < until) {
      m.predictProba(test.X);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(taken).toBeGreaterThan(0);
    // past the spin after its last call (20 ms), the worker waits; it used to spin 20 ms more
    // every second (2% of a core for each loaded model)
    await new Promise((r) => setTimeout(r, 100));
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 2_200));
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(15);
    m.threads(undefined);
    expect(await partner!.exited).toBe(0);
  }, 60_000);

  it('a partner that fails part-way through a chunk: the block is summed again here, the same numbers', () => {
    const test = data(24_000, 9);
    let failures = 0;
    // claims a chunk, writes nonsense into its rows and "dies" (returns no rows summed)
    const failing: PartnerFactory = (module, memory) => {
      let args: readonly number[] = [];
      const p: KernelPartner = {
        start: (_fn, a) => {
          args = a;
        },
        join: () => {
          const [, , , rows, , k, out, , counter, chunk] = args;
          const start = Atomics.add(new Int32Array(memory.buffer, counter, 1), 0, chunk);
          if (start < rows) new Float64Array(memory.buffer, out + start * k * 8, Math.min(chunk, rows - start) * k).fill(12345);
          failures++;
          return 0;
        },
        close: () => undefined,
      };
      void module;
      return p;
    };
    const want = boosting.predictProba(test.X);
    const back = GradientBoosting.fromJSON(JSON.parse(JSON.stringify(boosting.toJSON()))).threads(failing);
    expect(back.predictProba(test.X)).toEqual(want);
    expect(failures).toBe(1);
  });
});
