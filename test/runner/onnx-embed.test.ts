// A framework converter's ONNX model (skl2onnx / onnxmltools output: input X float [N, d],
// outputs label and probabilities) embedded into bfly's export after the fitted chain, run by
// onnxruntime. The sub-model here is written with onnx-proto (the converters are not installable
// on this machine); what is tested is bfly's part: names prefixed, X cast, opsets merged.
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { exportOnnx } from '../../src/runner/onnx-export.js';
import type { ModelArtifact } from '../../src/runner/model-artifact.js';

const W = [0.5, -1, 2, 1.5, 0.25, -0.75]; // 2 × 3, row-major

function converted(): Uint8Array {
  const m = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }, { domain: 'ai.onnx.ml', version: 1 }],
    graph: {
      name: 'converted',
      // names that collide with bfly's own on purpose: the embedding must keep them apart
      initializer: [{ name: 'W', dataType: 1, dims: [2, 3], floatData: W }],
      node: [
        { opType: 'MatMul', input: ['X', 'W'], output: ['scores'], name: 'mm' },
        { opType: 'Softmax', input: ['scores'], output: ['probabilities'], attribute: [{ name: 'axis', type: 2, i: 1 }], name: 'sm' },
        { opType: 'ArgMax', input: ['probabilities'], output: ['label'], attribute: [{ name: 'axis', type: 2, i: 1 }], name: 'am' },
      ],
      input: [{ name: 'X', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 2 }] } } } }],
      output: [
        { name: 'label', type: { tensorType: { elemType: 7, shape: { dim: [{ dimParam: 'N' }, { dimValue: 1 }] } } } },
        { name: 'probabilities', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }] } } } },
      ],
    },
  });
  return onnx.ModelProto.encode(m).finish();
}

const artifact = {
  format: 'bfly-model',
  version: 1,
  bfly: 'test',
  task: 'classification',
  target: 'y',
  classes: ['p', 'q', 'r'],
  inputs: [{ name: 'a', type: 'number' }, { name: 'W', type: 'number' }],
  stages: [{ kind: 'preprocess', fitted: { kind: 'preprocess', options: { impute: { numeric: 'median', categorical: 'most_frequent' }, encode: { categorical: 'onehot', min_frequency: 0, max_levels: 30 }, scale: 'standard', drop_constant: false, drop: [] }, columns: [{ kind: 'numeric', name: 'a', fill: 7, center: 1, scale: 2 }, { kind: 'numeric', name: 'W', fill: 0, center: 0, scale: 1 }], dropped: [], features: ['a', 'W'] } }],
  model: { name: 'sklearn:some.LinearClassifier', params: {}, fitted: { kind: 'python', spec: 'sklearn:some.LinearClassifier', framework: 'sklearn', params: {}, task: 'classification', classes: 3, file: 'model.pkl', sha256: 'sha256:0', versions: {} } },
  lineage: { experiment: 'e', dataset: 'd', executionKey: 'k', seed: 1 },
} as unknown as ModelArtifact;

describe('ONNX export of a framework adapter model', () => {
  it('runs the chain, then the converter’s graph, and reports its probabilities as double with bfly’s labels', async () => {
    const bytes = await exportOnnx(artifact, { converted: converted() });
    const model = onnx.ModelProto.decode(bytes);
    expect(Object.fromEntries(model.opsetImport.map((o) => [o.domain, Number(o.version)]))).toEqual({ '': 15, 'ai.onnx.ml': 3 });
    const s = await ort.InferenceSession.create(bytes);
    const a = [3, NaN, -1];
    const w = [1, 2, 0.5];
    const out = await s.run({ a: new ort.Tensor('float64', Float64Array.from(a), [3, 1]), W: new ort.Tensor('float64', Float64Array.from(w), [3, 1]) });
    const proba = out.probabilities.data as Float64Array;
    expect(out.probabilities.type).toBe('float64');
    a.forEach((ai, i) => {
      const x = [((Number.isNaN(ai) ? 7 : ai) - 1) / 2, w[i]];
      const scores = [0, 1, 2].map((c) => x[0] * W[c] + x[1] * W[3 + c]);
      const e = scores.map((v) => Math.exp(v - Math.max(...scores)));
      const p = e.map((v) => v / e.reduce((t, u) => t + u, 0));
      p.forEach((v, c) => expect(Math.abs(proba[i * 3 + c] - v)).toBeLessThan(1e-6));
      expect((out.label.data as string[])[i]).toBe(['p', 'q', 'r'][p.indexOf(Math.max(...p))]);
    });
  });
});
