import type * as Tf from '@tensorflow/tfjs';

/** A loaded TensorFlow.js and the backend it runs on (recorded in a run's env). */
export interface TfRuntime {
  tf: typeof Tf;
  backend: 'tfjs-node' | 'tfjs-wasm';
}

let runtime: Promise<TfRuntime> | null = null;

/**
 * Loads TensorFlow.js once, lazily (it costs ~600 ms): `@tensorflow/tfjs-node` when the user has
 * it installed, else `@tensorflow/tfjs` on the WebAssembly backend (offline, one thread, so
 * results are deterministic).
 */
export function loadTfjs(): Promise<TfRuntime> {
  runtime ??= (async () => {
    const nodeBinding = '@tensorflow/tfjs-node';
    try {
      const tf = (await import(nodeBinding)) as typeof Tf;
      await tf.ready();
      return { tf, backend: 'tfjs-node' as const };
    } catch {
      const tf = await import('@tensorflow/tfjs');
      await import('@tensorflow/tfjs-backend-wasm');
      await tf.setBackend('wasm');
      await tf.ready();
      return { tf, backend: 'tfjs-wasm' as const };
    }
  })();
  return runtime;
}
