import { balancedRowWeights } from './class-weight.js';
import { BinMapper } from './binning.js';
import { type CategoryColumns, type Matrix, categoryCodes, subsetRows, takeValues } from './matrix.js';
import { rngStream } from './random.js';
import { trainTestSplit } from './split.js';
import { EnsembleWalk, PARTNER_ROWS, Tree, type TreeJson, categoryMap } from './tree.js';
import { type KernelPartner, Kernels, type PartnerFactory } from './wasm/kernels.js';
import { scoresToProba, softmax } from './link.js';
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
  /** `balanced`: gradients and hessians weighted by n / (classes × the row's class count). */
  class_weight?: 'balanced' | null;
  /**
   * Category columns (a preprocessing's one-hot groups and ordinal codes, see Matrix.categories):
   * `native` (absent: the same) splits on sets of their levels; `encoded` splits their encoded
   * columns as numbers.
   */
  categorical?: 'native' | 'encoded';
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
  /**
   * With native categorical splits: the input's column count and its category columns; the
   * trees' features are then the columns with each of those made one column of level codes.
   */
  categorical?: { cols: number; categories: CategoryColumns[] };
}

const MIN_HESSIAN = 1e-3;

/**
 * Doubles per feature in a node histogram: 256 bins of [sum of gradients, sum of hessians,
 * count, unused] (the layout of the `histogram` kernel in wasm/kernels.wat).
 */
const HIST_FEATURE = 256 * 4;

/**
 * Nodes with at least this many rows are partitioned in two halves of their rows, the second by
 * a {@link KernelPartner} (another thread when there is one), the halves' left sums added first
 * half first. Whether a node is halved depends only on its size, so a model is the same with one
 * thread or two.
 */
const HALVED_ROWS = 4096;

/**
 * Histograms of nodes with at least this many rows are made by the partner and this thread
 * together, half the features each (each bin is summed over the same rows in the same order
 * either way). Below it, waiting for each other costs more than the second thread saves.
 */
const SHARED_HISTOGRAM_ROWS = 1024;

/**
 * Tables whose bins and gradients take more than this many bytes keep their rows in node order
 * (see NodeWork.ordered): a small node's rows are otherwise scattered over the table, and each
 * row's loads wait for memory (on 1M rows: ~140 ns a row for a random 5%, against 17 ns a row
 * in order). Smaller tables stay in cache, where moving the rows only costs. The model is the
 * same either way (tests lower it through {@link GradientBoosting.orderedBytes}).
 */
const ORDERED_BYTES = 16 << 20;

interface Split {
  gain: number;
  feature: number;
  bin: number;
  missingLeft: boolean;
  /** A split on categories: the codes (bins) that go left. */
  codes?: number[];
}

/**
 * Levels a category column may have for native splits (its codes are its bins, 255 being
 * missing); a column with more is split as numbers.
 */
export const MAX_CATEGORY_LEVELS = 254;

/**
 * Fewest rows (or hessian, with squared error) a level needs in a node to be placed by a split
 * on categories, and the smoothing of its gradient ratio (scikit-learn's MIN_CAT_SUPPORT);
 * levels with fewer go right.
 */
const MIN_CATEGORY_SUPPORT = 10;

/**
 * The best split on the levels of a category feature from its histogram `h` (256 bins of
 * [g, h, count, unused]; bin 255 holds missing values, a level of its own here): the levels
 * with support sorted by g / (h + MIN_CATEGORY_SUPPORT), and the best of the first up to half
 * of them, from either end, going left (as scikit-learn's and LightGBM's categorical splits).
 * `countAt`: the index of a bin's count (1: the hessian sums, when every hessian is 1).
 */
