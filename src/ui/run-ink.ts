import { Box, Text } from 'ink';
import { createElement as h, useEffect, useState } from 'react';
import type { RunEvent } from '../core/events.js';
import { renderLive } from './ink-live.js';
import { printable } from '../core/printable.js';
import { fmtDuration, truncationNote } from './run.js';
import { fmtNumber } from './format.js';

interface BlockView {
  id: string;
  type: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
  cached: boolean;
  startedAt: number | null;
  durationMs: number | null;
  progress: { done: number; total: number; label?: string } | null;
  note: string | null;
}

interface RunView {
  id: string | null;
  experiment: string | null;
  blocks: BlockView[];
  finished: { status: string; metrics: Record<string, number>; durationMs: number } | null;
}

/** Folds one event into the view (pure; exported for tests). */
export function reduceRunView(v: RunView, e: RunEvent, now: number): RunView {
  const patch = (id: string, p: Partial<BlockView>): RunView => ({ ...v, blocks: v.blocks.map((b) => (b.id === id ? { ...b, ...p } : b)) });
  switch (e.type) {
    case 'run_created':
      return { ...v, id: e.runId, experiment: e.experiment };
    case 'run_started':
      return { ...v, id: e.runId, blocks: e.blocks.map((b) => ({ id: b.id, type: b.type, status: 'pending', cached: false, startedAt: null, durationMs: null, progress: null, note: null })) };
    case 'block_started':
      return patch(e.block, { status: 'running', startedAt: now });
    case 'block_progress':
      return patch(e.block, { progress: { done: e.done, total: e.total, label: e.label } });
    case 'block_finished':
      return patch(e.block, { status: e.status, cached: e.cached, durationMs: e.durationMs, progress: null });
    case 'log':
      return e.block !== undefined && e.level !== 'debug' ? patch(e.block, { note: printable(e.message) }) : v;
    case 'log_truncated':
      return patch(e.block, { note: truncationNote(e) });
    case 'run_finished':
      return { ...v, finished: { status: e.status, metrics: e.metrics, durationMs: e.durationMs } };
    default:
      return v;
  }
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function bar(done: number, total: number, width = 20): string {
  const full = Math.round((done / total) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

function BlockRow({ b, tick, now }: { b: BlockView; tick: number; now: number }) {
  const icon =
    b.status === 'running' ? h(Text, { color: 'cyan' }, SPINNER[tick % SPINNER.length])
    : b.status === 'succeeded' ? h(Text, { color: b.cached ? 'blue' : 'green' }, b.cached ? '↺' : '✔')
    : b.status === 'failed' || b.status === 'timed_out' ? h(Text, { color: 'red' }, '✖')
    : b.status === 'cancelled' ? h(Text, { color: 'yellow' }, '■')
    : h(Text, { dimColor: true }, '·');
  const time = b.status === 'running' && b.startedAt !== null ? fmtDuration(now - b.startedAt) : b.durationMs !== null ? (b.cached ? 'cached' : fmtDuration(b.durationMs)) : '';
  const detail =
    b.status === 'running' && b.progress !== null ? `${bar(b.progress.done, b.progress.total)} ${b.progress.done}/${b.progress.total}${b.progress.label ? ` ${b.progress.label}` : ''}`
    : b.status === 'running' || b.status === 'succeeded' ? (b.note ?? '')
    : '';
  return h(
    Box,
    null,
    h(Box, { width: 2, flexShrink: 0 }, icon),
    h(Box, { width: 18, flexShrink: 0 }, h(Text, { bold: b.status === 'running', dimColor: b.status === 'pending' }, b.id)),
    h(Box, { width: 9, flexShrink: 0 }, h(Text, { dimColor: true }, time)),
    h(Text, { dimColor: b.status !== 'running', wrap: 'truncate-end' }, detail),
  );
}

function App({ subscribe }: { subscribe: (fn: (v: RunView) => void) => () => void }) {
  const [view, setView] = useState<RunView>({ id: null, experiment: null, blocks: [], finished: null });
  const [tick, setTick] = useState(0);
  useEffect(() => subscribe(setView), [subscribe]);
  useEffect(() => {
    const t = setInterval(() => setTick((x) => x + 1), 80);
    return () => clearInterval(t);
  }, []);
  const now = Date.now();
  return h(
    Box,
    { flexDirection: 'column' },
    h(Text, { bold: true }, `run ${view.id ?? ''}${view.experiment ? ` · ${view.experiment}` : ''}`),
    ...view.blocks.map((b) => h(BlockRow, { key: b.id, b, tick, now })),
    view.finished === null
      ? null
      : h(Text, { color: view.finished.status === 'succeeded' ? 'green' : 'red' }, `${view.finished.status} in ${fmtDuration(view.finished.durationMs)}${Object.keys(view.finished.metrics).length ? ` · ${Object.entries(view.finished.metrics).slice(0, 3).map(([k, v]) => `${k} ${fmtNumber(v)}`).join(' · ')}` : ''}`),
  );
}

/** A live Ink view of a run on stderr: feed it events, then await `done()`. */
export function renderRunLive(stream: NodeJS.WriteStream = process.stderr): { onEvent(e: RunEvent): void; done(): Promise<void> } {
  return renderLive(App, reduceRunView, { id: null, experiment: null, blocks: [], finished: null } as RunView, stream);
}
