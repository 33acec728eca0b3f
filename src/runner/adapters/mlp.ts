import type { Matrix } from '../../ml/matrix.js';
import type { MlpJson, MlpParams } from '../../ml/mlp.js';
import { rngStream } from '../../ml/random.js';
import { loadTfjs } from './tfjs.js';

/**
 * Trains an MLP through TensorFlow.js, as scikit-learn's MLPClassifier/Regressor: ReLU hidden
 * layers, a sigmoid (two classes), softmax (more) or identity output, Adam, an L2 penalty of
 * alpha/2·||W||² per sample, Glorot-uniform weights seeded from the run seed, and rows shuffled
 * each epoch by the run's seeded stream (not tfjs's own shuffle, which uses Math.random).
 * Unlike scikit-learn's MLPRegressor, a regression target is standardised for training (and
 * predictions mapped back): with raw targets (e.g. 10–50 mpg) Adam needs hundreds of epochs
 * just to reach the mean.
 * Returns the weights as JSON; predictions need no framework (see src/ml/mlp.ts).
 */
export async function trainMlp(params: MlpParams, X: Matrix, y: Int32Array | Float64Array, classes: number, seed: number, onEpoch?: (done: number, total: number) => void): Promise<MlpJson> {
  const { tf, backend } = await loadTfjs();
  const n = X.rows;
  const d = X.cols;
  const outputs = classes > 2 ? classes : 1;
  const task = classes > 0 ? 'classification' : 'regression';
  const batch = Math.max(1, Math.min(params.batch_size, n));
  const model = tf.sequential();
  const sizes = [...params.hidden_layer_sizes, outputs];
  sizes.forEach((units, i) => {
    const last = i === sizes.length - 1;
    model.add(
      tf.layers.dense({
        units,
        ...(i === 0 ? { inputShape: [d] } : {}),
        activation: last ? (task === 'regression' ? 'linear' : outputs === 1 ? 'sigmoid' : 'softmax') : 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: (seed * 31 + i) >>> 0 }),
        biasInitializer: 'zeros',
        kernelRegularizer: params.alpha > 0 ? tf.regularizers.l2({ l2: (0.5 * params.alpha) / batch }) : undefined,
      }),
    );
  });
  model.compile({
    optimizer: tf.train.adam(params.learning_rate, 0.9, 0.999, 1e-8),
    loss: task === 'regression' ? 'meanSquaredError' : outputs === 1 ? 'binaryCrossentropy' : 'categoricalCrossentropy',
  });
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
  const ys = new Float32Array(n * outputs);
  const loss: number[] = [];
  try {
    for (let epoch = 0; epoch < params.epochs; epoch++) {
      const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
      ys.fill(0);
      for (let t = 0; t < n; t++) {
        const i = order[t];
        xs.set(X.data.subarray(i * d, (i + 1) * d), t * d);
        if (target !== undefined) ys[t] = (y[i] - target.mean) / target.std;
        else if (outputs === 1) ys[t] = y[i];
        else ys[t * outputs + y[i]] = 1;
      }
      const xt = tf.tensor2d(xs, [n, d]);
      const yt = tf.tensor2d(ys, [n, outputs]);
      try {
        const h = await model.fit(xt, yt, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
        loss.push(Number(h.history.loss[0]));
      } finally {
        xt.dispose();
        yt.dispose();
      }
      onEpoch?.(epoch + 1, params.epochs);
    }
    const layers = model.layers.map((layer) => {
      const [kernel, bias] = layer.getWeights();
      const [inDim, outDim] = kernel.shape as [number, number];
      return { in: inDim, out: outDim, kernel: Array.from(kernel.dataSync()), bias: Array.from(bias.dataSync()) };
    });
    return { kind: 'mlp', params, task, classes, backend, layers, loss, ...(target === undefined ? {} : { target }) };
  } finally {
    model.dispose();
  }
}
