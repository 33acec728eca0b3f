import { BinMapper, MISSING_BIN } from './binning.js';
import type { Matrix } from './matrix.js';
import { rngStream } from './random.js';
import { trainTestSplit } from './split.js';
import { Tree, type TreeJson } from './tree.js';
import { scoresToProba, softmaxRow } from './link.js';
import { predictedClasses } from './metrics.js';

/** Hyper-parameters (scikit-learn HistGradientBoosting's names and defaults). */
export interface BoostingParams {
  learning_rate: number;
  max_iter: number;
  max_leaf_nodes: number;
  max_depth: number | null;
  min_samples_leaf: number;
  l2_regularization: number;
  max_bins: number;
  early_stopping: boolean | 'auto';
  validation_fraction: number;
  n_iter_no_change: number;
}

/** A fitted booster as JSON. */
export interface BoostingJson {
  kind: 'gradient_boosting';
  params: BoostingParams;
  task: 'classification' | 'regression';
  classes: number;
  seed: number;
  baseline: number[];
  /** Trees per iteration: `outputs` (1, or one per class for more than two classes). */
  trees: TreeJson[];
  outputs: number;
  iterations: number;
  /** Validation loss per iteration (early stopping), if used. */
  validationLoss: number[];
}

const MIN_HESSIAN = 1e-3;

interface Split {
  gain: number;
  feature: number;
  bin: number;
  missingLeft: boolean;
}

interface Node {
  id: number;
  start: number;
  end: number;
  depth: number;
  hist: Float64Array;
  g: number;
  h: number;
  split: Split | null;
}

/**
 * Histogram gradient boosting of regression trees, as scikit-learn's HistGradientBoosting:
 * binary log loss, multiclass cross-entropy (one tree per class per iteration) or squared
 * error; leaf-wise growth up to `max_leaf_nodes` with `max_depth` and `min_samples_leaf`;
 * gradient/hessian histograms per node, the sibling's obtained by subtraction; missing values
 * sent to the better side; shrinkage by `learning_rate`; early stopping on a validation
 * fraction ('auto': on for more than 10,000 rows).
 *
 * @example
 * const gb = new GradientBoosting(params, 42).fit(X, y, 2);
 * gb.predictProba(Xtest);
 */
export class GradientBoosting {
  task: 'classification' | 'regression' = 'classification';
  classes = 0;
  outputs = 1;
  baseline: Float64Array = new Float64Array(1);
  trees: Tree[] = [];
  iterations = 0;
  validationLoss: number[] = [];

  constructor(
    readonly params: BoostingParams,
    readonly seed: number,
  ) {}

