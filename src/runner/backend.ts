import { createRequire } from 'node:module';
import type { Pipeline } from '../core/pipeline.js';

/** True when the pipeline trains a model through the tfjs framework adapter. */
export function usesTfjs(p: Pipeline): boolean {
  return p.blocks.some((b) => {
    const c = b.config as { candidates?: Array<{ model: string }>; model?: string };
    return (b.type === 'model_selection' && (c.candidates ?? []).some((x) => x.model === 'mlp')) || (b.type === 'train' && c.model === 'mlp');
  });
}

/**
 * The compute backend a run of `p` uses (part of its execution key), found without loading
 * any framework: `js` for the native models; `tfjs-node` when the MLP trains and the user has
 * `@tensorflow/tfjs-node` installed, `tfjs-wasm` otherwise.
 */
export function pipelineBackend(p: Pipeline): string {
  if (!usesTfjs(p)) return 'js';
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return 'tfjs-node';
  } catch {
    return 'tfjs-wasm';
  }
}