export function categorySplit(h: Float64Array, levels: number, count: number, G: number, H: number, lambda: number, minLeaf: number, countAt: number): { gain: number; codes: number[]; missingLeft: boolean } | null {
  const used: Array<{ bin: number; g: number; h: number; c: number; ratio: number }> = [];
  for (let b = 0; b <= levels; b++) {
    const bin = b === levels ? 255 : b;
    const c = h[bin * 4 + countAt];
    if (c >= MIN_CATEGORY_SUPPORT) used.push({ bin, g: h[bin * 4], h: h[bin * 4 + 1], c, ratio: h[bin * 4] / (h[bin * 4 + 1] + MIN_CATEGORY_SUPPORT) });
  }
  if (used.length <= 1) return null;
  used.sort((a, b) => a.ratio - b.ratio || a.bin - b.bin);
  const parent = (G * G) / (H + lambda);
  const middle = (used.length + 1) >> 1;
  let best = -Infinity;
  let take = 0;
  let fromEnd = false;
  for (const reverse of [false, true]) {
    let lG = 0;
    let lH = 0;
    let lC = 0;
    for (let i = 0; i < middle; i++) {
      const u = used[reverse ? used.length - 1 - i : i];
      lG += u.g;
      lH += u.h;
      lC += u.c;
      if (lC < minLeaf) continue;
      if (count - lC < minLeaf) break;
      const rG = G - lG;
      const rH = H - lH;
      if (lH < MIN_HESSIAN || rH < MIN_HESSIAN) continue;
      const gain = (lG * lG) / (lH + lambda) + (rG * rG) / (rH + lambda) - parent;
      if (gain > 1e-12 && gain > best) {
        best = gain;
        take = i + 1;
        fromEnd = reverse;
      }
    }
  }
  if (take === 0) return null;
  const left = (fromEnd ? used.slice(used.length - take) : used.slice(0, take)).map((u) => u.bin);
  return { gain: best, codes: left.filter((b) => b !== 255).sort((a, b) => a - b), missingLeft: left.includes(255) };
}

/**
 * The per-node work of growing trees, in WebAssembly (wasm/kernels.wat) over one shared memory
 * holding the training rows' bins (row-major for histograms, feature-major for partitioning),
 * the raw scores and labels, the gradients and hessians, the rows array (each node's rows are a
 * range of it) and the node histograms, which are recycled. Large nodes' work is shared with a
 * partner (see {@link HALVED_ROWS} and {@link SHARED_HISTOGRAM_ROWS}). Views of a shared memory stay valid when it grows.
 */
class NodeWork {
  private readonly k = new Kernels(true);
  private readonly at: { bins: number; cols: number; gh: number; rows: number; scratch: number; nBins: number; out: number; out2: number; raw: number; y: number; probs: number; bins0: number; ident: number; scratchBins: number; scratchGh: number; table: number };
  /** Per feature: its levels when it is a category feature (split on sets of levels), else 0. */
  private levels: Int32Array;
  /**
   * Rows kept in node order (tables larger than the caches: see ORDERED_BYTES): the
   * partitions move each row's bins (`stride` bytes, padded to 4) and gradients with it, so
   * a node's histogram reads one stream; every tree starts again from the rows in table order.
   */
  readonly ordered: boolean;
  private readonly stride: number;
  private readonly free: number[] = [];
  private partner: KernelPartner;

  /** The partner thread (when one is made) starts first: it boots while the rows are binned. */
  constructor(
    readonly n: number,
    readonly d: number,
    /** Every hessian is 1 (squared error): histograms keep no counts, the hessian sums are them. */
    private readonly constantHessian: boolean,
    /** Raw scores per row (class-major: class c's at [c * n, (c + 1) * n)). */
    readonly outputs: number,
    partners: PartnerFactory | undefined,
    orderedBytes: number,
  ) {
    const k = this.k;
    this.partner = k.partner(n >= PARTNER_ROWS ? partners : undefined);
    this.ordered = n * (d + 16) > orderedBytes;
    this.stride = this.ordered ? Math.ceil(d / 4) * 4 : d;
    const ordered = this.ordered;
    this.at = {
      bins: k.alloc(n * this.stride),
      cols: ordered ? 0 : k.alloc(n * d),
      bins0: ordered ? k.alloc(n * this.stride) : 0,
      ident: ordered ? k.alloc(n * 4) : 0,
      scratchBins: ordered ? k.alloc(n * this.stride) : 0,
      scratchGh: ordered ? k.alloc(n * 16) : 0,
      gh: k.alloc(n * 16),
      rows: k.alloc(n * 4),
      scratch: k.alloc(n * 4),
      nBins: k.alloc(d * 4),
      out: k.alloc(24),
      out2: k.alloc(24),
      // one more row: the gradient kernels read rows in pairs
      raw: k.alloc((n * outputs + 1) * 8),
      y: k.alloc((n + 1) * 8),
      probs: outputs > 1 ? k.alloc((n * outputs + 1) * 8) : 0,
      table: k.alloc(256),
    };
    this.levels = new Int32Array(d);
  }

