import { BflyError } from '../core/errors.js';
import { BFLY_VERSION } from '../core/version.js';
import type { FittedStage } from '../ml/chain.js';
import { type FeatureStep, polynomialTerms } from '../ml/features.js';
import type { Frame, FrameColumn } from '../ml/frame.js';
import type { BoostingJson } from '../ml/gbdt.js';
import type { ForestJson } from '../ml/forest.js';
import type { LogisticJson } from '../ml/logistic.js';
import type { MlpJson } from '../ml/mlp.js';
import type { RidgeJson } from '../ml/linear.js';
import type { TreeJson } from '../ml/tree.js';
import { type ModelArtifact, loadRunModel } from './model-artifact.js';
import { adapterToOnnx } from './adapters/python.js';
import { resolveRunRef } from '../store/runs.js';

/** ONNX opsets the exported graph uses (readable by ONNX 1.12 and onnxruntime 1.10 on). */
const OPSET = 15;
const ML_OPSET = 3;
const IR_VERSION = 8;

const DOUBLE = 11;
const STRING = 8;
const INT64 = 7;

type Attr = Record<string, unknown>;

/** A graph under construction: nodes, constants (initializers) and fresh tensor names. */
class Graph {
  readonly nodes: Attr[] = [];
  readonly initializers: Attr[] = [];
  /** Opset version by domain ('' is ONNX itself). */
  readonly opsets = new Map<string, number>([
    ['', OPSET],
    ['ai.onnx.ml', ML_OPSET],
  ]);
  irVersion = IR_VERSION;
  private n = 0;

  fresh(prefix: string): string {
    return `${prefix}_${this.n++}`;
  }

  /** A double constant of shape `dims`. */
  doubles(values: ArrayLike<number>, dims: number[]): string {
    const name = this.fresh('const');
    this.initializers.push({ name, dataType: DOUBLE, dims, doubleData: Array.from(values) });
    return name;
  }

  ints(values: number[], dims: number[]): string {
    const name = this.fresh('const');
    this.initializers.push({ name, dataType: INT64, dims, int64Data: values });
    return name;
  }

  /** Adds a node; returns its (first) output. */
  op(type: string, inputs: string[], attributes: Attr[] = [], domain = '', outputs = [this.fresh(type.toLowerCase())]): string {
    this.nodes.push({ opType: type, domain, input: inputs, output: outputs, attribute: attributes, name: this.fresh(`n_${type}`) });
    return outputs[0];
  }
}

const A = {
  int: (name: string, i: number): Attr => ({ name, type: 2, i }),
  str: (name: string, s: string): Attr => ({ name, type: 3, s: Buffer.from(s, 'utf8') }),
  ints: (name: string, ints: number[]): Attr => ({ name, type: 7, ints }),
  floats: (name: string, floats: number[]): Attr => ({ name, type: 6, floats }),
  strs: (name: string, strings: string[]): Attr => ({ name, type: 8, strings: strings.map((s) => Buffer.from(s, 'utf8')) }),
  doubles: (name: string, values: number[]): Attr => ({ name, type: 4, t: { dataType: DOUBLE, dims: [values.length], doubleData: values } }),
};

/** A model or step with no faithful ONNX form: refused, naming it. */
function unsupported(what: string, hint: string): BflyError {
  return new BflyError('validation', 'ONNX_UNSUPPORTED', `${what} has no faithful ONNX form in this export`, { hint });
}

/** A column as it flows through the exported graph: numbers [N, 1] (double) or strings [N, 1]. */
type Col = { kind: 'num' | 'str'; name: string; date?: boolean };

/** The column `x` with missing values (NaN) replaced by `fill`. */
function fillNaN(g: Graph, x: string, fill: number): string {
  return g.op('Where', [g.op('IsNaN', [x]), g.doubles([fill], [1]), x]);
}

