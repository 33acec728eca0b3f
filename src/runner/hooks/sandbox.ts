import { createRequire } from 'node:module';
import { BflyError } from '../../core/errors.js';

type Ivm = typeof import('isolated-vm');

let ivm: Ivm | null = null;

/** isolated-vm, loaded on first use (a native module: only runs with hooks pay for it). */
function loadIvm(): Ivm {
  if (ivm !== null) return ivm;
  try {
    ivm = createRequire(import.meta.url)('isolated-vm') as Ivm;
    return ivm;
  } catch (err) {
    throw new BflyError('infra', 'SANDBOX_MISSING', `hooks run in isolated-vm, which is not installed or did not build (${(err as Error).message.split('\n')[0]})`, {
      hint: 'install it with `npm install isolated-vm@5.0.4` (it compiles with g++ and python3), or remove the hooks',
    });
  }
}

/**
 * Values copied into the sandbox only when hook code reads them: placed in a hook's input, it
 * becomes an object whose properties (the keys of `produce`) are getters that fetch a fresh
 * copy of the value from the host on first access. A hook that does not touch a column does
 * not pay for copying it.
 */
export class Lazy {
  /** `eager` properties are copied in with the rest of the input. */
  constructor(
    readonly produce: Record<string, () => unknown>,
    readonly eager: Record<string, unknown> = {},
  ) {}
}

/** Host functions a hook may call (arguments and results cross as copies). */
export interface HookCapabilities {
  log(level: 'info' | 'warn' | 'error', message: string): void;
  metric(name: string, value: number): void;
}

/** One call of a hook. */
export interface HookCall {
  /** The hook's JavaScript (an ES module whose default export is the hook function). */
  source: string;
  /** Shown in stack traces: the hook file, or `<block>.<kind>.<n> (inline)`. */
  filename: string;
  /** The context given to the function (copied in: typed arrays, plain objects). */
  input: unknown;
  /**
   * Move the input's typed-array buffers into the isolate instead of copying them (they are
   * detached here): only for inputs made fresh for this call.
   */
  transfer?: boolean;
  seed: number;
  /** What `Date.now()` / `new Date()` return inside (fixed per run). */
  now: number;
  memoryMb: number;
  timeoutMs: number;
  capabilities: HookCapabilities;
}

/** Why a hook failed: it threw, or it exceeded a limit. */
export class HookError extends Error {
  constructor(
    message: string,
    readonly kind: 'threw' | 'timeout' | 'memory' | 'invalid',
    readonly hookStack?: string,
  ) {
    super(message);
    this.name = 'HookError';
  }
}

/**
 * Code run in every fresh context before the hook: the seeded Math.random (xoshiro128**), a
 * frozen clock, and no WebAssembly, SharedArrayBuffer, Atomics, eval, WeakRef or
 * FinalizationRegistry. The host
 * callbacks are wrapped so hook code only ever sees plain functions taking strings and numbers.
 */
