import type { Matrix } from './matrix.js';
import { MISSING_BIN } from './binning.js';
import type { Rng } from './random.js';
import { type KernelPartner, Kernels, type PartnerFactory } from './wasm/kernels.js';

/** A fitted binary tree in flat arrays; leaves have feature -1. */
export interface TreeJson {
  feature: number[];
  threshold: number[];
  missingLeft: number[];
  left: number[];
  right: number[];
  /** `outputs` values per node (class probabilities, or one value). */
  values: number[];
  outputs: number;
  /**
   * Splits on categories (gradient boosting's native categorical splits), when the tree has
   * any: per node, the category codes that go left (null for a leaf or a split on a threshold).
   */
  categories?: Array<number[] | null>;
}

/**
 * Whether value `v` goes left at a split on categories with left codes `left` (a 256-byte map):
 * a missing value (NaN, or a negative code: a level never seen) goes as `missingLeft` says, a
 * code in the map left, any other value right (as the `leaves` kernel's $categoryLeft).
 */
function categoryLeft(left: Uint8Array, missingLeft: number, v: number): boolean {
  if (v !== v || v < 0) return missingLeft === 1;
  return v < 255 && left[Math.trunc(v)] === 1;
}

/** The 256-byte map of category codes `codes` (each < 255). */
export function categoryMap(codes: readonly number[]): Uint8Array {
  const m = new Uint8Array(256);
  for (const c of codes) m[c] = 1;
  return m;
}

/** A growable flat tree. */
export class Tree {
  feature: number[] = [];
  threshold: number[] = [];
  missingLeft: number[] = [];
  left: number[] = [];
  right: number[] = [];
  values: number[] = [];
  /** Per node, the category codes that go left at a split on categories, else null; null while the tree has no such split. */
  categories: Array<number[] | null> | null = null;

  /** Typed-array copies for fast prediction, made on first use (a change drops them). */
  private compiled: { feature: Int32Array; threshold: Float64Array; missingLeft: Uint8Array; left: Int32Array; right: Int32Array; maps: Array<Uint8Array | null> | null } | null = null;

  constructor(readonly outputs: number) {}

  /** Adds a leaf with `value` (length `outputs`) and returns its id. */
  addLeaf(value: ArrayLike<number>): number {
    const id = this.feature.length;
    this.compiled = null;
    this.feature.push(-1);
    this.threshold.push(0);
    this.missingLeft.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.categories?.push(null);
    for (let k = 0; k < this.outputs; k++) this.values.push(value[k]);
    return id;
  }

  /** Turns leaf `id` into a split. */
  split(id: number, feature: number, threshold: number, missingLeft: boolean, left: number, right: number): void {
    this.compiled = null;
    this.feature[id] = feature;
    this.threshold[id] = threshold;
    this.missingLeft[id] = missingLeft ? 1 : 0;
    this.left[id] = left;
    this.right[id] = right;
    if (this.categories !== null) this.categories[id] = null;
  }

  /**
   * Turns leaf `id` into a split on categories: rows whose code of `feature` is in `codes`
   * (each < 255) go left, missing values as `missingLeft` says, the others right.
   */
  splitCategories(id: number, feature: number, codes: readonly number[], missingLeft: boolean, left: number, right: number): void {
    this.split(id, feature, 0, missingLeft, left, right);
    this.categories ??= this.feature.map(() => null);
    this.categories[id] = [...codes].sort((a, b) => a - b);
  }

  /** Sets the value of node `id`. */
  setValue(id: number, value: ArrayLike<number>): void {
    for (let k = 0; k < this.outputs; k++) this.values[id * this.outputs + k] = value[k];
  }

  /** The leaf reached by row `i` of `X`. */
  leafOf(X: Matrix, i: number): number {
    let node = 0;
    const o = i * X.cols;
    while (this.feature[node] !== -1) {
      const v = X.data[o + this.feature[node]];
      const codes = this.categories?.[node];
      if (codes != null) node = categoryLeft(categoryMap(codes), this.missingLeft[node], v) ? this.left[node] : this.right[node];
      else node = v !== v ? (this.missingLeft[node] ? this.left[node] : this.right[node]) : v <= this.threshold[node] ? this.left[node] : this.right[node];
    }
    return node;
  }

