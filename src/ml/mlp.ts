import { scoresToProba } from './link.js';
import type { Matrix } from './matrix.js';

/** Hyper-parameters of the MLP (scikit-learn MLPClassifier/Regressor names). */
export interface MlpParams {
  hidden_layer_sizes: number[];
  epochs: number;
  batch_size: number;
  learning_rate: number;
  alpha: number;
}

/** A trained MLP as JSON: dense layers (kernel row-major in × out), ReLU between, then the output. */
export interface MlpJson {
  kind: 'mlp';
  params: MlpParams;
  task: 'classification' | 'regression';
  classes: number;
  /** The framework backend that trained it (`tfjs-wasm`, `tfjs-node`, …). */
  backend: string;
  layers: Array<{ in: number; out: number; kernel: number[]; bias: number[] }>;
  /** Training loss per epoch. */
  loss: number[];
  /** Regression: the network learns the standardised target; predictions are mapped back. */
  target?: { mean: number; std: number };
}

/**
 * The forward pass of a trained MLP in plain JavaScript (no framework needed to predict):
 * ReLU hidden layers; the output is a softmax (several classes), a sigmoid turned into two
 * class probabilities (binary), or the value (regression). Returns n × outputs.
 */
export function mlpForward(m: MlpJson, X: Matrix): Float64Array {
  let a = X.data;
  let width = X.cols;
  m.layers.forEach((layer, li) => {
    const out = new Float64Array(X.rows * layer.out);
    for (let i = 0; i < X.rows; i++) {
      for (let o = 0; o < layer.out; o++) {
        let s = layer.bias[o];
        for (let k = 0; k < width; k++) s += a[i * width + k] * layer.kernel[k * layer.out + o];
        out[i * layer.out + o] = li < m.layers.length - 1 && s < 0 ? 0 : s;
      }
    }
    a = out;
    width = layer.out;
  });
  if (m.task === 'regression') return m.target === undefined ? a : a.map((v) => v * m.target!.std + m.target!.mean);
  return scoresToProba(a, X.rows, m.classes);
}