  /**
   * The training rows' bins (feature-major, n per feature), each feature's bin count and, for
   * category features, their levels (0 for the others): those are left out of the thresholds
   * `bestSplit` tries and split on sets of levels instead.
   */
  setBins(bins: Uint8Array, nBins: Int32Array, levels: Int32Array): void {
    const { n, d, k, stride } = this;
    if (!this.ordered) k.u8(this.at.cols, n * d).set(bins);
    const byRow = k.u8(this.ordered ? this.at.bins0 : this.at.bins, n * stride);
    for (let j = 0; j < d; j++) for (let i = 0, o = j; i < n; i++, o += stride) byRow[o] = bins[j * n + i];
    if (this.ordered) {
      const ident = k.i32(this.at.ident, n);
      for (let i = 0; i < n; i++) ident[i] = i;
    }
    // a category feature has one bin for the threshold kernel: no threshold of it is tried
    k.i32(this.at.nBins, d).set(nBins.map((b, j) => (levels[j] > 0 ? 1 : b)));
    this.levels = levels;
  }

  /** Before each tree (rows in table order again): the rows' bins in table order (half the bytes copied by the partner). */
  startTree(): void {
    if (!this.ordered) return;
    const { bins, bins0 } = this.at;
    const bytes = this.n * this.stride;
    const half = Math.floor(bytes / 2);
    this.partner.start('copyBytes', [bins + half, bins0 + half, bytes - half]);
    this.k.fn.copyBytes(bins, bins0, half);
    this.partner.join();
  }

  /** Lets the partner thread go. */
  close(): void {
    this.partner.close();
  }

  /** Gradients and hessians, interleaved: row i's are [2i] and [2i + 1]. */
  gh(): Float64Array {
    return this.k.f64(this.at.gh, 2 * this.n);
  }

  /** The raw scores (n × outputs, class-major). */
  raw(): Float64Array {
    return this.k.f64(this.at.raw, this.n * this.outputs);
  }

  /** The labels as numbers (binary: 0 or 1; else the class), for {@link binaryGradients} and {@link classGradients}. */
  labels(): Float64Array {
    return this.k.f64(this.at.y, this.n);
  }

  /** Gradients and hessians of the binary log loss from the raw scores and labels, half the rows each side. */
  binaryGradients(): void {
    const { raw, y, gh } = this.at;
    const mid = this.halfRows();
    if (mid < this.n) this.partner.start('binaryGradients', [raw, y, mid, this.n, gh]);
    this.k.fn.binaryGradients(raw, y, 0, mid, gh);
    if (mid < this.n) this.partner.join();
  }

  /** A tree's start: the rows in table order, and the sums of the gradients and of the hessians (in row order). */
  startRows(): { G: number; H: number } {
    const { rows, gh, out } = this.at;
    this.k.fn.startRows(rows, gh, this.n, out);
    const s = this.k.f64(out, 2);
    return { G: s[0], H: s[1] };
  }

  /** Room for {@link addLeaves}' list (16 bytes a leaf), grown as needed. */
  private leafList = 0;
  private leafCap = 0;

