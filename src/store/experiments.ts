import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { assertRealDir, writeNewFile } from './safe-fs.js';
import { appendAudit } from './audit.js';
import { type DraftDiff, type DraftRevision, type DraftSide, firstRevision, listDraftRevisions, readDraftRevision, recordDraft, revisionOf } from './draft-history.js';
import { unifiedDiff } from '../core/compare.js';
import { writeObject } from './objects.js';
import { join, relative } from 'node:path';
import { isMap, isSeq, parse as parseYaml, parseDocument, stringify } from 'yaml';
import type { Task } from '../core/catalog.js';
import { NotFoundError, ValidationError, isBflyError } from '../core/errors.js';
import { readHookFile } from './hook-file.js';
import { validateName } from '../core/names.js';
import { parseYamlText } from '../core/yaml-text.js';
import { setYamlPath } from '../core/yaml-edit.js';
import { canonicalJson, sha256Hex } from '../core/hash.js';
import { BFLY_VERSION } from '../core/version.js';
import type { Pipeline } from '../core/pipeline.js';
import { didYouMean } from '../core/suggest.js';
import { chooseMetric, decideMetric, decideTask } from '../core/task.js';
import { classCounts } from './columnar.js';
import { loadDatasetColumns } from './dataset-columns.js';
import { type PipelineProblem, type ValidationResult, validatePipelineText } from '../core/validate-pipeline.js';
import { tempName, writeFileAtomic } from './atomic.js';
import { getDataset } from './datasets.js';
import { workspacePaths } from './layout.js';
import { withLock } from './lock.js';
import { packageRoot } from './package-root.js';
import { parseFlatYaml, renderFlatYaml } from './config-file.js';

export type { Experiment } from '../core/contracts/experiment.js';
import type { Experiment, ExperimentDetail, PipelineDocument } from '../core/contracts/experiment.js';
import { experimentView } from '../core/views.js';
import { defaultTextStep } from '../core/column-roles.js';
import type { DatasetColumn } from '../core/contracts/dataset.js';


/** An experiment plus where its draft pipeline is (what `experiment show --json` prints). */
export interface ExperimentInfo extends Experiment {
  pipelinePath: string;
}

/** Options for {@link createExperiment}. */
export interface CreateExperimentOptions {
  name: string;
  /** NAME, NAME@V, id or hash prefix. */
  dataset: string;
  target: string;
  task?: Task | 'auto';
  metric?: string;
  /** A template name (`classification`, `regression`, `auto`) or a path to a pipeline YAML file. */
  template?: string;
}

/** Template names shipped in `templates/`. */
export function listTemplates(): string[] {
  return readdirSync(join(packageRoot(), 'templates'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .sort();
}

function templateText(template: string, task: Task): string {
  if (template === 'auto') {
    // one template for both tasks: the linear family is the task's
    const text = readFileSync(join(packageRoot(), 'templates', 'auto.yaml'), 'utf8');
    return task === 'regression' ? text.replace('{model: logistic_regression, search: default}', '{model: linear_regression, search: default}') : text;
  }
  if (listTemplates().includes(template)) return readFileSync(join(packageRoot(), 'templates', `${template}.yaml`), 'utf8');
  if (existsSync(template) && statSync(template).isFile()) return readFileSync(template, 'utf8');
  throw new NotFoundError('UNKNOWN_TEMPLATE', `no template named ${JSON.stringify(template)}${didYouMean(template, listTemplates())}`, { hint: `templates: ${listTemplates().join(', ')} (or the path of a pipeline YAML file)` });
}

function experimentDir(root: string, name: string): string {
  return join(workspacePaths(root).experiments, name);
}

/** Path of an experiment's draft pipeline. */
export function pipelinePath(root: string, name: string): string {
  return join(experimentDir(root, name), 'pipeline.yaml');
}

/** Every experiment, sorted by name. */
export function listExperiments(root: string): ExperimentInfo[] {
  const dir = workspacePaths(root).experiments;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, 'experiment.yaml')))
    .sort()
    .map((n) => getExperiment(root, n));
}

