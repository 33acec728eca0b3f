/**
 * The web UI's files (`bfly ui`, `bfly serve`): `dist/web/index.html` for every view's address
 * (deep links: `/runs/<id>`, `/experiments/<name>`, …) and the content-hashed bundles under
 * `/assets/`. Everything is same-origin and behind the service's token rules; the page's
 * Content-Security-Policy allows scripts and styles from the service only (no inline script, no
 * eval: vega's expressions run in its interpreter), and connections to the service only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../store/package-root.js';

/** The UI page's Content-Security-Policy. */
export const UI_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The first path segments that are views of the UI (each answered with index.html). */
const VIEW_ROOTS = new Set(['', 'runs', 'compare', 'datasets', 'experiments']);

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml', map: 'application/json', png: 'image/png', json: 'application/json' };

/** The built UI (null when dist/web is missing: a checkout that was not built). */
function webDir(): string | null {
  try {
    const dir = join(packageRoot(), 'dist', 'web');
    readFileSync(join(dir, 'index.html'));
    return dir;
  } catch {
    return null;
  }
}

/** Whether `pathname` is the address of a view of the UI. */
export function isViewPath(pathname: string): boolean {
  const first = pathname.split('/')[1] ?? '';
  return VIEW_ROOTS.has(first);
}

/** The UI's page (index.html) for any view's address, with its CSP. */
export function uiPage(workspaceName: string): Response {
  const dir = webDir();
  const headers = { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': UI_CSP, 'cache-control': 'no-store' };
  if (dir === null) {
    const name = workspaceName.replace(/[<>&"']/g, '');
    return new Response(`<!doctype html><meta charset="utf-8"><title>bfly · ${name}</title><h1>bfly service</h1><p>Workspace <b>${name}</b>. The web UI is not built in this installation (run <code>npm run build</code> in the bfly checkout). The API is under <code>/api/v1</code>: <a href="/api/v1/openapi.json">openapi.json</a>.</p>`, { status: 200, headers });
  }
  return new Response(readFileSync(join(dir, 'index.html')), { status: 200, headers });
}

/** One file of `dist/web/assets/` (names are content-hashed: cached for good), or null. */
export function uiAsset(name: string): Response | null {
  if (!/^[\w-]+(\.[\w-]+)*$/.test(name)) return null;
  const dir = webDir();
  if (dir === null) return null;
  let data: Buffer;
  try {
    data = readFileSync(join(dir, 'assets', name));
  } catch {
    return null;
  }
  const ext = name.split('.').pop() ?? '';
  return new Response(new Uint8Array(data), { status: 200, headers: { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': name === 'favicon.svg' ? 'private, max-age=3600' : 'private, max-age=31536000, immutable', 'content-length': String(data.length) } });
}
