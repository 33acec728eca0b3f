import type { BlockContext, RunInfo } from '../context.js';
import type { ExplanationSlot, LeaderboardSlot, MetricsSlot, PredictionsSlot, SelectionSlot } from '../slots.js';
import { runPlots } from '../plots.js';
import { perClass } from '../../ml/metrics.js';
import { dataSummary } from '../../core/column-roles.js';
import { renderSvg } from '../render-svg.js';

/** A piece of the report, rendered both as notebook Markdown and as HTML. */
type Piece = { kind: 'h'; level: number; text: string } | { kind: 'p'; text: string } | { kind: 'table'; head: string[]; rows: string[][] } | { kind: 'code'; text: string } | { kind: 'plot'; name: string; title: string; svg: string };

const num = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '–' : Math.abs(v) >= 1000 ? v.toFixed(1) : v.toFixed(4));

/** The report's content, in order; each inner list becomes one notebook cell. */
export function reportContent(run: RunInfo, title: string, m: MetricsSlot, board?: LeaderboardSlot, sel?: SelectionSlot, ex?: ExplanationSlot, plots: Array<{ name: string; title: string; svg: string }> = []): Piece[][] {
  const plot = (name: string): Piece[] => plots.filter((p) => p.name === name || p.name.startsWith(`${name}_`)).map((p) => ({ kind: 'plot', ...p }));
  const cells: Piece[][] = [];
  cells.push([
    { kind: 'h', level: 1, text: title },
    { kind: 'p', text: `Run \`${run.id}\` of experiment **${run.experiment}**: predict **${run.binding.target}** (${run.binding.task}: ${run.taskReason}), judged by **${run.binding.metric}**.` },
    { kind: 'p', text: `Dataset **${run.dataset.name}**, ${run.datasetRows} rows (\`${run.dataset.hash}\`); seed ${run.seed}; ${m.rows} test rows.` },
  ]);
  if (run.data !== undefined) {
    cells.push([
      { kind: 'h', level: 2, text: 'Data' },
      { kind: 'p', text: `${dataSummary(run.data)}.` },
      { kind: 'table', head: ['column', 'type', 'use', 'why'], rows: run.data.columns.map((c) => [c.name, c.type, c.use, c.reason]) },
    ]);
  }
  const names = [m.metric, ...Object.keys(m.values).filter((n) => n !== m.metric)].filter((n) => n in m.values);
  cells.push([{ kind: 'h', level: 2, text: 'Test metrics' }, { kind: 'table', head: ['metric', 'value'], rows: names.map((n) => [n === m.metric ? `**${n}**` : n, num(m.values[n])]) }]);
  if (m.confusionMatrix !== null) {
    cells.push([
      { kind: 'h', level: 2, text: 'Confusion matrix' },
      { kind: 'p', text: 'Rows: true class; columns: predicted class.' },
      { kind: 'table', head: ['true \\ predicted', ...m.classes], rows: m.confusionMatrix.map((r, i) => [m.classes[i], ...r.map(String)]) },
      ...plot('confusion_matrix'),
    ]);
  }
  if (m.confusionMatrix !== null) {
    const pcs = perClass(m.confusionMatrix);
    const low = pcs.flatMap((p, i) => (p.support > 0 && p.recall < 0.5 ? [m.classes[i]] : []));
    cells.push([
      { kind: 'h', level: 2, text: 'Per class' },
      { kind: 'p', text: low.length === 0 ? 'Every class is recalled at 50% or more on the test rows.' : `**Recalled below 50%: ${low.join(', ')}.** The model misses most test rows of ${low.length === 1 ? 'this class' : 'these classes'}; \`class_weight: balanced\` in the candidates' params or the \`balanced_accuracy\` metric may help.` },
      { kind: 'table', head: ['class', 'precision', 'recall', 'support', ''], rows: pcs.map((p, i) => [m.classes[i], num(p.precision), num(p.recall), String(p.support), p.support > 0 && p.recall < 0.5 ? '⚠ recall below 50%' : '']) },
    ]);
  }
  const curves = [...plot('roc_curve'), ...plot('precision_recall'), ...plot('predicted_vs_actual'), ...plot('residuals')];
  if (curves.length > 0) cells.push([{ kind: 'h', level: 2, text: m.task === 'classification' ? 'Curves' : 'Errors' }, ...curves]);
  if (board !== undefined) {
    cells.push([
      { kind: 'h', level: 2, text: 'Model selection' },
      { kind: 'p', text: `${board.folds}-fold cross-validation on the training rows, ranked by ${board.metric} (${board.higherIsBetter ? 'higher' : 'lower'} is better)${sel ? `; **${sel.label ?? sel.model}** was trained` : ''}.` },
      { kind: 'table', head: ['rank', 'candidate', 'id', `${board.metric} (mean ± std)`, 'fit time per fold (s)'], rows: board.candidates.map((e, i) => [String(i + 1), e.label ?? e.model, e.id ?? '', `${num(e.metrics[board.metric]?.mean)} ± ${num(e.metrics[board.metric]?.std)}`, e.fitSeconds.toFixed(3)]) },
      ...plot('cv_scores'),
      ...(board.search !== undefined && board.search.trials > board.candidates.length
        ? [
            {
              kind: 'p' as const,
              text: `The search (${board.search.strategy}) ran ${board.search.trials} trials in ${board.search.seconds.toFixed(1)} s${board.search.budget.time_s !== undefined ? ` of a ${board.search.budget.time_s} s budget` : ''}: ${board.search.complete} complete${board.search.stopped ? `, ${board.search.stopped} stopped by the budget` : ''}${board.search.failed ? `, ${board.search.failed} failed` : ''}. Each candidate above is at its best trial: ${board.candidates
                .filter((e) => e.searched !== undefined)
                .map((e) => `${e.id} ${JSON.stringify(e.searched)} (best of ${e.trials})`)
                .join('; ')}. Every trial is in trials.jsonl.`,
            },
            ...plot('trials'),
          ]
        : []),
    ]);
  }
  if (ex !== undefined) {
    cells.push([
      { kind: 'h', level: 2, text: 'What the model relies on' },
      { kind: 'p', text: `Permutation importance: how much ${ex.metric} ${ex.higherIsBetter ? 'drops' : 'rises'} when one column is shuffled (${ex.repeats} repeats on ${ex.rows} test rows; baseline ${num(ex.baseline)}).` },
      { kind: 'table', head: ['column', 'importance (mean ± std)'], rows: ex.importance.slice(0, 20).map((i) => [i.feature, `${num(i.mean)} ± ${num(i.std)}`]) },
      ...plot('feature_importance'),
      ...plot('partial_dependence'),
    ]);
  }
  cells.push([
    { kind: 'h', level: 2, text: 'Pipeline snapshot' },
    { kind: 'code', text: run.pipelineYaml.trimEnd() },
  ]);
  cells.push([
    { kind: 'h', level: 2, text: 'Lineage' },
    {
      kind: 'table',
      head: ['what', 'hash'],
      rows: [['dataset', run.dataset.hash], ['pipeline snapshot', run.pipelineHash], ...run.hooks.map((h) => [`hook ${h.id}`, h.hash]), ['execution key', run.executionKey], ['backend', run.backend]],
    },
    { kind: 'p', text: 'Reproduce this run (the same key returns this run; add `--force` to execute it again):' },
    { kind: 'code', text: `bfly run ${run.experiment} --seed ${run.seed}` },
  ]);
  return cells;
}

