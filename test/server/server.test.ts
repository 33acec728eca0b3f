// The service in-process through the library (createServer), and its pure parts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/index.js';
import { jsonDepth } from '../../src/server/body.js';
import { EventHub, RING_SIZE } from '../../src/server/events.js';
import { parseRange } from '../../src/server/routes.js';
import { HTTP_STATUS, statusOf } from '../../src/server/errors.js';
import { ERROR_CATEGORIES, ValidationError } from '../../src/core/errors.js';
import { makeWorkspace } from '../helpers.js';
import { httpRequest, sse } from '../serve-client.js';

const open: Array<{ s: RunningServer; cleanup: () => void }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.s.close();
    o.cleanup();
  }
});

describe('createServer', () => {
  it('serves the API with a token, sends heartbeats on idle event streams, and cleans up on close', async () => {
    const w = await makeWorkspace();
    const s = await createServer(w.root, { heartbeatMs: 100, token: 'x'.repeat(32) });
    open.push({ s, cleanup: w.cleanup });
    expect(s.token).toBe('x'.repeat(32));
    expect(existsSync(join(w.root, '.butterfly', 'serve.json'))).toBe(true);
    const h = await httpRequest(s.port, 'GET', '/api/v1/health', { authorization: `Bearer ${s.token}` });
    expect(h.json()).toMatchObject({ ok: true, workspace: { name: 'test' } });
    const stream = sse(s.port, '/api/v1/events', { authorization: `Bearer ${s.token}` });
    expect(await stream.status).toBe(200);
    await new Promise((r) => setTimeout(r, 450));
    expect(stream.comments).toBeGreaterThanOrEqual(2);
    // a second service on the same workspace is refused, naming the first
    await expect(createServer(w.root)).rejects.toMatchObject({ code: 'SERVE_RUNNING', message: expect.stringContaining(s.url) });
    await s.close();
    await stream.ended; // close ends open event streams
    expect(existsSync(join(w.root, '.butterfly', 'serve.json'))).toBe(false);
    // and the workspace can be served again
    const again = await createServer(w.root);
    open.push({ s: again, cleanup: () => {} });
  });

  it('refuses a port in use and a bad port, releasing what it took', async () => {
    const w = await makeWorkspace();
    const s = await createServer(w.root);
    open.push({ s, cleanup: w.cleanup });
    const other = await makeWorkspace();
    await expect(createServer(other.root, { port: s.port })).rejects.toMatchObject({ code: 'LISTEN_FAILED' });
    await expect(createServer(other.root, { port: 70000 })).rejects.toMatchObject({ code: 'BAD_PORT' });
    expect(existsSync(join(other.root, '.butterfly', 'serve.json'))).toBe(false);
    const ok = await createServer(other.root);
    open.push({ s: ok, cleanup: other.cleanup });
  });
});

describe('the service’s parts', () => {
  it('Range headers', () => {
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange('bytes=0-9', 100)).toEqual([0, 9]);
    expect(parseRange('bytes=90-', 100)).toEqual([90, 99]);
    expect(parseRange('bytes=-10', 100)).toEqual([90, 99]);
    expect(parseRange('bytes=50-500', 100)).toEqual([50, 99]);
    for (const bad of ['bytes=100-', 'bytes=9-0', 'bytes=-', 'items=0-1', 'bytes=-0', 'bytes=0-1,5-6']) expect(parseRange(bad, 100)).toBe('bad');
  });

  it('JSON depth ignores brackets inside strings', () => {
    expect(jsonDepth('{"a":[1,{"b":2}]}')).toBe(3);
    expect(jsonDepth('{"a":"[[[[[[[[\\"[[[["}')).toBe(1);
    expect(jsonDepth('[[[[]]]]')).toBe(4);
  });

  it('every error category has a status; invalid content with problems is 422', () => {
    for (const c of ERROR_CATEGORIES) expect(HTTP_STATUS[c]).toBeGreaterThanOrEqual(400);
    expect(statusOf(new ValidationError('X', 'x'))).toBe(400);
    expect(statusOf(new ValidationError('X', 'x', { data: { problems: [] } }))).toBe(422);
    expect(statusOf(new Error('bug'))).toBe(500);
  });

  it('the event ring: what a reconnecting client missed, or a reset', () => {
    const hub = new EventHub();
    const change = (seq: number) => ({ type: 'workspace_changed' as const, change: { seq, at: '', user: '', command: '', action: 'x', target: {}, outcome: 'ok' } });
    expect(hub.since(undefined)).toEqual({ events: [], reset: false });
    for (let i = 1; i <= 5; i++) hub.publish(change(i));
    const boot = hub.currentId().split('-')[0];
    expect(hub.since(`${boot}-2`).events.map((e) => e.id)).toEqual([`${boot}-3`, `${boot}-4`, `${boot}-5`]);
    expect(hub.since(`${boot}-5`)).toEqual({ events: [], reset: false });
    expect(hub.since(`${boot}-6`).reset).toBe(true);
    expect(hub.since('00000000-2').reset).toBe(true);
    expect(hub.since('garbage').reset).toBe(true);
    for (let i = 6; i <= RING_SIZE + 10; i++) hub.publish(change(i));
    expect(hub.since(`${boot}-3`).reset).toBe(true); // no longer kept
    expect(hub.since(`${boot}-${RING_SIZE}`).events).toHaveLength(10);
  });
});