  /** `classes` > 0: classification with labels 0..classes-1; 0: regression. */
  fit(X: Matrix, y: Int32Array | Float64Array, classes: number, onIteration?: (done: number, total: number) => void): this {
    const p = this.params;
    this.task = classes > 0 ? 'classification' : 'regression';
    this.classes = classes;
    const K = classes > 2 ? classes : 1;
    this.outputs = K;
    const n = X.rows;
    const early = p.early_stopping === 'auto' ? n > 10_000 : p.early_stopping;
    let trainRows: Int32Array;
    let valRows: Int32Array | null = null;
    if (early) {
      const split = trainTestSplit(n, rngStream(this.seed, 'gbdt-validation'), { testSize: p.validation_fraction, strata: classes > 0 ? (y as Int32Array) : undefined });
      trainRows = split.train;
      valRows = split.test;
    } else trainRows = Int32Array.from({ length: n }, (_, i) => i);
    const nt = trainRows.length;
    const Xt = subsetRows(X, trainRows);
    const yt = classes > 0 ? Int32Array.from(trainRows, (i) => (y as Int32Array)[i]) : Float64Array.from(trainRows, (i) => (y as Float64Array)[i]);
    const mapper = new BinMapper(p.max_bins).fit(Xt);
    const bins = mapper.transform(Xt);
    const d = X.cols;
    const binsByRow = new Uint8Array(bins.length);
    for (let j = 0; j < d; j++) for (let i = 0; i < nt; i++) binsByRow[i * d + j] = bins[j * nt + i];
    const nBins = Int32Array.from({ length: d }, (_, j) => mapper.bins(j));

    // Baseline (raw score before any tree).
    this.baseline = new Float64Array(K);
    if (this.task === 'regression') {
      let s = 0;
      for (let i = 0; i < nt; i++) s += yt[i];
      this.baseline[0] = s / nt;
    } else {
      const counts = new Float64Array(classes);
      for (let i = 0; i < nt; i++) counts[yt[i]]++;
      const eps = 1e-15;
      if (K === 1) {
        const p1 = Math.min(1 - eps, Math.max(eps, counts[1] / nt));
        this.baseline[0] = Math.log(p1 / (1 - p1));
      } else for (let c = 0; c < K; c++) this.baseline[c] = Math.log(Math.max(eps, counts[c] / nt));
    }
    const raw = new Float64Array(nt * K);
    for (let i = 0; i < nt; i++) for (let c = 0; c < K; c++) raw[i * K + c] = this.baseline[c];
    const Xv = valRows === null ? null : subsetRows(X, valRows);
    const yv = valRows === null ? null : classes > 0 ? Int32Array.from(valRows, (i) => (y as Int32Array)[i]) : Float64Array.from(valRows, (i) => (y as Float64Array)[i]);
    const rawVal = Xv === null ? null : new Float64Array(Xv.rows * K);
    if (rawVal !== null) for (let i = 0; i < Xv!.rows; i++) for (let c = 0; c < K; c++) rawVal[i * K + c] = this.baseline[c];

    const grad = new Float64Array(nt);
    const hess = new Float64Array(nt);
    const prob = new Float64Array(K);
    this.trees = [];
    this.validationLoss = [];
    const rows = new Int32Array(nt);
    const scratch = new Int32Array(nt);
    const pool: Float64Array[] = [];
    let best = Infinity;
    for (let it = 0; it < p.max_iter; it++) {
      for (let c = 0; c < K; c++) {
        // gradients and hessians of the loss for output c
        for (let i = 0; i < nt; i++) {
          if (this.task === 'regression') {
            grad[i] = raw[i] - yt[i];
            hess[i] = 1;
          } else if (K === 1) {
            const pr = 1 / (1 + Math.exp(-raw[i]));
            grad[i] = pr - yt[i];
            hess[i] = pr * (1 - pr);
          } else {
            softmaxRow(raw, i, K, prob);
            grad[i] = prob[c] - (yt[i] === c ? 1 : 0);
            hess[i] = prob[c] * (1 - prob[c]);
          }
        }
        for (let i = 0; i < nt; i++) rows[i] = i;
        const { tree, leaves } = this.growTree(bins, binsByRow, nt, d, nBins, grad, hess, rows, scratch, (j, b) => mapper.threshold(j, b), pool);
        // each leaf's rows are a range of `rows` after the partitioning: add its value to them
        for (const leaf of leaves) {
          const v = tree.values[leaf.id];
          for (let t = leaf.start; t < leaf.end; t++) raw[rows[t] * K + c] += v;
        }
        if (rawVal !== null) {
          const leaves = tree.leavesOf(Xv!);
          for (let i = 0; i < Xv!.rows; i++) rawVal[i * K + c] += tree.values[leaves[i]];
        }
        this.trees.push(tree);
      }
      this.iterations = it + 1;
      onIteration?.(it + 1, p.max_iter);
      if (rawVal !== null) {
        const loss = this.loss(rawVal, yv!, K);
        this.validationLoss.push(loss);
        // scikit-learn's rule: stop when none of the last n_iter_no_change scores improved on the one before them by > tol
        const m = p.n_iter_no_change;
        if (this.validationLoss.length > m) {
          const reference = this.validationLoss[this.validationLoss.length - m - 1];
          const recent = this.validationLoss.slice(-m);
          if (recent.every((l) => !(l < reference - 1e-7))) break;
        }
        best = Math.min(best, loss);
      }
    }
    return this;
  }

