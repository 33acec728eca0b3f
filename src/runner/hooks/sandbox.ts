import { type ChildProcess, spawn } from 'node:child_process';
import { SANDBOX_PACKAGES, TESTED_NODES } from '../../store/sandbox-package.js';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { deserialize, serialize } from 'node:v8';
import { BflyError } from '../../core/errors.js';
import { packageRoot } from '../../store/package-root.js';
import type { HostCall, HostFailure } from './host.js';
import { PAYLOAD_MIN_BYTES, readPayload, typedBytes, writePayload } from './payload.js';

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
  /** The call's log went over its limit: later lines of this call are dropped (called once). */
  truncated?(limit: { bytes: number; lines: number }): void;
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
  /** Log lines and bytes one call may write (default {@link HOOK_LOG_LIMIT}); more are dropped, counted in the isolate. */
  logLimit?: { bytes: number; lines: number };
  /** Only check the hook: compile it, run its top level, check its default export; call nothing. */
  checkOnly?: boolean;
  /** Aborting it ends the call at once: the sandbox process is killed (a new one serves the next call). */
  signal?: AbortSignal;
  capabilities: HookCapabilities;
}

/** What one hook call may log by default. */
export const HOOK_LOG_LIMIT = { bytes: 1 << 20, lines: 10_000 } as const;

/** Why a hook failed: it threw, or it exceeded a limit. */
export class HookError extends Error {
  constructor(
    message: string,
    readonly kind: 'threw' | 'timeout' | 'memory' | 'invalid' | 'cancelled',
    readonly hookStack?: string,
  ) {
    super(message);
    this.name = 'HookError';
  }
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

/** Path of the hook host script: the CLI's bundle when built, else the compiled module. */
function hostScript(): string {
  const bundled = join(packageRoot(), 'dist', 'cli', 'hook-host.cjs');
  return existsSync(bundled) ? bundled : join(packageRoot(), 'dist', 'runner', 'hooks', 'host.js');
}

/** Reads `[u32 length][v8 payload]` frames from a stream (chunks are joined once per frame). */
class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The length of the frame being read, once its 4 bytes are in. */
  private need = -1;
  constructor(private readonly onFrame: (msg: Record<string, unknown>) => void) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need === -1) {
        if (this.buffered < 4) return;
        if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
        this.need = this.chunks[0].readUInt32LE(0);
      }
      if (this.buffered < 4 + this.need) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
      const msg = deserialize(all.subarray(4, 4 + this.need)) as Record<string, unknown>;
      const rest = all.subarray(4 + this.need);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.need = -1;
      this.onFrame(msg);
    }
  }
}

interface Pending {
  id: number;
  /** Undoes what the call attached (its abort listener). */
  cleanup: () => void;
  call: HookCall;
  lazies: Lazy[];
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * A child process that runs hook calls (see host.ts), started on the first call and reused;
 * a new one replaces it after it dies (a hook over its memory limit, a crash, a kill).
 * While no call is running it does not keep the bfly process alive.
 */
class HookHost {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private pending: Pending | null = null;
  private stderr = '';
  private nextId = 1;

  private payloadDir: string | null = null;