/** One experiment by name (with the closest names when unknown). */
export function getExperiment(root: string, name: string): ExperimentInfo {
  const file = join(experimentDir(root, name), 'experiment.yaml');
  if (name.includes('/') || name.includes('..') || !existsSync(file)) {
    const dir = workspacePaths(root).experiments;
    const names = existsSync(dir) ? readdirSync(dir) : [];
    throw new NotFoundError('EXPERIMENT_NOT_FOUND', `no experiment named ${JSON.stringify(name)}${didYouMean(name, names)}`, {
      hint: names.length === 0 ? 'create one with `bfly experiment create <name> --dataset <d> --target <column>`' : 'list them with `bfly experiment list`',
      data: { name },
    });
  }
  const text = readFileSync(file, 'utf8');
  // bfly writes flat YAML (nested values as JSON); an older or hand-edited file takes the full parser.
  const exp = (parseFlatYaml(text) ?? parseYamlText(text, file, parseDocument, 64 << 10)) as Experiment;
  return { ...exp, pipelinePath: pipelinePath(root, name) };
}

/**
 * A built-in template's draft for a dataset: free-text columns get a `text` step in the
 * `features` block (when the template leaves its steps empty), so they count without an edit.
 */
function withDefaultSteps(text: string, builtIn: boolean, columns: DatasetColumn[], target: string): string {
  const step = builtIn ? defaultTextStep(columns, target) : null;
  if (step === null) return text;
  const blocks = (parseYaml(text) as { blocks?: Array<{ type?: string; config?: { steps?: unknown[] } }> }).blocks ?? [];
  const at = blocks.findIndex((b) => b.type === 'features' && (b.config?.steps ?? []).length === 0);
  return at < 0 ? text : setYamlPath(text, ['blocks', at, 'config', 'steps'], [step]);
}

/**
 * Creates an experiment: binds a dataset and a target, decides the task (recording why),
 * picks the metric, and writes `experiment.yaml` and a draft `pipeline.yaml` from a template.
 * The folder appears all at once (built aside, then renamed); a name in use is refused.
 *
 * @example
 * const exp = await createExperiment(root, { name: 'penguins', dataset: 'penguins', target: 'Species' });
 * exp.task // 'classification'
 */
