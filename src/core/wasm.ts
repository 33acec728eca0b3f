// The few WebAssembly types used here (the project's lib has no DOM types and @types/node 20 none).
/** A WebAssembly memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
};

const modules = new Map<string, object>();

/** The compiled module of `base64` (compiled once per process). */
export function wasmModule(base64: string): object {
  let module = modules.get(base64);
  if (module === undefined) {
    module = new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    modules.set(base64, module);
  }
  return module;
}

/** A shared memory of one 64 KiB page that can grow to 4 GiB (its buffer is a SharedArrayBuffer). */
export function sharedMemory(): WasmMemory {
  return new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
}

/**
 * An instance of a module that imports its memory as env.memory (scripts/wasm.js builds such
 * variants) over `memory`: instances in several threads over one shared memory run together.
 */
export function wasmInstanceOver<T extends object>(module: object, memory: WasmMemory): T {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as T;
}

/**
 * A new instance (with its own memory) of a module embedded as base64 by scripts/wasm.js; the
 * module is compiled once per process (well under a millisecond: a few kilobytes).
 */
export function wasmInstance<T extends object>(base64: string): T & { memory: WasmMemory } {
  return new WebAssembly.Instance(wasmModule(base64), {}).exports as T & { memory: WasmMemory };
}
