/**
 * The hook host: a child process that runs hook calls in isolated-vm isolates, so that nothing a
 * hook does can take the bfly process down with it (V8 cannot always recover from an isolate
 * that runs out of memory: it may abort the whole process; isolated-vm's own README says so).
 * Started by {@link ../sandbox.ts} with `TZ=UTC` and `LC_ALL=C`, so every time zone and locale
 * default inside the isolates is the same on every machine.
 *
 * Protocol (one call at a time):
 * - parent -> child, IPC ('advanced' serialization): `{type: 'call', id, source, filename, input,
 *   seed, now, memoryMb, timeoutMs, logLimit}`; `input` holds lazy markers, not the lazy values.
 * - child -> parent, fd 4: frames `[u32 length][v8.serialize(msg)]`: `log`, `metric`,
 *   `truncated`, `fetch` (a lazy value the hook just read) and finally `result`.
 * - parent -> child, fd 5: frames with the value of each `fetch`, read synchronously (the
 *   isolate waits for it inside a synchronous callback).
 * Large values (a fetched column, a returned table) travel as payload files (payload.ts) in the
 * private folder `BFLY_HOOK_PAYLOADS`; the frame carries the file's path.
 */
import { sandboxPackage } from '../../store/sandbox-package.js';
import { closeSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { deserialize, serialize } from 'node:v8';
import { PAYLOAD_MIN_BYTES, readPayload, typedBytes, writePayload } from './payload.js';

type Ivm = typeof import('isolated-vm');

const TO_PARENT = 4;
const FROM_PARENT = 5;

/** What the parent sends for one call. */
export interface HostCall {
  type: 'call';
  id: number;
  source: string;
  filename: string;
  input: unknown;
  transfer: boolean;
  seed: number;
  now: number;
  memoryMb: number;
  timeoutMs: number;
  logLimit: { bytes: number; lines: number };
  /** Only compile, evaluate and check that the default export is a function (no call). */
  checkOnly?: boolean;
}

/** How a call failed, as the parent rebuilds it into a HookError. */
export interface HostFailure {
  message: string;
  kind: 'threw' | 'timeout' | 'memory' | 'invalid';
  stack?: string;
}

/** Writes one frame to the parent (blocking: the parent always reads). */
export function writeFrame(fd: number, msg: unknown): void {
  const body = serialize(msg);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32LE(body.length, 0);
  for (const buf of [head, body]) for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

function readExactly(fd: number, n: number): Buffer {
  const buf = Buffer.allocUnsafe(n);
  let off = 0;
  while (off < n) {
    const got = readSync(fd, buf, off, n - off, null);
    if (got === 0) throw new Error('the bfly process that started this hook host is gone');
    off += got;
  }
  return buf;
}

/** Reads one frame from the parent, blocking. */
function readFrame(fd: number): unknown {
  const n = readExactly(fd, 4).readUInt32LE(0);
  return deserialize(readExactly(fd, n));
}

/**
 * Code run in every fresh context before the hook: the seeded Math.random (xoshiro128**), a
 * frozen clock that no prototype chain gets around (`Date` is a new function sharing
 * Date.prototype, `Date.now` and the real constructor's `now` both frozen, `Intl.DateTimeFormat`
 * formatting "now" as the frozen time), no WebAssembly, SharedArrayBuffer, Atomics, eval,
 * WeakRef, FinalizationRegistry or Temporal, and console/bfly.log that count lines and bytes and drop
 * what is over the limit (telling the host once). The host callbacks are taken off the global
 * object here, before any hook code runs; the hydrate helper is returned, never put on it.
 */
function prelude(seed: number, now: number, limit: { bytes: number; lines: number }): string {
  return `
'use strict';
(() => {
  let s = [${seed >>> 0} ^ 0x9e3779b9, 0x243f6a88, 0xb7e15162, ${(seed * 2654435761) >>> 0}];
  const rotl = (x, k) => (x << k) | (x >>> (32 - k));
  const next = () => {
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11);
    return r / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  Object.defineProperty(Math, 'random', { value: next, writable: false, configurable: false });
  const RealDate = Date;
  const NOW = ${now};
  const frozenNow = () => NOW;
  function FrozenDate(...args) {
    if (new.target === undefined) return new RealDate(NOW).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [NOW] : args, new.target === FrozenDate ? RealDate : new.target);
  }
  Object.defineProperty(FrozenDate, 'name', { value: 'Date' });
  Object.defineProperty(FrozenDate, 'prototype', { value: RealDate.prototype, writable: false });
  Object.defineProperty(RealDate.prototype, 'constructor', { value: FrozenDate, writable: true, configurable: true, enumerable: false });
  for (const k of ['parse', 'UTC']) Object.defineProperty(FrozenDate, k, { value: RealDate[k], writable: true, configurable: true });
  Object.defineProperty(FrozenDate, 'now', { value: frozenNow, writable: false, configurable: false });
  Object.defineProperty(RealDate, 'now', { value: frozenNow, writable: false, configurable: false });
  globalThis.Date = FrozenDate;
  const dtf = Intl.DateTimeFormat.prototype;
  const formatGetter = Object.getOwnPropertyDescriptor(dtf, 'format').get;
  Object.defineProperty(dtf, 'format', { configurable: true, get() { const f = formatGetter.call(this); return (d) => f(d === undefined ? NOW : d); } });
  const formatToParts = dtf.formatToParts;
  Object.defineProperty(dtf, 'formatToParts', { configurable: true, writable: true, value: function formatToParts2(d) { return formatToParts.call(this, d === undefined ? NOW : d); } });
  // No compiled code, shared memory, eval, garbage-collector-timed callbacks (not deterministic),
  // or Temporal (newer V8: a second clock that would see the real time).
  for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'eval', 'WeakRef', 'FinalizationRegistry', 'Temporal']) delete globalThis[name];
  const log = globalThis.__bflyLog;
  const metric = globalThis.__bflyMetric;
  const fetch = globalThis.__bflyFetch;
  delete globalThis.__bflyLog;
  delete globalThis.__bflyMetric;
  delete globalThis.__bflyFetch;
  let lines = 0, bytes = 0, dropped = false, metrics = 0;
  const MAX_LINES = ${limit.lines}, MAX_BYTES = ${limit.bytes};
  const emit = (level, message) => {
    if (dropped) return;
    if (lines >= MAX_LINES || bytes + message.length > MAX_BYTES) {
      dropped = true;
      log('truncated', '');
      return;
    }
    lines++;
    bytes += message.length;
    log(level, message.length > 10000 ? message.slice(0, 10000) + '…' : message);
  };
  // Replaces lazy markers by objects whose properties are fetched (copied) on first read.
  const hydrate = (v) => {
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
    if (typeof v.$bflyLazy === 'number' && Array.isArray(v.names)) {
      const id = v.$bflyLazy;
      const out = {};
      for (const k of Object.keys(v.eager)) out[k] = hydrate(v.eager[k]);
      for (const name of v.names) {
        Object.defineProperty(out, name, {
          enumerable: true,
          configurable: true,
          get() {
            const value = fetch(id, name);
            Object.defineProperty(out, name, { value, writable: true, enumerable: true, configurable: true });
            return value;
          },
          set(value) {
            Object.defineProperty(out, name, { value, writable: true, enumerable: true, configurable: true });
          },
        });
      }
      return out;
    }
    for (const k of Object.keys(v)) v[k] = hydrate(v[k]);
    return v;
  };
  const text = (args) => args.map((a) => (typeof a === 'string' ? a : (() => { try { return JSON.stringify(a); } catch { return String(a); } })())).join(' ');
  const console = Object.freeze({
    log: (...a) => emit('info', text(a)),
    info: (...a) => emit('info', text(a)),
    warn: (...a) => emit('warn', text(a)),
    error: (...a) => emit('error', text(a)),
  });
  globalThis.console = console;
  globalThis.bfly = Object.freeze({
    log: (...a) => emit('info', text(a)),
    metric: (name, value) => {
      name = String(name);
      if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(name)) throw new TypeError('bfly.metric: ' + JSON.stringify(name.slice(0, 80)) + ' is not a metric name (letters, digits, _ . -, starting with a letter or _, at most 64)');
      if (++metrics > 1000) throw new RangeError('bfly.metric: at most 1000 metrics per hook call');
      metric(name, Number(value));
    },
  });
  return hydrate;
})();
`;
}

let ivm: Ivm | null = null;

/** The distinct ArrayBuffers of every typed array in a value (moved into the isolate, not copied). */
function typedArrayBuffers(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) out.add(v.buffer);
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x);
  };
  walk(value);
  return [...out];
}