  private loss(raw: Float64Array, y: Int32Array | Float64Array, K: number): number {
    const n = y.length;
    let s = 0;
    const prob = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      if (this.task === 'regression') s += 0.5 * (raw[i] - y[i]) ** 2;
      else if (K === 1) {
        const z = raw[i];
        s += y[i] === 1 ? Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
      } else {
        softmaxRow(raw, i, K, prob);
        s -= Math.log(Math.max(1e-15, prob[y[i]]));
      }
    }
    return s / n;
  }

  /** Grows one tree leaf-wise on gradients/hessians; leaf values already shrunk. */
  private growTree(bins: Uint8Array, binsByRow: Uint8Array, n: number, d: number, nBins: Int32Array, g: Float64Array, h: Float64Array, rows: Int32Array, scratch: Int32Array, threshold: (j: number, b: number) => number, pool: Float64Array[]): { tree: Tree; leaves: Array<{ id: number; start: number; end: number }> } {
    const p = this.params;
    const lambda = p.l2_regularization;
    const tree = new Tree(1);
    const used: Float64Array[] = [];
    const histOf = (start: number, end: number): Float64Array => {
      // histograms are recycled across nodes and trees (each is d x 256 x 3 doubles)
      const hist = pool.pop()?.fill(0) ?? new Float64Array(d * 256 * 3);
      used.push(hist);
      // Row by row over row-major bins: one contiguous read per row, and all features'
      // histograms stay in cache (feature by feature, partitioned rows miss the cache each time).
      // Four features per step (independent bins, so more memory operations in flight): about
      // 15% faster here, and each bin still sums the same rows in the same order.
      const d4 = d - (d % 4);
      for (let t = start; t < end; t++) {
        const i = rows[t];
        const gi = g[i];
        const hi = h[i];
        const o = i * d;
        let j = 0;
        for (; j < d4; j += 4) {
          const k0 = (j * 256 + binsByRow[o + j]) * 3;
          const k1 = ((j + 1) * 256 + binsByRow[o + j + 1]) * 3;
          const k2 = ((j + 2) * 256 + binsByRow[o + j + 2]) * 3;
          const k3 = ((j + 3) * 256 + binsByRow[o + j + 3]) * 3;
          hist[k0] += gi;
          hist[k0 + 1] += hi;
          hist[k0 + 2]++;
          hist[k1] += gi;
          hist[k1 + 1] += hi;
          hist[k1 + 2]++;
          hist[k2] += gi;
          hist[k2 + 1] += hi;
          hist[k2 + 2]++;
          hist[k3] += gi;
          hist[k3 + 1] += hi;
          hist[k3 + 2]++;
        }
        for (; j < d; j++) {
          const k = (j * 256 + binsByRow[o + j]) * 3;
          hist[k] += gi;
          hist[k + 1] += hi;
          hist[k + 2]++;
        }
      }
      return hist;
    };
    const score = (G: number, H: number): number => (G * G) / (H + lambda);
    const findSplit = (node: Node): Split | null => {
      const count = node.end - node.start;
      if (count < 2 * p.min_samples_leaf) return null;
      if (p.max_depth !== null && node.depth >= p.max_depth) return null;
      const parent = score(node.g, node.h);
      let bestSplit: Split | null = null;
      for (let j = 0; j < d; j++) {
        const hb = j * 768;
        const mo = hb + MISSING_BIN * 3;
        const mG = node.hist[mo];
        const mH = node.hist[mo + 1];
        const mC = node.hist[mo + 2];
        const last = nBins[j] - 1;
        for (let pass = 0; pass < (mC > 0 ? 2 : 1); pass++) {
          let lG = pass === 1 ? mG : 0;
          let lH = pass === 1 ? mH : 0;
          let lC = pass === 1 ? mC : 0;
          for (let b = 0; b < last; b++) {
            const o = hb + b * 3;
            lG += node.hist[o];
            lH += node.hist[o + 1];
            lC += node.hist[o + 2];
            const rC = count - lC;
            if (lC < p.min_samples_leaf) continue;
            if (rC < p.min_samples_leaf) break;
            const rG = node.g - lG;
            const rH = node.h - lH;
            if (lH < MIN_HESSIAN || rH < MIN_HESSIAN) continue;
            const gain = score(lG, lH) + score(rG, rH) - parent;
            if (gain > 1e-12 && (bestSplit === null || gain > bestSplit.gain)) bestSplit = { gain, feature: j, bin: b, missingLeft: pass === 1 };
          }
        }
      }
      return bestSplit;
    };
    const leafValue = (G: number, H: number): number => (-p.learning_rate * G) / (H + lambda);

    let G = 0;
    let H = 0;
    for (let i = 0; i < n; i++) {
      G += g[i];
      H += h[i];
    }
    const rootId = tree.addLeaf([leafValue(G, H)]);
    const root: Node = { id: rootId, start: 0, end: n, depth: 0, hist: histOf(0, n), g: G, h: H, split: null };
    root.split = findSplit(root);
    const open: Node[] = root.split ? [root] : [];
    const done: Node[] = root.split ? [] : [root];
    let leaves = 1;
    while (open.length > 0 && leaves < p.max_leaf_nodes) {
      let k = 0;
      for (let t = 1; t < open.length; t++) if (open[t].split!.gain > open[k].split!.gain) k = t;
      const node = open.splice(k, 1)[0];
      const s = node.split!;
      const base = s.feature * n;
      let l = node.start;
      let r = 0;
      for (let t = node.start; t < node.end; t++) {
        const i = rows[t];
        const b = bins[base + i];
        if (b === MISSING_BIN ? s.missingLeft : b <= s.bin) rows[l++] = i;
        else scratch[r++] = i;
      }
      rows.set(scratch.subarray(0, r), l);
      let lG = 0;
      let lH = 0;
      for (let t = node.start; t < l; t++) {
        lG += g[rows[t]];
        lH += h[rows[t]];
      }
      const leftSmaller = l - node.start <= node.end - l;
      const small = leftSmaller ? histOf(node.start, l) : histOf(l, node.end);
      const large = node.hist; // parent minus the smaller child: the sibling-subtraction trick
      for (let t = 0; t < large.length; t++) large[t] -= small[t];
      const leftHist = leftSmaller ? small : large;
      const rightHist = leftSmaller ? large : small;
      const leftId = tree.addLeaf([leafValue(lG, lH)]);
      const rightId = tree.addLeaf([leafValue(node.g - lG, node.h - lH)]);
      tree.split(node.id, s.feature, threshold(s.feature, s.bin), s.missingLeft, leftId, rightId);
      leaves++;
      for (const child of [
        { id: leftId, start: node.start, end: l, depth: node.depth + 1, hist: leftHist, g: lG, h: lH, split: null },
        { id: rightId, start: l, end: node.end, depth: node.depth + 1, hist: rightHist, g: node.g - lG, h: node.h - lH, split: null },
      ] as Node[]) {
        child.split = findSplit(child);
        if (child.split) open.push(child);
        else done.push(child);
      }
    }
    pool.push(...used);
    return { tree, leaves: [...done, ...open].map((x) => ({ id: x.id, start: x.start, end: x.end })) };
  }

  /** Raw scores (n × outputs). */
  private rawScores(X: Matrix): Float64Array {
    const K = this.outputs;
    const out = new Float64Array(X.rows * K);
    for (let i = 0; i < X.rows; i++) for (let c = 0; c < K; c++) out[i * K + c] = this.baseline[c];
    const leaves = new Int32Array(X.rows);
    this.trees.forEach((tree, t) => {
      const c = t % K;
      tree.leavesOf(X, leaves);
      for (let i = 0; i < X.rows; i++) out[i * K + c] += tree.values[leaves[i]];
    });
    return out;
  }

  /** n × classes probabilities (classification). */
  predictProba(X: Matrix): Float64Array {
    if (this.task !== 'classification') throw new Error('predictProba is for classification');
    return scoresToProba(this.rawScores(X), X.rows, this.classes);
  }

  /** Classes (as float codes) or values. */
  predict(X: Matrix): Float64Array {
    if (this.task === 'regression') return this.rawScores(X);
    const p = this.predictProba(X);
    const k = this.classes;
    return Float64Array.from(predictedClasses(p, k));
  }

  toJSON(): BoostingJson {
    return { kind: 'gradient_boosting', params: this.params, task: this.task, classes: this.classes, seed: this.seed, baseline: Array.from(this.baseline), trees: this.trees.map((t) => t.toJSON()), outputs: this.outputs, iterations: this.iterations, validationLoss: this.validationLoss };
  }

  static fromJSON(j: BoostingJson): GradientBoosting {
    const m = new GradientBoosting(j.params, j.seed);
    m.task = j.task;
    m.classes = j.classes;
    m.outputs = j.outputs;
    m.baseline = Float64Array.from(j.baseline);
    m.trees = j.trees.map((t) => Tree.fromJSON(t));
    m.iterations = j.iterations;
    m.validationLoss = j.validationLoss;
    return m;
  }
}

function subsetRows(X: Matrix, rows: Int32Array): Matrix {
  const data = new Float64Array(rows.length * X.cols);
  for (let t = 0; t < rows.length; t++) data.set(X.data.subarray(rows[t] * X.cols, (rows[t] + 1) * X.cols), t * X.cols);
  return { rows: rows.length, cols: X.cols, data };
}