  /**
   * The leaf of every row of `X` (into `out`): the same as {@link leafOf} row by row, on typed
   * copies of the node arrays, which traverse about twice as fast as the growable ones.
   */
  leavesOf(X: Matrix, out: Int32Array = new Int32Array(X.rows)): Int32Array {
    const c = (this.compiled ??= {
      feature: Int32Array.from(this.feature),
      threshold: Float64Array.from(this.threshold),
      missingLeft: Uint8Array.from(this.missingLeft),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      maps: this.categories === null ? null : this.categories.map((codes) => (codes === null ? null : categoryMap(codes))),
    });
    const { feature, threshold, missingLeft, left, right, maps } = c;
    const data = X.data;
    const d = X.cols;
    for (let i = 0; i < X.rows; i++) {
      const o = i * d;
      let node = 0;
      let f = feature[0];
      while (f !== -1) {
        const v = data[o + f];
        const map = maps === null ? null : maps[node];
        if (map !== null) node = categoryLeft(map, missingLeft[node], v) ? left[node] : right[node];
        else node = v !== v ? (missingLeft[node] === 1 ? left[node] : right[node]) : v <= threshold[node] ? left[node] : right[node];
        f = feature[node];
      }
      out[i] = node;
    }
    return out;
  }

  get size(): number {
    return this.feature.length;
  }

  toJSON(): TreeJson {
    const j: TreeJson = { feature: this.feature, threshold: this.threshold.map((t) => (t === Infinity ? 1e308 : t)), missingLeft: this.missingLeft, left: this.left, right: this.right, values: this.values, outputs: this.outputs };
    if (this.categories !== null) j.categories = this.categories;
    return j;
  }

  static fromJSON(j: TreeJson): Tree {
    const t = new Tree(j.outputs);
    t.feature = j.feature;
    t.threshold = j.threshold;
    t.missingLeft = j.missingLeft;
    t.left = j.left;
    t.right = j.right;
    t.values = j.values;
    t.categories = j.categories ?? null;
    return t;
  }
}

/** Walks rows down an ensemble's trees (see {@link walkerFor}). */
export interface LeafWalker {
  /** The trees (and how many there were) when it was made. */
  readonly trees: readonly Tree[];
  readonly count: number;
  /**
   * For each block of rows of `X` and each tree `t` (in order), `visit(t, start, count, leaves)`
   * with leaves[r] the node id of the leaf row start + r reaches.
   */
  forEachLeaves(X: Matrix, visit: (t: number, start: number, count: number, leaves: Int32Array) => void): void;
  /**
   * Adds every tree's leaf values to `out` (X.rows × k, row-major), trees in order: tree t's
   * `outputs` values of the leaf a row reaches to columns column(t) onwards of the row.
   */
  addValues(X: Matrix, out: Float64Array, k: number, column: (t: number) => number): void;
  /** Lets its partner thread go, if it has one (it is also let go when the walker is collected). */
  close?(): void;
}

/** Ensembles above this many node bytes are walked in JavaScript (wasm memory has 4 GiB). */
const MAX_COMPILED_BYTES = 1 << 30;

/**
 * A walker for `trees`: `previous` when it was made for the same trees, else a new one (the
 * WebAssembly one unless the ensemble is very large).
 */
export function walkerFor(previous: LeafWalker | null, trees: readonly Tree[], partners?: PartnerFactory): LeafWalker {
  if (previous !== null && previous.trees === trees && previous.count === trees.length) return previous;
  let bytes = 0;
  for (const t of trees) bytes += t.size * (16 + 8 * t.outputs);
  if (bytes > MAX_COMPILED_BYTES) {
    const forEachLeaves: LeafWalker['forEachLeaves'] = (X, visit) => {
      const leaves = new Int32Array(X.rows);
      trees.forEach((t, ti) => visit(ti, 0, X.rows, t.leavesOf(X, leaves)));
    };
    return { trees, count: trees.length, forEachLeaves, addValues: (X, out, k, column) => addLeafValues(trees, forEachLeaves, X, out, k, column) };
  }
  return new CompiledTrees(trees, BLOCK_BYTES, partners);
}

/**
 * The prediction walk of an ensemble's trees: a {@link walkerFor} them, remade when the trees
 * change, and the partner factory (see {@link CompiledTrees}) it is made with.
 */
export class EnsembleWalk {
  private walker: LeafWalker | null = null;
  private partners: PartnerFactory | undefined;

  /** Uses `partners` for walks of many rows from now on (lets a previous walker's thread go). */
  threads(partners: PartnerFactory | undefined): void {
    if (partners === this.partners) return;
    this.walker?.close?.();
    this.walker = null;
    this.partners = partners;
  }

