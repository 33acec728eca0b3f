/**
 * scikit-learn's `class_weight="balanced"`: class c weighs n / (classes × count(c)), so every
 * class carries the same total weight (a class absent from `y` weighs 0).
 *
 * @example
 * balancedClassWeights(Int32Array.of(0, 0, 0, 1), 2) // [0.667, 2]
 */
export function balancedClassWeights(y: Int32Array, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  return counts.map((c) => (c === 0 ? 0 : y.length / (classes * c)));
}

/** The weight of each row under {@link balancedClassWeights}. */
export function balancedRowWeights(y: Int32Array, classes: number): Float64Array {
  const cw = balancedClassWeights(y, classes);
  return Float64Array.from(y, (c) => cw[c]);
}