export function createExperiment(root: string, options: CreateExperimentOptions): ExperimentInfo {
  const name = validateName(options.name, 'experiment name');
  const dataset = getDataset(root, options.dataset);
  const decision = decideTask(dataset, options.target, options.task ?? 'auto');
  const auto = options.metric === undefined || options.metric === 'auto';
  const metricDecision = auto
    ? decideMetric(decision.task, decision.task === 'classification' ? classCounts(loadDatasetColumns(root, dataset, [options.target]).columns[0]) : null)
    : { metric: chooseMetric(decision.task, options.metric), reason: 'chosen with --metric' };
  const metric = metricDecision.metric;
  const template = options.template ?? decision.task;
  const text = withDefaultSteps(templateText(template, decision.task), listTemplates().includes(template), dataset.columns, options.target);
  const check = validatePipelineText(text, { columns: dataset.columns, target: options.target, task: decision.task });
  if (!check.valid) throw invalidPipeline(`template ${template}`, check.problems);
  const exp: Experiment = {
    name,
    dataset: { id: dataset.id, name: dataset.name, version: dataset.version, hash: dataset.hash },
    target: options.target,
    task: decision.task,
    taskReason: decision.reason,
    metric,
    metricReason: metricDecision.reason,
    template,
    createdAt: new Date().toISOString(),
  };
  const paths = workspacePaths(root);
  return withLock(root, 'experiments', { purpose: `creating experiment ${name}`, waitMs: 10_000 }, () => {
    const dir = experimentDir(root, name);
    if (existsSync(dir)) {
      throw new ValidationError('EXPERIMENT_EXISTS', `experiment ${JSON.stringify(name)} already exists`, { hint: `choose another name, or edit it with \`bfly pipeline edit ${name}\`` });
    }
    const staging = join(paths.tmp, tempName('experiment'));
    mkdirSync(staging);
    try {
      writeFileSync(join(staging, 'experiment.yaml'), renderFlatYaml('bfly experiment: the dataset, target and task are fixed; edit pipeline.yaml instead', exp as unknown as Record<string, unknown>));
      writeFileSync(join(staging, 'pipeline.yaml'), text);
      // revision 1 of the draft's history: its object first, the history line in the staged folder
      writeObject(root, text);
      writeFileSync(join(staging, 'history.jsonl'), JSON.stringify(firstRevision(text)) + '\n');
      renameSync(staging, dir);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    appendAudit(root, { action: 'experiment.create', target: { experiment: name, dataset: exp.dataset.id, datasetHash: exp.dataset.hash, target: exp.target, task: exp.task, metric: exp.metric, revision: 1, hash: `sha256:${sha256Hex(text)}` } });
    return { ...exp, pipelinePath: pipelinePath(root, name) };
  });
}

/** A ValidationError that carries every problem (the CLI prints them all). */
export function invalidPipeline(file: string, problems: PipelineProblem[]): ValidationError {
  const first = problems[0];
  const where = (p: PipelineProblem): string => `${file}:${p.line}:${p.column}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
  const message = problems.length === 1 ? where(first) : `${file} has ${problems.length} problems`;
  return new ValidationError('INVALID_PIPELINE', message, {
    hint: problems.length === 1 ? (first.hint ?? 'fix that line, then `bfly pipeline validate`') : 'each is listed below with its line; fix them, then `bfly pipeline validate`',
    data: { file, problems },
  });
}

/**
 * Checks a hook file path for a workspace the way a run will read it ({@link readHookFile}):
 * relative, inside the workspace and outside `.butterfly/`, a regular file (not a link), UTF-8 text.
 */
export function hookFileChecker(root: string): (path: string) => { message: string; hint?: string } | null {
  return (path) => {
    try {
      readHookFile(root, path);
      return null;
    } catch (err) {
      if (!isBflyError(err)) throw err;
      return { message: err.message, hint: err.hint };
    }
  };
}

function validatedCacheKey(exp: Experiment, text: string): string {
  return sha256Hex(`${BFLY_VERSION}\0${exp.dataset.hash}\0${exp.target}\0${exp.task}\0${text}`);
}

/** `cache/validated/<key>.json`. */
export function validatedCachePath(root: string, key: string): string {
  return join(workspacePaths(root).cache, 'validated', `${key}.json`);
}

/**
 * A remembered validation result, bound to what it claims: `key` (the hash of the draft text,
 * dataset, target, task and bfly version) must be its file name and the key of the text being
 * validated, and `digest` the sha256 of the key and the pipeline's canonical JSON. Only
 * pipelines without hooks are remembered (a hook file can change without the text changing),
 * so an entry that holds hooks is refused too. Null when unusable (then the text is validated again).
 */
export function readValidatedEntry(path: string, key: string | null): Pipeline | null {
  try {
    const e = JSON.parse(readFileSync(path, 'utf8')) as { v?: number; key?: string; pipeline?: Pipeline; digest?: string };
    if (e.v !== 2 || typeof e.key !== 'string' || (key !== null && e.key !== key) || path !== join(path, '..', `${e.key}.json`)) return null;
    if (e.digest !== validatedDigest(e.key, e.pipeline)) return null;
    const p = e.pipeline;
    if (p === undefined || p.apiVersion !== 'bfly/v1' || !Array.isArray(p.blocks) || p.blocks.some((b) => !Array.isArray(b.hooks) || b.hooks.length > 0)) return null;
    return p;
  } catch {
    return null;
  }
}

function validatedDigest(key: string, pipeline: unknown): string {
  return `sha256:${sha256Hex(`${key}\0${canonicalJson(pipeline)}`)}`;
}

/**
 * Validates a pipeline text for an experiment (against its dataset, target, task and workspace).
 * A valid result without hooks is remembered in `cache/validated/` (see {@link readValidatedEntry}),
 * which spares `bfly run` the YAML parse and schema checks when the draft has not changed.
 */
export function validateForExperiment(root: string, exp: Experiment, text: string): ValidationResult {
  const key = validatedCacheKey(exp, text);
  const cached = validatedCachePath(root, key);
  const hit = readValidatedEntry(cached, key);
  if (hit !== null) return { valid: true, problems: [], pipeline: hit };
  const result = validateUncached(root, exp, text);
  if (result.valid && result.problems.length === 0 && result.pipeline!.blocks.every((b) => b.hooks.length === 0)) {
    try {
      const dir = join(cached, '..');
      if (!assertRealDir(dir, root)) mkdirSync(dir, { recursive: true });
      writeFileAtomic(cached, JSON.stringify({ v: 2, key, pipeline: result.pipeline, digest: validatedDigest(key, result.pipeline) }), { tmpDir: workspacePaths(root).tmp, durable: false });
    } catch {
      /* a cache that cannot be written is just not used */
    }
  }
  return result;
}

function validateUncached(root: string, exp: Experiment, text: string): ValidationResult {
  let columns;
  try {
    columns = getDataset(root, exp.dataset.id).columns;
  } catch {
    columns = undefined;
  }
  return validatePipelineText(text, { columns, target: exp.target, task: exp.task, checkHookFile: hookFileChecker(root) });
}

/** Reads and validates an experiment's draft pipeline. */
export function validateExperimentPipeline(root: string, name: string): ValidationResult & { file: string } {
  const exp = getExperiment(root, name);
  const file = pipelinePath(root, name);
  return { ...validateForExperiment(root, exp, readFileSync(file, 'utf8')), file };
}

/** The draft pipeline with defaults filled in; throws with every problem when invalid. */
export function resolvePipeline(root: string, name: string): Pipeline {
  const r = validateExperimentPipeline(root, name);
  if (!r.valid) throw invalidPipeline(r.file, r.problems);
  return r.pipeline!;
}

/**
 * The `--set` assignments that give every `model_selection` block of an experiment's draft a
 * time budget (what `bfly run --time-budget 60s` adds). Throws when the draft has none.
 *
 * @example
 * timeBudgetSets(root, 'penguins', 60) // ['blocks.model_selection.config.budget.time_s=60']
 */
export function timeBudgetSets(root: string, name: string, seconds: number): string[] {
  const ids = resolvePipeline(root, name)
    .blocks.filter((b) => b.type === 'model_selection')
    .map((b) => b.id);
  if (ids.length === 0) throw new ValidationError('NO_MODEL_SELECTION', `--time-budget bounds the model_selection block, but ${name}'s pipeline has none`, { hint: `add one (bfly pipeline edit ${name}), or run without --time-budget` });
  return ids.map((id) => `blocks.${id}.config.budget.time_s=${seconds}`);
}

/** Canonical YAML of a resolved pipeline. */
export function renderPipelineYaml(p: Pipeline): string {
  return stringify(p, { lineWidth: 0 });
}

/**
 * Runs a read-modify-write of an experiment's draft under its lock (`experiment-<name>`), so that
 * concurrent writers (two `pipeline set`, a `hook add` and an edit) never lose each other's
 * changes: each sees the draft the previous one wrote.
 */
export function withDraftLock<T>(root: string, name: string, purpose: string, fn: () => T): T {
  getExperiment(root, name);
  const dir = experimentDir(root, name);
  if (!assertRealDir(dir, root)) throw new NotFoundError('EXPERIMENT_NOT_FOUND', `no experiment named ${JSON.stringify(name)}`);
  return withLock(root, `experiment-${name}`, { purpose, waitMs: 30_000 }, fn);
}

/**
 * Writes a draft text atomically (never through a link: the folder is checked, the file
 * replaced by rename), keeps it as the next revision of the draft's history, and records the
 * action in the audit log. The caller holds the draft lock.
 */
function saveDraft(root: string, name: string, text: string, action: string, target: Record<string, unknown> = {}): DraftRevision {
  assertRealDir(experimentDir(root, name), root);
  const revision = recordDraft(root, name, text, action);
  writeFileAtomic(pipelinePath(root, name), text, { tmpDir: workspacePaths(root).tmp });
  appendAudit(root, { action, target: { experiment: name, revision: revision.rev, hash: revision.hash, ...target } });
  return revision;
}

/** Writes a new draft text, only if it is valid, for a caller already holding {@link withDraftLock}. */
export function writeDraftLocked(root: string, name: string, text: string, action: string, target: Record<string, unknown> = {}): Pipeline {
  const r = validateForExperiment(root, getExperiment(root, name), text);
  if (!r.valid) throw invalidPipeline(pipelinePath(root, name), r.problems);
  saveDraft(root, name, text, action, target);
  return r.pipeline!;
}

/** Writes a new draft pipeline text, only if it is valid (atomically, as a new revision). */
export function writePipeline(root: string, name: string, text: string, action = 'pipeline.save'): Pipeline {
  const exp = getExperiment(root, name);
  const r = validateForExperiment(root, exp, text);
  const file = pipelinePath(root, name);
  if (!r.valid) throw invalidPipeline(file, r.problems);
  withDraftLock(root, name, `saving the draft of ${name}`, () => saveDraft(root, name, text, action));
  return r.pipeline!;
}

/**
 * The revision of the draft as it is on disk now: the latest saved revision with its text, or
 * a new one (`hand edit`) when it was changed outside bfly since. What a run records.
 */
export function currentDraftRevision(root: string, name: string): DraftRevision {
  return withDraftLock(root, name, `recording the draft of ${name}`, () => {
    const text = readFileSync(pipelinePath(root, name), 'utf8');
    const known = revisionOf(root, name, text);
    if (known !== null && known.rev === listDraftRevisions(root, name).at(-1)?.rev) return known;
    return saveDraft(root, name, text, 'pipeline.hand_edit');
  });
}

/** Restores revision `rev` of the draft as a new revision (validated like any save). */
export function restorePipeline(root: string, name: string, rev: number): { revision: DraftRevision; restored: number; pipeline: Pipeline } {
  return withDraftLock(root, name, `restoring revision ${rev} of ${name}`, () => {
    const { text } = readDraftRevision(root, name, rev);
    const r = validateForExperiment(root, getExperiment(root, name), text);
    if (!r.valid) throw invalidPipeline(`${name} revision ${rev}`, r.problems);
    const revision = saveDraft(root, name, text, 'pipeline.restore', { restored: rev });
    return { revision, restored: rev, pipeline: r.pipeline! };
  });
}

/** One applied assignment of {@link setPipelineValues}. */
export interface Assignment {
  path: string;
  value: unknown;
}

/**
 * Sets values in the draft, e.g. `blocks.model_selection.config.cv=10` (blocks by id or
 * index), all at once: the result must validate, or nothing is written. A value is read as
 * YAML (numbers, booleans, lists, maps), or taken as text where the schema wants text.
 * Comments and layout of the file are kept.
 *
 * @example
 * setPipelineValues(root, 'penguins', ['blocks.train.config.model=random_forest', 'blocks.train.config.params={n_estimators: 300}']);
 */
export function setPipelineValues(root: string, name: string, assignments: string[]): { set: Assignment[]; pipeline: Pipeline } {
  const file = pipelinePath(root, name);
  return withDraftLock(root, name, `setting values in the draft of ${name}`, () => {
    const r = applyAssignments(root, name, readFileSync(file, 'utf8'), assignments);
    saveDraft(root, name, r.text, 'pipeline.set', { set: r.set.map((a) => a.path) });
    return { set: r.set, pipeline: r.pipeline };
  });
}

/**
 * Applies `<path>=<value>` assignments to a pipeline text (the draft file is not touched) and
 * validates the result for the experiment; throws with every problem when it is invalid.
 * Used by `pipeline set` and by `run --set`.
 */
export function applyAssignments(root: string, name: string, text: string, assignments: string[]): { text: string; set: Assignment[]; pipeline: Pipeline } {
  const exp = getExperiment(root, name);
  const file = pipelinePath(root, name);
  if (assignments.length === 0) {
    const r = validateForExperiment(root, exp, text);
    if (!r.valid) throw invalidPipeline(file, r.problems);
    return { text, set: [], pipeline: r.pipeline! };
  }
  const base = parseDocument(text);
  if (base.errors.length > 0) throw new ValidationError('INVALID_PIPELINE', `${file} is not valid YAML: ${base.errors[0].message.split('\n')[0]}`, { hint: 'fix it with `bfly pipeline edit`' });
  const parsed = assignments.map((assignment) => {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new ValidationError('BAD_ASSIGNMENT', `expected <path>=<value>, got ${JSON.stringify(assignment)}`, { hint: 'e.g. bfly pipeline set penguins blocks.model_selection.config.cv=10' });
    const path = assignment.slice(0, eq).trim();
    const raw = assignment.slice(eq + 1);
    let value: unknown;
    try {
      value = parseYaml(raw);
    } catch {
      value = raw;
    }
    return { path, raw, value };
  });
  const apply = (values: unknown[]): ValidationResult & { text: string } => {
    // Each value is set where it stands; every line it does not touch is kept as it was.
    // Paths are resolved one after another, so `candidates[4]=…` then `candidates[5]=…` appends two.
    const out = parsed.reduce((t, a, i) => setYamlPath(t, docPathOf(parseDocument(t), a.path), values[i]), text);
    return { ...validateForExperiment(root, exp, out), text: out };
  };
  let values = parsed.map((a) => a.value);
  let r = apply(values);
  if (!r.valid) {
    // Where the schema wants text, `model=123` means the string "123".
    const asText = parsed.map((a) => (typeof a.value !== 'string' && r.problems.some((p) => p.path === a.path) ? a.raw : a.value));
    const r2 = apply(asText);
    if (r2.valid) {
      r = r2;
      values = asText;
    }
  }
  if (!r.valid) throw invalidPipeline(file, r.problems);
  return { text: r.text, set: parsed.map((a, i) => ({ path: a.path, value: values[i] })), pipeline: r.pipeline! };
}

/** The deepest `--set` path, in segments (a pipeline nests a few levels). */
const MAX_PATH_SEGMENTS = 32;
/** Names that would reach an object's prototype instead of a key. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * `a.b[4].c` and `a.b.4.c` -> `['a', 'b', '4', 'c']`; a bracket holds a list index (digits).
 */
function pathSegments(pathText: string, bad: (why: string, hint?: string) => never): string[] {
  const out: string[] = [];
  const n = pathText.length;
  let i = 0;
  for (;;) {
    let j = i;
    while (j < n && pathText[j] !== '.' && pathText[j] !== '[') {
      if (pathText[j] === ']') bad('a `]` without its `[`');
      j++;
    }
    out.push(pathText.slice(i, j));
    i = j;
    while (pathText[i] === '[') {
      const close = pathText.indexOf(']', i);
      if (close === -1) bad('a `[` without its `]`');
      const inner = pathText.slice(i + 1, close);
      if (!/^\d+$/.test(inner)) bad(`[${inner}] is not a list index`, 'put a list index in brackets, e.g. blocks.model_selection.config.candidates[1].params');
      out.push(inner);
      i = close + 1;
    }
    if (i >= n) return out;
    if (pathText[i] !== '.') bad(`${JSON.stringify(pathText[i])} after \`]\` (expected \`.\` or \`[\`)`);
    i++;
  }
}

/**
 * `blocks.train.config.model` -> `['blocks', 4, 'config', 'model']` (blocks by id or index). An
 * index must name an item that exists (or the next one, to append); `__proto__`-like keys, empty
 * segments and paths over 32 segments are refused.
 */
function docPathOf(doc: ReturnType<typeof parseDocument>, pathText: string): Array<string | number> {
  const out: Array<string | number> = [];
  const bad = (why: string, hint = 'e.g. blocks.train.config.model'): never => {
    throw new ValidationError('BAD_PATH', `${why} in path ${JSON.stringify(pathText.length > 200 ? `${pathText.slice(0, 200)}…` : pathText)}`, { hint });
  };
  const segments = pathSegments(pathText, bad);
  if (segments.length > MAX_PATH_SEGMENTS) bad(`${segments.length} segments (at most ${MAX_PATH_SEGMENTS})`);
  for (const seg of segments) {
    if (seg === '') bad('an empty segment');
    if (FORBIDDEN_KEYS.has(seg)) bad(`\`${seg}\` is not a key bfly sets`, 'name a config field (see `bfly blocks`)');
    const parent = out.length === 0 ? doc.contents : doc.getIn(out, true);
    if (isSeq(parent)) {
      if (/^\d+$/.test(seg)) {
        const index = Number(seg);
        if (!Number.isSafeInteger(index) || index > parent.items.length) bad(`index ${seg} is past the end of a list of ${parent.items.length}`, out.length === 1 && out[0] === 'blocks' ? `blocks are 0 to ${parent.items.length - 1}, or name one by id` : `use 0 to ${parent.items.length} (${parent.items.length} appends)`);
        out.push(index);
      } else {
        const ids = parent.items.map((it) => (isMap(it) ? it.get('id') : undefined));
        const idx = ids.indexOf(seg);
        if (idx === -1) {
          throw new ValidationError('BAD_PATH', `no block with id ${JSON.stringify(seg)}${didYouMean(seg, ids.filter((x): x is string => typeof x === 'string'))}`, { hint: `block ids: ${ids.join(', ')}` });
        }
        out.push(idx);
      }
    } else out.push(seg);
  }
  return out;
}

/** Callbacks of {@link editPipeline}. */
export interface EditCallbacks {
  /** Opens the file in the user's editor and returns when it is closed. */
  edit(path: string): void;
  /** Shown the problems; returns true to open the editor again. */
  retry(problems: PipelineProblem[], path: string): boolean;
}

/**
 * Edits the draft like `kubectl edit`: a temp copy goes to the editor; a valid result is
 * written atomically; an invalid one is shown and may be re-opened. Returns null when the
 * file was not changed, or the new pipeline. Abandoned edits are kept in `tmpCopy`.
 */
export function editPipeline(root: string, name: string, tmpCopy: string, cb: EditCallbacks): Pipeline | null {
  const exp = getExperiment(root, name);
  const file = pipelinePath(root, name);
  const original = readFileSync(file, 'utf8');
  writeNewFile(tmpCopy, original, 0o600);
  for (;;) {
    cb.edit(tmpCopy);
    const text = readFileSync(tmpCopy, 'utf8');
    if (text === original) {
      rmSync(tmpCopy, { force: true });
      return null;
    }
    const r = validateForExperiment(root, exp, text);
    if (r.valid) {
      // Saved only over the draft the edit started from (like kubectl edit): a change made
      // meanwhile by another command is never overwritten.
      withDraftLock(root, name, `saving the edited draft of ${name}`, () => {
        if (readFileSync(file, 'utf8') !== original) {
          throw new ValidationError('DRAFT_CHANGED', `the draft of ${name} changed while you were editing it; nothing was saved`, { hint: `your edit is kept in ${tmpCopy}; run \`bfly pipeline edit ${name}\` again and redo it there`, data: { copy: tmpCopy } });
        }
        saveDraft(root, name, text, 'pipeline.edit');
      });
      rmSync(tmpCopy, { force: true });
      return r.pipeline!;
    }
    if (!cb.retry(r.problems, tmpCopy)) throw invalidPipeline(tmpCopy, r.problems);
  }
}

/**
 * `bfly pipeline diff`: two revisions (`a`, `b`), a revision against the draft on disk (`a`
 * only), or by default the draft against what its experiment's latest run snapshotted (the
 * revision it recorded, else its frozen pipeline.yaml).
 */
export function diffPipeline(root: string, name: string, a?: number, b?: number, latestRun?: { id: string; draftRevision?: number | null; frozenYaml: string } | null): DraftDiff {
  getExperiment(root, name);
  const draft: DraftSide = { label: `${name}/pipeline.yaml (the draft)`, rev: null, text: readFileSync(pipelinePath(root, name), 'utf8') };
  const rev = (n: number): DraftSide => ({ label: `${name} revision ${n}`, rev: n, text: readDraftRevision(root, name, n).text });
  let from: DraftSide;
  let to: DraftSide;
  if (a !== undefined && b !== undefined) [from, to] = [rev(a), rev(b)];
  else if (a !== undefined) [from, to] = [rev(a), draft];
  else {
    if (latestRun === undefined || latestRun === null) throw new NotFoundError('NO_RUNS', `experiment ${name} has no run to compare its draft with`, { hint: `compare two revisions instead: \`bfly pipeline diff ${name} 1 2\` (see \`bfly pipeline history ${name}\`)` });
    from = typeof latestRun.draftRevision === 'number' ? { ...rev(latestRun.draftRevision), label: `${name} revision ${latestRun.draftRevision} (run ${latestRun.id})` } : { label: `run ${latestRun.id} pipeline.yaml`, rev: null, text: latestRun.frozenYaml };
    to = draft;
  }
  return { from, to, diff: unifiedDiff(from.text, to.text, from.label, to.label) };
}

function writeExperimentRecord(root: string, exp: Experiment): void {
  const { pipelinePath: _path, ...record } = exp as ExperimentInfo;
  writeFileAtomic(join(experimentDir(root, exp.name), 'experiment.yaml'), renderFlatYaml('bfly experiment: the dataset, target and task are fixed; change the metric or description with `bfly experiment set`', record as unknown as Record<string, unknown>), { tmpDir: workspacePaths(root).tmp });
}

/** What {@link setExperiment} may change. */
export const EXPERIMENT_SETTABLE = ['metric', 'description'] as const;

/**
 * `bfly experiment set <exp> metric=… description=…`: the metric (checked against the task; it
 * is part of every later run's execution key) and a description; all or nothing, audited.
 */
export function setExperiment(root: string, name: string, assignments: string[]): { experiment: ExperimentInfo; changed: Record<string, { from: unknown; to: unknown }> } {
  const exp = getExperiment(root, name);
  const next: Experiment = { ...exp };
  const changed: Record<string, { from: unknown; to: unknown }> = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    const key = eq <= 0 ? a : a.slice(0, eq);
    if (eq <= 0 || !(EXPERIMENT_SETTABLE as readonly string[]).includes(key)) {
      throw new ValidationError('BAD_EXPERIMENT_SETTING', `cannot set ${JSON.stringify(key)} of an experiment${didYouMean(key, EXPERIMENT_SETTABLE)}`, { hint: `settable: ${EXPERIMENT_SETTABLE.join(', ')} (e.g. metric=f1_macro); the dataset, target and task are fixed: make a new experiment for others` });
    }
    const value = a.slice(eq + 1);
    if (key === 'metric') {
      next.metric = chooseMetric(exp.task, value);
      next.metricReason = `set with \`bfly experiment set\` (was ${exp.metric})`;
    }
    else {
      if (value.length > 2000) throw new ValidationError('DESCRIPTION_TOO_LONG', `a description is at most 2000 characters (this one has ${value.length})`, { hint: 'keep longer notes in a file beside the workspace' });
      next.description = value;
    }
    changed[key] = { from: (exp as unknown as Record<string, unknown>)[key] ?? null, to: (next as unknown as Record<string, unknown>)[key] };
  }
  withDraftLock(root, name, `changing experiment ${name}`, () => {
    writeExperimentRecord(root, next);
    appendAudit(root, { action: 'experiment.set', target: { experiment: name, changed } });
  });
  return { experiment: { ...next, pipelinePath: pipelinePath(root, name) }, changed };
}

