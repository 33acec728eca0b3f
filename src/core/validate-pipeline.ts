import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type CandidateInput, duplicateCandidateIds, idBase } from './candidates.js';
import { ADAPTER_FORMS, METRICS, MODELS, type Task, adapterModel, metricsFor } from './catalog.js';
import type { ColumnType } from './dataset.js';
import { BLOCKS, BLOCK_TYPES, type BlockSpec, type BlockType, HOOK_KINDS, type HookKind, type HookSpec, type Pipeline, blockEnvelope, hookEntry, pipelineEnvelope } from './pipeline.js';
import { closestNames } from './suggest.js';

export type { PipelineProblem } from './contracts/experiment.js';
import type { PipelineProblem } from './contracts/experiment.js';

/** What the pipeline is checked against. */
export interface ValidationContext {
  /** The dataset's columns (to check referenced columns). */
  columns?: ReadonlyArray<{ name: string; type: ColumnType }>;
  target?: string;
  task?: Task;
  /** Checks a hook file path; returns a problem (message and hint) or null. Done by the store. */
  checkHookFile?: (path: string) => { message: string; hint?: string } | null;
}

/** The outcome of {@link validatePipelineText}. */
export interface ValidationResult {
  valid: boolean;
  problems: PipelineProblem[];
  /** The pipeline with defaults filled in, when valid. */
  pipeline?: Pipeline;
}

type Seg = string | number;

/**
 * Stages an `override_<stage>` hook may replace: those whose outputs a hook can produce as data
 * (frames, a model choice, predictions). Training, explaining and reporting are not replaceable.
 */
export const OVERRIDABLE: readonly BlockType[] = ['split', 'features', 'preprocess', 'model_selection', 'evaluate'];

/** Finds the node (or the key node) at `path` and its line/column; falls back to the deepest existing node. */
function locate(doc: Document, lc: LineCounter, path: readonly Seg[], key = false): { line: number; column: number } {
  let node: unknown = doc.contents;
  let pos: [number, number] | undefined = (doc.contents as Node | null)?.range ? [(doc.contents as Node).range![0], 0] : undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (pair === undefined) break;
      const last = i === path.length - 1;
      if (last && key && isScalar(pair.key) && pair.key.range) {
        pos = [pair.key.range[0], 0];
        break;
      }
      node = pair.value;
      const range = (pair.value as Node | null)?.range ?? (pair.key as Node | null)?.range;
      if (range) pos = [range[0], 0];
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      const range = (node as Node | null)?.range;
      if (range) pos = [range[0], 0];
      else break;
    } else break;
  }
  const p = lc.linePos(pos?.[0] ?? 0);
  return { line: p.line, column: p.col };
}

/** The object keys a zod schema accepts at `path` (for did-you-mean on unknown keys). */
function keysAt(schema: z.ZodType, path: readonly Seg[]): string[] {
  let s: z.ZodType | undefined = schema;
  const unwrap = (x: z.ZodType): z.ZodType => {
    let cur = x;
    for (let n = 0; n < 10; n++) {
      const def = (cur as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
      if (def.innerType !== undefined) cur = def.innerType;
      else if (def.type === 'pipe' && def.in !== undefined) cur = def.in;
      else break;
    }
    return cur;
  };
  for (const seg of path) {
    if (s === undefined) return [];
    s = unwrap(s);
    const def = (s as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; options?: z.ZodType[] } } })._zod.def;
    if (def.type === 'object' && def.shape) s = def.shape[String(seg)];
    else if (def.type === 'array' && def.element) s = def.element;
    else return [];
  }
  if (s === undefined) return [];
  s = unwrap(s);
  const def = (s as unknown as { _zod: { def: { type: string; shape?: Record<string, unknown>; options?: z.ZodType[] } } })._zod.def;
  if (def.type === 'object' && def.shape) return Object.keys(def.shape);
  if (def.type === 'union' && def.options) return [...new Set(def.options.flatMap((o) => keysAt(o, [])))];
  return [];
}

