import type { Rng } from './random.js';

/** Row indices of the two parts, each in ascending order. */
export interface TrainTestSplit {
  train: Int32Array;
  test: Int32Array;
}

/** Options for {@link trainTestSplit}. */
export interface SplitOptions {
  /** Share of rows in the test part, in (0, 1). */
  testSize: number;
  /** Class index per row (-1 = missing label): keeps each class's share in both parts. */
  strata?: Int32Array;
  /** Shuffle before splitting (default true); without it the last rows are the test part. */
  shuffle?: boolean;
}

/**
 * Splits rows 0..n-1 into a training and a test part, seeded. Stratified: each class is split
 * on its own, the test part taking round(testSize × class size) of it (at least one row of
 * every class with two or more rows), so class proportions match in both parts.
 *
 * @example
 * const { train, test } = trainTestSplit(344, rngStream(42, 'split'), { testSize: 0.2, strata: labels });
 */
export function trainTestSplit(n: number, rng: Rng, options: SplitOptions): TrainTestSplit {
  const { testSize, strata, shuffle = true } = options;
  if (!(testSize > 0 && testSize < 1)) throw new RangeError(`testSize must be in (0, 1), got ${testSize}`);
  if (n < 2) throw new RangeError(`cannot split ${n} row${n === 1 ? '' : 's'} into two parts`);
  const isTest = new Uint8Array(n);
  if (strata === undefined) {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    if (shuffle) rng.shuffle(order);
    const nTest = Math.min(n - 1, Math.max(1, Math.round(testSize * n)));
    for (let k = n - nTest; k < n; k++) isTest[order[k]] = 1;
  } else {
    const groups = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const g = groups.get(strata[i]);
      if (g === undefined) groups.set(strata[i], [i]);
      else g.push(i);
    }
    for (const key of [...groups.keys()].sort((x, y) => x - y)) {
      const rows = Int32Array.from(groups.get(key)!);
      if (shuffle) rng.shuffle(rows);
      const nTest = rows.length < 2 ? 0 : Math.min(rows.length - 1, Math.max(1, Math.round(testSize * rows.length)));
      for (let k = rows.length - nTest; k < rows.length; k++) isTest[rows[k]] = 1;
    }
  }
  let nTest = 0;
  for (let i = 0; i < n; i++) nTest += isTest[i];
  const train = new Int32Array(n - nTest);
  const test = new Int32Array(nTest);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (isTest[i]) test[b++] = i;
    else train[a++] = i;
  }
  return { train, test };
}