function failure(err: unknown, call: HostCall, disposedByTimer: boolean): HostFailure {
  const message = err instanceof Error ? err.message : String(err);
  if (disposedByTimer || /timed out/i.test(message)) return { message: `exceeded its time limit of ${call.timeoutMs / 1000} s`, kind: 'timeout' };
  if (/memory limit|disposed/i.test(message)) return { message: `exceeded its memory limit of ${call.memoryMb} MB`, kind: 'memory' };
  return { message, kind: 'threw', stack: err instanceof Error ? err.stack : undefined };
}

class Invalid extends Error {}

/**
 * Runs one call in a fresh isolate: compiles the source as an ES module (no imports resolve),
 * calls its default export with the input (lazy parts fetched from the parent on first read),
 * awaits the result and returns a copy. Limits: the isolate's memory limit, isolated-vm's
 * timeout for synchronous code, and a timer that disposes the isolate for promises that never settle.
 */
async function runCall(call: HostCall): Promise<unknown> {
  const { Isolate, Callback, ExternalCopy } = ivm!;
  const isolate = new Isolate({ memoryLimit: call.memoryMb });
  let disposedByTimer = false;
  const timer = setTimeout(() => {
    disposedByTimer = true;
    if (!isolate.isDisposed) isolate.dispose();
  }, call.timeoutMs + 50);
  try {
    const context = await isolate.createContext();
    const global = context.global;
    let lines = 0;
    let bytes = 0;
    let truncated = false;
    await global.set(
      '__bflyLog',
      new Callback((level: string, message: string) => {
        // counted again here: the isolate's counters are the first line, these the second
        if (truncated) return;
        const m = String(message);
        if (level === 'truncated' || lines >= call.logLimit.lines || bytes + m.length > call.logLimit.bytes) {
          truncated = true;
          writeFrame(TO_PARENT, { type: 'truncated', id: call.id, limit: call.logLimit });
          return;
        }
        lines++;
        bytes += m.length;
        writeFrame(TO_PARENT, { type: 'log', id: call.id, level: level === 'warn' || level === 'error' ? level : 'info', message: m.slice(0, 10_001) });
      }),
    );
    await global.set('__bflyMetric', new Callback((name: string, value: number) => writeFrame(TO_PARENT, { type: 'metric', id: call.id, name: String(name).slice(0, 200), value: Number(value) })));
    await global.set(
      '__bflyFetch',
      new Callback((lazy: number, name: string) => {
        writeFrame(TO_PARENT, { type: 'fetch', id: call.id, lazy, name: String(name) });
        const reply = readFrame(FROM_PARENT) as { value?: unknown; file?: string };
        const value = reply.file !== undefined ? readPayload(reply.file) : reply.value;
        if (value === undefined) return undefined;
        const transferList = typedArrayBuffers(value);
        return new ExternalCopy(value, { transferList }).copyInto({ release: true, transferIn: transferList.length > 0 });
      }),
    );
    const hydrate = await context.eval(prelude(call.seed, call.now, call.logLimit), { timeout: call.timeoutMs, reference: true });
    const mod = await isolate.compileModule(call.source, { filename: call.filename });
    await mod.instantiate(context, (specifier) => {
      throw new Error(`hooks cannot import modules (${specifier}); everything a hook gets is in its context argument`);
    });
    await mod.evaluate({ timeout: call.timeoutMs });
    const fn = await mod.namespace.get('default', { reference: true });
    if (fn.typeof !== 'function') throw new Invalid(`the hook must \`export default\` a function (ctx) => …; its default export is ${fn.typeof === 'undefined' ? 'missing' : `a ${fn.typeof}`}`);
    if (call.checkOnly === true) return null;
    const transferList = call.transfer ? typedArrayBuffers(call.input) : [];
    const arg = new ExternalCopy(call.input, { transferList }).copyInto({ release: true, transferIn: transferList.length > 0 });
    const ctxRef = await hydrate.apply(undefined, [arg], { timeout: call.timeoutMs, result: { reference: true } });
    return await fn.apply(undefined, [ctxRef.derefInto()], { timeout: call.timeoutMs, result: { copy: true, promise: true } });
  } catch (err) {
    if (err instanceof Invalid) throw { message: err.message, kind: 'invalid' } satisfies HostFailure;
    throw failure(err, call, disposedByTimer);
  } finally {
    clearTimeout(timer);
    if (!isolate.isDisposed) isolate.dispose();
  }
}

