import { scoresToProba } from './link.js';
import type { Matrix } from './matrix.js';
import { wasmKernels } from './wasm/kernels.js';

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

/** Rows per block of the forward pass (its activations stay in cache). */
const BLOCK = 1024;

/**
 * The forward pass of a trained MLP in plain WebAssembly (no framework needed to predict):
 * ReLU hidden layers; the output is a softmax (several classes), a sigmoid turned into two
 * class probabilities (binary), or the value (regression). Returns n × outputs.
 * Rows go through all layers a block at a time with the SIMD kernel `dense` (kernels.wat);
 * layer widths are padded to multiples of 8 with zero weights, which add exact zeros.
 */
export function mlpForward(m: MlpJson, X: Matrix): Float64Array {
  const k = wasmKernels();
  const pad = (v: number): number => Math.ceil(v / 8) * 8;
  const widths = [X.cols, ...m.layers.map((l) => pad(l.out))];
  // memory layout (in float64 units): the layers' kernels and biases, then the block's input and two activation buffers
  const wAt: number[] = [];
  const bAt: number[] = [];
  let at = 0;
  m.layers.forEach((l, li) => {
    if (l.in !== (li === 0 ? X.cols : m.layers[li - 1].out)) throw new RangeError(`layer ${li} takes ${l.in} inputs, the data has ${li === 0 ? X.cols : m.layers[li - 1].out}`);
    wAt.push(at);
    at += widths[li] * widths[li + 1];
    bAt.push(at);
    at += widths[li + 1];
  });
  const xAt = at;
  at += BLOCK * X.cols;
  const maxWidth = Math.max(...widths.slice(1));
  const actAt = [at, at + BLOCK * maxWidth];
  const mem = k.f64((at + 2 * BLOCK * maxWidth) * 8);
  mem.fill(0, 0, xAt);
  m.layers.forEach((l, li) => {
    const stride = widths[li + 1];
    for (let i = 0; i < l.in; i++) for (let o = 0; o < l.out; o++) mem[wAt[li] + i * stride + o] = l.kernel[i * l.out + o];
    for (let o = 0; o < l.out; o++) mem[bAt[li] + o] = l.bias[o];
  });
  const outs = m.layers[m.layers.length - 1].out;
  const last = widths[widths.length - 1];
  const a = new Float64Array(X.rows * outs);
  for (let start = 0; start < X.rows; start += BLOCK) {
    const rows = Math.min(BLOCK, X.rows - start);
    const even = rows + (rows % 2);
    mem.set(X.data.subarray(start * X.cols, (start + rows) * X.cols), xAt);
    if (even > rows) mem.fill(0, xAt + rows * X.cols, xAt + even * X.cols);
    let from = xAt;
    m.layers.forEach((_, li) => {
      const to = actAt[li % 2];
      k.dense(from * 8, even, widths[li], wAt[li] * 8, bAt[li] * 8, widths[li + 1], to * 8, li < m.layers.length - 1 ? 1 : 0);
      from = to;
    });
    for (let i = 0; i < rows; i++) for (let o = 0; o < outs; o++) a[(start + i) * outs + o] = mem[from + i * last + o];
  }
  if (m.task === 'regression') return m.target === undefined ? a : a.map((v) => v * m.target!.std + m.target!.mean);
  return scoresToProba(a, X.rows, m.classes);
}