function hintFor(value: string, candidates: readonly string[]): string | undefined {
  const close = closestNames(value, candidates, 3);
  return close.length > 0 ? `did you mean ${close.map((c) => `\`${c}\``).join(' or ')}?` : `expected one of: ${candidates.join(', ')}`;
}

/** The largest pipeline text validated (pipelines are a few kilobytes). */
export const MAX_PIPELINE_BYTES = 1 << 20;
/** At most this many problems are listed (the rest are counted). */
export const MAX_PROBLEMS = 100;

/** Keys that appear twice in one map, anywhere in the document, found in one pass. */
function duplicateKeys(root: unknown): Array<{ key: string; pos: number }> {
  const out: Array<{ key: string; pos: number }> = [];
  const stack: unknown[] = [root];
  while (stack.length > 0 && out.length < MAX_PROBLEMS) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(k)) out.push({ key: String(k), pos: (pair.key as Node | null)?.range?.[0] ?? 0 });
        seen.add(k);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) for (const item of node.items) stack.push(item);
  }
  return out;
}

const RANK: Record<BlockType, number> = Object.fromEntries(BLOCK_TYPES.map((t, i) => [t, i])) as Record<BlockType, number>;

/**
 * Validates a pipeline YAML text and reports ALL problems with line and column: YAML syntax,
 * each block's config schema, unique ids, stage order, models and metrics against the task,
 * referenced columns against the dataset, hook entries (and, through `checkHookFile`, hook
 * files). Pure: I/O checks come in through the context.
 *
 * @example
 * const r = validatePipelineText(yaml, { columns: dataset.columns, target: 'Species', task: 'classification' });
 * if (!r.valid) for (const p of r.problems) console.log(`${p.line}:${p.column} ${p.path}: ${p.message}`);
 */
export function validatePipelineText(text: string, ctx: ValidationContext = {}): ValidationResult {
  const problems: PipelineProblem[] = [];
  if (text.length > MAX_PIPELINE_BYTES) {
    problems.push({ path: '', line: 1, column: 1, message: `the pipeline is ${text.length} characters long; a pipeline may be at most ${MAX_PIPELINE_BYTES}`, hint: 'a pipeline describes blocks, not data: start again from `bfly experiment create` or a template' });
    return { valid: false, problems };
  }
  const lc = new LineCounter();
  // uniqueKeys off: the yaml library checks it in quadratic time (300,000 keys took minutes);
  // duplicateKeys() below does it in one pass.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const syntax = (pos: number, message: string): void => {
    const p = lc.linePos(pos);
    const deep = /call stack/i.test(message);
    problems.push({ path: '', line: p.line, column: p.col, message: deep ? 'YAML syntax: nested too deeply' : `YAML syntax: ${message.split('\n')[0]}`, hint: deep ? `a pipeline nests at most a few levels` : 'fix the YAML syntax (indentation, colons, quotes)' });
  };
  for (const e of doc.errors) syntax(e.pos[0], e.message);
  if (problems.length === 0) for (const d of duplicateKeys(doc.contents)) syntax(d.pos, `map keys must be unique: \`${d.key}\` appears again`);
  if (problems.length > 0) return { valid: false, problems: problems.slice(0, MAX_PROBLEMS) };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    // a "billion laughs" document: aliases that expand exponentially
    problems.push({ path: '', line: 1, column: 1, message: `YAML aliases expand too much (${(err as Error).message.split('\n')[0]})`, hint: 'write the values out instead of using &anchors and *aliases' });
    return { valid: false, problems };
  }
  const names: string[] = []; // display name per block index
  const pathText = (path: readonly Seg[]): string => {
    let out = '';
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (i === 1 && path[0] === 'blocks' && typeof seg === 'number') out += names[seg] ? `.${names[seg]}` : `[${seg}]`;
      else if (typeof seg === 'number') out += `[${seg}]`;
      else out += (out === '' ? '' : '.') + seg;
    }
    return out;
  };
  let omitted = 0;
  const add = (path: readonly Seg[], message: string, hint?: string, key = false): void => {
    // locating a problem scans its map: reporting is capped so that a huge bad file stays linear
    if (problems.length >= MAX_PROBLEMS) {
      omitted++;
      return;
    }
    problems.push({ path: pathText(path), ...locate(doc, lc, path, key), message, ...(hint === undefined ? {} : { hint }) });
  };
  const result = (r: ValidationResult): ValidationResult => {
    if (omitted > 0) r.problems.push({ path: '', line: 1, column: 1, message: `…and ${omitted} more problem${omitted === 1 ? '' : 's'} (only the first ${MAX_PROBLEMS} are listed)`, hint: 'fix these first, then validate again' });
    return r;
  };
  const addZod = (schema: z.ZodType, value: unknown, prefix: readonly Seg[]): unknown => {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    for (const issue of r.error.issues) {
      const path = [...prefix, ...(issue.path as Seg[])];
      if (issue.code === 'unrecognized_keys') {
        const known = keysAt(schema, issue.path as Seg[]);
        for (const k of issue.keys) add([...path, k], `unknown key \`${k}\``, hintFor(k, known), true);
      } else if (issue.code === 'invalid_value' && 'values' in issue) {
        const got = path.reduce<unknown>((v, s) => (v !== null && typeof v === 'object' ? (v as Record<Seg, unknown>)[s] : undefined), raw);
        const values = (issue.values as unknown[]).map(String);
        add(path, `${JSON.stringify(got)} is not allowed here`, typeof got === 'string' ? hintFor(got, values) : `expected one of: ${values.join(', ')}`);
      } else if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
        add(path, 'unknown `op`', 'expected one of: polynomial, date_parts, log1p, drop');
      } else {
        add(path, issue.message.replace(/^Invalid input: /, ''));
      }
    }
    return undefined;
  };

  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    add([], 'a pipeline must be a mapping with apiVersion, seed and blocks', 'start from `bfly experiment create`, or see `bfly blocks`');
    return result({ valid: false, problems });
  }
  const top = addZod(pipelineEnvelope, raw, []) as { apiVersion: 'bfly/v1'; seed: number; blocks: unknown[]; timeout?: string | number } | undefined;
  const rawBlocks = Array.isArray((raw as { blocks?: unknown }).blocks) ? ((raw as { blocks: unknown[] }).blocks) : [];

  // Names for paths first, so every message can say blocks.<id>.
  const idCount = new Map<string, number>();
  for (const b of rawBlocks) {
    const id = b !== null && typeof b === 'object' ? (b as { id?: unknown }).id : undefined;
    if (typeof id === 'string') idCount.set(id, (idCount.get(id) ?? 0) + 1);
  }
  rawBlocks.forEach((b, i) => {
    const id = b !== null && typeof b === 'object' ? (b as { id?: unknown }).id : undefined;
    names[i] = typeof id === 'string' && idCount.get(id) === 1 && /^[A-Za-z][A-Za-z0-9_-]*$/.test(id) ? id : '';
  });

  const blocks: Array<BlockSpec | null> = rawBlocks.map((b, i) => {
    const env = addZod(blockEnvelope, b, ['blocks', i]) as { id: string; type: BlockType; config: Record<string, unknown> | null; hooks: unknown[]; timeout?: string | number } | undefined;
    if (env === undefined) return null;
    const info = BLOCKS[env.type];
    const config = addZod(info.config, env.config ?? {}, ['blocks', i, 'config']) as Record<string, unknown> | undefined;
    const hooks: HookSpec[] = [];
    env.hooks.forEach((h, k) => {
      const hp: Seg[] = ['blocks', i, 'hooks', k];
      const entry = addZod(hookEntry, h, hp) as z.infer<typeof hookEntry> | undefined;
      if (entry === undefined) return;
      const m = /^(before|after|override)(?:_(.+))?$/.exec(entry.type);
      if (m === null) {
        add([...hp, 'type'], `unknown hook type ${JSON.stringify(entry.type)}`, hintFor(entry.type.split('_')[0], HOOK_KINDS));
        return;
      }
      if (m[2] !== undefined && m[2] !== env.type) {
        const known = (BLOCK_TYPES as readonly string[]).includes(m[2]);
        add([...hp, 'type'], known ? `hook ${entry.type} is attached to a ${env.type} block` : `unknown stage \`${m[2]}\` in hook type ${entry.type}`, known ? `move it to the ${m[2]} block, or call it ${m[1]}_${env.type}` : hintFor(m[2], BLOCK_TYPES));
        return;
      }
      if (m[1] === 'override' && !OVERRIDABLE.includes(env.type)) {
        add([...hp, 'type'], `a ${env.type} block cannot be overridden by a hook`, `use before_${env.type} / after_${env.type}, or override one of: ${OVERRIDABLE.join(', ')}`);
        return;
      }
      if (m[1] === 'override' && (env.hooks as Array<{ type?: unknown }>).slice(0, k).some((o) => typeof o?.type === 'string' && /^override(_|$)/.test(o.type))) {
        add([...hp, 'type'], `block ${env.id} already has an override hook`, 'a stage is replaced by one hook: merge them into one file');
        return;
      }
      if (entry.file !== undefined && ctx.checkHookFile) {
        const bad = ctx.checkHookFile(entry.file);
        if (bad !== null) {
          add([...hp, 'file'], bad.message, bad.hint);
          return;
        }
      }
      hooks.push({ kind: m[1] as HookKind, ...(entry.file !== undefined ? { file: entry.file } : { code: entry.code }), ...(entry.timeoutMs !== undefined ? { timeoutMs: entry.timeoutMs } : {}), ...(entry.memoryMb !== undefined ? { memoryMb: entry.memoryMb } : {}) });
    });
    if (config === undefined || hooks.length !== env.hooks.length) return null;
    return { id: env.id, type: env.type, config, hooks, ...(env.timeout !== undefined ? { timeout: env.timeout } : {}) };
  });

  // Unique ids; one block of single-instance types.
  const seenIds = new Map<string, number>();
  const seenTypes = new Map<string, number>();
  rawBlocks.forEach((b, i) => {
    const o = (b ?? {}) as { id?: unknown; type?: unknown };
    if (typeof o.id === 'string') {
      if (seenIds.has(o.id)) add(['blocks', i, 'id'], `duplicate block id \`${o.id}\` (also block ${seenIds.get(o.id)! + 1})`, 'give every block its own id');
      else seenIds.set(o.id, i);
    }
    if (typeof o.type === 'string' && o.type in BLOCKS) {
      if (BLOCKS[o.type as BlockType].single && seenTypes.has(o.type)) add(['blocks', i, 'type'], `a pipeline has at most one ${o.type} block (also block ${seenTypes.get(o.type)! + 1})`, 'remove one of them');
      else seenTypes.set(o.type, i);
    }
  });

  // Stage order and required stages.
  const typed = rawBlocks.map((b) => (b !== null && typeof b === 'object' && typeof (b as { type?: unknown }).type === 'string' && (b as { type: string }).type in BLOCKS ? ((b as { type: BlockType }).type) : null));
  const firstOf = (t: BlockType): number => typed.indexOf(t);
  if (top !== undefined) {
    if (firstOf('split') === -1) add(['blocks'], 'the pipeline has no split block', 'add `- {id: split, type: split}` as the first block');
    if (firstOf('train') === -1) add(['blocks'], 'the pipeline has no train block', 'add a train block after model_selection');
  }
  typed.forEach((t, j) => {
    if (t === null) return;
    const before = typed.flatMap((later, i) => (i > j && later !== null && RANK[later] < RANK[t] && !(isPrep(t) && isPrep(later)) ? [`${later} (block ${i + 1})`] : []));
    if (before.length > 0) add(['blocks', j, 'type'], `${t} must come after ${before.join(', ')}`, `the order is ${BLOCK_TYPES.join(' → ')} (features and preprocess in either order)`);
  });
  const trainIdx = firstOf('train');
  if (trainIdx !== -1) {
    const tb = blocks[trainIdx];
    const model = tb?.config.model;
    if (model === 'best' && firstOf('model_selection') === -1) {
      add(['blocks', trainIdx, 'config', 'model'], 'train uses the best model of model_selection, but there is no model_selection block', 'add a model_selection block before train, or name a model here (e.g. random_forest)');
    }
  }
  for (const t of ['evaluate', 'explain'] as const) {
    const i = firstOf(t);
    if (i !== -1 && trainIdx === -1) add(['blocks', i, 'type'], `${t} needs a trained model, but there is no train block`, 'add a train block before it');
  }
  const explainIdx = firstOf('explain');
  if (explainIdx !== -1 && firstOf('evaluate') === -1) add(['blocks', explainIdx, 'type'], 'explain needs the metrics of an evaluate block', 'add an evaluate block before explain');

  // Models, params and metrics against the task; columns against the dataset (checkColumnFlow).
  const colNames = ctx.columns?.map((c) => c.name) ?? [];
  const checkModel = (path: Seg[], model: string, params: unknown): void => {
    const info = MODELS[model];
    const adapter = adapterModel(model);
    if (adapter !== null) {
      if (ctx.task !== undefined && adapter.task !== null && adapter.task !== ctx.task) add([...path, 'model'], `${adapter.cls} is for ${adapter.task}, but this experiment is ${ctx.task}`, `use a ${ctx.task === 'classification' ? 'Classifier' : 'Regressor'} class`);
      if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params))) add([...path, 'params'], 'params must be a map of keyword arguments', 'e.g. params: {n_estimators: 200}');
      return;
    }
    if (info === undefined) {
      add([...path, 'model'], model.includes(':') ? `unknown model \`${model}\`: adapter models are ${ADAPTER_FORMS.join(', ')}` : `unknown model \`${model}\``, hintFor(model, Object.keys(MODELS)));
      return;
    }
    if (ctx.task !== undefined && !info.tasks.includes(ctx.task)) {
      add([...path, 'model'], `${model} is for ${info.tasks.join('/')}, but this experiment is ${ctx.task}`, ctx.task === 'regression' && model === 'logistic_regression' ? 'did you mean `linear_regression`?' : ctx.task === 'classification' && model === 'linear_regression' ? 'did you mean `logistic_regression`?' : undefined);
    }
    addZod(info.params, params ?? {}, [...path, 'params']);
    const cw = (params as Record<string, unknown> | null | undefined)?.class_weight;
    if (ctx.task === 'regression' && cw !== undefined && cw !== null) add([...path, 'params', 'class_weight'], 'class_weight is for classification, but this experiment is regression', 'remove it: every row of a regression weighs the same');
  };
  // A candidate's search space: its params are the model's, each bound and choice a valid value.
  const checkSearch = (path: Seg[], model: string, search: unknown, strategy: unknown): void => {
    if (search === undefined) return;
    const info = MODELS[model];
    if (search === 'default') {
      if (info === undefined && adapterModel(model) !== null) add([...path, 'search'], `${model} has no default search space`, 'write its space: search: {param: {type: int, low: 1, high: 10}}');
      return;
    }
    const space = obj(search);
    for (const [name, raw] of Object.entries(space)) {
      const d = obj(raw);
      if (info !== undefined) {
        const field = (info.params.shape as Record<string, z.ZodType>)[name];
        if (field === undefined) {
          add([...path, 'search', name], `${model} has no param \`${name}\``, hintFor(name, Object.keys(info.params.shape)) ?? `its params: ${Object.keys(info.params.shape).join(', ')}`);
          continue;
        }
        const values: Array<[Seg[], unknown]> = d.type === 'choice' ? arr(d.values).map((v, j) => [['values', j], v]) : (['low', 'high'] as const).filter((b) => typeof d[b] === 'number').map((b) => [[b], d[b]]);
        for (const [at, v] of values) {
          const r = field.safeParse(v);
          if (!r.success) add([...path, 'search', name, ...at], `${JSON.stringify(v)} is not a valid ${name} for ${model}: ${r.error.issues[0]?.message ?? 'invalid'}`, 'keep the space within the values the param takes (see `bfly blocks`)');
        }
      }
      if (strategy === 'grid' && (d.type === 'float' || d.type === 'int')) add([...path, 'search', name, 'type'], `the grid strategy tries lists of values, but ${name} is ${d.type === 'int' ? 'an' : 'a'} ${d.type} range`, `use strategy: tpe or random, or list the values: {type: choice, values: [...]}`);
    }
  };
  const checkMetric = (path: Seg[], metric: string): void => {
    if (ctx.task !== undefined && METRICS[metric]?.task !== ctx.task) add(path, `metric ${metric} is for ${METRICS[metric]?.task}, but this experiment is ${ctx.task}`, `metrics for ${ctx.task}: ${metricsFor(ctx.task).join(', ')}`);
  };
  // Read from the raw document so these run even when a block has other errors.
  const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  rawBlocks.forEach((rb, i) => {
    const type = obj(rb).type;
    const c = obj(obj(rb).config);
    if (type === 'model_selection') {
      arr(c.candidates).forEach((cand, k) => {
        if (typeof obj(cand).model === 'string') checkModel(['blocks', i, 'config', 'candidates', k], obj(cand).model as string, obj(cand).params);
        if (typeof obj(cand).model === 'string') checkSearch(['blocks', i, 'config', 'candidates', k], obj(cand).model as string, obj(cand).search, c.strategy);
      });
      const cands = arr(c.candidates).map((x) => obj(x));
      if (cands.every((x) => typeof x.model === 'string' && (x.id === undefined || typeof x.id === 'string'))) {
        const dups = duplicateCandidateIds(cands as unknown as CandidateInput[]);
        for (const id of dups) {
          const k = cands.findLastIndex((x, j) => (x.id ?? `${idBase(String(x.model))}-${cands.slice(0, j + 1).filter((y) => y.model === x.model).length}`) === id);
          add(['blocks', i, 'config', 'candidates', k, ...(cands[k].id === undefined ? ['model'] : ['id'])], `two candidates have the id \`${id}\``, 'give each candidate its own `id:` (ids default to <model>-<n>)');
        }
      }
      if (typeof c.metric === 'string' && c.metric in METRICS) checkMetric(['blocks', i, 'config', 'metric'], c.metric);
      if (c.ensemble !== undefined) {
        // members are the candidates bfly predicts itself (an adapter's model lives in its framework)
        const native = cands.filter((x) => typeof x.model === 'string' && adapterModel(x.model) === null);
        if (native.length < 2) add(['blocks', i, 'config', 'ensemble'], `an ensemble needs two candidates or more, but this block has ${native.length === 0 ? 'none' : 'one'}${cands.length > native.length ? ' bfly predicts itself (adapter models cannot be members)' : ''}`, 'list more candidates (e.g. logistic_regression, random_forest, gradient_boosting, knn), or remove `ensemble`');
        cands.forEach((x, k) => {
          if (x.id === 'ensemble') add(['blocks', i, 'config', 'candidates', k, 'id'], 'the id `ensemble` is the ensemble\'s own', 'give this candidate another id');
        });
      }
    } else if (type === 'train' && typeof c.model === 'string' && c.model !== 'best') {
      checkModel(['blocks', i, 'config'], c.model, c.params);
    } else if (type === 'evaluate') {
      arr(c.metrics).forEach((m, k) => {
        if (typeof m === 'string' && m in METRICS) checkMetric(['blocks', i, 'config', 'metrics', k], m);
      });
    }
  });
  if (ctx.columns !== undefined) checkColumnFlow(rawBlocks, ctx.columns, ctx.target, add, (name) => hintFor(name, colNames));

  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  if (problems.length > 0 || top === undefined) return result({ valid: false, problems });
  return { valid: true, problems, pipeline: { apiVersion: top.apiVersion, seed: top.seed, blocks: blocks as BlockSpec[], ...(top.timeout !== undefined ? { timeout: top.timeout } : {}) } };
}

