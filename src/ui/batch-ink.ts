import { Box, Text } from 'ink';
import { createElement as h, useEffect, useState } from 'react';
import type { BatchEvent } from '../runner/batch.js';
import { type BatchRow, type BatchView, reduceBatchView } from './batch.js';
import { fmtNumber, truncate } from './format.js';
import { renderLive } from './ink-live.js';
import { fmtDuration } from './run.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const MAX_ROWS = 20;

function bar(done: number, total: number, width = 30): string {
  const full = total === 0 ? width : Math.round((done / total) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

function Row({ r, tick, metric }: { r: BatchRow; tick: number; metric: string }) {
  const icon =
    r.status === 'running' ? h(Text, { color: 'cyan' }, SPINNER[tick % SPINNER.length])
    : r.status === 'succeeded' ? h(Text, { color: r.reused ? 'blue' : 'green' }, r.reused ? '↺' : '✔')
    : r.status === 'queued' ? h(Text, { dimColor: true }, '·')
    : r.status === 'cancelled' || r.status === 'skipped' ? h(Text, { color: 'yellow' }, '■')
    : h(Text, { color: 'red' }, '✖');
  const detail =
    r.status === 'running' ? `${r.block ?? 'starting'}${r.progress ? ` ${r.progress.done}/${r.progress.total}` : ''}`
    : r.value !== null ? `${metric} ${fmtNumber(r.value)}${r.reused ? ' (reused)' : ''}`
    : r.status === 'queued' ? '' : r.status;
  return h(
    Box,
    null,
    h(Box, { width: 2, flexShrink: 0 }, icon),
    h(Box, { width: 5, flexShrink: 0 }, h(Text, { dimColor: true }, `#${r.spec.index + 1}`)),
    h(Box, { width: 48, flexShrink: 0 }, h(Text, { dimColor: r.status === 'queued' }, truncate(`${r.spec.label || '(draft)'}${r.spec.seed !== null ? ` seed=${r.spec.seed}` : ''}`, 47))),
    h(Text, { dimColor: r.status !== 'running', wrap: 'truncate-end' }, detail),
  );
}

function App({ subscribe }: { subscribe: (fn: (v: BatchView | null) => void) => () => void }) {
  const [view, setView] = useState<BatchView | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => subscribe(setView), [subscribe]);
  useEffect(() => {
    const t = setInterval(() => setTick((x) => x + 1), 80);
    return () => clearInterval(t);
  }, []);
  if (view === null) return null;
  const done = view.rows.filter((r) => r.status !== 'queued' && r.status !== 'running').length;
  const running = view.rows.filter((r) => r.status === 'running').length;
  const failed = view.rows.filter((r) => r.status === 'failed' || r.status === 'crashed').length;
  // With many runs: the running ones, then the latest finished, then what is queued next.
  const shown = view.rows.length <= MAX_ROWS ? view.rows : [...view.rows.filter((r) => r.status === 'running'), ...view.rows.filter((r) => r.status !== 'running' && r.status !== 'queued').slice(-8), ...view.rows.filter((r) => r.status === 'queued').slice(0, 4)].slice(0, MAX_ROWS);
  return h(
    Box,
    { flexDirection: 'column' },
    h(Text, { bold: true }, `batch ${view.batch} · ${view.experiment} · ${view.rows.length} runs on ${view.jobs} workers`),
    ...shown.map((r) => h(Row, { key: r.spec.index, r, tick, metric: view.metric })),
    h(Text, null, `${bar(done, view.rows.length)} ${done}/${view.rows.length}  ${running} running  ${failed} failed  ${fmtDuration(Date.now() - view.startedAt)}`),
  );
}

/** A live Ink view of a batch on stderr: feed it events, then await `done()`. */
export function renderBatchLive(stream: NodeJS.WriteStream = process.stderr): { onEvent(e: BatchEvent): void; done(): Promise<void> } {
  return renderLive(App, reduceBatchView, null as BatchView | null, stream);
}
