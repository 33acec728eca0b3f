/**
 * The service's API as the UI calls it: same-origin requests (the token is the HttpOnly cookie
 * the printed address set), typed with the contracts the server validates against
 * (src/core/contracts: `import type` only, nothing of zod reaches the bundle).
 */
import type { ErrorBody } from '../../src/core/contracts/index.js';

/** An error answer of the API: its status, code, message and hint, as the server said them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string | null,
    readonly data: Record<string, unknown> | null,
  ) {
    super(message);
  }
}

/** GET (or another method with a JSON body) under /api/v1; an error answer throws {@link ApiError}. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: 'same-origin',
      signal: init.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'OFFLINE', 'the bfly service did not answer', 'is `bfly ui` still running? Start it again and reload', null);
  }
  const text = await res.text();
  if (!res.ok) {
    let body: ErrorBody | null = null;
    try {
      body = JSON.parse(text) as ErrorBody;
    } catch {
      body = null;
    }
    const e = body?.error;
    if (res.status === 401) throw new ApiError(401, 'UNAUTHORIZED', 'this page is not signed in to the service', 'open the address `bfly ui` printed (it carries the token)', null);
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `${res.status} ${res.statusText}`, e?.hint ?? null, (e?.data as Record<string, unknown> | undefined) ?? null);
  }
  return JSON.parse(text) as T;
}

/** The address of a run's artifact (downloads, plot specs, report.html). */
export function artifactUrl(run: string, name: string): string {
  return `/api/v1/runs/${encodeURIComponent(run)}/artifacts/${encodeURIComponent(name)}`;
}

/** `?a=b&…` from the defined values. */
export function query(q: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}