/**
 * `bfly experiment rename <old> <new>`: moves the experiment (its draft and history) to the new
 * name and remembers the old one (`formerNames`): its runs keep the name they were made under,
 * and `bfly runs --experiment <new>` and `<new>@latest` find them too.
 */
export function renameExperiment(root: string, from: string, to: string): ExperimentInfo {
  const name = validateName(to, 'experiment name');
  return withLock(root, 'experiments', { purpose: `renaming experiment ${from}`, waitMs: 10_000 }, () =>
    withDraftLock(root, from, `renaming experiment ${from}`, () => {
      const exp = getExperiment(root, from);
      if (existsSync(experimentDir(root, name))) throw new ValidationError('EXPERIMENT_EXISTS', `experiment ${JSON.stringify(name)} already exists`, { hint: 'choose another name' });
      renameSync(experimentDir(root, from), experimentDir(root, name));
      const next: Experiment = { ...exp, name, formerNames: [...new Set([...(exp.formerNames ?? []), from])] };
      writeExperimentRecord(root, next);
      appendAudit(root, { action: 'experiment.rename', target: { experiment: name, from } });
      return { ...next, pipelinePath: pipelinePath(root, name) };
    }),
  );
}

/**
 * `bfly experiment rm <exp> [--archive]`: removes an experiment that has no runs; one with runs
 * only with `archive`, which moves it to `experiments/.archive/` (its runs stay readable: show,
 * compare, predict, export work as before).
 */
