import { type Matrix, choleskySolve, linearScores } from './matrix.js';

/** Hyper-parameters of {@link RidgeRegression} (as scikit-learn's Ridge). */
export interface RidgeParams {
  alpha: number;
  fit_intercept: boolean;
}

/** A fitted ridge model as JSON. */
export interface RidgeJson {
  kind: 'ridge';
  params: RidgeParams;
  coef: number[];
  intercept: number;
}

/**
 * Linear least squares with an L2 penalty: minimises ||y - Xw - b||² + alpha·||w||² (the
 * intercept is not penalised), solved in closed form by Cholesky on the centred normal
 * equations.
 *
 * @example
 * const m = new RidgeRegression({ alpha: 1, fit_intercept: true }).fit(X, y);
 * m.predict(X);
 */
export class RidgeRegression {
  coef: Float64Array = new Float64Array(0);
  intercept = 0;

  constructor(readonly params: RidgeParams) {}

  /** Fits on X's rows, weighted by X.weights when it has them (the weighted least squares). */
  fit(X: Matrix, y: Float64Array): this {
    const { rows: n, cols: d, data } = X;
    if (y.length !== n) throw new RangeError(`X has ${n} rows but y has ${y.length} values`);
    const sw = X.weights ?? null;
    const xMean = new Float64Array(d);
    let yMean = 0;
    if (this.params.fit_intercept) {
      let total = 0;
      for (let i = 0; i < n; i++) {
        const w = sw === null ? 1 : sw[i];
        for (let j = 0; j < d; j++) xMean[j] += w * data[i * d + j];
        yMean += w * y[i];
        total += w;
      }
      for (let j = 0; j < d; j++) xMean[j] /= total;
      yMean /= total;
    }
    const a = new Float64Array(d * d);
    const b = new Float64Array(d);
    const row = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const w = sw === null ? 1 : sw[i];
      for (let j = 0; j < d; j++) row[j] = data[i * d + j] - xMean[j];
      const yi = (y[i] - yMean) * w;
      for (let j = 0; j < d; j++) {
        const rj = row[j];
        if (rj === 0) continue;
        b[j] += rj * yi;
        const wr = w * rj;
        for (let k = 0; k <= j; k++) a[j * d + k] += wr * row[k];
      }
    }
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < j; k++) a[k * d + j] = a[j * d + k];
      a[j * d + j] += this.params.alpha;
    }
    let w = choleskySolve(a, b, d);
    if (w === null) {
      // alpha = 0 with collinear columns: add the smallest jitter that makes it solvable.
      for (let eps = 1e-10; w === null && eps < 1; eps *= 100) {
        const aj = Float64Array.from(a);
        for (let j = 0; j < d; j++) aj[j * d + j] += eps;
        w = choleskySolve(aj, b, d);
      }
    }
    this.coef = w ?? new Float64Array(d);
    let dotMean = 0;
    for (let j = 0; j < d; j++) dotMean += xMean[j] * this.coef[j];
    this.intercept = this.params.fit_intercept ? yMean - dotMean : 0;
    return this;
  }

  predict(X: Matrix): Float64Array {
    return linearScores(X, this.coef, [this.intercept], 1);
  }

  toJSON(): RidgeJson {
    return { kind: 'ridge', params: this.params, coef: Array.from(this.coef), intercept: this.intercept };
  }

  static fromJSON(j: RidgeJson): RidgeRegression {
    const m = new RidgeRegression(j.params);
    m.coef = Float64Array.from(j.coef);
    m.intercept = j.intercept;
    return m;
  }
}
