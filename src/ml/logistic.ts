import { balancedClassWeights } from './class-weight.js';
import { minimizeLbfgs } from './lbfgs.js';
import { type Matrix, copyRowsPadded, linearClasses, linearScores } from './matrix.js';
import { scoresToProba } from './link.js';
import { Kernels } from './wasm/kernels.js';

/** Hyper-parameters of {@link LogisticRegression} (as scikit-learn's, solver lbfgs). */
export interface LogisticParams {
  /** Inverse regularisation strength: the penalty is ||W||² / (2C). */
  C: number;
  max_iter: number;
  tol: number;
  /** `balanced`: each row weighs n / (classes × its class's count), as scikit-learn. */
  class_weight?: 'balanced' | null;
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

/**
 * The data of a fit in WebAssembly memory (rows padded to an even width, and with zero rows to a
 * multiple of four) with the products each objective evaluation needs: for k classes, scores
 * X·Wᵀ and the gradient Rᵀ·X (`scores`, `gradient` in wasm/kernels.wat); for two, the whole
 * evaluation in one pass over X (`logisticBinary`: scores, loss, residuals and gradient). X is
 * copied once per fit.
 */
class LinearWork {
  private readonly k = new Kernels();
  private readonly dp: number;
  private readonly at: { x: number; w: number; b: number; s: number; r: number; g: number; y: number; sums: number };

  /** `labels`: the binary labels (0/1), for {@link binary}. */
  constructor(
    X: Matrix,
    readonly outputs: number,
    labels?: Int32Array,
  ) {
    const { rows: n, cols: d } = X;
    const dp = d + (d % 2);
    const n4 = Math.ceil(n / 4) * 4;
    this.dp = dp;
    const k = this.k;
    // (b: zero intercepts; the objective adds its own)
    const perRow = labels ? 0 : n * outputs * 8;
    this.at = { x: k.alloc(n4 * dp * 8), w: k.alloc(outputs * dp * 8), b: k.alloc(outputs * 8), s: k.alloc(perRow), r: k.alloc(perRow), g: k.alloc(outputs * dp * 8), y: k.alloc(labels ? n4 * 8 : 0), sums: k.alloc(8) };
    // (a lazy matrix writes its rows here directly: no copy of them in JavaScript)
    if (X.writeRows !== undefined) X.writeRows(k.f64(this.at.x, n * dp), dp);
    else copyRowsPadded(k.f64(this.at.x, n * dp), X.data, 0, n, d, dp);
    if (labels) k.f64(this.at.y, n).set(labels);
  }

  /** n × outputs scores of the weights `w` (outputs × d, row-major; no intercept). */
  scores(w: Float64Array, n: number, d: number): Float64Array {
    const wv = this.k.f64(this.at.w, this.outputs * this.dp);
    copyRowsPadded(wv, w, 0, this.outputs, d, this.dp);
    this.k.fn.scores(this.at.x, n, this.dp, this.at.w, this.at.b, this.outputs, this.at.s);
    return this.k.f64(this.at.s, n * this.outputs);
  }

  /** Where to write the residuals (n × outputs) before {@link gradient}. */
  residuals(n: number): Float64Array {
    return this.k.f64(this.at.r, n * this.outputs);
  }

  /** Σ_i r[i, c] · x[i, j] into grad[c * d + j]. */
  gradient(n: number, d: number, grad: Float64Array): void {
    this.k.fn.gradient(this.at.x, n, this.dp, this.at.r, this.outputs, this.at.g);
    const g = this.k.f64(this.at.g, this.outputs * this.dp);
    for (let c = 0; c < this.outputs; c++) grad.set(g.subarray(c * this.dp, c * this.dp + d), c * d);
  }

