/**
 * Softmax of k scores, scores[from + c * stride] for c < k, written to out[at + c * outStride]:
 * the max, then the exponentials summed in class order, then each divided by the sum. Strides
 * serve both row-major score matrices (stride 1) and class-major ones (stride n).
 */
export function softmax(scores: Float64Array, from: number, stride: number, k: number, out: Float64Array, at: number, outStride: number): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (scores[from + c * stride] > max) max = scores[from + c * stride];
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(scores[from + c * stride] - max);
    out[at + c * outStride] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) out[at + c * outStride] /= sum;
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
  for (let i = 0; i < n; i++) softmax(scores, i * k, 1, k, out, i * k, 1);
  return out;
}