/**
 * Calendar parts of epoch milliseconds (UTC) in double arithmetic: the days-to-civil algorithm
 * of H. Hinnant (exact for every date a double holds), as the run's date_parts step.
 */
function dateParts(g: Graph, ms: string): Record<'year' | 'month' | 'day' | 'dayofweek' | 'dayofyear' | 'hour', string> {
  const c = (v: number): string => g.doubles([v], [1]);
  const add = (a: string, b: string): string => g.op('Add', [a, b]);
  const sub = (a: string, b: string): string => g.op('Sub', [a, b]);
  const mul = (a: string, v: number): string => g.op('Mul', [a, c(v)]);
  const fdiv = (a: string, v: number): string => g.op('Floor', [g.op('Div', [a, c(v)])]);
  const days = fdiv(ms, 86_400_000);
  const z = add(days, c(719_468));
  const era = fdiv(z, 146_097);
  const doe = sub(z, mul(era, 146_097));
  const yoe = fdiv(add(sub(doe, fdiv(doe, 1460)), sub(fdiv(doe, 36_524), fdiv(doe, 146_096))), 365);
  const doy = sub(doe, add(mul(yoe, 365), sub(fdiv(yoe, 4), fdiv(yoe, 100))));
  const mp = fdiv(add(mul(doy, 5), c(2)), 153);
  const day = add(sub(doy, fdiv(add(mul(mp, 153), c(2)), 5)), c(1));
  const late = g.op('Cast', [g.op('Not', [g.op('Less', [mp, c(10)])])], [A.int('to', DOUBLE)]);
  const month = sub(add(mp, c(3)), mul(late, 12));
  const early = g.op('Cast', [g.op('Not', [g.op('Greater', [month, c(2)])])], [A.int('to', DOUBLE)]);
  const year = add(add(yoe, mul(era, 400)), early);
  // days from 1970-01-01 to 1 January of `year` (the same algorithm, backwards, for month 1 day 1)
  const y1 = sub(year, c(1));
  const era1 = fdiv(y1, 400);
  const yoe1 = sub(y1, mul(era1, 400));
  const jan1 = sub(add(mul(era1, 146_097), add(add(mul(yoe1, 365), sub(fdiv(yoe1, 4), fdiv(yoe1, 100))), c(306))), c(719_468));
  const wk = add(days, c(3)); // Monday = 0
  const nan = g.op('IsNaN', [ms]);
  const keepNaN = (x: string): string => g.op('Where', [nan, c(NaN), x]);
  return {
    year: keepNaN(year),
    month: keepNaN(month),
    day: keepNaN(day),
    dayofweek: keepNaN(sub(wk, mul(fdiv(wk, 7), 7))),
    dayofyear: keepNaN(add(sub(days, jan1), c(1))),
    hour: keepNaN(fdiv(sub(ms, mul(days, 86_400_000)), 3_600_000)),
  };
}

function applyFeatureSteps(g: Graph, cols: Map<string, Col>, steps: readonly FeatureStep[]): void {
  for (const step of steps) {
    if (step.op === 'drop') {
      for (const n of step.columns) cols.delete(n);
    } else if (step.op === 'log1p') {
      const names = step.columns.length > 0 ? step.columns : [...cols.keys()].filter((n) => cols.get(n)!.kind === 'num');
      for (const n of names) {
        const x = cols.get(n)!.name;
        // log1p(v) for v >= -1, else NaN (as the run)
        const ok = g.op('Not', [g.op('Less', [x, g.doubles([-1], [1])])]);
        cols.set(n, { kind: 'num', name: g.op('Where', [ok, g.op('Log', [g.op('Add', [x, g.doubles([1], [1])])]), g.doubles([NaN], [1])]) });
      }
    } else if (step.op === 'polynomial') {
      const frame: Frame = { rows: 0, index: null, columns: [...cols.entries()].map(([name, c]): FrameColumn => (c.kind === 'num' ? { kind: 'numeric', name, values: new Float64Array(0) } : { kind: 'categorical', name, codes: new Int32Array(0), levels: [] })) };
      for (const t of polynomialTerms(frame, step)) {
        let acc = cols.get(t.factors[0])!.name;
        for (const f of t.factors.slice(1)) acc = g.op('Mul', [acc, cols.get(f)!.name]);
        cols.set(t.name, { kind: 'num', name: acc });
      }
    } else if (step.op === 'date_parts') {
      const names = step.columns.length > 0 ? step.columns : [...cols.keys()].filter((n) => cols.get(n)!.date === true);
      for (const n of names) {
        const parts = dateParts(g, cols.get(n)!.name);
        cols.delete(n);
        for (const p of step.parts) cols.set(`${n}.${p}`, { kind: 'num', name: parts[p] });
      }
    } else {
      throw unsupported(`the feature step ${step.op}`, 'its tokenizer has no standard ONNX operator; export a run without a text step');
    }
  }
}

