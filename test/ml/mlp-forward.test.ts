import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../src/ml/matrix.js';
import { type MlpJson, mlpForward } from '../../src/ml/mlp.js';
import { rngStream } from '../../src/ml/random.js';
import { scoresToProba } from '../../src/ml/link.js';

/**
 * The forward pass written the plain way: one output at a time, inputs summed in order; a last
 * layer with one output sums even and odd inputs apart, then adds the two and the bias.
 */
function reference(m: MlpJson, X: Matrix): Float64Array {
  let a = X.data;
  let width = X.cols;
  m.layers.forEach((l, li) => {
    const out = new Float64Array(X.rows * l.out);
    const last = li === m.layers.length - 1;
    for (let i = 0; i < X.rows; i++)
      for (let o = 0; o < l.out; o++) {
        let s = l.bias[o];
        if (last && l.out === 1) {
          const lanes = [0, 0];
          for (let k = 0; k < width; k++) lanes[k % 2] += a[i * width + k] * l.kernel[k];
          s += lanes[0] + lanes[1];
        } else for (let k = 0; k < width; k++) s += a[i * width + k] * l.kernel[k * l.out + o];
        out[i * l.out + o] = !last && s < 0 ? 0 : s;
      }
    a = out;
    width = l.out;
  });
  if (m.task === 'regression') return a;
  return scoresToProba(a, X.rows, m.classes);
}

function network(sizes: number[], classes: number, seed: number): MlpJson {
  const r = rngStream(seed, 'net');
  const layers = sizes.slice(1).map((out, l) => ({
    in: sizes[l],
    out,
    kernel: Array.from({ length: sizes[l] * out }, () => r.next() - 0.5),
    bias: Array.from({ length: out }, () => r.next() - 0.5),
  }));
  const params = { hidden_layer_sizes: sizes.slice(1, -1), epochs: 1, batch_size: 1, learning_rate: 0.001, alpha: 0 };
  return { kind: 'mlp', params, task: classes > 0 ? 'classification' : 'regression', classes, backend: 'test', layers, loss: [] };
}

describe('the MLP forward pass (WebAssembly SIMD kernel)', () => {
  it.each([
    ['20-64-64-1 binary, 2,500 rows (three blocks, odd last block)', [20, 64, 64, 1], 2, 2501],
    ['7-5-3 softmax, widths not multiples of 8', [7, 5, 3], 3, 33],
    ['3-1 regression, one row', [3, 1], 0, 1],
    ['5-13-1 regression, an odd hidden width', [5, 13, 1], 0, 41],
    ['4-9-17-2 regression, two outputs', [4, 9, 17, 2], 0, 64],
  ] as const)('equals the plain loop bit for bit: %s', (_, sizes, classes, n) => {
    const m = network([...sizes], classes, n);
    const r = rngStream(n, 'x');
    const X = { rows: n, cols: sizes[0], data: Float64Array.from({ length: n * sizes[0] }, () => r.next() * 4 - 2) };
    X.data[Math.min(5, X.data.length - 1)] = NaN; // a missing value gives NaN outputs for its row, in both
    const got = mlpForward(m, X);
    const want = reference(m, X);
    expect(got.length).toBe(want.length);
    const mismatches = Array.from(want).flatMap((w, i) => (Object.is(w, got[i]) ? [] : [i]));
    expect(mismatches).toEqual([]);
  });

  it('a layer that does not fit the data is an error, not garbage', () => {
    const m = network([5, 8, 1], 2, 1);
    expect(() => mlpForward(m, { rows: 2, cols: 4, data: new Float64Array(8) })).toThrow(/takes 5 inputs, the data has 4/);
  });
});
