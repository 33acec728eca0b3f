/**
 * The local service (`bfly serve`, the library's `createServer`): Hono on @hono/node-server.
 * Security first, on every request, in this order: the `Host` header must be the service's own
 * (DNS rebinding: 403), the token must be given (`Authorization: Bearer`, or the cookie a
 * browser got from `/?token=`; compared in constant time: 401), and a state-changing request
 * from another `Origin` is refused (CSRF: 403). No CORS headers are ever sent.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Hono } from 'hono';
import { type HttpBindings, serve } from '@hono/node-server';
import { API_VERSION } from '../core/contracts/service.js';
import { InfraError, ValidationError } from '../core/errors.js';
import { auditCommandContext } from '../store/audit.js';
import { acquireLock, type HeldLock } from '../store/lock.js';
import { SERVE_LOCK, readServeRecord, removeServeRecord, writeServeRecord } from '../store/serve-record.js';
import { openWorkspace } from '../store/workspace.js';
import { readConfigSync } from '../store/hooks.js';
import { EventHub, WorkspaceWatcher } from './events.js';
import type { QueueAddress } from '../core/queue-address.js';
import { JobManager } from './jobs.js';
import { ROUTES, type RouteRequest, errorResponse, noRoute, parseRequest } from './routes.js';
import { HttpError } from './errors.js';
import { type Service, cachedRunListing } from './service-state.js';
import { isViewPath, uiAsset, uiPage } from './web.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** Port (default 0: a free one). */
  port?: number;
  /** Address to bind (default 127.0.0.1). Anything but loopback is reachable by others: the CLI warns. */
  host?: string;
  /** Runs executed at once (default: cores). */
  jobs?: number;
  /** Dispatch jobs to `bfly worker`s through this Redis (`bfly serve --queue`) instead of running them here. */
  queue?: QueueAddress;
  /** The token clients must send (default: 32 random bytes, hex). */
  token?: string;
  /** The largest upload (dataset import, predict), in bytes (default 2 GiB). */
  maxUpload?: number;
  /** Heartbeat comments on event streams every this many ms (default 15,000). */
  heartbeatMs?: number;
}

/** A running service. */
export interface RunningServer {
  /** `http://127.0.0.1:PORT` (no token). */
  url: string;
  port: number;
  host: string;
  token: string;
  /** The workspace root. */
  root: string;
  /** Stops: no new connections, running jobs cancelled cleanly, serve.json removed, locks released. */
  close(): Promise<void>;
}

/** The default --max-upload: 2 GiB. */
export const DEFAULT_MAX_UPLOAD = 2 * 1024 ** 3;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time token check (both sides hashed: equal lengths, nothing learned from timing). */
function tokenMatches(given: string | undefined, token: Buffer): boolean {
  return given !== undefined && timingSafeEqual(digest(given), token);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i !== -1 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY', 'cross-origin-resource-policy': 'same-origin' };

function plainError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ schemaVersion: 1, error: { code, category: 'policy', message, hint: null } }), { status, headers: { 'content-type': 'application/json', ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}) } });
}