/** A fitted preprocessing as nodes: the model's input matrix [N, features] (double). */
function applyPreprocess(g: Graph, cols: Map<string, Col>, stage: Extract<FittedStage, { kind: 'preprocess' }>): Map<string, Col> {
  const out = new Map<string, Col>();
  for (const c of stage.fitted.columns) {
    const src = cols.get(c.name);
    if (src === undefined) throw unsupported(`column ${c.name}`, 'the chain reads a column the export did not produce');
    if (c.kind === 'numeric') {
      const filled = fillNaN(g, src.name, c.fill);
      out.set(c.name, { kind: 'num', name: g.op('Div', [g.op('Sub', [filled, g.doubles([c.center], [1])]), g.doubles([c.scale], [1])]) });
      continue;
    }
    // strings to level codes (-1: none); '' is missing (as the run reads empty cells), filled like the run
    const fillPos = c.fill === null ? -1 : c.levels.indexOf(c.fill);
    const keys = fillPos >= 0 ? [...c.levels, ''] : c.levels;
    const code = g.op('LabelEncoder', [src.name], [A.strs('keys_strings', keys), A.ints('values_int64s', keys.map((_, k) => (k < c.levels.length ? k : fillPos))), A.int('default_int64', -1)], 'ai.onnx.ml');
    if (c.kind === 'ordinal') {
      out.set(c.name, { kind: 'num', name: g.op('Cast', [code], [A.int('to', DOUBLE)]) });
      continue;
    }
    const hits = c.levels.map((_, k) => g.op('Cast', [g.op('Equal', [code, g.ints([k], [1])])], [A.int('to', DOUBLE)]));
    const none = g.op('Cast', [g.op('Less', [code, g.ints([0], [1])])], [A.int('to', DOUBLE)]);
    c.levels.forEach((l, k) => out.set(`${c.name}=${l}`, { kind: 'num', name: hits[k] }));
    if (c.other) out.set(`${c.name}=__other__`, { kind: 'num', name: none });
  }
  return out;
}

/**
 * X with each category column's matrix columns made one column of level codes, NaN when
 * missing (as categoryCodes in src/ml/matrix.ts): an ordinal code as it is (negative: NaN), a
 * one-hot group's hot column's index (none hot: NaN).
 */
function categoryCodeNodes(g: Graph, X: string, c: NonNullable<BoostingJson['categorical']>): string {
  const starts = new Map(c.categories.map((group) => [group.start, group]));
  const nan = g.doubles([NaN], [1]);
  const parts: string[] = [];
  for (let j = 0; j < c.cols; ) {
    const group = starts.get(j);
    const width = group === undefined ? 1 : group.width;
    const cols = g.op('Gather', [X, g.ints(Array.from({ length: width }, (_, k) => j + k), [width])], [A.int('axis', 1)]);
    if (group === undefined) parts.push(cols);
    else if (width === 1) parts.push(g.op('Where', [g.op('Less', [cols, g.doubles([0], [1])]), nan, cols]));
    else {
      const code = g.op('MatMul', [cols, g.doubles(Array.from({ length: width }, (_, k) => k), [width, 1])]);
      const none = g.op('Less', [g.op('ReduceSum', [cols, g.ints([1], [1])], [A.int('keepdims', 1)]), g.doubles([0.5], [1])]);
      parts.push(g.op('Where', [none, nan, code]));
    }
    j += width;
  }
  return parts.length === 1 ? parts[0] : g.op('Concat', parts, [A.int('axis', 1)]);
}

