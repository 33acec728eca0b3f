/** Pieces every view uses: data loading, errors, empty states, status badges, number formats. */
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from './api.js';

/** What {@link useApi} returns: the last data (kept while a reload runs), the error, a reload. */
export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Loads `path` (null: nothing) and keeps the last answer while reloading, so nothing jumps. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean; path: string | null }>({ data: null, error: null, loading: path !== null, path });
  const seq = useRef(0);
  const load = useCallback(() => {
    if (path === null) return;
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    api<T>(path).then(
      (data) => n === seq.current && setState({ data, error: null, loading: false, path }),
      (err: unknown) => n === seq.current && setState((s) => ({ data: s.path === path ? s.data : null, error: asApiError(err), loading: false, path })),
    );
  }, [path]);
  useEffect(() => {
    if (state.path !== path) setState({ data: null, error: null, loading: path !== null, path });
    load();
  }, [path]);
  return { data: state.path === path ? state.data : null, error: state.path === path ? state.error : null, loading: state.loading, reload: load };
}

/** Any thrown value as an {@link ApiError}. */
export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, 'UI_ERROR', (err as Error)?.message ?? String(err), null, null);
}

/** An error as the API said it: message and what to do next. `pre` keeps a caret line aligned. */
export function ErrorBox(props: { error: ApiError | { message: string; hint?: string | null; code?: string }; pre?: boolean }): JSX.Element {
  const e = props.error;
  return (
    <div class="error" role="alert">
      {props.pre ? <pre class="error-message">{e.message}</pre> : <p class="error-message">{e.message}</p>}
      {e.hint ? <p class="hint">{e.hint}</p> : null}
      {e.code ? <p class="code muted">{e.code}</p> : null}
    </div>
  );
}

/** An empty state: what is missing, and the command that makes it. */
export function Empty(props: { title: string; children?: ComponentChildren; command?: string }): JSX.Element {
  return (
    <div class="empty">
      <p>
        <strong>{props.title}</strong>
      </p>
      {props.children}
      {props.command ? <Command text={props.command} /> : null}
    </div>
  );
}

/** A shell command to copy. */
export function Command(props: { text: string }): JSX.Element {
  const [copied, setCopied] = useState(false);
  return (
    <div class="command">
      <code>{props.text}</code>
      <button
        type="button"
        class="small"
        onClick={() => {
          void navigator.clipboard?.writeText(props.text).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          });
        }}
      >
        {copied ? 'copied' : 'copy'}
      </button>
    </div>
  );
}

/** A run or job status as a badge. */
export function Status(props: { status: string }): JSX.Element {
  return <span class={`status status-${props.status}`}>{props.status.replace('_', ' ')}</span>;
}

/** A progress bar (0..1). */
export function Progress(props: { value: number; label: string }): JSX.Element {
  const v = Math.max(0, Math.min(1, props.value));
  return (
    <div class="progress" role="progressbar" aria-label={props.label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(v * 100)}>
      <div class="progress-bar" style={{ width: `${(v * 100).toFixed(1)}%` }} />
    </div>
  );
}

/** A metric value: 4 significant decimals. */
export function fmtNum(v: unknown): string {
  if (typeof v !== 'number') return v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v);
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}

/** A duration in ms as `1.2 s`, `3 min 4 s`. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Bytes as KiB/MiB. */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** `3 min ago`, with the exact time as the title. */
export function Ago(props: { at: string | null }): JSX.Element {
  if (props.at === null) return <span>—</span>;
  const d = new Date(props.at);
  const s = Math.max(0, (Date.now() - d.getTime()) / 1000);
  const text = s < 60 ? `${Math.round(s)} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : s < 86_400 ? `${Math.round(s / 3600)} h ago` : d.toISOString().slice(0, 10);
  return (
    <time dateTime={props.at} title={d.toLocaleString()}>
      {text}
    </time>
  );
}

/** A hash shortened to 12 hex digits, the whole in its title. */
export function Hash(props: { value: string }): JSX.Element {
  const h = props.value.replace(/^sha256:/, '');
  return (
    <code class="hash" title={props.value}>
      {h.slice(0, 12)}
    </code>
  );
}

/** Sets the document title for a view. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · bfly`;
  }, [title]);
}
