import { balancedClassWeights } from '../../ml/class-weight.js';
import type * as Tf from '@tensorflow/tfjs';
import type { Matrix } from '../../ml/matrix.js';
import type { MlpJson, MlpParams } from '../../ml/mlp.js';
import { rngStream } from '../../ml/random.js';
import { loadTfjs } from './tfjs.js';

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/**
 * Trains an MLP through TensorFlow.js, as scikit-learn's MLPClassifier/Regressor: ReLU hidden
 * layers, a sigmoid (two classes), softmax (more) or identity output, Adam (scikit-learn's
 * update and defaults), an L2 penalty of alpha/2·||W||² per batch sample, Glorot-uniform
 * weights seeded from the run seed, and rows shuffled each epoch by the run's seeded stream.
 * Unlike scikit-learn's MLPRegressor, a regression target is standardised for training (and
 * predictions mapped back): with raw targets (e.g. 10–50 mpg) Adam needs hundreds of epochs
 * just to reach the mean.
 *
 * The matrix products (forward and backward) run on the framework's backend; the output
 * layer's gradient and the Adam step, a few thousand numbers, are computed here. A step is
 * about twenty framework calls: with tfjs-layers' `fit` (autodiff and an optimizer made of
 * tensor ops) it was several hundred, and on the WebAssembly backend each costs ~10 µs, which
 * made training overhead-bound (41 s for 10 epochs of 100k rows, now about a fifth of that).
 * Returns the weights as JSON; predictions need no framework (see src/ml/mlp.ts).
 */
export async function trainMlp(params: MlpParams, X: Matrix, y: Int32Array | Float64Array, classes: number, seed: number, onEpoch?: (done: number, total: number) => void): Promise<MlpJson> {
  const { tf, backend } = await loadTfjs();
  const n = X.rows;
  const d = X.cols;
  const outputs = classes > 2 ? classes : 1;
  const task = classes > 0 ? 'classification' : 'regression';
  const batch = Math.max(1, Math.min(params.batch_size, n));
  const sizes = [d, ...params.hidden_layer_sizes, outputs];
  const L = sizes.length - 1;
  // master weights in float64 (kernel row-major in × out), Adam moments, gradients
  const W: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const init = tf.initializers.glorotUniform({ seed: (seed * 31 + l) >>> 0 }).apply([sizes[l], sizes[l + 1]]) as Tf.Tensor;
    W.push(Float64Array.from(init.dataSync()));
    init.dispose();
    b.push(new Float64Array(sizes[l + 1]));
  }
  const mW = W.map((w) => new Float64Array(w.length));
  const vW = W.map((w) => new Float64Array(w.length));
  const mb = b.map((v) => new Float64Array(v.length));
  const vb = b.map((v) => new Float64Array(v.length));
  let target: { mean: number; std: number } | undefined;
  if (task === 'regression') {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[i];
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (y[i] - mean) ** 2;
    target = { mean, std: Math.sqrt(v / n) || 1 };
  }
  const rng = rngStream(seed, 'mlp-shuffle');
  const xs = new Float32Array(n * d);
  const ys = new Float64Array(n * outputs);
  const delta = new Float32Array(batch * outputs);
  // class_weight balanced: each row's loss and gradient scaled by its class's weight
  const classWeight = task === 'classification' && params.class_weight === 'balanced' ? balancedClassWeights(y as Int32Array, classes) : null;
  const ws = classWeight === null ? null : new Float64Array(n);
  const loss: number[] = [];
  // each layer as tensors: the kernel, the bias and the transposed kernel (for the backward pass)
  const upload = (l: number): [Tf.Tensor2D, Tf.Tensor1D, Tf.Tensor2D] => {
    const [rows, cols] = [sizes[l], sizes[l + 1]];
    const wt = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) wt[j * rows + i] = W[l][i * cols + j];
    return [tf.tensor2d(Float32Array.from(W[l]), [rows, cols]), tf.tensor1d(Float32Array.from(b[l])), tf.tensor2d(wt, [cols, rows])];
  };
  let weights = W.map((_, l) => upload(l));
  let step = 0;
  try {
    for (let epoch = 0; epoch < params.epochs; epoch++) {
      const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
      ys.fill(0);
      for (let t = 0; t < n; t++) {
        const i = order[t];
        for (let j = 0, a = i * d, o = t * d; j < d; j++) xs[o + j] = X.data[a + j];
        if (ws !== null) ws[t] = classWeight![y[i]];
        if (target !== undefined) ys[t] = (y[i] - target.mean) / target.std;
        else if (outputs === 1) ys[t] = y[i];
        else ys[t * outputs + y[i]] = 1;
      }
      let epochLoss = 0;
      for (let start = 0; start < n; start += batch) {
        const m = Math.min(batch, n - start);
        step++;
        let penalty = 0;
        for (const w of W) for (let k = 0; k < w.length; k++) penalty += w[k] * w[k];
        epochLoss += 0.5 * params.alpha * penalty;
        const acts: Tf.Tensor2D[] = [tf.tensor2d(xs.subarray(start * d, (start + m) * d), [m, d])];
        try {
          for (let l = 0; l < L; l++) acts.push(tf.fused.matMul({ a: acts[l], b: weights[l][0], bias: weights[l][1], activation: l < L - 1 ? 'relu' : 'linear' }) as Tf.Tensor2D);
          epochLoss += outputGradient(acts[L].dataSync() as Float32Array, ys, start, m, outputs, task, delta, ws) * m;
          let dz: Tf.Tensor2D = tf.tensor2d(delta.subarray(0, m * outputs), [m, outputs]);
          for (let l = L - 1; l >= 0; l--) {
            // explicit transposes: the wasm backend's transposed matMul is ~8x slower than transpose + matMul
            const at = tf.transpose(acts[l]);
            const gw = tf.matMul(at, dz);
            const gb = tf.sum(dz, 0);
            adam(W[l], gw.dataSync(), mW[l], vW[l], step, params, params.alpha / m);
            adam(b[l], gb.dataSync(), mb[l], vb[l], step, params, 0);
            at.dispose();
            gw.dispose();
            gb.dispose();
            if (l > 0) {
              const dh = tf.matMul(dz, weights[l][2]);
              const mask = tf.step(acts[l]);
              dz.dispose();
              dz = tf.mul(dh, mask);
              dh.dispose();
              mask.dispose();
            } else dz.dispose();
          }
        } finally {
          for (const a of acts) a.dispose();
        }
        for (const ts of weights) for (const t of ts) t.dispose();
        weights = W.map((_, l) => upload(l));
      }
      loss.push(epochLoss / n);
      onEpoch?.(epoch + 1, params.epochs);
      // let a progress display draw between epochs
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    for (const ts of weights) for (const t of ts) t.dispose();
  }
  // the weights the forward pass in src/ml/mlp.ts uses are the float32 ones the network trained with
  const layers = W.map((w, l) => ({ in: sizes[l], out: sizes[l + 1], kernel: Array.from(Float32Array.from(w)), bias: Array.from(Float32Array.from(b[l])) }));
  return { kind: 'mlp', params, task, classes, backend, layers, loss, ...(target === undefined ? {} : { target }) };
}