/** Trees as one TreeEnsembleRegressor (double thresholds): `target(t, k)` is the output that tree t's k-th leaf value adds to. */
function treeEnsemble(g: Graph, X: string, trees: TreeJson[], targets: number, target: (t: number, k: number) => number, base: number[], aggregate: 'SUM' | 'AVERAGE'): string {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const thresholds: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const tTree: number[] = [];
  const tNode: number[] = [];
  const tId: number[] = [];
  const tWeight: number[] = [];
  trees.forEach((tree, t) => {
    let extra = tree.feature.length;
    tree.feature.forEach((f, node) => {
      const codes = tree.categories?.[node] ?? null;
      if (codes !== null) {
        // a split on categories: a chain of BRANCH_EQ nodes, one per code that goes left, each
        // true to the left child (onnxruntime reads such a chain as a set membership), the last
        // false to the right child; missing values left from the first when they go left. No
        // code: only missing values go left (codes are >= 0).
        const chain = codes.length === 0 ? [-1] : codes;
        chain.forEach((code, i) => {
          treeIds.push(t);
          nodeIds.push(i === 0 ? node : extra++);
          featureIds.push(f);
          modes.push(codes.length === 0 ? 'BRANCH_LEQ' : 'BRANCH_EQ');
          thresholds.push(code);
          trueIds.push(tree.left[node]);
          falseIds.push(i === chain.length - 1 ? tree.right[node] : extra);
          missingTrue.push(i === 0 ? tree.missingLeft[node] : 0);
        });
        return;
      }
      treeIds.push(t);
      nodeIds.push(node);
      const leaf = f === -1;
      featureIds.push(leaf ? 0 : f);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      thresholds.push(leaf ? 0 : tree.threshold[node]);
      trueIds.push(leaf ? 0 : tree.left[node]);
      falseIds.push(leaf ? 0 : tree.right[node]);
      missingTrue.push(leaf ? 0 : tree.missingLeft[node]);
      if (!leaf) return;
      for (let k = 0; k < tree.outputs; k++) {
        tTree.push(t);
        tNode.push(node);
        tId.push(target(t, k));
        tWeight.push(tree.values[node * tree.outputs + k]);
      }
    });
  });
  const y = g.op(
    'TreeEnsembleRegressor',
    [X],
    [
      A.ints('nodes_treeids', treeIds),
      A.ints('nodes_nodeids', nodeIds),
      A.ints('nodes_featureids', featureIds),
      A.strs('nodes_modes', modes),
      A.doubles('nodes_values_as_tensor', thresholds),
      A.ints('nodes_truenodeids', trueIds),
      A.ints('nodes_falsenodeids', falseIds),
      A.ints('nodes_missing_value_tracks_true', missingTrue),
      A.ints('target_treeids', tTree),
      A.ints('target_nodeids', tNode),
      A.ints('target_ids', tId),
      A.doubles('target_weights_as_tensor', tWeight),
      A.int('n_targets', targets),
      A.str('aggregate_function', aggregate),
      A.doubles('base_values_as_tensor', base),
      A.str('post_transform', 'NONE'),
    ],
    'ai.onnx.ml',
  );
  return g.op('Cast', [y], [A.int('to', DOUBLE)]);
}