  /**
   * Adds each leaf's value (`values[leaf.id]`) to the raw scores of output `c` of its rows (a
   * range of the rows after the partitioning). A partner takes the leaves past half the rows:
   * each row is added to once, so the scores are the same whoever adds.
   */
  addLeaves(leaves: ReadonlyArray<{ id: number; start: number; end: number }>, values: ArrayLike<number>, c: number): void {
    const L = leaves.length;
    if (this.leafCap < L) {
      this.leafCap = Math.max(64, L);
      this.leafList = this.k.alloc(this.leafCap * 16);
    }
    const list = this.leafList;
    const ints = this.k.i32(list, 4 * L);
    const vals = this.k.f64(list, 2 * L);
    let split = L;
    for (let l = 0, seen = 0; l < L; l++) {
      const { id, start, end } = leaves[l];
      ints[4 * l] = start;
      ints[4 * l + 1] = end;
      vals[2 * l + 1] = values[id];
      seen += end - start;
      if (split === L && seen >= this.n >> 1) split = l + 1;
    }
    const { rows, raw } = this.at;
    const scores = raw + c * this.n * 8;
    const shared = this.halfRows() < this.n && split < L;
    if (shared) this.partner.start('addLeaves', [rows, scores, list, split, L]);
    this.k.fn.addLeaves(rows, scores, list, 0, shared ? split : L);
    if (shared) this.partner.join();
  }

  /** The class probabilities of every row from the raw scores (class-major, as the raw scores), half the rows each side. */
  softmax(): void {
    const { raw, probs } = this.at;
    const mid = this.halfRows();
    if (mid < this.n) this.partner.start('softmax', [raw, this.n, this.outputs, mid, this.n, probs]);
    this.k.fn.softmax(raw, this.n, this.outputs, 0, mid, probs);
    if (mid < this.n) this.partner.join();
  }

  /** Gradients and hessians of the multiclass log loss for class c from {@link softmax}'s probabilities, half the rows each side. */
  classGradients(c: number): void {
    const { probs, y, gh } = this.at;
    const p = probs + c * this.n * 8;
    const mid = this.halfRows();
    if (mid < this.n) this.partner.start('classGradients', [p, y, c, mid, this.n, gh]);
    this.k.fn.classGradients(p, y, c, 0, mid, gh);
    if (mid < this.n) this.partner.join();
  }

  /** Where the second half of the rows starts for the row-wise kernels (even), or n when they are not halved. */
  private halfRows(): number {
    return this.n >= HALVED_ROWS ? (this.n >> 1) & ~1 : this.n;
  }

  /** A histogram of rows[start..end) (d × HIST_FEATURE doubles); returns its offset. */
  histogram(start: number, end: number): number {
    const hist = this.free.pop() ?? this.k.alloc(this.d * HIST_FEATURE * 8);
    const { rows, bins, gh } = this.at;
    const { d, stride } = this;
    const counted = this.constantHessian ? 0 : 1;
    // rows in node order: position t's row is t of the moved arrays
    const at = this.ordered ? this.at.ident : rows;
    if (end - start < SHARED_HISTOGRAM_ROWS || d < 2) {
      this.k.fn.histogram(at, start, end, bins, stride, 0, d, gh, hist, counted);
      return hist;
    }
    const f = d >> 1;
    this.partner.start('histogram', [at, start, end, bins, stride, f, d, gh, hist, counted]);
    this.k.fn.histogram(at, start, end, bins, stride, 0, f, gh, hist, counted);
    this.partner.join();
    return hist;
  }

  /** `large` -= `small`: the sibling's histogram from its parent's (the subtraction trick). */
  subtract(large: number, small: number): void {
    this.k.fn.subtract(large, small, this.d * HIST_FEATURE);
  }

  release(hist: number): void {
    this.free.push(hist);
  }