function markdown(p: Piece): string {
  switch (p.kind) {
    case 'h':
      return `${'#'.repeat(p.level)} ${p.text}`;
    case 'p':
      return p.text;
    case 'code':
      return '```\n' + p.text + '\n```';
    case 'plot':
      return `*${p.title}*`;
    case 'table': {
      const cell = (s: string): string => s.replace(/\|/g, '\\|');
      return [`| ${p.head.map(cell).join(' | ')} |`, `|${p.head.map(() => ' --- ').join('|')}|`, ...p.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
    }
  }
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const inline = (s: string): string => esc(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`(.+?)`/g, '<code>$1</code>');

function html(p: Piece): string {
  switch (p.kind) {
    case 'h':
      return `<h${p.level}>${inline(p.text)}</h${p.level}>`;
    case 'p':
      return `<p>${inline(p.text)}</p>`;
    case 'code':
      return `<pre><code>${esc(p.text)}</code></pre>`;
    case 'plot':
      return `<figure>${p.svg.replace(/^<\?xml[^>]*>/, '')}<figcaption>${inline(p.title)}</figcaption></figure>`;
    case 'table':
      return `<table><thead><tr>${p.head.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead><tbody>${p.rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  }
}

/** A Jupyter notebook (nbformat 4.5) of Markdown cells: it renders without running anything. */
export function reportNotebook(cells: Piece[][]): string {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    cells: cells.flatMap((pieces, i) => {
      const lines = (text: string): string[] => {
        const ls = text.split('\n');
        return ls.map((l, j) => (j < ls.length - 1 ? `${l}\n` : l));
      };
      const text = pieces.filter((p) => p.kind !== 'plot').map(markdown).join('\n\n');
      // Each plot is a code cell whose saved output is the SVG: it shows without running anything.
      const plots = pieces.flatMap((p) =>
        p.kind === 'plot'
          ? [{ cell_type: 'code', id: `plot-${p.name}`, metadata: {}, execution_count: null, source: [`# ${p.title}: artifacts/${p.name}.svg (Vega-Lite spec: ${p.name}.vl.json)`], outputs: [{ output_type: 'display_data', metadata: {}, data: { 'image/svg+xml': lines(p.svg), 'text/plain': [p.title] } }] }]
          : [],
      );
      return [{ cell_type: 'markdown', id: `cell-${i}`, metadata: {}, source: lines(text) }, ...plots];
    }),
  };
  return JSON.stringify(nb, null, 1) + '\n';
}