/** n × k probabilities from raw scores: a sigmoid turned into two columns, or a softmax. */
function scoresToProba(g: Graph, scores: string, k: number): string {
  if (k > 2) return g.op('Softmax', [scores], [A.int('axis', 1)]);
  const p1 = g.op('Sigmoid', [scores]);
  return g.op('Concat', [g.op('Sub', [g.doubles([1], [1]), p1]), p1], [A.int('axis', 1)]);
}

type OnnxModule = typeof import('onnx-proto').onnx;

/**
 * Another ONNX model (a framework converter's: input float [N, d]; outputs `probabilities`
 * [N, k] or `variable` [N, 1]) embedded in the graph on X: its names prefixed, X cast to float
 * for it, its opsets merged (the higher version of each domain), its output cast to double.
 */
function embedModel(g: Graph, X: string, bytes: Uint8Array, task: 'classification' | 'regression', onnx: OnnxModule): string {
  const m = onnx.ModelProto.decode(bytes);
  const sub = m.graph!;
  const prefix = g.fresh('sub');
  const inputs = new Set((sub.initializer ?? []).map((t) => t.name));
  const feed = (sub.input ?? []).find((i) => !inputs.has(i.name))!.name!;
  const xf = g.op('Cast', [X], [A.int('to', 1)]);
  const rename = (n: string | null | undefined): string => (n === '' || n == null ? '' : n === feed ? xf : `${prefix}/${n}`);
  for (const t of sub.initializer ?? []) g.initializers.push({ ...onnx.TensorProto.toObject(t as InstanceType<OnnxModule["TensorProto"]>), name: rename(t.name) });
  for (const node of sub.node ?? []) {
    const plain = onnx.NodeProto.toObject(node as InstanceType<OnnxModule["NodeProto"]>);
    g.nodes.push({ ...plain, name: `${prefix}/${node.name ?? g.fresh('node')}`, input: (node.input ?? []).map(rename), output: (node.output ?? []).map(rename) });
  }
  for (const o of m.opsetImport ?? []) {
    const domain = o.domain ?? '';
    g.opsets.set(domain, Math.max(g.opsets.get(domain) ?? 0, Number(o.version)));
  }
  g.irVersion = Math.max(g.irVersion, Number(m.irVersion));
  const outs = (sub.output ?? []).map((o) => o.name!);
  const want = task === 'classification' ? (outs.find((o) => o === 'probabilities') ?? outs[1]) : (outs.find((o) => o === 'variable') ?? outs[0]);
  if (want === undefined) throw unsupported('the converted model', `it has no ${task === 'classification' ? 'probabilities' : 'prediction'} output`);
  return g.op('Cast', [rename(want)], [A.int('to', DOUBLE)]);
}

