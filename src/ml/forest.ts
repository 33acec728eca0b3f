import { BinMapper, type BinMapperJson } from './binning.js';
import type { Matrix } from './matrix.js';
import { rngStream } from './random.js';
import { type BinnedData, EnsembleWalk, Tree, type TreeJson, buildCartTree } from './tree.js';
import { predictedClasses } from './metrics.js';
import type { PartnerFactory } from './wasm/kernels.js';

/** Hyper-parameters of {@link RandomForest} (scikit-learn's names). */
export interface ForestParams {
  n_estimators: number;
  max_depth: number | null;
  max_features: 'sqrt' | 'log2' | 'all' | number;
  min_samples_leaf: number;
  bootstrap: boolean;
  criterion?: 'gini' | 'entropy' | 'mse';
  /** `balanced`: rows weigh n / (classes × their class's count) in the split criteria and leaves. */
  class_weight?: 'balanced' | null;
}

/** A fitted forest (or single tree) as JSON. */
export interface ForestJson {
  kind: 'random_forest' | 'decision_tree';
  params: ForestParams;
  task: 'classification' | 'regression';
  classes: number;
  seed: number;
  bins: BinMapperJson;
  trees: TreeJson[];
}

function featuresPerSplit(p: ForestParams['max_features'], d: number): number {
  if (p === 'all') return d;
  if (p === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(d)));
  if (p === 'log2') return Math.max(1, Math.floor(Math.log2(d)));
  return Math.max(1, Math.floor(p * d));
}

/** Binned view of a matrix for the tree builders. */
function binned(mapper: BinMapper, X: Matrix): BinnedData {
  return { bins: mapper.transform(X), rows: X.rows, cols: X.cols, threshold: (j, b) => mapper.threshold(j, b) };
}

/**
 * A random forest of CART trees grown on histogram bins (bootstrap rows, `max_features`
 * features per split), averaging class probabilities or values. A decision tree is the forest
 * of one tree without bootstrap over all features. Seeded: each tree draws from its own stream.
 *
 * @example
 * const rf = new RandomForest({ n_estimators: 100, max_depth: null, max_features: 'sqrt', min_samples_leaf: 1, bootstrap: true }, 42);
 * rf.fit(X, y, 3).predictProba(Xtest);
 */
export class RandomForest {
  task: 'classification' | 'regression' = 'classification';
  classes = 0;
  trees: Tree[] = [];
  private readonly walk = new EnsembleWalk();
  mapper = new BinMapper();

  constructor(
    readonly params: ForestParams,
    readonly seed: number,
    readonly kind: 'random_forest' | 'decision_tree' = 'random_forest',
  ) {}

  /** `classes` > 0: classification with labels 0..classes-1; 0: regression on float targets. */
  fit(X: Matrix, y: Int32Array | Float64Array, classes: number, onTree?: (done: number, total: number) => void): this {
    const data = this.prepare(X, classes);
    this.trees = [];
    for (let t = 0; t < this.params.n_estimators; t++) {
      this.trees.push(growForestTree({ data, y, classes, params: this.params, seed: this.seed, kind: this.kind, ...(X.weights !== undefined ? { sampleWeight: X.weights } : {}) }, t));
      onTree?.(t + 1, this.params.n_estimators);
    }
    return this;
  }

  /**
   * Fits the bins and returns the binned data the trees grow on (tree `t` is then
   * {@link growForestTree}; trees are independent, so they may grow in parallel).
   */
  prepare(X: Matrix, classes: number): BinnedData {
    this.task = classes > 0 ? 'classification' : 'regression';
    this.classes = classes;
    this.mapper = new BinMapper(255).fit(X);
    return binned(this.mapper, X);
  }

  /** Mean over trees of the leaf values: n×classes probabilities, or n values. */
  private average(X: Matrix): Float64Array {
    const k = this.task === 'classification' ? this.classes : 1;
    const out = new Float64Array(X.rows * k);
    const trees = this.trees;
    this.walk.addValues(trees, X, out, k, () => 0);
    for (let i = 0; i < out.length; i++) out[i] /= trees.length;
    return out;
  }

  /** n×classes class probabilities (classification). */
  predictProba(X: Matrix): Float64Array {
    if (this.task !== 'classification') throw new Error('predictProba is for classification');
    return this.average(X);
  }

