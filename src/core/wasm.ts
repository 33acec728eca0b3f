// The few WebAssembly types used here (the project's lib has no DOM types and @types/node 20 none).
/** A WebAssembly memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

const modules = new Map<string, object>();

/**
 * A new instance (with its own memory) of a module embedded as base64 by scripts/wasm.js; the
 * module is compiled once per process (well under a millisecond: a few kilobytes).
 */
export function wasmInstance<T extends object>(base64: string): T & { memory: WasmMemory } {
  let module = modules.get(base64);
  if (module === undefined) {
    module = new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    modules.set(base64, module);
  }
  return new WebAssembly.Instance(module, {}).exports as T & { memory: WasmMemory };
}
