import { minimizeLbfgs } from './lbfgs.js';
import { type Matrix, dotAt } from './matrix.js';
import { scoresToProba } from './link.js';

/** Hyper-parameters of {@link LogisticRegression} (as scikit-learn's, solver lbfgs). */
export interface LogisticParams {
  /** Inverse regularisation strength: the penalty is ||W||² / (2C). */
  C: number;
  max_iter: number;
  tol: number;
}

/** A fitted logistic model as JSON. */
export interface LogisticJson {
  kind: 'logistic';
  params: LogisticParams;
  classes: number;
  features: number;
  /** Binary: d weights; multinomial: k×d, row-major. */
  coef: number[];
  intercept: number[];
  iterations: number;
  converged: boolean;
}

/** out[oo + j] += r · a[ao + j] for j < d, unrolled by four. */
function axpyAt(out: Float64Array, oo: number, r: number, a: Float64Array, ao: number, d: number): void {
  let j = 0;
  for (const d4 = d - (d % 4); j < d4; j += 4) {
    out[oo + j] += r * a[ao + j];
    out[oo + j + 1] += r * a[ao + j + 1];
    out[oo + j + 2] += r * a[ao + j + 2];
    out[oo + j + 3] += r * a[ao + j + 3];
  }
  for (; j < d; j++) out[oo + j] += r * a[ao + j];
}

/**
 * L2-regularised logistic regression: binary (one weight vector, sigmoid) for two classes,
 * multinomial (softmax) for more, the intercepts unpenalised; minimises
 * Σ loss + ||W||² / (2C) with L-BFGS to a gradient tolerance of `tol` (relative to the
 * number of rows), reporting the iterations and whether it converged.
 *
 * @example
 * const m = new LogisticRegression({ C: 1, max_iter: 100, tol: 1e-4 }).fit(X, y, 3);
 * const proba = m.predictProba(X); // n×3, rows sum to 1
 */
export class LogisticRegression {
  classes = 0;
  features = 0;
  coef: Float64Array = new Float64Array(0);
  intercept: Float64Array = new Float64Array(0);
  iterations = 0;
  converged = false;

  constructor(readonly params: LogisticParams) {}

  fit(X: Matrix, y: Int32Array, classes: number): this {
    const { rows: n, cols: d, data } = X;
    if (y.length !== n) throw new RangeError(`X has ${n} rows but y has ${y.length} labels`);
    if (classes < 2) throw new RangeError('logistic regression needs at least two classes');
    this.classes = classes;
    this.features = d;
    const invC = 1 / this.params.C;
    if (classes === 2) {
      // x = [w (d), b]
      const z = new Float64Array(n);
      const objective = (x: Float64Array, grad: Float64Array): number => {
        const b = x[d];
        let f = 0;
        grad.fill(0);
        for (let i = 0; i < n; i++) {
          const o = i * d;
          const s = b + dotAt(data, o, x, 0, d);
          z[i] = s;
          // One exp per row: e = exp(-|s|) gives both the loss and the sigmoid, stably.
          const e = Math.exp(-Math.abs(s));
          const l1pe = Math.log1p(e);
          const positive = y[i] === 1;
          f += s >= 0 ? (positive ? l1pe : s + l1pe) : positive ? l1pe - s : l1pe;
          const r = (s >= 0 ? 1 / (1 + e) : e / (1 + e)) - (positive ? 1 : 0);
          axpyAt(grad, 0, r, data, o, d);
          grad[d] += r;
        }
        for (let j = 0; j < d; j++) {
          f += 0.5 * invC * x[j] * x[j];
          grad[j] += invC * x[j];
        }
        return f;
      };
      const r = minimizeLbfgs(objective, new Float64Array(d + 1), { gtol: this.params.tol * n, maxIter: this.params.max_iter });
      this.coef = r.x.slice(0, d);
      this.intercept = Float64Array.of(r.x[d]);
      this.iterations = r.iterations;
      this.converged = r.converged;
      return this;
    }
    const k = classes;
    const p = new Float64Array(k);
    const objective = (x: Float64Array, grad: Float64Array): number => {
      // x = [W (k×d), b (k)]
      let f = 0;
      grad.fill(0);
      for (let i = 0; i < n; i++) {
        const o = i * d;
        let max = -Infinity;
        for (let c = 0; c < k; c++) {
          const s = x[k * d + c] + dotAt(data, o, x, c * d, d);
          p[c] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let c = 0; c < k; c++) {
          p[c] = Math.exp(p[c] - max);
          sum += p[c];
        }
        const yi = y[i];
        f -= Math.log(p[yi] / sum);
        for (let c = 0; c < k; c++) {
          const r = p[c] / sum - (c === yi ? 1 : 0);
          axpyAt(grad, c * d, r, data, o, d);
          grad[k * d + c] += r;
        }
      }
      for (let j = 0; j < k * d; j++) {
        f += 0.5 * invC * x[j] * x[j];
        grad[j] += invC * x[j];
      }
      return f;
    };
    const r = minimizeLbfgs(objective, new Float64Array(k * d + k), { gtol: this.params.tol * n, maxIter: this.params.max_iter });
    this.coef = r.x.slice(0, k * d);
    this.intercept = r.x.slice(k * d);
    this.iterations = r.iterations;
    this.converged = r.converged;
    return this;
  }

  /** n×k class probabilities, row-major. */
  predictProba(X: Matrix): Float64Array {
    const { rows: n, cols: d, data } = X;
    const outputs = this.classes === 2 ? 1 : this.classes;
    const scores = new Float64Array(n * outputs);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < outputs; c++) {
        scores[i * outputs + c] = this.intercept[c] + dotAt(data, i * d, this.coef, c * d, d);
      }
    }
    return scoresToProba(scores, n, this.classes);
  }

  /**
   * The most probable class of each row: the largest linear score (the softmax and the sigmoid
   * keep the order), so no exponentials and no probability matrix.
   */
  predict(X: Matrix): Int32Array {
    const { rows: n, cols: d, data } = X;
    const out = new Int32Array(n);
    const coef = this.coef;
    if (this.classes === 2) {
      const b = this.intercept[0];
      for (let i = 0; i < n; i++) out[i] = b + dotAt(data, i * d, coef, 0, d) > 0 ? 1 : 0;
      return out;
    }
    const k = this.classes;
    for (let i = 0; i < n; i++) {
      let best = -Infinity;
      let arg = 0;
      for (let c = 0; c < k; c++) {
        const s = this.intercept[c] + dotAt(data, i * d, coef, c * d, d);
        if (s > best) {
          best = s;
          arg = c;
        }
      }
      out[i] = arg;
    }
    return out;
  }

  toJSON(): LogisticJson {
    return { kind: 'logistic', params: this.params, classes: this.classes, features: this.features, coef: Array.from(this.coef), intercept: Array.from(this.intercept), iterations: this.iterations, converged: this.converged };
  }

  static fromJSON(j: LogisticJson): LogisticRegression {
    const m = new LogisticRegression(j.params);
    m.classes = j.classes;
    m.features = j.features;
    m.coef = Float64Array.from(j.coef);
    m.intercept = Float64Array.from(j.intercept);
    m.iterations = j.iterations;
    m.converged = j.converged;
    return m;
  }
}
