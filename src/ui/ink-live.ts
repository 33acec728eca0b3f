import { render } from 'ink';
import { type FunctionComponent, createElement as h } from 'react';

/**
 * Draws an Ink component that follows a state folded from events, on `stream`: feed it events,
 * then await `done()` (which lets the last state paint, then unmounts).
 */
export function renderLive<S, E>(
  App: FunctionComponent<{ subscribe: (fn: (v: S) => void) => () => void }>,
  reduce: (v: S, e: E, now: number) => S,
  initial: S,
  stream: NodeJS.WriteStream,
): { onEvent(e: E): void; done(): Promise<void> } {
  let view = initial;
  const listeners = new Set<(v: S) => void>();
  const subscribe = (fn: (v: S) => void): (() => void) => {
    listeners.add(fn);
    fn(view);
    return () => listeners.delete(fn);
  };
  let closed = false;
  const app = render(h(App, { subscribe }), { stdout: stream, patchConsole: false, exitOnCtrlC: false });
  return {
    onEvent(e) {
      view = reduce(view, e, Date.now());
      for (const fn of listeners) fn(view);
    },
    async done() {
      if (closed) return;
      closed = true;
      await new Promise((r) => setTimeout(r, 30));
      app.unmount();
      await app.waitUntilExit();
    },
  };
}