/** A browser without the token (or with a wrong one): what to open instead. */
function signInPage(): Response {
  return new Response('<!doctype html><meta charset="utf-8"><title>bfly: sign in</title><h1>This bfly service needs its token</h1><p>Open the address that <code>bfly ui</code> (or <code>bfly serve</code>) printed: it carries the token, which the browser then keeps as a cookie for this service. <code>cat .butterfly/serve.json</code> in the workspace shows it too.</p>', { status: 401, headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'", ...SECURITY_HEADERS } });
}

/**
 * Starts the service over the workspace containing `root`. Refuses (InfraError SERVE_RUNNING)
 * when another service holds it.
 *
 * @example
 * const s = await createServer('./project', { port: 0 });
 * const res = await fetch(`${s.url}/api/v1/health`, { headers: { authorization: `Bearer ${s.token}` } });
 * await s.close();
 */
export async function createServer(start: string, o: ServerOptions = {}): Promise<RunningServer> {
  const ws = await openWorkspace(start);
  const root = ws.root;
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError('BAD_PORT', `the port must be a whole number from 0 to 65535, not ${JSON.stringify(o.port)}`, { hint: 'e.g. --port 8080, or --port 0 for a free one' });
  const token = o.token ?? randomBytes(32).toString('hex');
  if (token.length < 16) throw new ValidationError('BAD_TOKEN', 'the token must be at least 16 characters', { hint: 'leave it out: a random one is made' });
  let lock: HeldLock;
  try {
    lock = acquireLock(root, SERVE_LOCK, { purpose: 'bfly serve (starting)', long: true });
  } catch (err) {
    if (err instanceof InfraError && err.code === 'LOCKED') {
      const running = readServeRecord(root);
      const holder = (err.data.holder as { pid?: number } | null)?.pid;
      throw new InfraError('SERVE_RUNNING', `a service is already running on this workspace${running !== null ? ` at ${running.url} (pid ${running.pid})` : holder !== undefined ? ` (pid ${holder})` : ''}`, { hint: 'use that one, or stop it first (Ctrl-C in its terminal, or kill its pid)', data: { url: running?.url ?? null, pid: running?.pid ?? holder ?? null } });
    }
    throw err;
  }
  const hub = new EventHub();
  const watcher = new WorkspaceWatcher(root, hub);
  const jobs = new JobManager(root, { slots: o.jobs, queue: o.queue, onChange: (job) => hub.publish({ type: 'job_changed', job: structuredClone(job) }) });
  const svc: Service = { root, jobs, hub, maxUpload: o.maxUpload ?? DEFAULT_MAX_UPLOAD, heartbeatMs: o.heartbeatMs ?? 15_000, runListing: cachedRunListing(root) };
  const tokenDigest = digest(token);
  let listening = 0;
  const allowedHosts = (): Set<string> => {
    const hosts = new Set([`127.0.0.1:${listening}`, `localhost:${listening}`, `[::1]:${listening}`]);
    if (!LOOPBACK.has(host)) hosts.add(`${host.includes(':') ? `[${host}]` : host}:${listening}`);
    return hosts;
  };
  const cookieName = (): string => `bfly_${listening}`;

  const app = new Hono<{ Bindings: HttpBindings }>();
  app.use('*', async (c, next) => {
    const hostHeader = c.req.header('host') ?? '';
    if (!allowedHosts().has(hostHeader.toLowerCase())) return plainError(403, 'BAD_HOST', 'forbidden');
    const url = new URL(c.req.url);
    const bearer = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const cookie = cookieValue(c.req.header('cookie'), cookieName());
    const view = c.req.method === 'GET' && isViewPath(url.pathname);
    if (view && url.searchParams.has('token')) {
      // a browser opening the printed URL (or a deep link with the token): the token becomes an
      // HttpOnly cookie, and leaves the address bar
      if (!tokenMatches(url.searchParams.get('token') ?? undefined, tokenDigest)) return signInPage();
      url.searchParams.delete('token');
      return new Response(null, { status: 303, headers: { location: `${url.pathname}${url.search}`, 'set-cookie': `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`, ...SECURITY_HEADERS } });
    }
    if (!tokenMatches(bearer ?? cookie, tokenDigest)) return view && /text\/html/.test(c.req.header('accept') ?? '') ? signInPage() : plainError(401, 'UNAUTHORIZED', 'unauthorized');
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      const origin = c.req.header('origin');
      const site = c.req.header('sec-fetch-site');
      if ((origin !== undefined && origin !== `http://${hostHeader}`) || site === 'cross-site' || site === 'same-site') return plainError(403, 'CROSS_ORIGIN', 'forbidden: a state-changing request from another origin');
    }
    await auditCommandContext.run(`api: ${method} ${url.pathname}`, next);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
    if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store');
  });
  for (const route of ROUTES) {
    const path = route.path.replace(/\{(\w+)\}/g, ':$1');
    app.on(route.method, path, async (c) => {
      const r: RouteRequest = { c, svc, params: c.req.param() as Record<string, string>, query: {}, body: undefined };
      try {
        await parseRequest(route, r);
        return await route.handle(r);
      } catch (err) {
        return errorResponse(err);
      }
    });
  }
  // the web UI: its assets, and index.html at every view's address (deep links)
  app.get('/assets/:file', (c) => uiAsset(c.req.param('file')) ?? noRoute('GET', new URL(c.req.url).pathname));
  app.get('*', (c) => {
    const pathname = new URL(c.req.url).pathname;
    return isViewPath(pathname) ? uiPage(readConfigSync(root).name) : noRoute('GET', pathname);
  });
  app.notFound((c) => noRoute(c.req.method, new URL(c.req.url).pathname));
  app.onError((err) => errorResponse(err));

  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s as Server)) as Server;
      s.once('error', reject);
    });
  } catch (err) {
    lock.release();
    const code = (err as NodeJS.ErrnoException).code;
    throw new InfraError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${code === 'EADDRINUSE' ? 'the port is in use' : (err as Error).message}`, { hint: code === 'EADDRINUSE' ? 'choose another --port, or --port 0 for a free one' : 'check --host', cause: err });
  }
  server.requestTimeout = 0; // uploads and event streams may be long
  listening = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${listening}`;
  try {
    lock.relabel(`bfly serve at ${url}`);
    writeServeRecord(root, { url, port: listening, host, pid: process.pid, token, apiVersion: API_VERSION, startedAt: new Date().toISOString() });
    jobs.start();
  } catch (err) {
    server.close();
    removeServeRecord(root);
    lock.release();
    throw err;
  }
  watcher.start();
  let closing: Promise<void> | null = null;
  return {
    url,
    port: listening,
    host,
    token,
    root,
    close: () =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await jobs.close();
        watcher.poll();
        watcher.stop();
        server.closeAllConnections(); // event streams never end on their own
        await stopped;
        removeServeRecord(root);
        lock.release();
      })()),
  };
}

export { HttpError };
