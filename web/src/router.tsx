/**
 * A small router over the History API: every view has its own address (deep links and the back
 * button work); links are real `<a href>` (open in a new tab, copy) whose plain clicks navigate
 * without a reload.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const subscribers = new Set<() => void>();

/** Goes to `href` (pushes a history entry, or replaces the current one). */
export function navigate(href: string, replace = false): void {
  if (href === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  for (const s of subscribers) s();
}

window.addEventListener('popstate', () => {
  for (const s of subscribers) s();
});

/** The current path and query, re-rendering on navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const s = (): void => setTick((t) => t + 1);
    subscribers.add(s);
    return () => void subscribers.delete(s);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** An in-app link. */
export function Link(props: { href: string; children: ComponentChildren; class?: string; title?: string; 'aria-current'?: 'page' | undefined }): JSX.Element {
  const onClick = (e: MouseEvent): void => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
    window.scrollTo(0, 0);
  };
  return (
    <a href={props.href} onClick={onClick} class={props.class} title={props.title} aria-current={props['aria-current']}>
      {props.children}
    </a>
  );
}

/** `/runs/<id>` etc. for a name (encoded as a path segment). */
export const href = {
  home: (): string => '/',
  runs: (where?: string): string => (where === undefined ? '/runs' : `/runs?where=${encodeURIComponent(where)}`),
  run: (id: string): string => `/runs/${encodeURIComponent(id)}`,
  dataset: (ref: string): string => `/datasets/${encodeURIComponent(ref)}`,
  experiment: (name: string): string => `/experiments/${encodeURIComponent(name)}`,
  compare: (runs: string[]): string => `/compare?runs=${runs.map(encodeURIComponent).join(',')}`,
  batch: (id: string): string => `/compare?batch=${encodeURIComponent(id)}`,
};
