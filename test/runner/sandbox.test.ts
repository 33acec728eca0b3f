// The hook sandbox (isolated-vm) against the attack suite: each attack fails with a HookError
// or has no effect, and the host process, its globals and its data are untouched.
import { describe, expect, it } from 'vitest';
import { callHook, type HookCall, HookError, Lazy } from '../../src/runner/hooks/sandbox.js';

const logs: string[] = [];
const metrics: Record<string, number> = {};
const base: Omit<HookCall, 'source'> = {
  filename: 'hooks/test.js',
  input: { x: 1 },
  seed: 42,
  now: Date.UTC(2026, 0, 1),
  memoryMb: 32,
  timeoutMs: 1000,
  capabilities: { log: (_l, m) => logs.push(m), metric: (n, v) => (metrics[n] = v) },
};
const run = (source: string, extra: Partial<HookCall> = {}) => callHook({ ...base, ...extra, source });
const rejects = async (source: string, kind: HookError['kind'], pattern?: RegExp, extra: Partial<HookCall> = {}) => {
  const err = await run(source, extra).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HookError);
  expect((err as HookError).kind).toBe(kind);
  if (pattern) expect((err as HookError).message).toMatch(pattern);
};

describe('hook sandbox', () => {
  it('lazy values are copied in only when read, and can be replaced', async () => {
    let fetched = 0;
    const input = { t: new Lazy({ a: () => (fetched++, Float64Array.from([1, 2])), b: () => (fetched++, ['x']) }, { rows: 2 }) };
    expect(await run('export default (ctx) => ctx.t.rows', { input })).toBe(2);
    expect(fetched).toBe(0);
    expect(await run('export default (ctx) => { const s = ctx.t.a[0] + ctx.t.a[1]; ctx.t.b = 5; return [s, ctx.t.b, Object.keys(ctx.t)]; }', { input })).toEqual([3, 5, ['rows', 'a', 'b']]);
    expect(fetched).toBe(1);
  });

  it('calls the default export with a copy of its input and returns a copy of the result', async () => {
    const input = { col: Float64Array.from([1, 2, 3]), names: ['a', 'b'] };
    const out = (await run('export default (ctx) => { ctx.col[0] = 99; return { sum: ctx.col.reduce((a, b) => a + b, 0), n: ctx.names.length, arr: ctx.col }; }', { input })) as { sum: number; n: number; arr: Float64Array };
    expect(out.sum).toBe(104);
    expect(out.n).toBe(2);
    expect(out.arr).toBeInstanceOf(Float64Array);
    expect(input.col[0]).toBe(1); // the host's copy is unchanged
  });

  it('awaits async hooks; log and metric reach the host', async () => {
    expect(await run("export default async () => { bfly.log('hello', { a: 1 }); console.warn('w'); bfly.metric('custom', 0.5); await null; return 7; }")).toBe(7);
    expect(logs).toEqual(expect.arrayContaining(['hello {"a":1}', 'w']));
    expect(metrics.custom).toBe(0.5);
  });

  it('Math.random is seeded and Date is frozen: the same seed gives the same values', async () => {
    const src = 'export default () => [Math.random(), Math.random(), Date.now(), new Date().toISOString()]';
    const a = (await run(src)) as unknown[];
    const b = (await run(src)) as unknown[];
    const c = (await run(src, { seed: 43 })) as unknown[];
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(c[0]);
    expect(a.slice(2)).toEqual([Date.UTC(2026, 0, 1), '2026-01-01T00:00:00.000Z']);
  });

  it('a hook that throws is reported with its own file and line', async () => {
    const err = (await run('export default () => {\n  const x = 1;\n  throw new Error("boom " + x);\n}').catch((e: unknown) => e)) as HookError;
    expect(err).toBeInstanceOf(HookError);
    expect(err.kind).toBe('threw');
    expect(err.message).toBe('boom 1');
    expect(err.hookStack).toMatch(/hooks\/test\.js:3/);
  });

  it('needs a default export that is a function', async () => {
    await rejects('export const x = 1;', 'invalid', /export default/);
  });

  describe('attacks', () => {
    it('cannot reach the host through constructors or prototype chains', async () => {
      const out = await run(`export default () => [
        typeof this?.constructor?.constructor('return typeof process')(),
        (() => { try { return typeof (function(){}).constructor('return process')(); } catch (e) { return 'threw'; } })(),
        (() => { try { return typeof new Error().constructor.constructor('return require')(); } catch (e) { return 'threw'; } })(),
        typeof Object.getPrototypeOf(async function(){}).constructor('return process'),
      ]`);
      // each escape either finds no `process`/`require` in the isolate or throws trying
      expect(out).toEqual(['undefined', 'threw', 'threw', 'function']);
    });

    it('has only the standard globals plus bfly and console: no require, process, import(), WebAssembly, SharedArrayBuffer, Atomics or timers', async () => {
      const names = (await run('export default () => Object.getOwnPropertyNames(globalThis)')) as string[];
      // (newer V8s add standard built-ins: Iterator on Node 22, Float16Array and the disposables later)
      const allowed = new Set('Iterator Float16Array DisposableStack AsyncDisposableStack SuppressedError AggregateError Array ArrayBuffer BigInt BigInt64Array BigUint64Array Boolean DataView Date Error EvalError Float32Array Float64Array Function Infinity Int16Array Int32Array Int8Array Intl JSON Map Math NaN Number Object Promise Proxy RangeError ReferenceError Reflect RegExp Set String Symbol SyntaxError TypeError URIError Uint16Array Uint32Array Uint8Array Uint8ClampedArray WeakMap WeakSet bfly console decodeURI decodeURIComponent encodeURI encodeURIComponent escape globalThis isFinite isNaN parseFloat parseInt undefined unescape'.split(' '));
      expect(names.filter((n) => !allowed.has(n))).toEqual([]);
      expect(await run('export default () => typeof globalThis.Temporal')).toBe('undefined'); // a clock that would see the real time
      await rejects("export default async () => { await import('node:fs'); }", 'threw');
      await rejects("import fs from 'node:fs';\nexport default () => fs", 'threw', /cannot import/);
    });

    it('an infinite loop, an infinite microtask chain and a never-settling promise hit the time limit', async () => {
      await rejects('export default () => { for (;;) {} }', 'timeout', /time limit of 1 s/);
      // an endless promise chain also allocates: whichever limit it reaches first ends it
      const spin = (await run('export default () => { const spin = () => Promise.resolve().then(spin); return spin(); }').catch((e: unknown) => e)) as HookError;
      expect(spin).toBeInstanceOf(HookError);
      expect(['timeout', 'memory']).toContain(spin.kind);
      await rejects('export default () => new Promise(() => {})', 'timeout');
    }, 20_000);

    it('memory bombs hit the memory limit', async () => {
      await rejects('export default () => { const a = []; for (;;) a.push(new Array(1e5).fill(1)); }', 'memory', /memory limit of 32 MB/, { timeoutMs: 15_000 });
      // string doubling stops at V8's string length limit or the memory limit, inside the isolate
      const err = (await run("export default () => { let s = 'x'; for (;;) s = s + s; }").catch((e: unknown) => e)) as HookError;
      expect(err).toBeInstanceOf(HookError);
      expect(err.message).toMatch(/Invalid string length|memory limit/);
    }, 20_000);

    it('a 1 GB return value is stopped inside the sandbox', async () => {
      const err = (await run('export default () => new Float64Array(134217728)').catch((e: unknown) => e)) as HookError;
      expect(err).toBeInstanceOf(HookError);
      expect(err.message).toMatch(/memory limit|allocation failed|Invalid typed array length/i);
    });

    it('cannot see other calls or runs: every call is a fresh isolate without a file system', async () => {
      await run('export default () => { globalThis.secret = 42; }');
      expect(await run('export default () => [typeof globalThis.secret, typeof globalThis.require, typeof globalThis.process]')).toEqual(['undefined', 'undefined', 'undefined']);
    });

    it('cyclic, getter-throwing and __proto__ results are contained', async () => {
      const cyclic = (await run('export default () => { const a = { n: 1 }; a.self = a; return a; }')) as { n: number; self: unknown };
      expect(cyclic.self).toBe(cyclic);
      await rejects("export default () => ({ get x() { throw new Error('getter'); } })", 'threw', /getter|illegal access/);
      const proto = (await run('export default () => JSON.parse(\'{"__proto__": {"polluted": true}}\')')) as Record<string, unknown>;
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    });

    it('leaves host globals unpolluted and the process alive', async () => {
      await run('export default () => { globalThis.leak = 1; Object.prototype.polluted = 1; Array.prototype.push = null; return 1; }');
      expect((globalThis as Record<string, unknown>).leak).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(typeof [].push).toBe('function');
      // and a fresh isolate per call: the pollution is gone in the next one
      expect(await run('export default () => [typeof globalThis.leak, typeof Array.prototype.push]')).toEqual(['undefined', 'function']);
    });
  });
});

