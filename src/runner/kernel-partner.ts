/**
 * A second thread for the numeric kernels (src/ml/wasm): a worker with its own instance of the
 * shared-memory kernels over the caller's memory, driven through a small shared control block
 * with Atomics, not messages (a call is tens of microseconds of work; a message round trip
 * costs about as much). Gradient boosting gives it half the features of each histogram and
 * half the rows of each large partition and gradient pass (src/ml/gbdt.ts).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KernelName, KernelPartner, PartnerFactory } from '../ml/wasm/kernels.js';
import { type WasmMemory, wasmInstanceOver } from '../core/wasm.js';

/** Control block, i32 slots: request number, kernel index (-1: stop), argument count, result, done number, failed, claimed number, ready; f64 arguments from byte 64. */
const REQUEST = 0;
const KERNEL = 1;
const ARGC = 2;
const RESULT = 3;
const DONE = 4;
const FAILED = 5;
const CLAIMED = 6;
const READY = 7;
const ARGS_AT = 64;
const MAX_ARGS = 16;

/**
 * How long (ms) a side spins on the control block before it sleeps in Atomics.wait: the calls of
 * one tree come tens of microseconds apart, and waking a sleeping thread took ~100 µs here (a
 * virtual machine), as long as the call itself. Between trees (the gradients) the worker sleeps.
 */
const SPIN_MS = 20;

/** The kernels a partner runs, by index (the same list on both sides). */
const KERNELS: readonly KernelName[] = ['histogram', 'partition', 'binaryGradients', 'bestSplit', 'scoreTrees', 'softmax', 'classGradients', 'partitionMoving', 'swapBlocks', 'copyBytes', 'addLeaves'];

/** Until the worker says it is ready, a join waits this long before running the call here instead. */
const STARTUP_MS = 10_000;

