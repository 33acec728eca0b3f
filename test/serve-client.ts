// A client of `bfly serve` for tests and benches: starts the built CLI (`serve --port 0
// --json`), speaks raw HTTP (node:http, so that any Host or Origin header can be sent) and reads
// Server-Sent Events.
import { request } from 'node:http';
import { execa, type ResultPromise } from 'execa';
import { BFLY } from './helpers.js';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: () => any;
  text: () => string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: string | Buffer | object;
  /** No Authorization header. */
  noAuth?: boolean;
}

/** One HTTP request (keep-alive off: each request its own connection, as a stressed client). */
export function httpRequest(port: number, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json: () => JSON.parse(data.toString('utf8')), text: () => data.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: () => any;
  at: number;
}

/** A Server-Sent Events subscription: events as they come, `comments` (heartbeats), and `ended`. */
export interface SseStream {
  events: SseEvent[];
  comments: number;
  status: Promise<number>;
  ended: Promise<void>;
  /** Resolves with the first event (already received or to come) matching. */
  waitFor: (pred: (e: SseEvent) => boolean, timeoutMs?: number) => Promise<SseEvent>;
  close: () => void;
}

export function sse(port: number, path: string, headers: Record<string, string>): SseStream {
  const events: SseEvent[] = [];
  const waiters: Array<{ pred: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }> = [];
  let resolveStatus!: (n: number) => void;
  let resolveEnded!: () => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const stream: SseStream = {
    events,
    comments: 0,
    status,
    ended,
    waitFor: (pred, timeoutMs = 60_000) => {
      const hit = events.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (e: SseEvent) => (clearTimeout(t), resolve(e)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching event within ${timeoutMs} ms (got ${events.map((e) => e.event).join(', ')})`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close: () => req.destroy(),
  };
  const req = request({ host: '127.0.0.1', port, method: 'GET', path, headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let sep: number;
      while ((sep = buf.indexOf('\n\n')) !== -1) {
        const block = buf.slice(0, sep);
        buf = buf.slice(sep + 2);
        let id: string | undefined;
        let event = 'message';
        const data: string[] = [];
        let comment = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comment = true;
          else if (line.startsWith('id:')) id = line.slice(3).trim();
          else if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length === 0) {
          if (comment) stream.comments++;
          continue;
        }
        const e: SseEvent = { id, event, data: data.join('\n'), json: () => JSON.parse(data.join('\n')), at: Date.now() };
        events.push(e);
        for (const w of [...waiters]) {
          if (w.pred(e)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(e);
          }
        }
      }
    });
    res.on('end', () => resolveEnded());
    res.on('close', () => resolveEnded());
  });
  req.on('error', () => {
    resolveStatus(0);
    resolveEnded();
  });
  req.end();
  return stream;
}

/** A running `bfly serve` started with the built CLI. */
export interface Served {
  proc: ResultPromise;
  url: string;
  port: number;
  token: string;
  pid: number;
  auth: Record<string, string>;
  /** A request with the token (JSON bodies encoded). */
  api: (method: string, path: string, o?: RequestOptions) => Promise<HttpResult>;
  events: (path: string, headers?: Record<string, string>) => SseStream;
  /** SIGTERM, then the exit code. */
  stop: () => Promise<number>;
}

/** Starts `bfly -C ws serve --port 0 --json …` and waits for its line. */
/** Starts `bfly serve` (or `bfly ui --no-open`, the same service) on a free loopback port. */
export async function startServe(ws: string, args: string[] = [], env: Record<string, string> = {}, command: 'serve' | 'ui' = 'serve'): Promise<Served> {
  const proc = execa(process.execPath, ['--no-node-snapshot', BFLY, '-C', ws, command, ...(command === 'ui' ? ['--no-open'] : []), '--port', '0', '--json', ...args], { reject: false, buffer: { stdout: false }, env: { NO_COLOR: '1', ...env } });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
    });
    void proc.then((r) => reject(new Error(`bfly serve exited ${r.exitCode}: ${String(r.stderr)}`)));
  });
  const info = JSON.parse(line) as { url: string; port: number; token: string; pid: number; apiVersion: string };
  const auth = { authorization: `Bearer ${info.token}` };
  const api = (method: string, path: string, o: RequestOptions = {}): Promise<HttpResult> => {
    let body: string | Buffer | undefined;
    const headers: Record<string, string> = { ...(o.noAuth ? {} : auth), ...(o.headers ?? {}) };
    if (o.body !== undefined) {
      if (typeof o.body === 'string' || Buffer.isBuffer(o.body)) body = o.body;
      else {
        body = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    return httpRequest(info.port, method, path, headers, body);
  };
  let stopped: Promise<number> | null = null;
  return {
    proc,
    ...info,
    auth,
    api,
    events: (path, headers = {}) => sse(info.port, path, { ...auth, ...headers }),
    stop: () =>
      (stopped ??= (async () => {
        proc.kill('SIGTERM');
        const r = await proc;
        return r.exitCode ?? -1;
      })()),
  };
}

/** Polls `GET /api/v1/jobs/{id}` until `pred` holds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function waitJob(s: Served, id: string, pred: (job: any) => boolean, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await s.api('GET', `/api/v1/jobs/${id}`);
    const job = r.json();
    if (pred(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is ${job.status}: condition not met in ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