  /**
   * Partitions rows[start..end) on split `s` of its feature (bin <= s.bin, missing values as
   * s.missingLeft says; or the bins s.codes), stably: the first right row and the left sums. A
   * large node's halves are partitioned apart (the second by the partner) and the first half's
   * right rows swapped with the second half's left ones.
   */
  partition(start: number, end: number, s: Split): { l: number; g: number; h: number } {
    const { rows, scratch, gh, out, out2, bins, scratchBins, scratchGh, table } = this.at;
    const feature = s.feature;
    const col = this.at.cols + feature * this.n;
    const stride = this.stride;
    // the bins that go left, for the kernels
    const left = this.k.u8(table, 256);
    if (s.codes !== undefined) left.set(categoryMap(s.codes));
    else for (let b = 0; b < 255; b++) left[b] = b <= s.bin ? 1 : 0;
    left[255] = s.missingLeft ? 1 : 0;
    // a half [from, to) to `sums`: the right rows through the scratch from `s` on
    const args = (from: number, to: number, s: number, sums: number): number[] =>
      this.ordered ? [from, to, rows, bins, stride, feature, table, gh, scratch + s * 4, scratchBins + s * stride, scratchGh + s * 16, sums] : [rows, from, to, col, table, scratch + s * 4, gh, sums];
    const kernel = this.ordered ? 'partitionMoving' : 'partition';
    const run = (a: number[]): number => (this.k.fn[kernel] as (...a: number[]) => number)(...a);
    if (end - start < HALVED_ROWS) {
      const l = run(args(start, end, 0, out));
      const sums = this.k.f64(out, 2);
      return { l, g: sums[0], h: sums[1] };
    }
    const mid = start + ((end - start) >> 1);
    // the partner's right rows go to the scratch past the first half's
    this.partner.start(kernel, args(mid, end, mid - start, out2));
    const lA = run(args(start, mid, 0, out));
    const lB = this.partner.join();
    if (lA < mid && lB > mid) {
      // the first half's right rows and the second half's left ones change places (the rows'
      // bins, the largest part, by the partner)
      if (this.ordered) this.partner.start('swapBlocks', [bins + lA * stride, bins + mid * stride, bins + lB * stride, scratchBins]);
      this.k.fn.swapBlocks(rows + lA * 4, rows + mid * 4, rows + lB * 4, scratch);
      if (this.ordered) {
        this.k.fn.swapBlocks(gh + lA * 16, gh + mid * 16, gh + lB * 16, scratchGh);
        this.partner.join();
      }
    }
    const a = this.k.f64(out, 2);
    const b = this.k.f64(out2, 2);
    return { l: lA + (lB - mid), g: a[0] + b[0], h: a[1] + b[1] };
  }

  /**
   * The best split of a node from its histogram, or null. With a partner, the two search half
   * the features each; the second half's best wins only with a larger gain, as in one search.
   */
  bestSplit(hist: number, count: number, G: number, H: number, lambda: number, minLeaf: number): Split | null {
    const { nBins, out, out2 } = this.at;
    const d = this.d;
    const countAt = this.constantHessian ? 8 : 16;
    const f = d >= 8 ? d >> 1 : d;
    if (f < d) this.partner.start('bestSplit', [hist + f * HIST_FEATURE * 8, d - f, nBins + f * 4, count, G, H, lambda, minLeaf, MIN_HESSIAN, countAt, out2]);
    const a = this.k.fn.bestSplit(hist, f, nBins, count, G, H, lambda, minLeaf, MIN_HESSIAN, countAt, out);
    const b = f < d ? this.partner.join() : 0;
    let best: Split | null = null;
    if (a !== 0 || b !== 0) {
      const at = b !== 0 && (a === 0 || this.k.f64(out2, 1)[0] > this.k.f64(out, 1)[0]) ? out2 : out;
      const ints = this.k.i32(at + 8, 3);
      best = { gain: this.k.f64(at, 1)[0], feature: ints[0] + (at === out2 ? f : 0), bin: ints[1], missingLeft: ints[2] === 1 };
    }
    // category features (after the thresholds; one wins only with a larger gain)
    for (let j = 0; j < d; j++) {
      if (this.levels[j] === 0) continue;
      const c = categorySplit(this.k.f64(hist + j * HIST_FEATURE * 8, HIST_FEATURE), this.levels[j], count, G, H, lambda, minLeaf, this.constantHessian ? 1 : 2);
      if (c !== null && (best === null || c.gain > best.gain)) best = { gain: c.gain, feature: j, bin: 0, missingLeft: c.missingLeft, codes: c.codes };
    }
    return best;
  }
}