  /** The private folder (0700; tmpfs where there is one) for payload files, made on first use and removed at exit. */
  private payloads(): string {
    if (this.payloadDir !== null) return this.payloadDir;
    let base = tmpdir();
    try {
      accessSync('/dev/shm', constants.W_OK);
      base = '/dev/shm';
    } catch {
      /* no tmpfs: the system temp folder */
    }
    const dir = mkdtempSync(join(base, 'bfly-hooks-'));
    this.payloadDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  private start(): Promise<void> {
    const env: NodeJS.ProcessEnv = { BFLY_HOOK_HOST: '1', BFLY_HOOK_PAYLOADS: this.payloads(), TZ: 'UTC', LC_ALL: 'C', LANG: 'C' };
    if (process.env.NODE_ICU_DATA !== undefined) env.NODE_ICU_DATA = process.env.NODE_ICU_DATA;
    const child = spawn(process.execPath, ['--no-node-snapshot', hostScript()], { stdio: ['ignore', 'ignore', 'pipe', 'ipc', 'pipe', 'pipe'], serialization: 'advanced', env });
    this.child = child;
    this.stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-4000);
    });
    const ready = new Promise<void>((resolve, reject) => {
      const reader = new FrameReader((msg) => {
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'fatal') reject(sandboxMissing(String(msg.message)));
        else this.onFrame(msg);
      });
      (child.stdio[4] as Readable).on('data', (d: Buffer) => reader.push(d));
      child.once('error', (err) => reject(sandboxMissing(err.message)));
      child.once('exit', (code, signal) => {
        if (this.child === child) {
          this.child = null;
          this.ready = null;
        }
        reject(sandboxMissing(`the hook host exited (${signal ?? code}) before it was ready: ${this.stderr.trim().split('\n').at(-1) ?? ''}`));
        this.onExit(code, signal);
      });
    });
    return ready;
  }

  private idle(child: ChildProcess): void {
    child.unref();
    child.channel?.unref();
    for (const s of [...(child.stdio as unknown as unknown[]).slice(2)]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  }

  private busy(child: ChildProcess): void {
    child.ref();
    child.channel?.ref();
    for (const s of [...(child.stdio as unknown as unknown[]).slice(2)]) (s as unknown as { ref?: () => void } | null)?.ref?.();
  }

  private onFrame(msg: Record<string, unknown>): void {
    const p = this.pending;
    if (p === null || msg.id !== p.id) return;
    const caps = p.call.capabilities;
    if (msg.type === 'log') caps.log(msg.level as 'info' | 'warn' | 'error', String(msg.message));
    else if (msg.type === 'metric') caps.metric(String(msg.name), Number(msg.value));
    else if (msg.type === 'truncated') caps.truncated?.(p.call.logLimit ?? HOOK_LOG_LIMIT);
    else if (msg.type === 'fetch') {
      let value: unknown;
      try {
        value = p.lazies[msg.lazy as number]?.produce[msg.name as string]?.();
      } catch {
        value = undefined;
      }
      const body = serialize(typedBytes(value) >= PAYLOAD_MIN_BYTES ? { file: writePayload(this.payloads(), value) } : { value });
      const head = Buffer.allocUnsafe(4);
      head.writeUInt32LE(body.length, 0);
      const out = (this.child?.stdio as unknown as unknown[] | undefined)?.[5] as Writable | undefined;
      out?.write(head);
      out?.write(body);
    } else if (msg.type === 'result') {
      this.settle();
      if (msg.ok === true) {
        try {
          p.resolve(typeof msg.file === 'string' ? readPayload(msg.file) : msg.value);
        } catch (err) {
          p.reject(new HookError(`could not read the hook's result back: ${(err as Error).message}`, 'threw'));
        }
      }
      else {
        const f = msg.failure as HostFailure;
        // after a memory failure the host exits (V8 may not recover): the next call starts a new one
        if (f.kind === 'memory') this.close();
        p.reject(new HookError(f.message, f.kind, f.stack));
      }
    }
  }

  private settle(): void {
    const p = this.pending;
    if (p === null) return;
    clearTimeout(p.timer);
    p.cleanup();
    this.pending = null;
    if (this.child !== null) this.idle(this.child);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const p = this.pending;
    if (p === null) return;
    this.settle();
    const oom = /heap out of memory|heap_oom|Last few GCs|allocation failed|memory limit/i.test(this.stderr);
    if (oom || signal === 'SIGSEGV' || signal === 'SIGABRT' || signal === 'SIGBUS' || signal === 'SIGTRAP') {
      p.reject(new HookError(`exceeded its memory limit of ${p.call.memoryMb} MB (the sandbox process ${oom ? 'ran out of memory' : `crashed with ${signal}`}; bfly itself is unaffected)`, 'memory'));
    } else p.reject(new HookError(`the sandbox process ended while running it (${signal ?? `exit code ${code}`})`, 'threw'));
  }

  /** Runs one call in the host (one at a time; callers await each call). */
  async call(call: HookCall): Promise<unknown> {
    if (this.pending !== null) throw new Error('one hook call at a time');
    if (this.child === null || this.ready === null) this.ready = this.start();
    const child = this.child!;
    // held open while a call runs (or the host starts); an idle host never keeps bfly alive
    this.busy(child);
    try {
      await this.ready;
    } catch (err) {
      this.idle(child);
      throw err;
    }
    const lazies: Lazy[] = [];
    const input = markLazy(call.input, lazies);
    const id = this.nextId++;
    if (call.signal?.aborted) {
      this.idle(child);
      throw new HookError('stopped: the run was cancelled or timed out', 'cancelled');
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (this.pending?.id !== id) return;
        this.settle();
        this.close();
        reject(new HookError('stopped: the run was cancelled or timed out', 'cancelled'));
      };
      call.signal?.addEventListener('abort', onAbort, { once: true });
      // The isolate enforces the limits; this only catches a host that stopped answering.
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.settle();
        child.kill('SIGKILL');
        reject(new HookError(`exceeded its time limit of ${call.timeoutMs / 1000} s`, 'timeout'));
      }, call.timeoutMs + 5000);
      this.pending = { id, call, lazies, resolve, reject, timer, cleanup: () => call.signal?.removeEventListener('abort', onAbort) };
      const msg: HostCall = { type: 'call', id, source: call.source, filename: call.filename, input, transfer: call.transfer === true, seed: call.seed, now: call.now, memoryMb: call.memoryMb, timeoutMs: call.timeoutMs, logLimit: call.logLimit ?? HOOK_LOG_LIMIT, checkOnly: call.checkOnly };
      child.send(msg, (err) => {
        if (err !== null && err !== undefined && this.pending?.id === id) {
          this.settle();
          reject(new HookError(`could not reach the sandbox process: ${err.message}`, 'threw'));
        }
      });
    });
  }

  /** Stops the host (a later call starts a new one). */
  close(): void {
    const child = this.child;
    this.child = null;
    this.ready = null;
    child?.kill('SIGKILL');
  }

  /** Stops the host and removes its payload folder. */
  dispose(): void {
    this.close();
    if (this.payloadDir !== null) rmSync(this.payloadDir, { recursive: true, force: true });
    this.payloadDir = null;
  }
}

