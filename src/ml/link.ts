/** Softmax of row `i` of an n × k score matrix, written into `out` from `at` (k values). */
export function softmaxRow(scores: Float64Array, i: number, k: number, out: Float64Array, at = 0): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (scores[i * k + c] > max) max = scores[i * k + c];
  let sum = 0;
  for (let c = 0; c < k; c++) {
    out[at + c] = Math.exp(scores[i * k + c] - max);
    sum += out[at + c];
  }
  for (let c = 0; c < k; c++) out[at + c] /= sum;
}

/**
 * Class probabilities (n × k) from raw model scores: one logit per row for two classes
 * (sigmoid), k scores per row otherwise (softmax).
 */
export function scoresToProba(scores: Float64Array, n: number, k: number): Float64Array {
  const out = new Float64Array(n * k);
  if (k === 2) {
    for (let i = 0; i < n; i++) {
      const p1 = 1 / (1 + Math.exp(-scores[i]));
      out[i * 2] = 1 - p1;
      out[i * 2 + 1] = p1;
    }
    return out;
  }
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    softmaxRow(scores, i, k, row);
    out.set(row, i * k);
  }
  return out;
}
