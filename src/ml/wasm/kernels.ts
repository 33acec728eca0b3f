import { KERNELS_WASM } from './kernels.generated.js';

/** The instantiated kernels of kernels.wat and views of their memory. */
export interface Kernels {
  /** See `dense` in kernels.wat (byte offsets into the memory). */
  dense(x: number, rows: number, inputs: number, w: number, b: number, outputs: number, out: number, relu: number): void;
  /** A float64 view of the whole memory, at least `bytes` long (the memory grows as needed). */
  f64(bytes: number): Float64Array;
}

// The few WebAssembly types used here (the project's lib has no DOM types and @types/node 20 none).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

let kernels: Kernels | null = null;

/**
 * The WebAssembly kernels, compiled on first use (under a millisecond; the module is a few
 * hundred bytes, embedded at build time). One instance per thread; calls are synchronous.
 */
export function wasmKernels(): Kernels {
  if (kernels !== null) return kernels;
  const bytes = Uint8Array.from(atob(KERNELS_WASM), (c) => c.charCodeAt(0));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const exports = instance.exports as unknown as { memory: WasmMemory; dense: Kernels['dense'] };
  const memory = exports.memory;
  let view = new Float64Array(memory.buffer);
  kernels = {
    dense: exports.dense,
    f64(need: number): Float64Array {
      if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
      if (view.buffer !== memory.buffer) view = new Float64Array(memory.buffer);
      return view;
    },
  };
  return kernels;
}