  /** {@link LeafWalker.addValues} of `trees`. */
  addValues(trees: readonly Tree[], X: Matrix, out: Float64Array, k: number, column: (t: number) => number): void {
    this.walker = walkerFor(this.walker, trees, this.partners);
    this.walker.addValues(X, out, k, column);
  }
}

/** {@link LeafWalker.addValues} through `forEachLeaves`. */
function addLeafValues(trees: readonly Tree[], forEachLeaves: LeafWalker['forEachLeaves'], X: Matrix, out: Float64Array, k: number, column: (t: number) => number): void {
  forEachLeaves(X, (t, start, count, leaves) => {
    const { values, outputs: m } = trees[t];
    const c0 = column(t);
    for (let r = 0; r < count; r++) {
      const o = (start + r) * k + c0;
      const v = leaves[r] * m;
      for (let j = 0; j < m; j++) out[o + j] += values[v + j];
    }
  });
}

/**
 * Fits of fewer training rows, and predictions of fewer rows, do not use a partner thread
 * (starting one takes ~30 ms; a walker keeps its partner for later calls).
 */
export const PARTNER_ROWS = 20_000;

/** Lets a walker's partner thread go when the walker is collected. */
const partnersToClose = new FinalizationRegistry<KernelPartner>((partner) => partner.close());

/**
 * Bytes of rows per block when predicting with {@link CompiledTrees}: each tree walks the whole
 * block before the next tree starts, so its nodes are fetched into cache once per block. With
 * a forest of deep trees (20,000 nodes each) a block of 4,096 rows took twice as long per step
 * as one of 65,536; boosting's small trees were as fast either way.
 */
const BLOCK_BYTES = 32 << 20;

/**
 * Trees compiled for prediction into WebAssembly memory (the `leaves` kernel of
 * wasm/kernels.wat): each tree's nodes renumbered breadth-first so that a split's children are
 * adjacent, 16 bytes a node. Rows are walked through every tree a block at a time.
 */
export class CompiledTrees implements LeafWalker {
  private readonly k: Kernels;
  private readonly at: number[] = [];
  /** Per tree: compiled index -> node id. */
  private readonly ids: Int32Array[] = [];
  /** Per tree: its `outputs` values per compiled index (f64), for {@link addValues}. */
  private readonly valuesAt: number[] = [];
  private block: { cols: number; rows: number; x: number; out: number } | null = null;
  private scoreBlock: { cols: number; k: number; rows: number; x: number; out: number; table: number; counter: number; scratch: number; scratch2: number } | null = null;
  private partner: KernelPartner | null = null;

  readonly count: number;

  /**
   * `blockBytes`: how much of the rows one block holds (tests use small blocks). `partners`: a
   * second thread for {@link addValues} of many rows (src/runner/kernel-partner.ts); the sums
   * are the same without.
   */
  constructor(
    readonly trees: readonly Tree[],
    private readonly blockBytes = BLOCK_BYTES,
    private readonly partners?: PartnerFactory,
  ) {
    this.k = new Kernels(partners !== undefined);
    this.count = trees.length;
    for (const t of trees) this.at.push(this.k.alloc(t.size * 16));
    // a split on categories: the address of its 256-byte map where the threshold would be (all
    // made before the nodes' views: growing the memory may detach them)
    const mapsAt = trees.map((t) => (t.categories ?? []).map((codes) => (codes === null ? 0 : this.k.alloc(256))));
    trees.forEach((t, ti) => (t.categories ?? []).forEach((codes, id) => codes !== null && this.k.u8(mapsAt[ti][id], 256).set(categoryMap(codes))));
    trees.forEach((t, ti) => {
      const f = this.k.f64(this.at[ti], t.size * 2);
      const w = this.k.i32(this.at[ti], t.size * 4);
      const ids = new Int32Array(t.size);
      let next = 1; // compiled index 0 is the root
      for (let c = 0; c < next; c++) {
        const id = ids[c];
        if (t.feature[id] === -1) {
          f[c * 2] = Infinity;
          w[c * 4 + 2] = 1;
          w[c * 4 + 3] = c;
        } else {
          const codes = t.categories?.[id] ?? null;
          if (codes === null) f[c * 2] = t.threshold[id];
          else w[c * 4] = mapsAt[ti][id];
          w[c * 4 + 2] = t.feature[id] * 4 + (codes === null ? 0 : 2) + (t.missingLeft[id] ? 1 : 0);
          w[c * 4 + 3] = next;
          ids[next++] = t.left[id];
          ids[next++] = t.right[id];
        }
      }
      this.ids.push(ids);
      const at = this.k.alloc(t.size * t.outputs * 8);
      const values = this.k.f64(at, t.size * t.outputs);
      for (let c = 0; c < t.size; c++) for (let j = 0; j < t.outputs; j++) values[c * t.outputs + j] = t.values[ids[c] * t.outputs + j];
      this.valuesAt.push(at);
    });
  }

