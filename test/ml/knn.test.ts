import { describe, expect, it } from 'vitest';
import { KNearestNeighbors } from '../../src/ml/knn.js';
import { matrixFromRows } from '../../src/ml/matrix.js';

const X = matrixFromRows([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]]);

describe('k-nearest neighbours', () => {
  it('votes among the k nearest rows (hand-checked)', () => {
    const m = new KNearestNeighbors({ n_neighbors: 3, weights: 'uniform' }).fit(X, Int32Array.from([0, 0, 1, 1, 1, 1]), 2);
    const p = m.predictProba(matrixFromRows([[0.1, 0.1], [9, 9]]));
    expect(Array.from(p)).toEqual([2 / 3, 1 / 3, 0, 1]);
    expect(Array.from(m.predict(matrixFromRows([[0.1, 0.1]])))).toEqual([0]);
  });

  it('distance weights by 1/d, and an exact match takes only the matching rows', () => {
    const y = Float64Array.from([1, 2, 3, 10, 20, 30]);
    const m = new KNearestNeighbors({ n_neighbors: 2, weights: 'distance' }).fit(X, y, 0);
    // neighbours of (0, 0.25): (0,0) at 0.25 and (0,1) at 0.75 -> (1/0.25*1 + 1/0.75*2) / (1/0.25 + 1/0.75)
    expect(m.predict(matrixFromRows([[0, 0.25]]))[0]).toBeCloseTo((4 * 1 + (4 / 3) * 2) / (4 + 4 / 3), 12);
    expect(m.predict(matrixFromRows([[10, 11]]))[0]).toBe(20);
    const u = new KNearestNeighbors({ n_neighbors: 3, weights: 'uniform' }).fit(X, y, 0);
    expect(u.predict(matrixFromRows([[10.2, 10.2]]))[0]).toBeCloseTo(20, 12);
  });

  it('k larger than the training set uses every row; JSON round trip', () => {
    const m = new KNearestNeighbors({ n_neighbors: 50, weights: 'uniform' }).fit(X, Int32Array.from([0, 0, 0, 1, 1, 1]), 2);
    expect(Array.from(m.predictProba(matrixFromRows([[5, 5]])))).toEqual([0.5, 0.5]);
    const back = KNearestNeighbors.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(back.predictProba(X)).toEqual(m.predictProba(X));
  });
});