describe('hostile hooks (issue #18, point 7)', () => {
  it('every time and locale source is the frozen, seeded one: no prototype chain or Intl call reaches the real clock, zone or locale', async () => {
    const src = `export default () => ({
      protoNow: typeof Object.getPrototypeOf(Date).now,
      ctorNow: new Date().constructor.now(),
      protoCtorNow: Object.getPrototypeOf(new Date()).constructor.now(),
      dateCall: Date(),
      subclass: new (class extends Date {})().getTime(),
      intlNow: new Intl.DateTimeFormat('en-US', { dateStyle: 'full', timeStyle: 'long', timeZone: 'UTC' }).format(),
      intlParts: new Intl.DateTimeFormat().formatToParts().map((p) => p.value).join(''),
      zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      offset: new Date().getTimezoneOffset(),
      local: new Date(2020, 5, 1, 12).toISOString(),
      localeString: new Date().toLocaleString(),
      number: (1234.5).toLocaleString(),
      locale: new Intl.NumberFormat().resolvedOptions().locale,
      collate: ['b', 'a', 'B', 'ä'].sort(new Intl.Collator().compare).join(''),
    })`;
    const out = (await run(src)) as Record<string, unknown>;
    expect(out).toMatchObject({
      protoNow: 'undefined',
      ctorNow: base.now,
      protoCtorNow: base.now,
      subclass: base.now,
      zone: 'UTC',
      offset: 0,
      local: '2020-06-01T12:00:00.000Z',
      number: '1,234.5',
      locale: 'en-US',
      localeString: '1/1/2026, 12:00:00 AM',
    });
    expect(out.dateCall).toMatch(/^Thu Jan 01 2026 00:00:00 GMT\+0000/);
    expect(out.intlNow).toMatch(/Thursday, January 1, 2026 at 12:00:00 AM UTC/);
    expect(out.intlParts).toBe('1/1/2026');
    // the same in a host started under another zone and locale: the sandbox does not inherit them
    const { closeHookHost } = await import('../../src/runner/hooks/sandbox.js');
    const saved = { TZ: process.env.TZ, LANG: process.env.LANG, LC_ALL: process.env.LC_ALL };
    closeHookHost();
    Object.assign(process.env, { TZ: 'Asia/Tokyo', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' });
    try {
      expect(await run(src)).toEqual(out);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      closeHookHost();
    }
  });

  it('no host helper is reachable from module top level or the hook', async () => {
    const src = `const top = Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith('__bfly'));
      export default () => [top, Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith('__bfly')), typeof globalThis.__bflyHydrate];`;
    expect(await run(src)).toEqual([[], [], 'undefined']);
  });

  it('a log flood is cut in the isolate at the call limit, once, and the host receives at most the limit', async () => {
    const got: string[] = [];
    let truncated = 0;
    const capabilities = { log: (_l: string, m: string) => got.push(m), metric: () => {}, truncated: () => truncated++ };
    const t0 = performance.now();
    const out = await run("export default () => { for (let i = 0; i < 100000; i++) bfly.log('A'.repeat(10000)); return 'done'; }", { capabilities, logLimit: { bytes: 200_000, lines: 1000 }, timeoutMs: 10_000 });
    expect(out).toBe('done');
    expect(truncated).toBe(1);
    expect(got.length).toBe(20); // 20 lines of 10,000 fill 200,000 bytes
    expect(got.reduce((n, m) => n + m.length, 0)).toBeLessThanOrEqual(200_000);
    expect(performance.now() - t0).toBeLessThan(10_000);
  }, 20_000);

  it('a hook that exhausts its memory in a way V8 cannot recover from kills only the sandbox process; the next call works', async () => {
    for (let i = 0; i < 3; i++) {
      // a generous time limit: this is about memory, and near its limit V8 collects garbage for a
      // while, which a machine busy with other work stretches past the usual 1 s
      await rejects('export default () => { const m = new Map(); for (let i = 0; ; i++) m.set(i, String(i)); }', 'memory', /memory limit of 32 MB/, { timeoutMs: 20_000 });
      expect(await run('export default () => 1 + 1')).toBe(2);
    }
  }, 60_000);

  it('bfly.metric refuses names that are not metric names', async () => {
    await rejects("export default () => bfly.metric('\\u001b[31mred', 1)", 'threw', /not a metric name/);
    await rejects("export default () => { for (let i = 0; i < 2000; i++) bfly.metric('m' + i, i); }", 'threw', /at most 1000 metrics/);
  });
});

describe('hook templates (templates/hooks/)', () => {
  it('each template runs as shipped and returns what its kind may return', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { REPO } = await import('../helpers.js');
    const src = (f: string) => readFileSync(join(REPO, 'templates', 'hooks', f), 'utf8');
    const input = { stage: 'evaluate', inputs: { train: { rows: 3 } }, outputs: { predictions: { row: [1, 2, 3] } } };
    expect(await run(src('before.js'), { input })).toBeUndefined();
    expect(await run(src('after.js'), { input })).toBeUndefined();
    expect(metrics.test_rows).toBe(3);
    expect(await run(src('override.js'), { input })).toEqual({ outputs: { selection: { model: 'random_forest', params: { n_estimators: 200 } } } });
  });
});
