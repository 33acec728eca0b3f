import { printable } from '../core/printable.js';
import { datasetLabel } from '../core/dataset.js';
import type { BlockDoc, ModelDoc } from '../core/describe-blocks.js';
import type { Pipeline } from '../core/pipeline.js';
import type { PipelineProblem } from '../core/validate-pipeline.js';
import { renderTable } from './format.js';

/** The shape of an experiment as the renderers need it. */
interface ExperimentView {
  name: string;
  dataset: { name: string; version: number; hash: string };
  target: string;
  task: string;
  taskReason: string;
  metric: string;
  metricReason?: string;
  pipelinePath: string;
  createdAt: string;
  description?: string | null;
  formerNames?: string[];
}


function datasetText(d: ExperimentView['dataset']): string {
  return `${datasetLabel(d)} (${d.hash.slice(7, 19)})`;
}

/** What `bfly experiment create` prints. */
export function renderExperimentCreated(e: ExperimentView): string {
  return `created experiment ${e.name}
  dataset   ${datasetText(e.dataset)}
  target    ${e.target}
  task      ${e.task} — ${e.taskReason}
  metric    ${e.metric}${e.metricReason ? ` — ${e.metricReason}` : ''}
  pipeline  ${e.pipelinePath}
next: review the pipeline with \`bfly pipeline show ${e.name}\`, change it with \`bfly pipeline set\` or \`bfly pipeline edit\`
`;
}

/** `bfly experiment show`. */
export function renderExperiment(e: ExperimentView, valid: { valid: boolean; problems: number; blocks: string[] }): string {
  return `experiment ${e.name}  (created ${e.createdAt})
  dataset   ${datasetText(e.dataset)}
  target    ${e.target}
  task      ${e.task} — ${e.taskReason}
  metric    ${e.metric}${e.metricReason ? ` — ${e.metricReason}` : ''}
  pipeline  ${e.pipelinePath}  ${valid.valid ? `(valid: ${valid.blocks.join(' → ')})` : `(INVALID: ${valid.problems} problem${valid.problems === 1 ? '' : 's'}; run \`bfly pipeline validate ${e.name}\`)`}
`;
}

/** `bfly experiment list`. */
export function renderExperimentList(list: ExperimentView[]): string {
  if (list.length === 0) return 'no experiments yet: create one with `bfly experiment create <name> --dataset <d> --target <column>`\n';
  return renderTable(['NAME', 'DATASET', 'TARGET', 'TASK', 'METRIC', 'CREATED'], list.map((e) => [e.name, datasetText(e.dataset), e.target, e.task, e.metric, e.createdAt.slice(0, 16).replace('T', ' ')]));
}

/** Problems as `file:line:col: path: message` lines, compiler style. */
export function renderProblems(file: string, problems: PipelineProblem[]): string {
  return problems.map((p) => printable(`${p.file ?? file}:${p.line}:${p.column}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`) + (p.hint ? `\n    hint: ${printable(p.hint)}` : '')).join('\n') + '\n';
}

/** A one-line summary of a valid pipeline. */
export function renderPipelineSummary(file: string, p: Pipeline): string {
  return `${file} is valid: seed ${p.seed}, ${p.blocks.length} blocks (${p.blocks.map((b) => b.id).join(' → ')})${p.blocks.some((b) => b.hooks.length) ? `, ${p.blocks.reduce((n, b) => n + b.hooks.length, 0)} hooks` : ''}\n`;
}

/** A field's default, per task when it depends on the task. */
export function defaultText(f: BlockDoc['fields'][number]): string {
  if (f.defaultByTask !== undefined) return Object.entries(f.defaultByTask).map(([t, v]) => `${JSON.stringify(v)} (${t})`).join(', ');
  return f.default === undefined ? '-' : JSON.stringify(f.default);
}

function fieldRows(fields: BlockDoc['fields']): string {
  if (fields.length === 0) return '  (keyword arguments of the estimator, passed as given)\n';
  return renderTable(['  FIELD', 'TYPE', 'DEFAULT', 'DOC'], fields.map((f) => [`  ${f.path}`, f.type, defaultText(f), f.doc ?? '']));
}

/** A search space in one line: `C: float [0.001, 1000] log; weights: uniform | distance`. */
export function spaceText(space: Record<string, Record<string, unknown>>): string {
  return Object.entries(space)
    .map(([k, d]) => `${k}: ${d.type === 'choice' ? (d.values as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' | ') : `${String(d.type)} [${String(d.low)}, ${String(d.high)}]${d.log ? ' log' : ''}`}`)
    .join('; ');
}

/** `bfly blocks`. */
export function renderBlocks(blocks: BlockDoc[], models: ModelDoc[]): string {
  const parts = blocks.map((b) => `${b.type} — ${b.doc}\n  reads ${b.reads.join(', ')}; writes ${b.writes.join(', ')}${b.single ? '; at most one per pipeline' : ''}\n${fieldRows(b.fields)}`);
  const ms = models.map((m) => `${m.model} (${m.tasks.join(', ')}) — ${m.doc}\n${fieldRows(m.fields)}${m.space ? `  search: default — ${spaceText(m.space)}\n` : ''}`);
  return `BLOCK TYPES (pipeline order)\n\n${parts.join('\n')}\nMODELS (model_selection candidates, train.model)\n\n${ms.join('\n')}`;
}