/**
 * The loss of a batch's outputs `z` (m × outputs, before the output activation) and, into
 * `delta`, its gradient with respect to `z` divided by m: sigmoid + log loss, softmax +
 * cross-entropy, or half the squared error (scikit-learn's losses).
 */
function outputGradient(z: Float32Array, ys: Float64Array, start: number, m: number, outputs: number, task: 'classification' | 'regression', delta: Float32Array, ws: Float64Array | null): number {
  let loss = 0;
  const eps = 1e-7;
  if (task === 'regression') {
    for (let t = 0; t < m; t++) {
      const r = z[t] - ys[start + t];
      loss += 0.5 * r * r;
      delta[t] = r / m;
    }
  } else if (outputs === 1) {
    for (let t = 0; t < m; t++) {
      const p = 1 / (1 + Math.exp(-z[t]));
      const yt = ys[start + t];
      const pc = Math.min(1 - eps, Math.max(eps, p));
      const w = ws === null ? 1 : ws[start + t];
      loss -= w * (yt * Math.log(pc) + (1 - yt) * Math.log(1 - pc));
      delta[t] = (w * (p - yt)) / m;
    }
  } else {
    for (let t = 0; t < m; t++) {
      const o = t * outputs;
      let max = -Infinity;
      for (let k = 0; k < outputs; k++) max = Math.max(max, z[o + k]);
      let sum = 0;
      for (let k = 0; k < outputs; k++) sum += Math.exp(z[o + k] - max);
      const w = ws === null ? 1 : ws[start + t];
      for (let k = 0; k < outputs; k++) {
        const p = Math.exp(z[o + k] - max) / sum;
        const yt = ys[(start + t) * outputs + k];
        if (yt === 1) loss -= w * Math.log(Math.max(eps, p));
        delta[o + k] = (w * (p - yt)) / m;
      }
    }
  }
  return loss / m;
}

/** One Adam step (scikit-learn's form) on `w` with gradient `g` (+ `l2`·w). */
function adam(w: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, step: number, params: MlpParams, l2: number): void {
  const lr = (params.learning_rate * Math.sqrt(1 - BETA2 ** step)) / (1 - BETA1 ** step);
  for (let k = 0; k < w.length; k++) {
    const gk = g[k] + l2 * w[k];
    m[k] = BETA1 * m[k] + (1 - BETA1) * gk;
    v[k] = BETA2 * v[k] + (1 - BETA2) * gk * gk;
    w[k] -= (lr * m[k]) / (Math.sqrt(v[k]) + EPSILON);
  }
}
