/**
 * Live progress of running runs. Every run's events on the service's stream are followed from the
 * moment the page loads (whichever view asks later finds them), and a run first seen mid-way is
 * completed from its manifest (its blocks' statuses), so a bar never starts from nothing.
 */
import { useEffect, useState } from 'preact/hooks';
import type { RunShow } from '../../src/core/contracts/index.js';
import { api } from './api.js';
import { onServiceEvent } from './live.js';

/** How far a run is: blocks done of all, the running block and its own share done. */
export interface RunProgress {
  total: number;
  done: number;
  block: string | null;
  blockShare: number;
  label: string | null;
  finished: string | null;
  /** From the run's events, when the page saw it created: its experiment and when. */
  experiment?: string;
  createdAt?: string;
}

/** The share of the run done (0..1). */
export function progressShare(p: RunProgress): number {
  return p.total === 0 ? 0 : Math.min(1, (p.done + (p.block !== null ? p.blockShare : 0)) / p.total);
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out', 'skipped', 'interrupted']);
const store = new Map<string, RunProgress>();
const fetched = new Set<string>();
const subscribers = new Set<() => void>();
const changed = (): void => {
  for (const s of subscribers) s();
};
const empty = (): RunProgress => ({ total: 0, done: 0, block: null, blockShare: 0, label: null, finished: null });

onServiceEvent((e) => {
  if (e.type !== 'run_event') return;
  const ev = e.event;
  const p: RunProgress = { ...(store.get(e.runId) ?? empty()) };
  if (ev.type === 'run_created') Object.assign(p, { experiment: ev.experiment, createdAt: ev.at });
  else if (ev.type === 'run_started') Object.assign(p, { total: ev.blocks.length, done: 0 });
  else if (ev.type === 'block_started') Object.assign(p, { block: ev.block, blockShare: 0, label: null });
  else if (ev.type === 'block_progress') Object.assign(p, { block: ev.block, blockShare: ev.done / ev.total, label: ev.label ?? null });
  else if (ev.type === 'block_finished') Object.assign(p, { done: p.done + 1, block: null, blockShare: 0, label: null });
  else if (ev.type === 'run_finished') Object.assign(p, { finished: ev.status, done: p.total, block: null });
  else return;
  store.set(e.runId, p);
  changed();
});

/** Completes what the events did not say (a run started before the page) from the run's manifest. */
function fetchManifest(id: string): void {
  if (fetched.has(id)) return;
  fetched.add(id);
  api<RunShow>(`/runs/${encodeURIComponent(id)}`).then(
    (run) => {
      const p = store.get(id) ?? empty();
      const done = run.blocks.filter((b) => FINAL.has(b.status)).length;
      const running = run.blocks.find((b) => b.status === 'running');
      store.set(id, { ...p, total: run.blocks.length, done: Math.max(p.done, done), block: p.block ?? running?.id ?? null, finished: p.finished ?? (run.endedAt !== null ? run.status : null) });
      changed();
    },
    () => fetched.delete(id),
  );
}

/** Progress of each of `ids`, live. */
export function useRunProgress(ids: string[]): Map<string, RunProgress> {
  const [, setTick] = useState(0);
  useEffect(() => {
    const s = (): void => setTick((t) => t + 1);
    subscribers.add(s);
    return () => void subscribers.delete(s);
  }, []);
  const key = ids.join(',');
  useEffect(() => {
    for (const id of ids) if ((store.get(id)?.total ?? 0) === 0) fetchManifest(id);
  }, [key]);
  return new Map(ids.flatMap((id) => (store.has(id) ? [[id, store.get(id)!] as const] : [])));
}

/**
 * Runs this page saw created and not yet finished (newest first): a view that lists running runs
 * shows them from the event itself, before its next fetch of the list answers.
 */
export function useLiveStartedRuns(): Array<{ id: string; experiment: string; createdAt: string }> {
  const [, setTick] = useState(0);
  useEffect(() => {
    const s = (): void => setTick((t) => t + 1);
    subscribers.add(s);
    return () => void subscribers.delete(s);
  }, []);
  return [...store.entries()]
    .filter(([, p]) => p.experiment !== undefined && p.finished === null)
    .map(([id, p]) => ({ id, experiment: p.experiment!, createdAt: p.createdAt! }))
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}