const WORKER = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, kernels, spinMs } = workerData;
const c = new Int32Array(control);
const a = new Float64Array(control, ${ARGS_AT}, ${MAX_ARGS});
let fns;
try {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  fns = kernels.map((k) => exports[k]);
  Atomics.store(c, ${READY}, 1);
} catch (e) {
  Atomics.store(c, ${FAILED}, 1);
  Atomics.notify(c, ${DONE});
  throw e;
}
const args = [];
let seen = 0;
for (;;) {
  let n = 0;
  let until = 0;
  while (Atomics.load(c, ${REQUEST}) === seen) {
    if ((++n & 1023) !== 0) continue;
    const now = performance.now();
    if (until === 0) until = now + spinMs;
    // asleep until a call comes; only a call (not the wait's timeout) earns a new spin, so an
    // idle partner (a loaded model's, between predictions) costs nothing
    else if (now > until && Atomics.wait(c, ${REQUEST}, seen, 1000) !== 'timed-out') until = 0;
  }
  seen = Atomics.load(c, ${REQUEST});
  const kernel = c[${KERNEL}];
  if (kernel < 0) break;
  if (Atomics.compareExchange(c, ${CLAIMED}, seen - 1, seen) !== seen - 1) continue;
  args.length = c[${ARGC}];
  for (let i = 0; i < args.length; i++) args[i] = a[i];
  try {
    c[${RESULT}] = fns[kernel].apply(null, args) | 0;
  } catch (e) {
    Atomics.store(c, ${FAILED}, 1);
    Atomics.notify(c, ${DONE});
    throw e;
  }
  Atomics.store(c, ${DONE}, seen);
  Atomics.notify(c, ${DONE});
}
`;

/**
 * How many threads model fitting may use: BFLY_THREADS, else the CPUs, at most 4 (queue
 * workers sharing a machine run with BFLY_THREADS=1).
 */
export function fitThreads(): number {
  return Number(process.env.BFLY_THREADS) || Math.min(4, availableParallelism());
}

/** A kernel partner thread when fitting may use two threads or more (see {@link fitThreads}), else undefined (the caller's thread does all). */
export function kernelPartners(): PartnerFactory | undefined {
  return fitThreads() >= 2 ? threadPartner : undefined;
}

/**
 * A {@link KernelPartner} in a worker thread. Should the worker fail to start (or fail), the
 * calls run in the caller's thread on an instance of its own, with the same results: the
 * split of the work does not depend on who does it.
 *
 * @example
 * const k = new Kernels(true);
 * const partner = k.partner(threadPartner);
 */
export const threadPartner: PartnerFactory = (module, memory) => startPartner(module, memory);

/** {@link threadPartner}, with `exited`: resolves (with the exit code) when the worker has stopped. */
export function startPartner(module: object, memory: WasmMemory): KernelPartner & { exited: Promise<number> } {
  const control = new SharedArrayBuffer(ARGS_AT + MAX_ARGS * 8);
  const c = new Int32Array(control);
  const a = new Float64Array(control, ARGS_AT, MAX_ARGS);
  const worker = new Worker(WORKER, { eval: true, execArgv: [], workerData: { module, memory, control, kernels: KERNELS, spinMs: SPIN_MS } });
  worker.unref();
  // a failure is seen through FAILED; without a listener the error would be thrown in this thread
  worker.on('error', () => undefined);
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const startedAt = Date.now();
  let seq = 0;
  let local: Record<KernelName, (...args: number[]) => number | undefined> | null = null;
  /** The worker failed (or never started): every call runs here from then on. */
  let broken = false;
  let pending: { kernel: number; args: readonly number[] } | null = null;
  const runHere = (kernel: number, args: readonly number[]): number => {
    local ??= wasmInstanceOver<Record<KernelName, (...args: number[]) => number | undefined>>(module, memory);
    return (local[KERNELS[kernel]](...args) ?? 0) | 0;
  };
  const close = (): void => {
    if (c[KERNEL] === -1) return;
    c[KERNEL] = -1;
    Atomics.store(c, REQUEST, ++seq);
    Atomics.notify(c, REQUEST);
  };
  return {
    start(fn, args) {
      const kernel = KERNELS.indexOf(fn);
      if (kernel < 0 || args.length > MAX_ARGS) throw new Error(`kernel ${fn} cannot run in a partner thread`);
      if (pending !== null) throw new Error('start() before the previous call was joined');
      pending = { kernel, args };
      if (broken) return;
      c[KERNEL] = kernel;
      c[ARGC] = args.length;
      for (let i = 0; i < args.length; i++) a[i] = args[i];
      Atomics.store(c, REQUEST, ++seq);
      Atomics.notify(c, REQUEST);
    },
    join() {
      if (pending === null) throw new Error('join() without start()');
      const { kernel, args } = pending;
      pending = null;
      if (broken) return runHere(kernel, args);
      // a call the worker has not begun (it is asleep, or still booting) is taken back and run
      // here: waking it would take longer than the call (the split of the work is the same)
      if (Atomics.compareExchange(c, CLAIMED, seq - 1, seq) === seq - 1) {
        if (Atomics.load(c, FAILED) === 1 || (Atomics.load(c, READY) === 0 && Date.now() - startedAt > STARTUP_MS)) {
          broken = true;
          close();
        }
        return runHere(kernel, args);
      }
      let n = 0;
      let until = 0;
      for (;;) {
        const done = Atomics.load(c, DONE);
        if (done === seq) return c[RESULT];
        if (Atomics.load(c, FAILED) === 1) {
          // the worker failed with the call (its partial writes are overwritten by the same values)
          broken = true;
          close();
          return runHere(kernel, args);
        }
        if ((++n & 1023) !== 0) continue;
        const now = performance.now();
        if (until === 0) until = now + SPIN_MS;
        else if (now > until) Atomics.wait(c, DONE, done, 100);
      }
    },
    close,
    exited,
  };
}