  /**
   * {@link LeafWalker.addValues} in WebAssembly (`scoreTrees`): a block of rows at a time, its
   * rows claimed in chunks by this thread and, for blocks of {@link PARTNER_ROWS} rows or more,
   * a partner thread (each row summed by one of them, in tree order: the same sums either way).
   */
  addValues(X: Matrix, out: Float64Array, k: number, column: (t: number) => number): void {
    const d = X.cols;
    const most = Math.max(4, Math.floor(this.blockBytes / (8 * Math.max(1, d + k))));
    const need = Math.min(most, X.rows);
    let b = this.scoreBlock;
    if (b === null || b.cols !== d || b.k !== k || b.rows < need) {
      const rows = b === null ? need : most;
      const chunk = rows + 3;
      b = this.scoreBlock = { cols: d, k, rows, x: this.k.alloc((rows + 3) * d * 8), out: this.k.alloc((rows + 3) * k * 8), table: this.k.alloc(this.count * 16), counter: this.k.alloc(4), scratch: this.k.alloc(chunk * 4), scratch2: this.k.alloc(chunk * 4) };
    }
    const table = this.k.i32(b.table, this.count * 4);
    for (let t = 0; t < this.count; t++) table.set([this.at[t], this.valuesAt[t], this.trees[t].outputs, column(t)], t * 4);
    const xs = this.k.f64(b.x, (b.rows + 3) * d);
    const os = this.k.f64(b.out, (b.rows + 3) * k);
    const counter = this.k.i32(b.counter, 1);
    for (let start = 0; start < X.rows; start += b.rows) {
      const count = Math.min(b.rows, X.rows - start);
      const padded = Math.ceil(count / 4) * 4;
      xs.set(X.data.subarray(start * d, (start + count) * d));
      xs.fill(0, count * d, padded * d);
      const sum = (partner: KernelPartner | null): boolean => {
        os.set(out.subarray(start * k, (start + count) * k));
        os.fill(0, count * k, padded * k);
        Atomics.store(counter, 0, 0);
        // chunks of about a sixteenth of the block: a partner that starts late takes fewer
        const chunk = partner === null ? padded : Math.max(256, Math.ceil(padded / 64) * 4);
        const args = [b.table, this.count, b.x, padded, d, k, b.out, b.scratch, b.counter, chunk];
        if (partner !== null) partner.start('scoreTrees', [...args.slice(0, 7), b.scratch2, b.counter, chunk]);
        let summed = this.k.fn.scoreTrees(...(args as Parameters<typeof this.k.fn.scoreTrees>));
        if (partner !== null) summed += partner.join();
        return summed === padded;
      };
      // should the partner fail part-way through a chunk, the block is summed again here alone
      if (!sum(count >= PARTNER_ROWS ? this.partnerThread() : null)) sum(null);
      out.set(os.subarray(0, count * k), start * k);
    }
  }

  close(): void {
    if (this.partner === null) return;
    partnersToClose.unregister(this);
    this.partner.close();
    this.partner = null;
  }

  /** The partner thread, made on first use (null without a factory). */
  private partnerThread(): KernelPartner | null {
    if (this.partners === undefined) return null;
    if (this.partner === null) {
      this.partner = this.k.partner(this.partners);
      partnersToClose.register(this, this.partner, this);
    }
    return this.partner;
  }