/** What the validator knows of a column as the blocks pass it on: its kind, or where it went. */
type Flow = Map<string, ColumnType | 'derived'>;

const NUMERIC_KINDS = new Set<string>(['number', 'integer', 'boolean', 'derived']);
const kindWord = (k: string): string => (k === 'datetime' ? 'dates' : k === 'text' ? 'free text' : k === 'category' ? 'a category' : k === 'derived' ? 'numbers' : k === 'boolean' ? 'true/false values' : 'numbers');

/**
 * Follows the columns through the `features` and `preprocess` blocks in order, as the run will
 * (the target is not a feature; a date_parts step replaces a date column by its parts; a text
 * step replaces a text column by `col:token` features; drop removes), and checks every column
 * a step names against the columns that block receives and the kinds the step accepts. After a
 * block with hooks the columns are whatever the hook returns, so the later blocks are not checked.
 */
function checkColumnFlow(
  rawBlocks: unknown[],
  columns: ReadonlyArray<{ name: string; type: ColumnType }>,
  target: string | undefined,
  add: (path: Seg[], message: string, hint?: string) => void,
  hint: (name: string) => string | undefined,
): void {
  const flow: Flow = new Map(columns.filter((c) => c.name !== target).map((c) => [c.name, c.type]));
  const gone = new Map<string, string>();
  /** Columns tokenized by a text step (their `col:token` features are unknown until fitted). */
  const tokenized = new Set<string>();
  const has = (name: string): boolean => flow.has(name) || name.includes('*') || name.includes('^') || [...tokenized].some((t) => name.startsWith(`${t}:`) || name.startsWith(`${t}#`));
  const kindOf = (name: string): ColumnType | 'derived' => flow.get(name) ?? 'derived';
  const asObj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const names = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const missing = (path: Seg[], name: string, block: string): void => {
    if (name === target) add(path, `\`${name}\` is the target: ${block} does not receive it`, 'name a feature column');
    else if (gone.has(name)) add(path, `\`${name}\` is no longer there when ${block} runs: ${gone.get(name)}`, 'name the column it became, or move this step before that one');
    else add(path, `no column \`${name}\` in the dataset`, hint(name));
  };
  for (const [i, rb] of rawBlocks.entries()) {
    const b = asObj(rb);
    if (Array.isArray(b.hooks) && b.hooks.length > 0 && (b.type === 'split' || b.type === 'features' || b.type === 'preprocess')) return;
    const c = asObj(b.config);
    const id = typeof b.id === 'string' ? b.id : String(b.type);
    if (b.type === 'preprocess') {
      names(c.drop).forEach((name, k) => {
        if (!has(name)) missing(['blocks', i, 'config', 'drop', k], name, `block ${id}`);
      });
      return; // from here on the columns are the preprocessing's features
    }
    if (b.type !== 'features') continue;
    (Array.isArray(c.steps) ? c.steps : []).forEach((raw, k) => {
      const step = asObj(raw);
      const op = step.op;
      const list = names(step.columns);
      const where = `step ${k} of ${id}`;
      const accepts = (kind: ColumnType | 'derived'): string | null => {
        if (op === 'drop') return null;
        if (op === 'text') return kind === 'text' || kind === 'category' ? null : 'text (or category) columns';
        if (op === 'date_parts') return kind === 'datetime' ? null : 'date columns';
        if (op === 'log1p') return kind === 'number' || kind === 'integer' || kind === 'derived' ? null : 'numeric columns';
        if (op === 'polynomial') return NUMERIC_KINDS.has(kind) ? null : 'numeric columns';
        return null;
      };
      list.forEach((name, n) => {
        const path: Seg[] = ['blocks', i, 'config', 'steps', k, 'columns', n];
        if (!has(name)) return missing(path, name, where);
        const kind = kindOf(name);
        const wants = accepts(kind);
        if (wants !== null) add(path, `${op} works on ${wants}, but \`${name}\` holds ${kindWord(kind)}`, op === 'date_parts' && kind === 'text' ? 'its values did not all parse as dates (see `bfly dataset show`)' : kind === 'text' ? 'turn it into numbers first with {op: text}' : undefined);
      });
      // What the step leaves for the next one.
      const targets = list.length > 0 ? list.filter((n) => flow.has(n)) : [...flow.keys()].filter((n) => accepts(kindOf(n)) === null && (op !== 'text' || kindOf(n) === 'text'));
      if (op === 'drop') {
        for (const n of list) {
          flow.delete(n);
          gone.set(n, `dropped by ${where}`);
        }
      } else if (op === 'date_parts') {
        const parts = names(step.parts).length > 0 ? names(step.parts) : ['year', 'month', 'day', 'dayofweek'];
        for (const n of targets) {
          if (kindOf(n) !== 'datetime') continue;
          flow.delete(n);
          for (const p of parts) flow.set(`${n}.${p}`, 'integer');
          gone.set(n, `split into ${parts.map((p) => `${n}.${p}`).join(', ')} by ${where}`);
        }
      } else if (op === 'text') {
        for (const n of targets) {
          if (kindOf(n) !== 'text' && kindOf(n) !== 'category') continue;
          flow.delete(n);
          tokenized.add(n);
          gone.set(n, `tokenized into ${n}:<token> features by ${where}`);
        }
      }
    });
  }
}

function isPrep(t: BlockType): boolean {
  return t === 'features' || t === 'preprocess';
}
