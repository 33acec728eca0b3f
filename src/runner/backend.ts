import { createRequire } from 'node:module';
import type { Pipeline } from '../core/pipeline.js';
import { adapterModel } from '../core/adapter-model.js';
import { PolicyError } from '../core/errors.js';
import { readConfigSync } from '../store/hooks.js';
import type { WorkspaceConfig } from '../core/config.js';
import type { RunFrameworks } from '../store/snapshot.js';
import { frameworkVersions, pythonInterpreter } from './adapters/python.js';

/** True when the pipeline trains a model through the tfjs framework adapter. */
export function usesTfjs(p: Pipeline): boolean {
  return p.blocks.some((b) => {
    const c = b.config as { candidates?: Array<{ model: string }>; model?: string };
    return (b.type === 'model_selection' && (c.candidates ?? []).some((x) => x.model === 'mlp')) || (b.type === 'train' && c.model === 'mlp');
  });
}

/** The adapter models (`sklearn:…`, `xgboost:…`) a pipeline names. */
export function adapterModels(p: Pipeline): string[] {
  const names = p.blocks.flatMap((b) => {
    const c = b.config as { candidates?: Array<{ model: string }>; model?: string };
    return b.type === 'model_selection' ? (c.candidates ?? []).map((x) => x.model) : b.type === 'train' && typeof c.model === 'string' ? [c.model] : [];
  });
  return [...new Set(names.filter((n) => adapterModel(n) !== null))];
}

/** Whether a model class matches one of the `frameworks.allowed` patterns (`sklearn.*`, `xgboost.XGBClassifier`). */
function allowed(spec: string, patterns: readonly string[]): boolean {
  const a = adapterModel(spec)!;
  const name = `${a.module}.${a.cls}`;
  return patterns.some((g) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(name));
}

/**
 * In the `enterprise` profile, refuses (policy) adapter models whose class matches none of the
 * `frameworks.allowed` patterns: to train them, and to load them (a pickle runs the class's code).
 */
export function assertFrameworksAllowed(config: WorkspaceConfig, specs: readonly string[]): void {
  if (config.profile !== 'enterprise') return;
  const patterns = config.frameworks?.allowed ?? [];
  const refused = specs.filter((a) => !allowed(a, patterns));
  if (refused.length > 0) {
    throw new PolicyError('FRAMEWORK_NOT_ALLOWED', `the enterprise profile does not allow ${refused.join(', ')}${patterns.length === 0 ? ' (no framework classes are allowed)' : ` (allowed: ${patterns.join(', ')})`}`, {
      hint: 'an administrator can allow it: add a pattern such as sklearn.ensemble.* to frameworks.allowed in .butterfly/config.yaml',
      data: { refused },
    });
  }
}

/**
 * The compute backend a run of `p` uses (part of its execution key), found without loading
 * any framework: `js` for the native models; `tfjs-node` when the MLP trains and the user has
 * `@tensorflow/tfjs-node` installed, `tfjs-wasm` otherwise; with adapter models, `+python-…`
 * and each framework's version, so another scikit-learn is another run. Adapter models a
 * workspace of the `enterprise` profile does not allow (`frameworks.allowed`) are refused here,
 * before a run folder exists.
 */
export function pipelineBackend(p: Pipeline, root?: string): string | { backend: string; frameworks: RunFrameworks | null } {
  let base: string;
  if (!usesTfjs(p)) base = 'js';
  else {
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
      base = 'tfjs-node';
    } catch {
      base = 'tfjs-wasm';
    }
  }
  const adapters = adapterModels(p);
  if (adapters.length === 0) return base;
  const config = root === undefined ? null : readConfigSync(root);
  if (config !== null) assertFrameworksAllowed(config, adapters);
  const interpreter = pythonInterpreter(config?.frameworks?.python);
  const versions: Record<string, string> = {};
  for (const a of adapters) Object.assign(versions, frameworkVersions(interpreter, adapterModel(a)!));
  const order = ['python', 'numpy', 'sklearn', 'xgboost'].filter((k) => versions[k] !== undefined);
  return { backend: `${base}+${order.map((k) => `${k}-${versions[k]}`).join('+')}`, frameworks: { interpreter, versions } };
}