export function removeExperiment(root: string, name: string, o: { archive?: boolean; runs: number }): { removed: string; archivedTo: string | null } {
  return withLock(root, 'experiments', { purpose: `removing experiment ${name}`, waitMs: 10_000 }, () =>
    withDraftLock(root, name, `removing experiment ${name}`, () => {
      getExperiment(root, name);
      if (o.runs > 0 && o.archive !== true) {
        throw new ValidationError('EXPERIMENT_HAS_RUNS', `experiment ${name} has ${o.runs} run(s); removing it would orphan them`, { hint: `\`bfly experiment rm ${name} --archive\` moves it aside and keeps its runs readable`, data: { runs: o.runs } });
      }
      let archivedTo: string | null = null;
      if (o.archive === true) {
        const archive = join(workspacePaths(root).experiments, '.archive');
        if (!assertRealDir(archive, root)) mkdirSync(archive);
        archivedTo = join(archive, `${name}-${new Date().toISOString().replace(/[-:.]/g, '')}`);
        renameSync(experimentDir(root, name), archivedTo);
      } else {
        const grave = join(workspacePaths(root).tmp, tempName(`experiment-${name}`));
        renameSync(experimentDir(root, name), grave); // gone in one step; then removed
        rmSync(grave, { recursive: true, force: true });
      }
      appendAudit(root, { action: 'experiment.remove', target: { experiment: name, runs: o.runs, archivedTo: archivedTo === null ? null : relative(root, archivedTo) } });
      return { removed: name, archivedTo };
    }),
  );
}

/** The earlier names of an experiment (none when it does not exist or was never renamed). */
export function formerNamesOf(root: string, name: string): string[] {
  try {
    return getExperiment(root, name).formerNames ?? [];
  } catch {
    return [];
  }
}

/** An experiment and a summary of its draft (`bfly experiment show --json`). */
export function experimentDetail(root: string, name: string): ExperimentDetail {
  const e = getExperiment(root, name);
  const v = validateExperimentPipeline(root, name);
  return { ...experimentView(e), pipeline: { valid: v.valid, problems: v.problems.length, blocks: v.pipeline?.blocks.map((b) => b.id) ?? [] } };
}

/** An experiment's draft: its text as saved, parsed (when valid), its problems and revision (`GET …/pipeline`). */
export function pipelineDocument(root: string, name: string): PipelineDocument {
  getExperiment(root, name);
  const text = readFileSync(pipelinePath(root, name), 'utf8');
  const v = validateExperimentPipeline(root, name);
  return { experiment: name, yaml: text, pipeline: v.valid ? v.pipeline! : null, valid: v.valid, problems: v.problems, revision: revisionOf(root, name, text)?.rev ?? null };
}
