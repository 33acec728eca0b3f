/**
 * Live updates: one EventSource on `/api/v1/events` for the whole page (job changes, every run's
 * events, workspace changes by the CLI or the service), shared by every view. It reconnects by
 * itself with Last-Event-ID; a `reset` (events missed) asks every view to refetch.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { ServiceEvent } from '../../src/core/contracts/index.js';

type Listener = (e: ServiceEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;

function connect(): void {
  if (source !== null) return;
  source = new EventSource('/api/v1/events');
  for (const name of ['job_changed', 'run_event', 'workspace_changed', 'reset']) {
    source.addEventListener(name, (m) => {
      let e: ServiceEvent;
      try {
        e = JSON.parse((m as MessageEvent<string>).data) as ServiceEvent;
      } catch {
        return;
      }
      for (const l of [...listeners]) l(e);
    });
  }
}

/** Calls `fn` for every service event from now on (for stores that live as long as the page). */
export function onServiceEvent(fn: Listener): void {
  connect();
  listeners.add(fn);
}

/** Calls `fn` for every service event while the component is mounted. */
export function useServiceEvents(fn: Listener): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    connect();
    const l: Listener = (e) => ref.current(e);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
}

/**
 * Calls `refresh` (at most every `ms`, trailing) after events that `matters` says change what
 * the view shows; a `reset` always counts.
 */
export function useLiveRefresh(matters: (e: ServiceEvent) => boolean, refresh: () => void, ms = 300): void {
  const timer = useRef<number | null>(null);
  const last = useRef(0);
  useEffect(() => () => void (timer.current !== null && clearTimeout(timer.current)), []);
  useServiceEvents((e) => {
    if (e.type !== 'reset' && !matters(e)) return;
    if (timer.current !== null) return;
    const wait = Math.max(0, last.current + ms - performance.now());
    timer.current = window.setTimeout(() => {
      timer.current = null;
      last.current = performance.now();
      refresh();
    }, wait);
  });
}

/** A run's change worth refetching lists for: created, finished, or a workspace change about runs. */
export function runListChange(e: ServiceEvent): boolean {
  if (e.type === 'run_event') return e.event.type === 'run_created' || e.event.type === 'run_started' || e.event.type === 'run_finished';
  if (e.type === 'workspace_changed') return /^(run|batch|gc|reindex)/.test(e.change.action);
  return e.type === 'job_changed';
}