  /**
   * The summed binary log loss at x = [w (d), b], without the penalty; its gradient into `grad`
   * (d weights, then the intercept).
   */
  binary(x: Float64Array, n: number, d: number, grad: Float64Array): number {
    copyRowsPadded(this.k.f64(this.at.w, this.dp), x, 0, 1, d, this.dp);
    const f = this.k.fn.logisticBinary(this.at.x, n, this.dp, this.at.y, this.at.w, x[d], this.at.g, this.at.sums);
    grad.set(this.k.f64(this.at.g, d));
    grad[d] = this.k.f64(this.at.sums, 1)[0];
    return f;
  }
}

/**
 * The binary log loss at x = [w (d), b] with row weights `rw`, summed, without the
 * penalty; its gradient into `grad` (d weights, then the intercept).
 */
function weightedBinaryLoss(work: LinearWork, x: Float64Array, y: Int32Array, rw: Float64Array, n: number, d: number, grad: Float64Array): number {
  const s = work.scores(x, n, d);
  const res = work.residuals(n);
  const b = x[d];
  let f = 0;
  let gb = 0;
  for (let i = 0; i < n; i++) {
    const z = s[i] + b;
    const w = rw[i];
    f += w * ((z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i] * z);
    const r = w * (1 / (1 + Math.exp(-z)) - y[i]);
    res[i] = r;
    gb += r;
  }
  work.gradient(n, d, grad);
  grad[d] = gb;
  return f;
}

/**
 * Cross-entropy of k-class scores (intercepts b at x[bAt..]) against y, summed; residuals
 * p - onehot(y) into `res` (n × k) and their per-class sums into grad[bAt..]; `p` is k scratch
 * values. A module-level function, not a closure in fit: V8 keeps its optimised code from one
 * fit to the next (a fresh closure per fit started cold each time).
 */
function multinomialLoss(scores: Float64Array, x: Float64Array, bAt: number, y: Int32Array, res: Float64Array, n: number, k: number, p: Float64Array, grad: Float64Array, rw: Float64Array | null): number {
  let f = 0;
  for (let c = 0; c < k; c++) grad[bAt + c] = 0;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      const s = x[bAt + c] + scores[o + c];
      p[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) {
      p[c] = Math.exp(p[c] - max);
      sum += p[c];
    }
    const yi = y[i];
    const w = rw === null ? 1 : rw[i];
    f -= w * Math.log(p[yi] / sum);
    for (let c = 0; c < k; c++) {
      const r = w * (p[c] / sum - (c === yi ? 1 : 0));
      res[o + c] = r;
      grad[bAt + c] += r;
    }
  }
  return f;
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
    const { rows: n, cols: d } = X;
    if (y.length !== n) throw new RangeError(`X has ${n} rows but y has ${y.length} labels`);
    if (classes < 2) throw new RangeError('logistic regression needs at least two classes');
    this.classes = classes;
    this.features = d;
    const invC = 1 / this.params.C;
    // row weights: by class (class_weight balanced) times the rows' sample weights, or none
    const cw = this.params.class_weight === 'balanced' ? balancedClassWeights(y, classes) : null;
    const sw = X.weights ?? null;
    const rw = cw === null && sw === null ? null : Float64Array.from(y, (c, i) => (cw === null ? 1 : cw[c]) * (sw === null ? 1 : sw[i]));
    if (classes === 2) {
      // x = [w (d), b]; unweighted: the fused binary kernel; weighted rows: the loss in JS over
      // the kernel's scores
      const work = rw === null ? new LinearWork(X, 1, y) : new LinearWork(X, 1);
      const objective = (x: Float64Array, grad: Float64Array): number => {
        let f = rw === null ? work.binary(x, n, d, grad) : weightedBinaryLoss(work, x, y, rw, n, d, grad);
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
    const work = new LinearWork(X, k);
    const objective = (x: Float64Array, grad: Float64Array): number => {
      // x = [W (k×d), b (k)]
      const scores = work.scores(x, n, d);
      const res = work.residuals(n);
      let f = multinomialLoss(scores, x, k * d, y, res, n, k, p, grad, rw);
      work.gradient(n, d, grad);
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
    return scoresToProba(this.scores(X), X.rows, this.classes);
  }

  /**
   * The most probable class of each row (as float codes, like every model's predict): the
   * largest linear score (the softmax and the sigmoid keep the order), from the same scores as
   * {@link predictProba}.
   */
  predict(X: Matrix): Float64Array {
    this.checkWidth(X);
    return linearClasses(X, this.coef, this.intercept, this.classes === 2 ? 1 : this.classes);
  }

  /** n × (1 or k) linear scores. */
  private scores(X: Matrix): Float64Array {
    this.checkWidth(X);
    return linearScores(X, this.coef, this.intercept, this.classes === 2 ? 1 : this.classes);
  }

  private checkWidth(X: Matrix): void {
    if (X.cols !== this.features) throw new RangeError(`the model takes ${this.features} features, the data has ${X.cols}`);
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
