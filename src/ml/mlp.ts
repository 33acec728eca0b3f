import { scoresToProba } from './link.js';
import type { Matrix } from './matrix.js';
import { Kernels } from './wasm/kernels.js';

/** Hyper-parameters of the MLP (scikit-learn MLPClassifier/Regressor names). */
export interface MlpParams {
  /** `balanced`: each row's loss weighted by n / (classes × its class's count). */
  class_weight?: 'balanced' | null;
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

/** Rows per block of the forward pass (its activations stay in cache). */
const BLOCK = 1024;

/**
 * The forward pass of a trained MLP in plain WebAssembly (no framework needed to predict):
 * ReLU hidden layers; the output is a softmax (several classes), a sigmoid turned into two
 * class probabilities (binary), or the value (regression). Returns n × outputs.
 * Rows go through all layers a block at a time with the SIMD kernel `dense` (kernels.wat);
 * layer widths are padded to multiples of 8 with zero weights, which add exact zeros. A last
 * layer with one output (binary, or one target) is a dot product per row instead, the `scores`
 * kernel: even and odd inputs summed in two lanes, then added (not padded to eight outputs,
 * seven of them zero).
 */
export function mlpForward(m: MlpJson, X: Matrix): Float64Array {
  const pad = (v: number): number => Math.ceil(v / 8) * 8;
  const single = m.layers[m.layers.length - 1].out === 1;
  const widths = [X.cols, ...m.layers.map((l, li) => (single && li === m.layers.length - 1 ? 1 : pad(l.out)))];
  const maxWidth = Math.max(...widths.slice(1));
  // memory: the layers' kernels and biases (zero-padded), the block's input, two activation buffers
  const k = new Kernels();
  const wAt: number[] = [];
  const bAt: number[] = [];
  m.layers.forEach((l, li) => {
    if (l.in !== (li === 0 ? X.cols : m.layers[li - 1].out)) throw new RangeError(`layer ${li} takes ${l.in} inputs, the data has ${li === 0 ? X.cols : m.layers[li - 1].out}`);
    wAt.push(k.alloc(widths[li] * widths[li + 1] * 8));
    bAt.push(k.alloc(widths[li + 1] * 8));
  });
  const xAt = k.alloc(BLOCK * X.cols * 8);
  const actAt = [k.alloc(BLOCK * maxWidth * 8), k.alloc(BLOCK * maxWidth * 8)];
  m.layers.forEach((l, li) => {
    const stride = widths[li + 1];
    const w = k.f64(wAt[li], widths[li] * stride);
    for (let i = 0; i < l.in; i++) for (let o = 0; o < l.out; o++) w[i * stride + o] = l.kernel[i * l.out + o];
    k.f64(bAt[li], stride).set(l.bias);
  });
  const x = k.f64(xAt, BLOCK * X.cols);
  const acts = actAt.map((at) => k.f64(at, BLOCK * maxWidth));
  const outs = m.layers[m.layers.length - 1].out;
  const last = widths[widths.length - 1];
  const a = new Float64Array(X.rows * outs);
  for (let start = 0; start < X.rows; start += BLOCK) {
    const rows = Math.min(BLOCK, X.rows - start);
    const even = rows + (rows % 2);
    x.set(X.data.subarray(start * X.cols, (start + rows) * X.cols));
    if (even > rows) x.fill(0, rows * X.cols, even * X.cols);
    let from = xAt;
    m.layers.forEach((_, li) => {
      if (single && li === m.layers.length - 1) k.fn.scores(from, even, widths[li], wAt[li], bAt[li], 1, actAt[li % 2]);
      else k.fn.dense(from, even, widths[li], wAt[li], bAt[li], widths[li + 1], actAt[li % 2], li < m.layers.length - 1 ? 1 : 0);
      from = actAt[li % 2];
    });
    const result = acts[(m.layers.length - 1) % 2];
    for (let i = 0; i < rows; i++) for (let o = 0; o < outs; o++) a[(start + i) * outs + o] = result[i * last + o];
  }
  if (m.task === 'regression') return m.target === undefined ? a : a.map((v) => v * m.target!.std + m.target!.mean);
  return scoresToProba(a, X.rows, m.classes);
}
