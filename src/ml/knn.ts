import type { Matrix } from './matrix.js';
import { predictedClasses } from './metrics.js';

/** Hyper-parameters of {@link KNearestNeighbors} (scikit-learn's names). */
export interface KnnParams {
  n_neighbors: number;
  weights: 'uniform' | 'distance';
}

/** A fitted k-NN model as JSON: it keeps the training rows. */
export interface KnnJson {
  kind: 'knn';
  params: KnnParams;
  task: 'classification' | 'regression';
  classes: number;
  X: { rows: number; cols: number; data: number[] };
  y: number[];
}

/**
 * k-nearest neighbours by Euclidean distance (brute force, a bounded max-heap per query).
 * Classification averages neighbour votes into probabilities; regression averages values;
 * `distance` weights by 1/d, and a query that matches training rows exactly takes only those
 * (as scikit-learn does).
 *
 * @example
 * const knn = new KNearestNeighbors({ n_neighbors: 5, weights: 'uniform' }).fit(X, y, 3);
 */
export class KNearestNeighbors {
  task: 'classification' | 'regression' = 'classification';
  classes = 0;
  X: Matrix = { rows: 0, cols: 0, data: new Float64Array(0) };
  y: Float64Array = new Float64Array(0);

  constructor(readonly params: KnnParams) {}

  fit(X: Matrix, y: Int32Array | Float64Array, classes: number): this {
    this.task = classes > 0 ? 'classification' : 'regression';
    this.classes = classes;
    // the caller's matrix, not a copy (matrices are never changed once made): a search's folds
    // hold hundreds of MB on large tables
    this.X = X;
    this.y = Float64Array.from(y);
    return this;
  }

  /** For each query row, the k nearest training rows and their squared distances. */
  private neighbours(Q: Matrix, visit: (i: number, idx: Int32Array, dist2: Float64Array, count: number) => void): void {
    const k = Math.min(this.params.n_neighbors, this.X.rows);
    const { rows: n, cols: d, data } = this.X;
    const idx = new Int32Array(k);
    const dist = new Float64Array(k);
    for (let q = 0; q < Q.rows; q++) {
      let size = 0;
      const qo = q * d;
      for (let i = 0; i < n; i++) {
        let s = 0;
        const o = i * d;
        for (let j = 0; j < d; j++) {
          const t = data[o + j] - Q.data[qo + j];
          s += t * t;
        }
        if (size < k) {
          // sift up into the max-heap
          let c = size++;
          while (c > 0) {
            const p = (c - 1) >> 1;
            if (dist[p] >= s) break;
            dist[c] = dist[p];
            idx[c] = idx[p];
            c = p;
          }
          dist[c] = s;
          idx[c] = i;
        } else if (s < dist[0]) {
          // replace the farthest and sift down
          let c = 0;
          for (;;) {
            const l = 2 * c + 1;
            if (l >= k) break;
            const r = l + 1;
            const m = r < k && dist[r] > dist[l] ? r : l;
            if (dist[m] <= s) break;
            dist[c] = dist[m];
            idx[c] = idx[m];
            c = m;
          }
          dist[c] = s;
          idx[c] = i;
        }
      }
      visit(q, idx, dist, size);
    }
  }

  private weightsOf(dist2: Float64Array, count: number): Float64Array {
    const w = new Float64Array(count);
    if (this.params.weights === 'uniform') return w.fill(1);
    let exact = false;
    for (let t = 0; t < count; t++) if (dist2[t] === 0) exact = true;
    for (let t = 0; t < count; t++) w[t] = exact ? (dist2[t] === 0 ? 1 : 0) : 1 / Math.sqrt(dist2[t]);
    return w;
  }

  /** n × classes vote shares. */
  predictProba(Q: Matrix): Float64Array {
    if (this.task !== 'classification') throw new Error('predictProba is for classification');
    const k = this.classes;
    const out = new Float64Array(Q.rows * k);
    this.neighbours(Q, (q, idx, dist, count) => {
      const w = this.weightsOf(dist, count);
      let total = 0;
      for (let t = 0; t < count; t++) {
        out[q * k + this.y[idx[t]]] += w[t];
        total += w[t];
      }
      for (let c = 0; c < k; c++) out[q * k + c] /= total;
    });
    return out;
  }

  /** Classes (as float codes) or values. */
  predict(Q: Matrix): Float64Array {
    if (this.task === 'classification') return Float64Array.from(predictedClasses(this.predictProba(Q), this.classes));
    const out = new Float64Array(Q.rows);
    this.neighbours(Q, (q, idx, dist, count) => {
      const w = this.weightsOf(dist, count);
      let s = 0;
      let total = 0;
      for (let t = 0; t < count; t++) {
        s += w[t] * this.y[idx[t]];
        total += w[t];
      }
      out[q] = s / total;
    });
    return out;
  }

  toJSON(): KnnJson {
    return { kind: 'knn', params: this.params, task: this.task, classes: this.classes, X: { rows: this.X.rows, cols: this.X.cols, data: Array.from(this.X.data) }, y: Array.from(this.y) };
  }

  static fromJSON(j: KnnJson): KNearestNeighbors {
    const m = new KNearestNeighbors(j.params);
    m.task = j.task;
    m.classes = j.classes;
    m.X = { rows: j.X.rows, cols: j.X.cols, data: Float64Array.from(j.X.data) };
    m.y = Float64Array.from(j.y);
    return m;
  }
}