  /** Classes (as float codes) or values. */
  predict(X: Matrix): Float64Array {
    const avg = this.average(X);
    if (this.task === 'regression') return avg;
    const k = this.classes;
    return Float64Array.from(predictedClasses(avg, k));
  }

  /**
   * Predictions of many rows share the trees' walk with a second thread made by `partners`
   * (src/runner/kernel-partner.ts), the same numbers as without. Returns this.
   */
  threads(partners: PartnerFactory | undefined): this {
    this.walk.threads(partners);
    return this;
  }

  toJSON(): ForestJson {
    return { kind: this.kind, params: this.params, task: this.task, classes: this.classes, seed: this.seed, bins: this.mapper.toJSON(), trees: this.trees.map((t) => t.toJSON()) };
  }

  static fromJSON(j: ForestJson): RandomForest {
    const m = new RandomForest(j.params, j.seed, j.kind);
    m.task = j.task;
    m.classes = j.classes;
    m.mapper = BinMapper.fromJSON(j.bins);
    m.trees = j.trees.map((t) => Tree.fromJSON(t));
    return m;
  }
}

/** What growing one tree of a forest needs. */
export interface ForestTreeInput {
  data: BinnedData;
  y: Int32Array | Float64Array;
  classes: number;
  params: ForestParams;
  seed: number;
  kind: 'random_forest' | 'decision_tree';
  /** Row weights (a sample_weight column): each row's bootstrap count is multiplied by its weight. */
  sampleWeight?: Float64Array;
}

/**
 * Grows tree `t` of a forest: its bootstrap sample and feature draws come from the stream
 * `<kind>-tree-<t>` of the seed alone, so a tree is the same wherever and in whatever order it
 * is grown.
 */
export function growForestTree(f: ForestTreeInput, t: number): Tree {
  const n = f.data.rows;
  const task = f.classes > 0 ? 'classification' : 'regression';
  const rng = rngStream(f.seed, `${f.kind}-tree-${t}`);
  const weights = new Float64Array(n);
  if (f.params.bootstrap) for (let s = 0; s < n; s++) weights[rng.int(n)]++;
  else weights.fill(1);
  const sw = f.sampleWeight;
  if (sw !== undefined) for (let i = 0; i < n; i++) weights[i] *= sw[i];
  if (f.params.class_weight === 'balanced' && task === 'classification') {
    // As scikit-learn's "balanced" (from the rows the tree sees, with bootstrap), scaled so the
    // largest class weighs 1 a row: a weight never drops below a row's count, so
    // min_samples_leaf (checked on weights) still allows leaves of that many rows.
    const yc = f.y as Int32Array;
    const counts = new Float64Array(f.classes);
    for (let i = 0; i < n; i++) counts[yc[i]] += weights[i];
    const most = Math.max(...counts);
    for (let i = 0; i < n; i++) if (weights[i] > 0) weights[i] *= most / counts[yc[i]];
  }
  return buildCartTree(f.data, f.y, weights, {
    task,
    classes: f.classes,
    criterion: f.params.criterion ?? (task === 'classification' ? 'gini' : 'mse'),
    maxDepth: f.params.max_depth,
    minSamplesLeaf: f.params.min_samples_leaf,
    maxFeatures: featuresPerSplit(f.params.max_features, f.data.cols),
    rng,
  });
}

/** Binned data from bins made elsewhere (a worker thread) and the mapper's JSON. */
export function binnedFrom(bins: Uint8Array, rows: number, cols: number, mapper: BinMapperJson): BinnedData {
  const m = BinMapper.fromJSON(mapper);
  return { bins, rows, cols, threshold: (j, b) => m.threshold(j, b) };
}

/** Hyper-parameters of {@link decisionTree}. */
export interface TreeParams {
  criterion?: 'gini' | 'entropy' | 'mse';
  max_depth: number | null;
  min_samples_leaf: number;
  class_weight?: 'balanced' | null;
}

/** A single CART decision tree: a forest of one tree, no bootstrap, every feature at each split. */
export function decisionTree(params: TreeParams, seed: number): RandomForest {
  return new RandomForest({ n_estimators: 1, max_depth: params.max_depth, max_features: 'all', min_samples_leaf: params.min_samples_leaf, bootstrap: false, criterion: params.criterion, ...(params.class_weight ? { class_weight: params.class_weight } : {}) }, seed, 'decision_tree');
}
