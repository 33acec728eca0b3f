import { z } from 'zod';
import { MODELS, resolveModelParams } from './catalog.js';
import { BLOCKS, BLOCK_TYPES, blockEnvelope, hookEntry, pipelineEnvelope } from './pipeline.js';

export type { FieldDoc, BlockDoc, ModelDoc } from './contracts/workspace.js';
import type { FieldDoc, BlockDoc, ModelDoc } from './contracts/workspace.js';



type Json = { type?: string | string[]; enum?: unknown[]; properties?: Record<string, Json>; items?: Json; anyOf?: Json[]; oneOf?: Json[]; default?: unknown; description?: string; minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number; const?: unknown };

function typeText(s: Json): string {
  if (s.enum) return s.enum.map(String).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const alts = s.anyOf ?? s.oneOf;
  const ops = alts?.map((a) => a.properties?.op?.const).filter((o) => o !== undefined);
  if (alts && ops && ops.length === alts.length) return `step (op: ${ops.join(' | ')})`;
  if (alts) return alts.map(typeText).join(' | ');
  let t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
  if (t === 'array' && s.items) t = `list of ${typeText(s.items)}`;
  const big = (v: number | undefined): number | undefined => (v !== undefined && Math.abs(v) < 2 ** 52 ? v : undefined);
  const lo = big(s.minimum ?? s.exclusiveMinimum);
  const hi = big(s.maximum ?? s.exclusiveMaximum);
  if (lo !== undefined && hi !== undefined) t += ` ${s.exclusiveMinimum !== undefined ? '(' : '['}${lo}, ${hi}${s.exclusiveMaximum !== undefined ? ')' : ']'}`;
  else if (lo !== undefined) t += ` ${s.exclusiveMinimum !== undefined ? '>' : '≥'} ${lo}`;
  else if (hi !== undefined) t += ` ${s.exclusiveMaximum !== undefined ? '<' : '≤'} ${hi}`;
  return t;
}

function fields(schema: Json, prefix = ''): FieldDoc[] {
  const out: FieldDoc[] = [];
  for (const [key, s] of Object.entries(schema.properties ?? {})) {
    const path = prefix + key;
    if (s.type === 'object' && s.properties) {
      out.push(...fields(s, `${path}.`));
      continue;
    }
    out.push({ path, type: typeText(s), ...(s.default !== undefined ? { default: s.default } : {}), ...(s.description ? { doc: s.description } : {}) });
  }
  return out;
}

function jsonSchema(schema: z.ZodType): Json {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
}

/** Every block type with its config fields, defaults and JSON Schema, from the zod schemas. */
export function describeBlocks(): BlockDoc[] {
  return BLOCK_TYPES.map((t) => {
    const info = BLOCKS[t];
    const js = jsonSchema(info.config);
    return { type: t, doc: info.doc, reads: info.reads, writes: info.writes, single: info.single, fields: fields(js), defaults: info.config.parse({}) as Record<string, unknown>, jsonSchema: js };
  });
}

/** Every model type with its hyper-parameters, defaults and default search space. */
export function describeModels(): ModelDoc[] {
  return Object.entries(MODELS).map(([model, info]): ModelDoc => {
    const byTask = Object.fromEntries(info.tasks.map((t) => [t, resolveModelParams(model, {}, t)]));
    const fs = fields(jsonSchema(info.params)).map((f): FieldDoc => {
      const values = info.tasks.map((t) => byTask[t][f.path]);
      if (values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]))) return f;
      return { ...f, default: values[0], defaultByTask: Object.fromEntries(info.tasks.map((t, i) => [t, values[i]])) };
    });
    return { model, tasks: [...info.tasks], doc: info.doc, fields: fs, defaults: byTask[info.tasks[0]], defaultsByTask: byTask, space: info.space };
  }).concat(ADAPTER_DOCS);
}

const adapterDoc = (model: string, doc: string): ModelDoc => ({ model, tasks: ['classification', 'regression'], doc, fields: [], defaults: {}, defaultsByTask: { classification: {}, regression: {} } });

/** The framework adapter's model forms (params are the estimator's keyword arguments, passed as given). */
const ADAPTER_DOCS: ModelDoc[] = [
  adapterDoc('sklearn:<module.Class>', 'any scikit-learn-style estimator (fit/predict, predict_proba for probabilities), e.g. sklearn:sklearn.ensemble.ExtraTreesClassifier, run by the Python adapter (frameworks.python, else BFLY_PYTHON, else python3); params are its keyword arguments (JSON values); random_state is the run seed unless given; the fitted model is the model.pkl artifact'),
  adapterDoc('xgboost:XGBClassifier | xgboost:XGBRegressor', 'XGBoost through its scikit-learn interface, run by the Python adapter; params are its keyword arguments, e.g. {n_estimators: 200, max_depth: 4, learning_rate: 0.1}'),
];

/** The fields of the pipeline document, of a block entry and of a hook entry, from their schemas. */
export function describeEnvelope(): { pipeline: FieldDoc[]; block: FieldDoc[]; hook: FieldDoc[] } {
  return { pipeline: fields(jsonSchema(pipelineEnvelope)), block: fields(jsonSchema(blockEnvelope)), hook: fields(jsonSchema(hookEntry)) };
}
