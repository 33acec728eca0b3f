import { KERNELS_SHARED_WASM, KERNELS_WASM } from './kernels.generated.js';
import { type WasmMemory, sharedMemory, wasmInstance, wasmInstanceOver, wasmModule } from '../../core/wasm.js';

/** The functions of kernels.wat (all pointers are byte offsets into the instance's memory). */
export interface KernelFunctions {
  dense(x: number, rows: number, inputs: number, w: number, b: number, outputs: number, out: number, relu: number): void;
  histogram(rows: number, start: number, end: number, bins: number, d: number, f0: number, f1: number, gh: number, hist: number, counted: number): void;
  partition(rows: number, start: number, end: number, col: number, table: number, scratch: number, gh: number, sums: number): number;
  partitionMoving(start: number, end: number, rows: number, bins: number, stride: number, feature: number, table: number, gh: number, sRows: number, sBins: number, sGh: number, sums: number): number;
  swapBlocks(from: number, mid: number, to: number, tmp: number): void;
  copyBytes(dst: number, src: number, n: number): void;
  startRows(rows: number, gh: number, n: number, out: number): void;
  addLeaves(rows: number, raw: number, list: number, from: number, to: number): void;
  bestSplit(hist: number, d: number, nbins: number, count: number, G: number, H: number, lambda: number, minLeaf: number, minHess: number, countAt: number, out: number): number;
  subtract(a: number, b: number, n: number): void;
  binaryGradients(raw: number, y: number, from: number, to: number, gh: number): void;
  softmax(raw: number, n: number, k: number, from: number, to: number, probs: number): void;
  classGradients(p: number, y: number, c: number, from: number, to: number, gh: number): void;
  scoreTrees(table: number, trees: number, x: number, rows: number, d: number, k: number, out: number, scratch: number, counter: number, chunk: number): number;
  sortF64(v: number, n: number, tmp: number, counts: number): void;
  binValues(x: number, n: number, stride: number, edges: number, out: number): void;
  scores(x: number, n: number, d: number, w: number, b: number, k: number, out: number): void;
  gradient(x: number, n: number, d: number, r: number, k: number, out: number): void;
  classes(s: number, n: number, k: number, out: number): void;
  logisticBinary(x: number, n: number, d: number, y: number, w: number, b: number, g: number, sums: number): number;
  leaves(nodes: number, x: number, rows: number, d: number, out: number): void;
}

/** A kernel's name. */
export type KernelName = keyof KernelFunctions;

/**
 * A second thread running the kernels over the same shared memory (see {@link Kernels.partner}):
 * `start` begins one call there and returns at once, `join` waits for it and returns its
 * result (as an i32), `close` lets the thread go.
 */
export interface KernelPartner {
  start(fn: KernelName, args: readonly number[]): void;
  join(): number;
  close(): void;
}

/**
 * Makes a {@link KernelPartner} in another thread for `memory`, running its own instance of
 * `module` (the kernels built with an imported shared memory). src/ml has no threads: the
 * runner passes one (src/runner/kernel-partner.ts).
 */
export type PartnerFactory = (module: object, memory: WasmMemory) => KernelPartner;

/**
 * An instance of the kernels with its own memory, laid out once by the caller: `alloc` reserves
 * aligned regions and returns their byte offsets; `f64`, `i32` and `u8` then give views of the
 * memory. Views made before an `alloc` that grows the memory are detached: allocate first.
 * The functions are `fn` (e.g. `k.fn.histogram(...)`).
 */
export class Kernels {
  readonly fn: KernelFunctions;
  private readonly memory: WasmMemory;
  private top = 0;

  /**
   * `shared`: the memory is a shared one (it can grow to 4 GiB; views of it stay valid when it
   * grows) that a {@link partner} thread works on too.
   */
  constructor(private readonly shared = false) {
    if (shared) {
      this.memory = sharedMemory();
      this.fn = wasmInstanceOver<KernelFunctions>(wasmModule(KERNELS_SHARED_WASM), this.memory);
    } else {
      const exports = wasmInstance<KernelFunctions>(KERNELS_WASM);
      this.fn = exports;
      this.memory = exports.memory;
    }
  }

  /**
   * A partner for this instance: in another thread made by `factory` (shared memory only), or
   * without one this thread, which runs the started call when it is joined. Work split between
   * a caller and its partner thus gives the same results with either.
   */
  partner(factory?: PartnerFactory): KernelPartner {
    if (factory !== undefined && this.shared) return factory(wasmModule(KERNELS_SHARED_WASM), this.memory);
    let call: { fn: KernelName; args: readonly number[] } | null = null;
    return {
      start: (fn, args) => {
        call = { fn, args };
      },
      join: () => {
        if (call === null) throw new Error('join() without start()');
        const { fn, args } = call;
        call = null;
        return ((this.fn[fn] as (...a: number[]) => number | undefined)(...args) ?? 0) | 0;
      },
      close: () => undefined,
    };
  }

  /** Frees everything allocated (the memory stays; views stay valid until the next alloc grows it). */
  reset(): void {
    this.top = 0;
  }

  /** Reserves `bytes` (64-byte aligned) and returns its offset. */
  alloc(bytes: number): number {
    const at = this.top;
    this.top += Math.ceil(bytes / 64) * 64;
    const memory = this.memory;
    if (memory.buffer.byteLength < this.top) memory.grow(Math.ceil((this.top - memory.buffer.byteLength) / 65536));
    return at;
  }

  f64(at: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, at, length);
  }

  i32(at: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, length);
  }

  u8(at: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, at, length);
  }
}
