import { describe, expect, it } from 'vitest';
import { RandomForest } from '../../src/ml/forest.js';
import { rngStream } from '../../src/ml/random.js';
import { fitForestParallel } from '../../src/runner/parallel-forest.js';

describe('random forest on worker threads', () => {
  it('grows exactly the forest one thread grows, reporting every tree', async () => {
    // Given 6,000 rows x 8 features and 40 trees (enough work to use the threads)
    const r = rngStream(5, 'rf-par');
    const n = 6000;
    const d = 8;
    const X = { rows: n, cols: d, data: Float64Array.from({ length: n * d }, () => r.next()) };
    const y = Int32Array.from({ length: n }, (_, i) => (X.data[i * d] + X.data[i * d + 1] > 1 ? 1 : 0));
    const params = { n_estimators: 40, max_depth: 8, max_features: 'sqrt' as const, min_samples_leaf: 2, bootstrap: true };
    // When fitted on 1 thread and on 2 and 3 threads
    const one = new RandomForest(params, 42).fit(X, y, 2);
    const seen: number[] = [];
    const two = await fitForestParallel(params, X, y, 2, 42, (done) => seen.push(done), 2);
    const three = await fitForestParallel(params, X, y, 2, 42, undefined, 3);
    // Then the trees are the same, in the same order
    expect(JSON.stringify(two.toJSON())).toBe(JSON.stringify(one.toJSON()));
    expect(JSON.stringify(three.toJSON())).toBe(JSON.stringify(one.toJSON()));
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(two.predictProba(X)).toEqual(one.predictProba(X));
  });

  it("a progress callback that throws (a time budget's end) ends the fit with its error, not the process", async () => {
    const r = rngStream(6, 'rf-par-stop');
    const n = 6000;
    const d = 8;
    const X = { rows: n, cols: d, data: Float64Array.from({ length: n * d }, () => r.next()) };
    const y = Int32Array.from({ length: n }, (_, i) => (X.data[i * d] > 0.5 ? 1 : 0));
    const params = { n_estimators: 60, max_depth: 8, max_features: 'sqrt' as const, min_samples_leaf: 2, bootstrap: true };
    const stop = new Error('the time budget ended');
    let calls = 0;
    await expect(
      fitForestParallel(params, X, y, 2, 42, (done) => {
        calls++;
        if (done >= 3) throw stop;
      }, 2),
    ).rejects.toBe(stop);
    expect(calls).toBeGreaterThanOrEqual(3);
    // the process goes on: another fit on the threads works
    expect((await fitForestParallel({ ...params, n_estimators: 40 }, X, y, 2, 42, undefined, 2)).trees).toHaveLength(40);
  });
});