  forEachLeaves(X: Matrix, visit: (t: number, start: number, count: number, leaves: Int32Array) => void): void {
    const d = X.cols;
    // blocks of rows padded to a multiple of 4 (kernels.wat)
    const most = Math.max(4, Math.floor(this.blockBytes / (8 * Math.max(1, d))));
    const need = Math.min(most, X.rows);
    if (this.block === null || this.block.cols !== d || this.block.rows < need) {
      // the first block fits the first call; a larger call later gets the largest block (memory is never freed)
      const rows = this.block === null ? need : most;
      this.block = { cols: d, rows, x: this.k.alloc((rows + 3) * d * 8), out: this.k.alloc((rows + 3) * 4) };
    }
    const { x, out, rows } = this.block;
    const xs = this.k.f64(x, (rows + 3) * d);
    const found = this.k.i32(out, rows + 3);
    const leaves = new Int32Array(Math.min(rows, X.rows));
    for (let start = 0; start < X.rows; start += rows) {
      const count = Math.min(rows, X.rows - start);
      xs.set(X.data.subarray(start * d, (start + count) * d));
      const padded = Math.ceil(count / 4) * 4;
      xs.fill(0, count * d, padded * d);
      for (let t = 0; t < this.at.length; t++) {
        this.k.fn.leaves(this.at[t], x, padded, d, out);
        const ids = this.ids[t];
        for (let r = 0; r < count; r++) leaves[r] = ids[found[r]];
        visit(t, start, count, leaves);
      }
    }
  }
}

/** Binned training data shared by the tree builders. */
export interface BinnedData {
  /** Feature-major bins: feature j of row i at [j * rows + i]. */
  bins: Uint8Array;
  rows: number;
  cols: number;
  /** Real-valued upper edge of bin b of feature j (Infinity for the last bin). */
  threshold(j: number, b: number): number;
}

/** Options of {@link buildCartTree}. */
export interface CartOptions {
  /** 'classification' with `classes`, or 'regression'. */
  task: 'classification' | 'regression';
  classes: number;
  criterion: 'gini' | 'entropy' | 'mse';
  maxDepth: number | null;
  minSamplesLeaf: number;
  /** Features tried at each split (all when >= cols). */
  maxFeatures: number;
  rng: Rng;
}

/**
 * Grows a CART tree (depth first) on binned data: class-count histograms (gini or entropy) or
 * sum/sum-of-squares histograms (squared error) per bin, missing values sent to the side that
 * scores better, `maxFeatures` features drawn per split. `weights` are per-row multiplicities
 * (bootstrap counts; rows with 0 are left out). Rows are partitioned in place in one buffer,
 * and each node clears and scans only the bins its rows touch.
 */