/** The model as nodes on X: probabilities [N, k] (classification) or values [N, 1]. */
function modelNodes(g: Graph, X: string, artifact: ModelArtifact, onnx: OnnxModule, converted?: Uint8Array): string {
  const m = artifact.model.fitted;
  const k = artifact.classes.length;
  switch (m.kind) {
    case 'ridge': {
      const r = m as RidgeJson;
      return g.op('Add', [g.op('MatMul', [X, g.doubles(r.coef, [r.coef.length, 1])]), g.doubles([r.intercept], [1])]);
    }
    case 'logistic': {
      const l = m as LogisticJson;
      const rows = l.classes > 2 ? l.classes : 1;
      // coef is rows × d (row-major); MatMul wants d × rows
      const wt = new Float64Array(l.features * rows);
      for (let c = 0; c < rows; c++) for (let j = 0; j < l.features; j++) wt[j * rows + c] = l.coef[c * l.features + j];
      return scoresToProba(g, g.op('Add', [g.op('MatMul', [X, g.doubles(wt, [l.features, rows])]), g.doubles(l.intercept, [rows])]), k);
    }
    case 'random_forest':
    case 'decision_tree': {
      const f = m as ForestJson;
      const outputs = f.task === 'classification' ? f.classes : 1;
      return treeEnsemble(g, X, f.trees, outputs, (_t, c) => c, new Array<number>(outputs).fill(0), 'AVERAGE');
    }
    case 'gradient_boosting': {
      const b = m as BoostingJson;
      const raw = treeEnsemble(g, b.categorical === undefined ? X : categoryCodeNodes(g, X, b.categorical), b.trees, b.outputs, (t) => t % b.outputs, b.baseline, 'SUM');
      return b.task === 'classification' ? scoresToProba(g, raw, b.classes) : raw;
    }
    case 'mlp': {
      const p = m as MlpJson;
      let h = X;
      p.layers.forEach((layer, li) => {
        h = g.op('Add', [g.op('MatMul', [h, g.doubles(layer.kernel, [layer.in, layer.out])]), g.doubles(layer.bias, [layer.out])]);
        if (li < p.layers.length - 1) h = g.op('Relu', [h]);
      });
      if (p.task === 'classification') return scoresToProba(g, h, p.classes);
      return p.target === undefined ? h : g.op('Add', [g.op('Mul', [h, g.doubles([p.target.std], [1])]), g.doubles([p.target.mean], [1])]);
    }
    case 'python': {
      let bytes = converted;
      if (bytes === undefined) {
        try {
          bytes = adapterToOnnx(m, artifact.stages.at(-1)?.kind === 'preprocess' ? (artifact.stages.at(-1) as Extract<FittedStage, { kind: 'preprocess' }>).fitted.features.length : 0);
        } catch (err) {
          if (err instanceof BflyError && err.code === 'ADAPTER_NO_CONVERTER') throw unsupported(`the ${m.spec} model`, `${err.message}; its framework's converter (skl2onnx, onnxmltools) writes ONNX for it`);
          throw err;
        }
      }
      return embedModel(g, X, bytes, m.task, onnx);
    }
    case 'ensemble': {
      // the weighted sum of the members' probabilities (or values): a member is a model like the others
      const parts = m.members.map((member) => {
        let nodes: string;
        try {
          nodes = modelNodes(g, X, { ...artifact, model: { name: member.name, params: member.params, fitted: member.fitted } }, onnx);
        } catch (err) {
          if (err instanceof BflyError && err.code === 'ONNX_UNSUPPORTED') throw unsupported(`the ensemble's member ${member.candidate} (${member.name})`, `${err.hint ?? ''}; an ensemble exports when all its members do: leave that model out of the candidates`.replace(/^; /, ''));
          throw err;
        }
        return g.op('Mul', [nodes, g.doubles([member.weight], [1])]);
      });
      return parts.length === 1 ? parts[0] : g.op('Sum', parts);
    }
    default:
      throw unsupported(
        `the ${artifact.model.name} model`,
        artifact.model.name === 'knn' ? 'kNN in ONNX needs a rows × training-rows distance matrix (memory grows with both) and breaks neighbour ties otherwise than bfly; export a run of another model' : `export a run whose model is linear or logistic regression, a decision tree, a random forest, gradient boosting, the MLP${artifact.model.name === 'ensemble' ? '' : ' or an ensemble of them'}`,
      );
  }
}

/**
 * A run's model artifact as one ONNX graph: an input per model input column (numbers as double
 * [N, 1], dates as epoch milliseconds (UTC); categories and text as strings [N, 1], '' for missing), the fitted chain (imputation,
 * scaling, one-hot and ordinal codes, log1p, polynomial and date_parts steps) and the model, with outputs
 * `label` (class labels, or absent for regression), `probabilities` [N, classes] or `prediction`
 * [N, 1], all double. Standard ONNX and ONNX-ML operators (opset 15, ML opset 3): Where, IsNaN,
 * Equal, Cast, MatMul, Softmax, Sigmoid, TreeEnsembleRegressor (double thresholds), LabelEncoder.
 * A step or model with no faithful ONNX form is refused, naming it.
 *
 * @example
 * writeFileSync('model.onnx', await exportOnnx(artifact));
 */