/** The same content as one self-contained HTML page. */
export function reportHtml(title: string, cells: Piece[][]): string {
  const css = 'body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}th{background:#f4f4f4}pre{background:#f6f8fa;padding:.8rem;overflow:auto}code{font-family:ui-monospace,monospace}';
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${css}</style></head><body>\n${cells.map((c) => `<section>${c.map(html).join('\n')}</section>`).join('\n')}\n</body></html>\n`;
}

/** `report`: the run's plots (Vega-Lite specs and SVG) and its story as `report.ipynb` and `report.html`. */
export async function runReport(ctx: BlockContext): Promise<void> {
  const c = ctx.block.config as { formats: Array<'ipynb' | 'html'>; title?: string };
  const title = c.title ?? `${ctx.run.experiment}: run ${ctx.run.id}`;
  const metrics = ctx.read<MetricsSlot>('metrics');
  const board = ctx.readOptional<LeaderboardSlot>('leaderboard');
  const explanation = ctx.readOptional<ExplanationSlot>('explanation');
  const specs = runPlots(metrics, ctx.readOptional<PredictionsSlot>('predictions'), board, explanation, ctx.run.binding.target);
  const plots: Array<{ name: string; title: string; svg: string }> = [];
  for (const [i, p] of specs.entries()) {
    const svg = await renderSvg(p.spec);
    ctx.artifact(`${p.name}.vl.json`, 'plot_spec', JSON.stringify(p.spec, null, 1) + '\n');
    ctx.artifact(`${p.name}.svg`, 'plot', svg);
    plots.push({ name: p.name, title: p.title, svg });
    ctx.progress(i + 1, specs.length + 1, p.title);
  }
  const cells = reportContent(ctx.run, title, metrics, board, ctx.readOptional<SelectionSlot>('selection'), explanation, plots);
  const files: string[] = [];
  if (c.formats.includes('ipynb')) {
    ctx.artifact('report.ipynb', 'report', reportNotebook(cells));
    files.push('report.ipynb');
  }
  if (c.formats.includes('html')) {
    ctx.artifact('report.html', 'report', reportHtml(title, cells));
    files.push('report.html');
  }
  ctx.write('report', { files });
}
