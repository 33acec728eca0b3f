import { describe, expect, it } from 'vitest';
import { BinMapper } from '../../src/ml/binning.js';
import { softmax } from '../../src/ml/link.js';
import { linearScores } from '../../src/ml/matrix.js';
import { rngStream } from '../../src/ml/random.js';
import { Kernels } from '../../src/ml/wasm/kernels.js';

// The gradient-boosting kernels of src/ml/wasm/kernels.wat against the plain loops they replace.

function setup(n: number, d: number, seed: number) {
  const r = rngStream(seed, 'kernels');
  const k = new Kernels();
  const at = { bins: k.alloc(n * d), cols: k.alloc(n * d), gh: k.alloc(n * 16), rows: k.alloc(n * 4), scratch: k.alloc(n * 4), hist: k.alloc(d * 8192), nBins: k.alloc(d * 4), out: k.alloc(24) };
  const nBins = Int32Array.from({ length: d }, (_, j) => 2 + ((j * 37) % 254));
  const byRow = k.u8(at.bins, n * d);
  const cols = k.u8(at.cols, n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const b = r.next() < 0.1 ? 255 : Math.floor(r.next() * nBins[j]); // 10% missing
      byRow[i * d + j] = b;
      cols[j * n + i] = b;
    }
  // gradients and hessians, interleaved in the kernel memory
  const gh = k.f64(at.gh, 2 * n);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    g[i] = gh[2 * i] = r.next() - 0.5;
    h[i] = gh[2 * i + 1] = r.next() * 0.25;
  }
  k.i32(at.nBins, d).set(nBins);
  // a node's rows: an ascending subset, as partitioning leaves them
  const rows = k.i32(at.rows, n);
  let m = 0;
  for (let i = 0; i < n; i++) if (r.next() < 0.6) rows[m++] = i;
  return { k, at, n, d, m, byRow, cols, g, h, rows, nBins };
}

/** Which bins go left in the partition kernels' tests: thresholds (missing values, bin 255, either side) and a set of categories. */
const SIDES: Array<[string, (b: number) => boolean]> = [
  ['bins <= 90, missing values right', (b) => b !== 255 && b <= 90],
  ['bins <= 40, missing values left', (b) => b === 255 || b <= 40],
  ['a set of bins (categories), missing values left', (b) => b === 255 || b % 3 === 1 || b === 12],
];