export function buildCartTree(data: BinnedData, y: Int32Array | Float64Array, weights: Float64Array, o: CartOptions): Tree {
  const cls = o.task === 'classification';
  const k = cls ? o.classes : 1;
  const tree = new Tree(k);
  const entropy = o.criterion === 'entropy';
  const width = cls ? k : 3;
  const yi32 = cls ? (y as Int32Array) : null;
  const yf = cls ? null : (y as Float64Array);
  let count = 0;
  for (let i = 0; i < data.rows; i++) if (weights[i] > 0) count++;
  const rows = new Int32Array(count);
  for (let i = 0, w = 0; i < data.rows; i++) if (weights[i] > 0) rows[w++] = i;
  const scratch = new Int32Array(count);
  const features = Int32Array.from({ length: data.cols }, (_, j) => j);
  const hist = new Float64Array(256 * width);
  const total = new Float64Array(width);
  const leftAcc = new Float64Array(width);
  const value = new Float64Array(k);
  const missOff = MISSING_BIN * width;

  /** Fills `total` for rows[start, end) and returns the weighted count. */
  const totals = (start: number, end: number): number => {
    total.fill(0);
    let nW = 0;
    if (cls) {
      for (let t = start; t < end; t++) {
        const i = rows[t];
        total[yi32![i]] += weights[i];
        nW += weights[i];
      }
    } else {
      for (let t = start; t < end; t++) {
        const i = rows[t];
        const w = weights[i];
        const v = yf![i];
        total[0] += w * v;
        total[1] += w * v * v;
        total[2] += w;
      }
      nW = total[2];
    }
    return nW;
  };
  const setLeaf = (id: number, nW: number): void => {
    if (cls) for (let c = 0; c < k; c++) value[c] = total[c] / nW;
    else value[0] = total[0] / nW;
    tree.setValue(id, value);
  };

  const root = tree.addLeaf(value);
  setLeaf(root, totals(0, count));
  const stack: number[] = [root, 0, count, 0];
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    const id = stack.pop()!;
    if (o.maxDepth !== null && depth >= o.maxDepth) continue;
    if (end - start < 2 * o.minSamplesLeaf) continue;
    const nW = totals(start, end);
    const parentImp = cls ? impurity(total, 0, k, nW, entropy) : total[1] / nW - (total[0] / nW) ** 2;
    if (parentImp <= 1e-12) continue;
    for (let t = features.length - 1; t > 0; t--) {
      const r = o.rng.int(t + 1);
      const tmp = features[t];
      features[t] = features[r];
      features[r] = tmp;
    }
    let bestGain = 1e-12;
    let bestFeature = -1;
    let bestBin = -1;
    let bestMissingLeft = false;
    const tries = Math.min(o.maxFeatures, data.cols);
    for (let f = 0; f < tries; f++) {
      const j = features[f];
      const base = j * data.rows;
      let minBin = 255;
      let maxBin = 0;
      let missW = 0;
      if (cls) {
        for (let t = start; t < end; t++) {
          const i = rows[t];
          const b = data.bins[base + i];
          hist[b * k + yi32![i]] += weights[i];
          if (b === MISSING_BIN) missW += weights[i];
          else {
            if (b < minBin) minBin = b;
            if (b > maxBin) maxBin = b;
          }
        }
      } else {
        for (let t = start; t < end; t++) {
          const i = rows[t];
          const b = data.bins[base + i];
          const w = weights[i];
          const v = yf![i];
          const h = b * 3;
          hist[h] += w * v;
          hist[h + 1] += w * v * v;
          hist[h + 2] += w;
          if (b === MISSING_BIN) missW += w;
          else {
            if (b < minBin) minBin = b;
            if (b > maxBin) maxBin = b;
          }
        }
      }
      for (let pass = 0; pass < (missW > 0 ? 2 : 1); pass++) {
        const missingLeft = pass === 1;
        leftAcc.fill(0);
        if (missingLeft) for (let c = 0; c < width; c++) leftAcc[c] = hist[missOff + c];
        for (let b = minBin; b < maxBin; b++) {
          const hb = b * width;
          for (let c = 0; c < width; c++) leftAcc[c] += hist[hb + c];
          let lw: number;
          if (cls) {
            lw = 0;
            for (let c = 0; c < k; c++) lw += leftAcc[c];
          } else lw = leftAcc[2];
          const rw = nW - lw;
          if (lw < o.minSamplesLeaf || rw < o.minSamplesLeaf) continue;
          let childImp: number;
          if (cls) {
            let l = 0;
            let r = 0;
            for (let c = 0; c < k; c++) {
              const lc = leftAcc[c] / lw;
              const rc = (total[c] - leftAcc[c]) / rw;
              if (entropy) {
                if (lc > 0) l -= lc * Math.log2(lc);
                if (rc > 0) r -= rc * Math.log2(rc);
              } else {
                l += lc * lc;
                r += rc * rc;
              }
            }
            childImp = entropy ? (lw * l + rw * r) / nW : (lw * (1 - l) + rw * (1 - r)) / nW;
          } else {
            const lMean = leftAcc[0] / lw;
            const rMean = (total[0] - leftAcc[0]) / rw;
            childImp = (leftAcc[1] - lw * lMean * lMean + (total[1] - leftAcc[1]) - rw * rMean * rMean) / nW;
          }
          const gain = parentImp - childImp;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = j;
            bestBin = b;
            bestMissingLeft = missingLeft;
          }
        }
      }
      // clear only what this node touched
      hist.fill(0, minBin * width, (maxBin + 1) * width);
      if (missW > 0) hist.fill(0, missOff, missOff + width);
    }
    if (bestFeature === -1) continue;
    // stable in-place partition of rows[start, end)
    const base = bestFeature * data.rows;
    let l = start;
    let r = 0;
    for (let t = start; t < end; t++) {
      const i = rows[t];
      const b = data.bins[base + i];
      if (b === MISSING_BIN ? bestMissingLeft : b <= bestBin) rows[l++] = i;
      else scratch[r++] = i;
    }
    rows.set(scratch.subarray(0, r), l);
    const left = tree.addLeaf(value);
    setLeaf(left, totals(start, l));
    const right = tree.addLeaf(value);
    setLeaf(right, totals(l, end));
    tree.split(id, bestFeature, data.threshold(bestFeature, bestBin), bestMissingLeft, left, right);
    stack.push(right, l, end, depth + 1, left, start, l, depth + 1);
  }
  return tree;
}

function impurity(counts: Float64Array, off: number, k: number, total: number, entropy: boolean): number {
  if (total <= 0) return 0;
  let s = 0;
  for (let c = 0; c < k; c++) {
    const p = counts[off + c] / total;
    if (p > 0) s += entropy ? -p * Math.log2(p) : p * p;
  }
  return entropy ? s : 1 - s;
}