interface Node {
  id: number;
  start: number;
  end: number;
  depth: number;
  /** Offset of its histogram in the NodeWork memory. */
  hist: number;
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
  /** Tables whose bins and gradients take more bytes than this keep their rows in node order while trees grow (the same model; tests lower it). */
  static orderedBytes = ORDERED_BYTES;
  /** Tests: given a copy of the training rows' raw scores (class-major) at the end of each fit, to check them against the trees. */
  static onTrainScores: ((raw: Float64Array) => void) | null = null;
  task: 'classification' | 'regression' = 'classification';
  classes = 0;
  outputs = 1;
  baseline: Float64Array = new Float64Array(1);
  trees: Tree[] = [];
  private readonly walk = new EnsembleWalk();
  iterations = 0;
  validationLoss: number[] = [];
  /** Native categorical splits: see {@link BoostingJson.categorical}. */
  categorical: { cols: number; categories: CategoryColumns[] } | null = null;

  constructor(
    readonly params: BoostingParams,
    readonly seed: number,
  ) {}

  /**
   * `classes` > 0: classification with labels 0..classes-1; 0: regression. `partners`: a
   * second thread for the kernels (src/runner/kernel-partner.ts); the model is the same without.
   */
  fit(X: Matrix, y: Int32Array | Float64Array, classes: number, onIteration?: (done: number, total: number) => void, partners?: PartnerFactory): this {
    const p = this.params;
    const sampleWeight = X.weights ?? null;
    // category columns as one column of level codes each, split on sets of levels
    const categories = p.categorical === 'encoded' ? [] : (X.categories ?? []).filter((g) => g.levels >= 2 && g.levels <= MAX_CATEGORY_LEVELS);
    this.categorical = categories.length === 0 ? null : { cols: X.cols, categories };
    const levels = new Int32Array(categories.length === 0 ? X.cols : X.cols - categories.reduce((a, g) => a + g.width - 1, 0));
    if (this.categorical !== null) {
      const starts = new Map(categories.map((g) => [g.start, g]));
      for (let j = 0, c = 0; j < X.cols; c++) {
        const g = starts.get(j);
        if (g !== undefined) levels[c] = g.levels;
        j += g === undefined ? 1 : g.width;
      }
      X = categoryCodes(X, categories);
    }
    this.task = classes > 0 ? 'classification' : 'regression';
    this.classes = classes;
    const K = classes > 2 ? classes : 1;
    this.outputs = K;
    this.walk.threads(partners);
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
    const d = X.cols;
    // weighted rows have hessians other than 1: histograms count rows then
    const work = new NodeWork(nt, d, this.task === 'regression' && sampleWeight === null, K, partners, GradientBoosting.orderedBytes);
    try {
      // the training rows are binned straight from X (no copy of them: 145 MB at 900k x 20)
      const fitRows = valRows === null ? null : trainRows;
      const yt = valRows === null ? y : takeValues(y, trainRows);
      const mapper = new BinMapper(p.max_bins).fit(X, fitRows);
      // a category feature's bins are its codes
      levels.forEach((l, j) => l > 0 && (mapper.upper[j] = Float64Array.from({ length: l - 1 }, (_, c) => c + 0.5)));
      work.setBins(mapper.transform(X, fitRows), Int32Array.from({ length: d }, (_, j) => mapper.bins(j)), levels);
      const wt = sampleWeight === null ? null : valRows === null ? sampleWeight : takeValues(sampleWeight, trainRows);
      this.grow(work, yt, wt, classes, K, mapper, X, y, valRows, onIteration);
      GradientBoosting.onTrainScores?.(work.raw().slice());
    } finally {
      work.close();
    }
    return this;
  }

