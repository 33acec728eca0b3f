import type { BlockContext, RunInfo } from '../context.js';
import type { ExplanationSlot, LeaderboardSlot, MetricsSlot, SelectionSlot } from '../slots.js';

/** A piece of the report, rendered both as notebook Markdown and as HTML. */
type Piece = { kind: 'h'; level: number; text: string } | { kind: 'p'; text: string } | { kind: 'table'; head: string[]; rows: string[][] } | { kind: 'code'; text: string };

const num = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '–' : Math.abs(v) >= 1000 ? v.toFixed(1) : v.toFixed(4));

/** The report's content, in order; each inner list becomes one notebook cell. */
export function reportContent(run: RunInfo, title: string, m: MetricsSlot, board?: LeaderboardSlot, sel?: SelectionSlot, ex?: ExplanationSlot): Piece[][] {
  const cells: Piece[][] = [];
  cells.push([
    { kind: 'h', level: 1, text: title },
    { kind: 'p', text: `Run \`${run.id}\` of experiment **${run.experiment}**: predict **${run.binding.target}** (${run.binding.task}), judged by **${run.binding.metric}**.` },
    { kind: 'p', text: `Dataset **${run.dataset.name}** (\`${run.dataset.hash}\`), seed ${run.seed}, ${m.rows} test rows.` },
  ]);
  const names = [m.metric, ...Object.keys(m.values).filter((n) => n !== m.metric)].filter((n) => n in m.values);
  cells.push([{ kind: 'h', level: 2, text: 'Test metrics' }, { kind: 'table', head: ['metric', 'value'], rows: names.map((n) => [n === m.metric ? `**${n}**` : n, num(m.values[n])]) }]);
  if (m.confusionMatrix !== null) {
    cells.push([
      { kind: 'h', level: 2, text: 'Confusion matrix' },
      { kind: 'p', text: 'Rows: true class; columns: predicted class.' },
      { kind: 'table', head: ['true \\ predicted', ...m.classes], rows: m.confusionMatrix.map((r, i) => [m.classes[i], ...r.map(String)]) },
    ]);
  }
  if (board !== undefined) {
    cells.push([
      { kind: 'h', level: 2, text: 'Model selection' },
      { kind: 'p', text: `${board.folds}-fold cross-validation on the training rows, ranked by ${board.metric} (${board.higherIsBetter ? 'higher' : 'lower'} is better)${sel ? `; **${sel.model}** was trained` : ''}.` },
      { kind: 'table', head: ['rank', 'model', `${board.metric} (mean ± std)`, 'fit time per fold (s)'], rows: board.candidates.map((e, i) => [String(i + 1), e.model, `${num(e.metrics[board.metric]?.mean)} ± ${num(e.metrics[board.metric]?.std)}`, e.fitSeconds.toFixed(3)]) },
    ]);
  }
  if (ex !== undefined) {
    cells.push([
      { kind: 'h', level: 2, text: 'What the model relies on' },
      { kind: 'p', text: `Permutation importance: how much ${ex.metric} ${ex.higherIsBetter ? 'drops' : 'rises'} when one column is shuffled (${ex.repeats} repeats on ${ex.rows} test rows; baseline ${num(ex.baseline)}).` },
      { kind: 'table', head: ['column', 'importance (mean ± std)'], rows: ex.importance.slice(0, 20).map((i) => [i.feature, `${num(i.mean)} ± ${num(i.std)}`]) },
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
    cells: cells.map((pieces, i) => {
      const text = pieces.map(markdown).join('\n\n');
      const lines = text.split('\n');
      return { cell_type: 'markdown', id: `cell-${i}`, metadata: {}, source: lines.map((l, j) => (j < lines.length - 1 ? `${l}\n` : l)) };
    }),
  };
  return JSON.stringify(nb, null, 1) + '\n';
}

/** The same content as one self-contained HTML page. */
export function reportHtml(title: string, cells: Piece[][]): string {
  const css = 'body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}th{background:#f4f4f4}pre{background:#f6f8fa;padding:.8rem;overflow:auto}code{font-family:ui-monospace,monospace}';
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${css}</style></head><body>\n${cells.map((c) => `<section>${c.map(html).join('\n')}</section>`).join('\n')}\n</body></html>\n`;
}

/** `report`: the run's story as `report.ipynb` and `report.html`. */
export function runReport(ctx: BlockContext): void {
  const c = ctx.block.config as { formats: Array<'ipynb' | 'html'>; title?: string };
  const title = c.title ?? `${ctx.run.experiment}: run ${ctx.run.id}`;
  const cells = reportContent(ctx.run, title, ctx.read<MetricsSlot>('metrics'), ctx.readOptional<LeaderboardSlot>('leaderboard'), ctx.readOptional<SelectionSlot>('selection'), ctx.readOptional<ExplanationSlot>('explanation'));
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