describe('WebAssembly kernels (gradient boosting, linear models)', () => {
  it('histogram: the same sums as the scalar loop, bit for bit, and zeroes the slot first', () => {
    const s = setup(3000, 7, 1);
    const hist = s.k.f64(s.at.hist, s.d * 1024);
    hist.fill(123); // stale contents from an earlier node
    s.k.fn.histogram(s.at.rows, 10, s.m - 5, s.at.bins, s.d, 0, s.d, s.at.gh, s.at.hist, 1);
    const want = new Float64Array(s.d * 1024);
    for (let t = 10; t < s.m - 5; t++) {
      const i = s.rows[t];
      for (let j = 0; j < s.d; j++) {
        const o = (j * 256 + s.byRow[i * s.d + j]) * 4;
        want[o] += s.g[i];
        want[o + 1] += s.h[i];
        want[o + 2]++;
      }
    }
    expect(Array.from(s.k.f64(s.at.hist, s.d * 1024))).toEqual(Array.from(want));
  });

  it('histogram of a range of features: each call fills only its features, and two halves make the whole', () => {
    const s = setup(2000, 9, 3);
    const whole = s.k.alloc(s.d * 8192);
    s.k.fn.histogram(s.at.rows, 0, s.m, s.at.bins, s.d, 0, s.d, s.at.gh, whole, 1);
    const hist = s.k.f64(s.at.hist, s.d * 1024);
    hist.fill(7);
    s.k.fn.histogram(s.at.rows, 0, s.m, s.at.bins, s.d, 0, 4, s.at.gh, s.at.hist, 1);
    // features 4.. untouched so far
    expect(hist.subarray(4 * 1024).every((v) => v === 7)).toBe(true);
    s.k.fn.histogram(s.at.rows, 0, s.m, s.at.bins, s.d, 4, s.d, s.at.gh, s.at.hist, 1);
    expect(Array.from(hist)).toEqual(Array.from(s.k.f64(whole, s.d * 1024)));
  });

  it('binaryGradients: p - y and p (1 - p) of p = sigmoid(score), within an ulp or two of Math.exp; only rows [from, to)', () => {
    const km = new Kernels();
    const n = 4001;
    const at = { raw: km.alloc((n + 1) * 8), y: km.alloc((n + 1) * 8), gh: km.alloc((n + 1) * 16) };
    const raw = km.f64(at.raw, n);
    const y = km.f64(at.y, n);
    const gh = km.f64(at.gh, 2 * (n + 1));
    const r = rngStream(9, 'gradients');
    const special = [0, -0, 1e-300, 36, 37, 700, 709, 746, 1e6, Infinity, -Infinity];
    for (let i = 0; i < n; i++) {
      raw[i] = i < special.length ? special[i] * (i % 2 ? -1 : 1) : (r.next() - 0.5) * 60;
      y[i] = r.next() < 0.5 ? 0 : 1;
    }
    gh.fill(-5);
    km.fn.binaryGradients(at.raw, at.y, 2, n, at.gh);
    let worst = 0;
    for (let i = 2; i < n; i++) {
      const s = raw[i];
      const e = Math.exp(-Math.abs(s));
      const p = s >= 0 ? 1 / (1 + e) : e / (1 + e);
      for (const [got, want] of [[gh[2 * i], p - y[i]], [gh[2 * i + 1], p * (1 - p)]]) {
        if (want === 0) expect(Math.abs(got)).toBeLessThan(1e-300);
        else worst = Math.max(worst, Math.abs(got - want) / Math.abs(want));
      }
    }
    expect(worst).toBeLessThan(4.5e-16);
    // rows before `from` and the pair past an odd `to` are not written
    expect([gh[0], gh[1], gh[2], gh[3], gh[2 * n], gh[2 * n + 1]]).toEqual([-5, -5, -5, -5, -5, -5]);
  });

  it('softmax and classGradients: class-major probabilities within an ulp or two of Math.exp, and p - [y = c], p (1 - p); only rows [from, to)', () => {
    const km = new Kernels();
    const n = 3001;
    const K = 4;
    const at = { raw: km.alloc((n * K + 1) * 8), probs: km.alloc((n * K + 1) * 8), y: km.alloc((n + 1) * 8), gh: km.alloc((n + 1) * 16) };
    const raw = km.f64(at.raw, n * K);
    const probs = km.f64(at.probs, n * K + 1);
    const y = km.f64(at.y, n);
    const gh = km.f64(at.gh, 2 * (n + 1));
    const r = rngStream(10, 'softmax');
    for (let i = 0; i < n * K; i++) raw[i] = i < 8 ? [0, -0, 700, -700, 1e-300, 30, -30, 0][i] : (r.next() - 0.5) * 40;
    for (let i = 0; i < n; i++) y[i] = Math.floor(r.next() * K);
    probs.fill(-5);
    km.fn.softmax(at.raw, n, K, 2, n, at.probs);
    const want = new Float64Array(n * K);
    for (let i = 0; i < n; i++) softmax(raw, i, n, K, want, i, n);
    let worst = 0;
    for (let c = 0; c < K; c++) {
      for (let i = 2; i < n; i++) {
        const [got, w] = [probs[c * n + i], want[c * n + i]];
        if (w < 1e-300) expect(got).toBeLessThan(1e-300);
        else worst = Math.max(worst, Math.abs(got - w) / w);
      }
      // rows before `from` are not written (nor, for the last class, the row past the end)
      expect([probs[c * n], probs[c * n + 1]]).toEqual([-5, -5]);
    }
    expect(probs[n * K]).toBe(-5);
    expect(worst).toBeLessThan(6.7e-16);
    for (const c of [0, K - 1]) {
      gh.fill(-5);
      km.fn.classGradients(at.probs + c * n * 8, at.y, c, 2, n, at.gh);
      for (let i = 2; i < n; i++) {
        const p = probs[c * n + i];
        expect([gh[2 * i], gh[2 * i + 1]]).toEqual([p - (y[i] === c ? 1 : 0), p * (1 - p)]);
      }
      expect([gh[0], gh[1], gh[2], gh[3], gh[2 * n], gh[2 * n + 1]]).toEqual([-5, -5, -5, -5, -5, -5]);
    }
  });

  it.each(SIDES)('partitionMoving: rows, their bins (a padded stride) and gradients move together, stably, left first, with the left sums (%s)', (_what, goesLeft) => {
    const n = 1500;
    const d = 18;
    const stride = 20; // 16 bytes and then 4 a row
    const k = new Kernels();
    const at = { rows: k.alloc(n * 4), bins: k.alloc(n * stride), gh: k.alloc(n * 16), sRows: k.alloc(n * 4), sBins: k.alloc(n * stride), sGh: k.alloc(n * 16), sums: k.alloc(16), table: k.alloc(256) };
    const r = rngStream(12, 'moving');
    const rows = k.i32(at.rows, n);
    const bins = k.u8(at.bins, n * stride);
    const gh = k.f64(at.gh, 2 * n);
    for (let t = 0; t < n; t++) {
      rows[t] = 7 * t + 3;
      for (let j = 0; j < stride; j++) bins[t * stride + j] = j < d ? (r.next() < 0.1 ? 255 : Math.floor(r.next() * 200)) : 0;
      gh[2 * t] = r.next() - 0.5;
      gh[2 * t + 1] = r.next();
    }
    const before = Array.from({ length: n }, (_, t) => ({ row: rows[t], bins: Array.from(bins.subarray(t * stride, (t + 1) * stride)), g: gh[2 * t], h: gh[2 * t + 1] }));
    const [from, to, feature] = [100, 1400, 13];
    k.u8(at.table, 256).set(Uint8Array.from({ length: 256 }, (_, b) => (goesLeft(b) ? 1 : 0)));
    const isLeft = (x: { bins: number[] }) => goesLeft(x.bins[feature]);
    const l = k.fn.partitionMoving(from, to, at.rows, at.bins, stride, feature, at.table, at.gh, at.sRows, at.sBins, at.sGh, at.sums);
    const node = before.slice(from, to);
    const want = [...before.slice(0, from), ...node.filter(isLeft), ...node.filter((x) => !isLeft(x)), ...before.slice(to)];
    expect(l).toBe(from + node.filter(isLeft).length);
    const after = Array.from({ length: n }, (_, t) => ({ row: rows[t], bins: Array.from(bins.subarray(t * stride, (t + 1) * stride)), g: gh[2 * t], h: gh[2 * t + 1] }));
    expect(after).toEqual(want);
    let [G, H] = [0, 0];
    for (const x of node.filter(isLeft)) [G, H] = [G + x.g, H + x.h];
    expect(Array.from(k.f64(at.sums, 2))).toEqual([G, H]);
  });

  it.each(SIDES)('partition: stable, left rows first, with the left sums (%s)', (_what, goesLeft) => {
    const s = setup(2000, 5, 2);
    const before = Array.from(s.rows.subarray(0, s.m));
    const feature = 3;
    const table = s.k.alloc(256);
    s.k.u8(table, 256).set(Uint8Array.from({ length: 256 }, (_, b) => (goesLeft(b) ? 1 : 0)));
    const isLeft = (i: number) => goesLeft(s.cols[feature * s.n + i]);
    const l = s.k.fn.partition(s.at.rows, 0, s.m, s.at.cols + feature * s.n, table, s.at.scratch, s.at.gh, s.at.out);
    const left = before.filter(isLeft);
    const right = before.filter((i) => !isLeft(i));
    expect(l).toBe(left.length);
    expect(Array.from(s.k.i32(s.at.rows, s.m))).toEqual([...left, ...right]);
    let G = 0;
    let H = 0;
    for (const i of left) {
      G += s.g[i];
      H += s.h[i];
    }
    expect(Array.from(s.k.f64(s.at.out, 2))).toEqual([G, H]);
  });

  it("startRows and addLeaves: a tree's rows in table order with the gradient sums in row order; leaf values added to their rows' scores, in two shares as in one", () => {
    const n = 3001;
    const k = new Kernels();
    const at = { rows: k.alloc(n * 4), gh: k.alloc(n * 16), out: k.alloc(16), raw: k.alloc(n * 8), list: k.alloc(16 * 16) };
    const r = rngStream(31, 'leaves');
    const gh = k.f64(at.gh, 2 * n);
    for (let i = 0; i < 2 * n; i++) gh[i] = (r.next() - 0.3) * 10 ** Math.floor(r.next() * 6 - 3);
    k.i32(at.rows, n).fill(-1);
    k.fn.startRows(at.rows, at.gh, n, at.out);
    expect(Array.from(k.i32(at.rows, n))).toEqual(Array.from({ length: n }, (_, i) => i));
    let [G, H] = [0, 0];
    for (let i = 0; i < n; i++) [G, H] = [G + gh[2 * i], H + gh[2 * i + 1]];
    expect(Array.from(k.f64(at.out, 2))).toEqual([G, H]);

    // the rows shuffled (as after the partitions), cut into 16 leaves of uneven sizes
    const rows = k.i32(at.rows, n);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r.next() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    const cuts = [0, ...Array.from({ length: 15 }, () => Math.floor(r.next() * n)).sort((a, b) => a - b), n];
    const ints = k.i32(at.list, 64);
    const vals = k.f64(at.list, 32);
    for (let l = 0; l < 16; l++) [ints[4 * l], ints[4 * l + 1], vals[2 * l + 1]] = [cuts[l], cuts[l + 1], r.next() - 0.5];
    const start = Float64Array.from({ length: n }, () => r.next());
    const want = Float64Array.from(start);
    for (let l = 0; l < 16; l++) for (let t = cuts[l]; t < cuts[l + 1]; t++) want[rows[t]] += vals[2 * l + 1];
    const raw = k.f64(at.raw, n);
    raw.set(start);
    k.fn.addLeaves(at.rows, at.raw, at.list, 0, 16);
    expect(Array.from(raw)).toEqual(Array.from(want));
    raw.set(start);
    k.fn.addLeaves(at.rows, at.raw, at.list, 9, 16);
    k.fn.addLeaves(at.rows, at.raw, at.list, 0, 9);
    expect(Array.from(raw)).toEqual(Array.from(want));
  });

  it('bestSplit: the scalar search result (first largest gain; limits on rows and hessian)', () => {
    const s = setup(4000, 9, 3);
    s.k.fn.histogram(s.at.rows, 0, s.m, s.at.bins, s.d, 0, s.d, s.at.gh, s.at.hist, 1);
    const hist = s.k.f64(s.at.hist, s.d * 1024);
    let G = 0;
    let H = 0;
    for (let t = 0; t < s.m; t++) {
      G += s.g[s.rows[t]];
      H += s.h[s.rows[t]];
    }
    const lambda = 0.5;
    const score = (a: number, b: number) => (a * a) / (b + lambda);
    const reference = (minLeaf: number, minHess: number) => {
      let best: { gain: number; feature: number; bin: number; missingLeft: boolean } | null = null;
      for (let j = 0; j < s.d; j++) {
        const mo = (j * 256 + 255) * 4;
        for (let pass = 0; pass < (hist[mo + 2] > 0 ? 2 : 1); pass++) {
          let [lG, lH, lC] = pass === 1 ? [hist[mo], hist[mo + 1], hist[mo + 2]] : [0, 0, 0];
          for (let b = 0; b < s.nBins[j] - 1; b++) {
            const o = (j * 256 + b) * 4;
            lG += hist[o];
            lH += hist[o + 1];
            lC += hist[o + 2];
            if (lC < minLeaf) continue;
            if (s.m - lC < minLeaf) break;
            if (lH < minHess || H - lH < minHess) continue;
            const gain = score(lG, lH) + score(G - lG, H - lH) - score(G, H);
            if (gain > 1e-12 && (best === null || gain > best.gain)) best = { gain, feature: j, bin: b, missingLeft: pass === 1 };
          }
        }
      }
      return best;
    };
    for (const [minLeaf, minHess] of [[1, 1e-3], [20, 1e-3], [1500, 1e-3], [1, 200], [3000, 1e-3]]) {
      const found = s.k.fn.bestSplit(s.at.hist, s.d, s.at.nBins, s.m, G, H, lambda, minLeaf, minHess, 16, s.at.out);
      const ints = s.k.i32(s.at.out + 8, 3);
      const got = found ? { gain: s.k.f64(s.at.out, 1)[0], feature: ints[0], bin: ints[1], missingLeft: ints[2] === 1 } : null;
      expect(got, `min_samples_leaf ${minLeaf}, min hessian ${minHess}`).toEqual(reference(minLeaf, minHess));
    }
    expect(s.k.fn.bestSplit(s.at.hist, s.d, s.at.nBins, s.m, G, H, lambda, s.m, 1e-3, 16, s.at.out)).toBe(0); // no side can have every row
  });

  it('scores and gradient: the linear products, summed in the documented order', () => {
    const r = rngStream(4, 'linear');
    const [n, d, k] = [37, 6, 3];
    const km = new Kernels();
    const at = { x: km.alloc(n * d * 8), w: km.alloc(k * d * 8), b: km.alloc(k * 8), s: km.alloc(n * k * 8), r: km.alloc(n * k * 8), g: km.alloc(k * d * 8) };
    const random = (view: Float64Array, scale: number) => {
      for (let t = 0; t < view.length; t++) view[t] = (r.next() - 0.5) * scale; // in place: map() would copy
      return view;
    };
    const x = random(km.f64(at.x, n * d), 2);
    const w = random(km.f64(at.w, k * d), 1);
    const res = random(km.f64(at.r, n * k), 1);
    const b = random(km.f64(at.b, k), 1);
    km.f64(at.g, k * d).fill(99); // overwritten, not added to
    km.fn.scores(at.x, n, d, at.w, at.b, k, at.s);
    km.fn.gradient(at.x, n, d, at.r, k, at.g);
    const scores = Array.from({ length: n * k }, (_, t) => {
      const [i, c] = [Math.floor(t / k), t % k];
      let even = 0;
      let odd = 0;
      for (let j = 0; j < d; j += 2) {
        even += x[i * d + j] * w[c * d + j];
        odd += x[i * d + j + 1] * w[c * d + j + 1];
      }
      return b[c] + (even + odd);
    });
    const grad = Array.from({ length: k * d }, (_, t) => {
      const [c, j] = [Math.floor(t / d), t % d];
      // four rows' products added together, then to the sum; the last n mod 4 rows one by one
      let sum = 0;
      let i = 0;
      for (; i + 4 <= n; i += 4) sum += res[i * k + c] * x[i * d + j] + res[(i + 1) * k + c] * x[(i + 1) * d + j] + res[(i + 2) * k + c] * x[(i + 2) * d + j] + res[(i + 3) * k + c] * x[(i + 3) * d + j];
      for (; i < n; i++) sum += res[i * k + c] * x[i * d + j];
      return sum;
    });
    expect(Array.from(km.f64(at.s, n * k))).toEqual(scores);
    expect(Array.from(km.f64(at.g, k * d))).toEqual(grad);
  });

  it('scores with an odd width: the sums of the same data padded with a zero column, bit for bit', () => {
    const r = rngStream(7, 'odd');
    for (const [n, d, k] of [[37, 7, 3], [5, 1, 1], [9, 13, 2]]) {
      const km = new Kernels();
      const dp = d + 1;
      const at = { x: km.alloc(n * d * 8), xp: km.alloc(n * dp * 8), w: km.alloc(k * d * 8), wp: km.alloc(k * dp * 8), b: km.alloc(k * 8), s: km.alloc(n * k * 8), sp: km.alloc(n * k * 8) };
      const [x, xp, w, wp, b] = [km.f64(at.x, n * d), km.f64(at.xp, n * dp), km.f64(at.w, k * d), km.f64(at.wp, k * dp), km.f64(at.b, k)];
      for (let t = 0; t < x.length; t++) xp[Math.floor(t / d) * dp + (t % d)] = x[t] = (r.next() - 0.5) * 20;
      for (let t = 0; t < w.length; t++) wp[Math.floor(t / d) * dp + (t % d)] = w[t] = r.next() - 0.5;
      for (let c = 0; c < k; c++) b[c] = r.next();
      km.fn.scores(at.x, n, d, at.w, at.b, k, at.s);
      km.fn.scores(at.xp, n, dp, at.wp, at.b, k, at.sp);
      expect(Array.from(km.f64(at.s, n * k))).toEqual(Array.from(km.f64(at.sp, n * k)));
    }
  });

  it('classes: score > 0 for one output, else the first largest score (NaN never largest)', () => {
    const km = new Kernels();
    const binary = [0.5, -0.5, 0, -0, NaN, 1e-300, -Infinity, Infinity];
    const multi = [[1, 2, 3], [3, 2, 1], [2, 2, 1], [NaN, 1, 0], [1, NaN, 2], [-Infinity, -Infinity, -Infinity], [0, 5, 5]];
    const at = { s: km.alloc(64 * 8), out: km.alloc(64 * 8) };
    km.f64(at.s, binary.length).set(binary);
    km.fn.classes(at.s, binary.length, 1, at.out);
    expect(Array.from(km.f64(at.out, binary.length))).toEqual(binary.map((v) => (v > 0 ? 1 : 0)));
    km.f64(at.s, multi.length * 3).set(multi.flat());
    km.fn.classes(at.s, multi.length, 3, at.s); // in place, as linearClasses calls it
    expect(Array.from(km.f64(at.s, multi.length))).toEqual(
      multi.map((row) => {
        let arg = 0;
        for (let c = 1; c < row.length; c++) if (row[c] > row[arg]) arg = c;
        return arg;
      }),
    );
  });

  it('logisticBinary: loss and residual of each score within an ulp or two of Math.exp and Math.log1p', () => {
    const km = new Kernels();
    const at = { x: km.alloc(4 * 2 * 8), y: km.alloc(4 * 8), w: km.alloc(16), g: km.alloc(16), sums: km.alloc(8) };
    const [x, y, g, sums] = [km.f64(at.x, 8), km.f64(at.y, 4), km.f64(at.g, 2), km.f64(at.sums, 1)];
    km.f64(at.w, 2).set([1, 0]);
    const r = rngStream(8, 'logistic');
    const scores = [0, -0, 1e-300, 1e-17, 0.34657359027997264, Math.LN2, 1, 36, 37, 700, 708, 709, 740, 746, 1e6, Infinity];
    for (let e = -20; e <= 3; e += 0.05) scores.push(10 ** e);
    for (let t = 0; t < 2000; t++) scores.push((r.next() - 0.5) * 100);
    let worst = 0;
    for (const s of [...scores, ...scores.map((v) => -v)])
      for (const label of [0, 1]) {
        x[0] = s;
        y[0] = label;
        const loss = km.fn.logisticBinary(at.x, 1, 2, at.y, at.w, 0, at.g, at.sums);
        const e = Math.exp(-Math.abs(s));
        const wantLoss = Math.log1p(e) + Math.max(label === 1 ? -s : s, 0);
        const wantRes = (s >= 0 ? 1 / (1 + e) : e / (1 + e)) - label;
        for (const [got, want] of [[loss, wantLoss], [sums[0], wantRes]]) {
          if (want === Infinity) expect(got).toBe(Infinity);
          else worst = Math.max(worst, Math.abs(got - want) / Math.max(Math.abs(want), Number.MIN_VALUE));
        }
        if (Number.isFinite(s)) expect(g[0] === sums[0] * s).toBe(true); // (0 + -0 is 0)
      }
    expect(worst).toBeLessThan(4.5e-16); // two ulps
  });

  it('logisticBinary: sums over rows, gradient in the order of `gradient`, and rows past n ignored', () => {
    const r = rngStream(9, 'logistic-rows');
    const [n, d] = [37, 6];
    const km = new Kernels();
    const at = { x: km.alloc(40 * d * 8), y: km.alloc(40 * 8), w: km.alloc(d * 8), g: km.alloc(d * 8), sums: km.alloc(8), res: km.alloc(40 * 8), g2: km.alloc(d * 8) };
    const x = km.f64(at.x, 40 * d).map(() => (r.next() - 0.5) * 4); // the three padding rows too: they must not count
    const y = km.f64(at.y, 40).map(() => (r.next() < 0.5 ? 1 : 0));
    const w = km.f64(at.w, d).map(() => r.next() - 0.5);
    km.f64(at.x, 40 * d).set(x);
    km.f64(at.y, 40).set(y);
    km.f64(at.w, d).set(w);
    const b = 0.3;
    const loss = km.fn.logisticBinary(at.x, n, d, at.y, at.w, b, at.g, at.sums);
    let [wantLoss, wantSum] = [0, 0];
    const res = km.f64(at.res, 40).fill(0);
    for (let i = 0; i < n; i++) {
      let [even, odd] = [0, 0];
      for (let j = 0; j < d; j += 2) {
        even += x[i * d + j] * w[j];
        odd += x[i * d + j + 1] * w[j + 1];
      }
      const s = b + (even + odd);
      const e = Math.exp(-Math.abs(s));
      wantLoss += Math.log1p(e) + Math.max(y[i] === 1 ? -s : s, 0);
      res[i] = (s >= 0 ? 1 / (1 + e) : e / (1 + e)) - y[i];
      wantSum += res[i];
    }
    expect(Math.abs(loss - wantLoss)).toBeLessThan(1e-13 * wantLoss);
    expect(Math.abs(km.f64(at.sums, 1)[0] - wantSum)).toBeLessThan(1e-13);
    km.fn.gradient(at.x, n, d, at.res, 1, at.g2);
    const [got, want] = [km.f64(at.g, d), km.f64(at.g2, d)];
    for (let j = 0; j < d; j++) expect(Math.abs(got[j] - want[j])).toBeLessThan(1e-13);
  });

  it('sortF64: the order of Float64Array.prototype.sort (signs, zeros, infinities, ties)', () => {
    const r = rngStream(5, 'sort');
    const special = [0, -0, Infinity, -Infinity, 1e-310, -1e-310, 5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 1, 1, -1];
    const values = Float64Array.from({ length: 5000 }, (_, i) => (i < special.length ? special[i] : r.next() < 0.2 ? Math.round(r.next() * 10) : (r.next() - 0.5) * 10 ** Math.floor(r.next() * 20 - 10)));
    const km = new Kernels();
    const at = { v: km.alloc(values.length * 8), tmp: km.alloc(values.length * 8), counts: km.alloc(2048 * 4) };
    km.f64(at.v, values.length).set(values);
    km.fn.sortF64(at.v, values.length, at.tmp, at.counts);
    const got = Array.from(km.f64(at.v, values.length));
    const want = Array.from(Float64Array.from(values).sort());
    expect(got.map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual(want.map((v) => (Object.is(v, -0) ? '-0' : v)));
  });

  it('binValues: the bin of BinMapper.binOf for every value (NaN, infinities, values on an edge)', () => {
    const mapper = new BinMapper(16).fit({ rows: 200, cols: 1, data: Float64Array.from({ length: 200 }, (_, i) => Math.sin(i) * 10) });
    const edges = mapper.upper[0];
    const values = [NaN, Infinity, -Infinity, ...edges, ...Array.from(edges, (e) => e + 1e-9), ...Array.from({ length: 300 }, (_, i) => Math.cos(i) * 12)];
    const km = new Kernels();
    const at = { x: km.alloc(values.length * 16), edges: km.alloc(255 * 8), out: km.alloc(values.length) };
    const x = km.f64(at.x, values.length * 2); // stride 2: the value, then something else
    values.forEach((v, i) => {
      x[2 * i] = v;
      x[2 * i + 1] = 1e300;
    });
    km.f64(at.edges, 255).fill(Infinity).set(edges);
    km.fn.binValues(at.x, values.length, 2, at.edges, at.out);
    expect(Array.from(km.u8(at.out, values.length))).toEqual(values.map((v) => mapper.binOf(0, v)));
  });

  it('linearScores: the plain sums, call after call, for odd and even widths (the kernel memory is reused)', () => {
    const r = rngStream(6, 'scores');
    for (const [n, d, k] of [[50, 8, 1], [5000, 13, 3], [7, 3, 1], [4100, 20, 5], [9, 13, 3]]) {
      const X = { rows: n, cols: d, data: Float64Array.from({ length: n * d }, () => r.next() * 200 - 100) };
      const coef = Float64Array.from({ length: k * d }, () => r.next() - 0.5);
      const intercept = Float64Array.from({ length: k }, () => r.next());
      const got = linearScores(X, coef, intercept, k);
      for (let i = 0; i < n; i++)
        for (let c = 0; c < k; c++) {
          let want = intercept[c];
          for (let j = 0; j < d; j++) want += X.data[i * d + j] * coef[c * d + j];
          expect(Math.abs(got[i * k + c] - want)).toBeLessThan(1e-9);
        }
    }
  });

  it('histogram without counts (hessians all 1): the hessian sums are the counts, and the split is the same', () => {
    const s = setup(3000, 6, 7);
    const other = s.k.alloc(s.d * 8192); // before any view below: allocating may grow the memory
    const gh = s.k.f64(s.at.gh, 2 * s.n);
    const rows = s.k.i32(s.at.rows, s.n);
    for (let i = 0; i < s.n; i++) gh[2 * i + 1] = 1;
    s.k.fn.histogram(s.at.rows, 0, s.m, s.at.bins, s.d, 0, s.d, s.at.gh, s.at.hist, 1);
    s.k.fn.histogram(s.at.rows, 0, s.m, s.at.bins, s.d, 0, s.d, s.at.gh, other, 0);
    const counted = s.k.f64(s.at.hist, s.d * 1024);
    const uncounted = s.k.f64(other, s.d * 1024);
    for (let b = 0; b < s.d * 256; b++) {
      expect(uncounted[b * 4 + 2]).toBe(0);
      expect(uncounted[b * 4 + 1]).toBe(counted[b * 4 + 2]);
    }
    let G = 0;
    for (let t = 0; t < s.m; t++) G += gh[2 * rows[t]];
    const split = (hist: number, countAt: number) => {
      const found = s.k.fn.bestSplit(hist, s.d, s.at.nBins, s.m, G, s.m, 0.1, 20, 1e-3, countAt, s.at.out);
      return [found, s.k.f64(s.at.out, 1)[0], ...s.k.i32(s.at.out + 8, 3)];
    };
    expect(split(other, 8)).toEqual(split(s.at.hist, 16));
  });
});