export async function exportOnnx(artifact: ModelArtifact, o: { converted?: Uint8Array } = {}): Promise<Uint8Array> {
  const mod = (await import('onnx-proto')) as unknown as { onnx?: typeof import('onnx-proto').onnx; default?: { onnx: typeof import('onnx-proto').onnx } };
  const onnx = mod.onnx ?? mod.default!.onnx;
  const g = new Graph();
  const cols = new Map<string, Col>();
  const inputs = artifact.inputs.map((c) => {
    const str = c.type === 'category' || c.type === 'text';
    cols.set(c.name, { kind: str ? 'str' : 'num', name: c.name, ...(c.type === 'datetime' ? { date: true } : {}) });
    return { name: c.name, type: { tensorType: { elemType: str ? STRING : DOUBLE, shape: { dim: [{ dimParam: 'N' }, { dimValue: 1 }] } } } };
  });
  let current = cols;
  let features: string[] = [];
  for (const stage of artifact.stages) {
    if (stage.kind === 'features') applyFeatureSteps(g, current, stage.steps);
    else {
      current = applyPreprocess(g, current, stage);
      features = stage.fitted.features;
    }
  }
  if (artifact.stages.at(-1)?.kind !== 'preprocess') throw unsupported('a chain that does not end with a preprocessing', 'runs always end with one; re-run the experiment');
  const parts = features.map((f) => {
    const c = current.get(f);
    if (c === undefined || c.kind !== 'num') throw unsupported(`feature ${f}`, 'the export could not follow the chain to this feature');
    return c.name;
  });
  const X = parts.length === 1 ? parts[0] : g.op('Concat', parts, [A.int('axis', 1)]);
  const result = modelNodes(g, X, artifact, onnx, o.converted);
  const outputs: Attr[] = [];
  const k = artifact.classes.length;
  if (artifact.task === 'classification') {
    g.op('Identity', [result], [], '', ['probabilities']);
    const code = g.op('ArgMax', [result], [A.int('axis', 1), A.int('keepdims', 0)]);
    g.op('LabelEncoder', [code], [A.ints('keys_int64s', artifact.classes.map((_, i) => i)), A.strs('values_strings', artifact.classes), A.str('default_string', '')], 'ai.onnx.ml', ['label']);
    outputs.push({ name: 'label', type: { tensorType: { elemType: STRING, shape: { dim: [{ dimParam: 'N' }] } } } });
    outputs.push({ name: 'probabilities', type: { tensorType: { elemType: DOUBLE, shape: { dim: [{ dimParam: 'N' }, { dimValue: k }] } } } });
  } else {
    g.op('Identity', [result], [], '', ['prediction']);
    outputs.push({ name: 'prediction', type: { tensorType: { elemType: DOUBLE, shape: { dim: [{ dimParam: 'N' }, { dimValue: 1 }] } } } });
  }
  const model = onnx.ModelProto.create({
    irVersion: g.irVersion,
    producerName: 'bfly',
    producerVersion: BFLY_VERSION,
    docString: `bfly ${artifact.model.name} for ${artifact.target} (${artifact.task}), run of ${artifact.lineage.experiment}`,
    opsetImport: [...g.opsets].map(([domain, version]) => ({ domain, version })),
    graph: { name: 'bfly', node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
    metadataProps: [
      { key: 'bfly.target', value: artifact.target },
      { key: 'bfly.task', value: artifact.task },
      { key: 'bfly.executionKey', value: artifact.lineage.executionKey },
    ],
  });
  const err = onnx.ModelProto.verify(model);
  if (err !== null) throw new Error(`ONNX export built an invalid message: ${err}`);
  return onnx.ModelProto.encode(model).finish();
}

/** The ONNX bytes of a run's model (the model file verified against the run's seal first). */
export async function runOnnx(root: string, ref: string): Promise<Uint8Array> {
  return exportOnnx(loadRunModel(root, resolveRunRef(root, ref)).artifact);
}