function sandboxMissing(why: string): BflyError {
  return new BflyError('infra', 'SANDBOX_MISSING', `hooks run in isolated-vm, which did not start on Node ${process.version}: ${why}`, {
    hint: `the sandbox is tested on Node ${TESTED_NODES.join(', ')}: run \`npm ci\` for bfly with the Node you use (it installs the isolated-vm that fits: ${SANDBOX_PACKAGES.map((p) => `${p.name} for Node ${p.nodes}`).join('; ')}), or remove the hooks`,
  });
}

let host: HookHost | null = null;

/**
 * Runs one hook call in the sandbox: a fresh isolate (disposed afterwards: nothing survives
 * between calls) inside the hook host process, never in this one. Compiles the source as an ES
 * module (no imports resolve), calls its default export with a copy of `input` (lazy parts
 * fetched on first read), awaits the result and returns a copy of it. A hook that exhausts its
 * memory, or crashes the host, fails with a {@link HookError}; this process carries on.
 */
export async function callHook(call: HookCall): Promise<unknown> {
  host ??= new HookHost();
  return host.call(call);
}

/** Stops the hook host process, if one is running (tests, benchmarks, long-lived embedders). */
export function closeHookHost(): void {
  host?.dispose();
  host = null;
}

/** Why a hook cannot run, with where in its source (1-based), from {@link checkHook}. */
export interface HookCheckFailure {
  message: string;
  line: number | null;
  column: number | null;
}

/**
 * Checks a hook without calling it: compiles its source as a module in the sandbox, runs its top
 * level, and checks that its default export is a function. Null when it is fine, else the
 * syntax error or problem with its line and column in `filename`.
 */
export async function checkHook(source: string, filename: string): Promise<HookCheckFailure | null> {
  try {
    await callHook({ source, filename, input: null, seed: 0, now: 0, memoryMb: 64, timeoutMs: 2000, capabilities: { log() {}, metric() {} }, checkOnly: true });
    return null;
  } catch (err) {
    if (!(err instanceof HookError)) throw err;
    const where = /\[(?:.*):(\d+):(\d+)\]\s*$/.exec(err.message) ?? new RegExp(`${filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`).exec(err.hookStack ?? '');
    const message = err.message.replace(/\s*\[[^\]]*:\d+:\d+\]\s*$/, '');
    const syntax = (err.hookStack ?? '').startsWith('SyntaxError');
    return { message: syntax ? `SyntaxError: ${message}` : message, line: where === null ? null : Number(where[1]), column: where === null ? null : Number(where[2]) };
  }
}