function main(): void {
  try {
    const pkg = sandboxPackage();
    if (pkg === null) throw new Error(`this install has no isolated-vm for Node ${process.version}`);
    ivm = createRequire(import.meta.url)(pkg.name) as Ivm;
  } catch (err) {
    writeFrame(TO_PARENT, { type: 'fatal', message: (err as Error).message.split('\n')[0] });
    process.exit(1);
  }
  process.on('message', (msg: HostCall) => {
    if (msg?.type !== 'call') return;
    runCall(msg).then(
      (value) => {
        // a large result (tables) goes through a file in the private payload folder
        const dir = process.env.BFLY_HOOK_PAYLOADS;
        if (dir !== undefined && typedBytes(value) >= PAYLOAD_MIN_BYTES) writeFrame(TO_PARENT, { type: 'result', id: msg.id, ok: true, file: writePayload(dir, value) });
        else writeFrame(TO_PARENT, { type: 'result', id: msg.id, ok: true, value });
      },
      (failed: HostFailure) => {
        writeFrame(TO_PARENT, { type: 'result', id: msg.id, ok: false, failure: failed });
        // An isolate that hit its memory limit may have left V8 in a state it cannot recover
        // from: this process is not reused (the parent starts a fresh one for the next call).
        if (failed.kind === 'memory') {
          closeSync(TO_PARENT);
          process.exit(0);
        }
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
  writeFrame(TO_PARENT, { type: 'ready' });
}

if (process.env.BFLY_HOOK_HOST === '1') main();