function prelude(seed: number, now: number): string {
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
  class FrozenDate extends RealDate {
    constructor(...args) { super(...(args.length === 0 ? [NOW] : args)); }
    static now() { return NOW; }
  }
  globalThis.Date = FrozenDate;
  // No compiled code, shared memory, eval, or garbage-collector-timed callbacks (not deterministic).
  for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'eval', 'WeakRef', 'FinalizationRegistry']) delete globalThis[name];
  const log = globalThis.__bflyLog;
  const metric = globalThis.__bflyMetric;
  const fetch = globalThis.__bflyFetch;
  delete globalThis.__bflyLog;
  delete globalThis.__bflyMetric;
  delete globalThis.__bflyFetch;
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
  globalThis.__bflyHydrate = hydrate;
  const text = (args) => args.map((a) => (typeof a === 'string' ? a : (() => { try { return JSON.stringify(a); } catch { return String(a); } })())).join(' ');
  const console = Object.freeze({
    log: (...a) => log('info', text(a)),
    info: (...a) => log('info', text(a)),
    warn: (...a) => log('warn', text(a)),
    error: (...a) => log('error', text(a)),
  });
  globalThis.console = console;
  globalThis.bfly = Object.freeze({
    log: (...a) => log('info', text(a)),
    metric: (name, value) => metric(String(name), Number(value)),
  });
})();
`;
}

/** The input with each {@link Lazy} replaced by a marker the prelude turns into getters. */
function markLazy(value: unknown, lazies: Lazy[]): unknown {
  if (value instanceof Lazy) {
    lazies.push(value);
    const id = lazies.length - 1;
    return { $bflyLazy: id, names: Object.keys(value.produce), eager: markLazy(value.eager, lazies) };
  }
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((v) => markLazy(v, lazies));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = markLazy(v, lazies);
  return out;
}

/** The distinct ArrayBuffers of every typed array in a value. */
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

function limitError(err: unknown, call: HookCall, disposedByTimer: boolean): HookError {
  const message = err instanceof Error ? err.message : String(err);
  if (disposedByTimer || /timed out/i.test(message)) {
    return new HookError(`exceeded its time limit of ${call.timeoutMs / 1000} s`, 'timeout');
  }
  if (/memory limit|disposed/i.test(message)) {
    return new HookError(`exceeded its memory limit of ${call.memoryMb} MB`, 'memory');
  }
  const stack = err instanceof Error ? err.stack : undefined;
  return new HookError(message, 'threw', stack);
}

/**
 * Runs one hook call in a fresh isolate (disposed afterwards: nothing survives between calls):
 * compiles the source as an ES module (no imports resolve), calls its default export with a
 * copy of `input`, awaits the result and returns a copy of it. The isolate has a memory limit;
 * the call is bounded by isolated-vm's timeout for synchronous code and by an outer timer that
 * disposes the isolate, which also ends awaited promises that never settle.
 */
export async function callHook(call: HookCall): Promise<unknown> {
  const { Isolate, Callback, ExternalCopy } = loadIvm();
  const isolate = new Isolate({ memoryLimit: call.memoryMb });
  let disposedByTimer = false;
  const timer = setTimeout(() => {
    disposedByTimer = true;
    if (!isolate.isDisposed) isolate.dispose();
  }, call.timeoutMs + 50);
  try {
    const context = await isolate.createContext();
    const global = context.global;
    await global.set('__bflyLog', new Callback((level: string, message: string) => call.capabilities.log(level === 'warn' || level === 'error' ? level : 'info', String(message).slice(0, 10_000))));
    await global.set('__bflyMetric', new Callback((name: string, value: number) => call.capabilities.metric(String(name), Number(value))));
    const lazies: Lazy[] = [];
    const marked = markLazy(call.input, lazies);
    await global.set(
      '__bflyFetch',
      new Callback((id: number, name: string) => {
        const produce = lazies[id]?.produce[name];
        if (produce === undefined) return undefined;
        const value = produce();
        const transferList = typedArrayBuffers(value);
        return new ExternalCopy(value, { transferList }).copyInto({ release: true, transferIn: transferList.length > 0 });
      }),
    );
    await context.eval(prelude(call.seed, call.now), { timeout: call.timeoutMs });
    const mod = await isolate.compileModule(call.source, { filename: call.filename });
    await mod.instantiate(context, (specifier) => {
      throw new Error(`hooks cannot import modules (${specifier}); everything a hook gets is in its context argument`);
    });
    await mod.evaluate({ timeout: call.timeoutMs });
    const fn = await mod.namespace.get('default', { reference: true });
    if (fn.typeof !== 'function') throw new HookError('the hook must `export default` a function (ctx) => …', 'invalid');
    const transferList = call.transfer === true ? typedArrayBuffers(marked) : [];
    const arg = new ExternalCopy(marked, { transferList }).copyInto({ release: true, transferIn: transferList.length > 0 });
    const hydrate = await global.get('__bflyHydrate', { reference: true });
    await global.delete('__bflyHydrate');
    const ctxRef = await hydrate.apply(undefined, [arg], { timeout: call.timeoutMs, result: { reference: true } });
    return await fn.apply(undefined, [ctxRef.derefInto()], { timeout: call.timeoutMs, result: { copy: true, promise: true } });
  } catch (err) {
    if (err instanceof HookError) throw err;
    throw limitError(err, call, disposedByTimer);
  } finally {
    clearTimeout(timer);
    if (!isolate.isDisposed) isolate.dispose();
  }
}