  /** The trees of a fit, on `work` (the training rows `yt`, weighted by `wt` when given, binned by `mapper`); `valRows` of X for early stopping. */
  private grow(work: NodeWork, yt: Int32Array | Float64Array, wt: Float64Array | null, classes: number, K: number, mapper: BinMapper, X: Matrix, y: Int32Array | Float64Array, valRows: Int32Array | null, onIteration?: (done: number, total: number) => void): void {
    const p = this.params;
    const nt = work.n;
    // class_weight balanced and sample weights: each training row's gradient and hessian are scaled by its weight
    let rowWeight = classes > 0 && p.class_weight === 'balanced' ? balancedRowWeights(yt as Int32Array, classes) : null;
    if (wt !== null) rowWeight = rowWeight === null ? wt : rowWeight.map((w, i) => w * wt[i]);

    // Baseline (raw score before any tree).
    this.baseline = new Float64Array(K);
    if (this.task === 'regression') {
      let s = 0;
      let total = 0;
      for (let i = 0; i < nt; i++) {
        const w = rowWeight === null ? 1 : rowWeight[i];
        s += w * yt[i];
        total += w;
      }
      this.baseline[0] = s / total;
    } else {
      const counts = new Float64Array(classes);
      for (let i = 0; i < nt; i++) counts[yt[i]] += rowWeight === null ? 1 : rowWeight[i];
      const eps = 1e-15;
      const total = counts.reduce((a, b) => a + b, 0);
      if (K === 1) {
        const p1 = Math.min(1 - eps, Math.max(eps, counts[1] / total));
        this.baseline[0] = Math.log(p1 / (1 - p1));
      } else for (let c = 0; c < K; c++) this.baseline[c] = Math.log(Math.max(eps, counts[c] / total));
    }
    // raw scores and probabilities class-major (class c's at [c * nt, (c + 1) * nt)): each tree's
    // loops then run through one contiguous array (row-major, every access was a cache miss)
    const raw = work.raw();
    for (let c = 0; c < K; c++) raw.fill(this.baseline[c], c * nt, (c + 1) * nt);
    if (this.task === 'classification') work.labels().set(yt);
    const Xv = valRows === null ? null : subsetRows(X, valRows);
    const yv = valRows === null ? null : takeValues(y, valRows);
    const rawVal = Xv === null ? null : new Float64Array(Xv.rows * K);
    if (rawVal !== null) for (let i = 0; i < Xv!.rows; i++) for (let c = 0; c < K; c++) rawVal[i * K + c] = this.baseline[c];

    this.trees = [];
    this.validationLoss = [];
    // multiclass: every class's gradients come from the raw scores before this iteration's trees (as scikit-learn)
    for (let it = 0; it < p.max_iter; it++) {
      if (K > 1) work.softmax();
      for (let c = 0; c < K; c++) {
        // gradients and hessians of the loss for output c
        const gh = work.gh();
        // (one loop per loss: a branch per row inside one loop cost ~10% of the fit)
        if (this.task === 'regression') {
          for (let i = 0; i < nt; i++) {
            gh[2 * i] = raw[i] - yt[i];
            gh[2 * i + 1] = 1;
          }
        } else if (K === 1) work.binaryGradients();
        else work.classGradients(c);
        if (rowWeight !== null) {
          for (let i = 0; i < nt; i++) {
            gh[2 * i] *= rowWeight[i];
            gh[2 * i + 1] *= rowWeight[i];
          }
        }
        const { G, H } = work.startRows();
        work.startTree();
        const { tree, leaves } = this.growTree(work, G, H, (j, b) => mapper.threshold(j, b));
        work.addLeaves(leaves, tree.values, c);
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
      }
    }
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
        softmax(raw, i * K, 1, K, prob, 0, 1);
        s -= Math.log(Math.max(1e-15, prob[y[i]]));
      }
    }
    return s / n;
  }

  /** Grows one tree leaf-wise on the gradients/hessians in `work` (sums G, H); leaf values already shrunk. */
  private growTree(work: NodeWork, G: number, H: number, threshold: (j: number, b: number) => number): { tree: Tree; leaves: Array<{ id: number; start: number; end: number }> } {
    const p = this.params;
    const lambda = p.l2_regularization;
    const tree = new Tree(1);
    const findSplit = (node: Node): Split | null => {
      const count = node.end - node.start;
      if (count < 2 * p.min_samples_leaf) return null;
      if (p.max_depth !== null && node.depth >= p.max_depth) return null;
      return work.bestSplit(node.hist, count, node.g, node.h, lambda, p.min_samples_leaf);
    };
    const leafValue = (G: number, H: number): number => (-p.learning_rate * G) / (H + lambda);
    const leaves: Array<{ id: number; start: number; end: number }> = [];
    const open: Node[] = [];
    // a node that will not be split is a leaf: its histogram is free for the next node
    const place = (node: Node): void => {
      node.split = findSplit(node);
      if (node.split) open.push(node);
      else {
        leaves.push({ id: node.id, start: node.start, end: node.end });
        work.release(node.hist);
      }
    };
    place({ id: tree.addLeaf([leafValue(G, H)]), start: 0, end: work.n, depth: 0, hist: work.histogram(0, work.n), g: G, h: H, split: null });
    let count = 1;
    while (open.length > 0 && count < p.max_leaf_nodes) {
      let k = 0;
      for (let t = 1; t < open.length; t++) if (open[t].split!.gain > open[k].split!.gain) k = t;
      const node = open.splice(k, 1)[0];
      const s = node.split!;
      const { l, g: lG, h: lH } = work.partition(node.start, node.end, s);
      const leftSmaller = l - node.start <= node.end - l;
      const small = leftSmaller ? work.histogram(node.start, l) : work.histogram(l, node.end);
      const large = node.hist; // parent minus the smaller child: the sibling-subtraction trick
      work.subtract(large, small);
      const leftId = tree.addLeaf([leafValue(lG, lH)]);
      const rightId = tree.addLeaf([leafValue(node.g - lG, node.h - lH)]);
      if (s.codes !== undefined) tree.splitCategories(node.id, s.feature, s.codes, s.missingLeft, leftId, rightId);
      else tree.split(node.id, s.feature, threshold(s.feature, s.bin), s.missingLeft, leftId, rightId);
      count++;
      place({ id: leftId, start: node.start, end: l, depth: node.depth + 1, hist: leftSmaller ? small : large, g: lG, h: lH, split: null });
      place({ id: rightId, start: l, end: node.end, depth: node.depth + 1, hist: leftSmaller ? large : small, g: node.g - lG, h: node.h - lH, split: null });
    }
    for (const node of open) {
      leaves.push({ id: node.id, start: node.start, end: node.end });
      work.release(node.hist);
    }
    return { tree, leaves };
  }

  /** Raw scores (n × outputs). */
  private rawScores(X: Matrix): Float64Array {
    if (this.categorical !== null) {
      if (X.cols !== this.categorical.cols) throw new RangeError(`the model takes ${this.categorical.cols} columns, not ${X.cols}`);
      X = categoryCodes(X, this.categorical.categories);
    }
    const K = this.outputs;
    const out = new Float64Array(X.rows * K);
    for (let i = 0; i < X.rows; i++) for (let c = 0; c < K; c++) out[i * K + c] = this.baseline[c];
    const trees = this.trees;
    this.walk.addValues(trees, X, out, K, (t) => t % K);
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

  /**
   * Predictions of many rows share the trees' walk with a second thread made by `partners`
   * (src/runner/kernel-partner.ts), the same numbers as without. Returns this.
   */
  threads(partners: PartnerFactory | undefined): this {
    this.walk.threads(partners);
    return this;
  }

  toJSON(): BoostingJson {
    return { kind: 'gradient_boosting', params: this.params, task: this.task, classes: this.classes, seed: this.seed, baseline: Array.from(this.baseline), trees: this.trees.map((t) => t.toJSON()), outputs: this.outputs, iterations: this.iterations, validationLoss: this.validationLoss, ...(this.categorical === null ? {} : { categorical: this.categorical }) };
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
    m.categorical = j.categorical ?? null;
    return m;
  }
}
