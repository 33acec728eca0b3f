import { BflyError } from '../../core/errors.js';
import { printable } from '../../core/printable.js';
import { BLOCKS, type BlockSpec, type HookKind } from '../../core/pipeline.js';
import { writeEvaluation } from '../blocks/evaluate.js';
import type { BlockContext } from '../context.js';
import type { LeaderboardSlot, PartSlot, PredictionsSlot, SelectionSlot } from '../slots.js';
import { HookError, callHook } from './sandbox.js';
import { WRITABLE_SLOTS, slotToView, viewToSlot } from './views.js';

/** Stages that apply the data chain themselves: their hooks see the model's input columns. */
const MODEL_STAGES: ReadonlySet<string> = new Set(['model_selection', 'train', 'evaluate', 'explain']);

/** Default limits of one hook call. */
export const HOOK_DEFAULTS = { timeoutMs: 10_000, memoryMb: 128 } as const;

/** What all the hooks of one run may log together; one call may log {@link HOOK_LOG_LIMIT}. */
export const RUN_LOG_LIMIT = { bytes: 4 << 20, lines: 50_000 } as const;

/** A run's budget of hook log lines and bytes, shared by every hook call of the run. */
export class LogBudget {
  private bytes = 0;
  private lines = 0;
  /** Set once the run's limit is reached. */
  exhausted = false;

  constructor(readonly limit: { bytes: number; lines: number } = RUN_LOG_LIMIT) {}

  /** True when `message` fits (and counts it); false once the limit is reached. */
  take(message: string): boolean {
    if (this.exhausted) return false;
    if (this.lines + 1 > this.limit.lines || this.bytes + message.length > this.limit.bytes) {
      this.exhausted = true;
      return false;
    }
    this.lines++;
    this.bytes += message.length;
    return true;
  }
}

/** Hook metrics live in their own namespace: `bfly.metric('accuracy', 1)` is `hook.accuracy`, never the computed accuracy. */
export const HOOK_METRIC_PREFIX = 'hook.';

/** A metric name a hook may report: letters, digits, `_`, `.`, `-`, starting with a letter or `_`, at most 64. */
export function isHookMetricName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(name);
}

/** A hook as the engine runs it: frozen source and limits. */
export interface RunnableHook {
  id: string;
  kind: HookKind;
  source: string;
  /** Where the source came from (the workspace file, or `inline`): shown in stacks. */
  origin: string;
  timeoutMs: number;
  memoryMb: number;
}

/** What the engine gives {@link runBlockWithHooks}. */
export interface HookedBlock {
  ctx: BlockContext;
  hooks: RunnableHook[];
  executor: (ctx: BlockContext) => void | Promise<void>;
  /** Writes a slot (checked against the block type's declaration). */
  write: (slot: string, value: unknown) => void;
  /** What the block wrote so far. */
  written: Map<string, unknown>;
  /** The run's fixed clock for hooks. */
  now: number;
  emitHook: (e: { type: 'hook_started'; hook: string } | { type: 'hook_finished'; hook: string; durationMs: number; ok: boolean }) => void;
  /** Metrics hooks report (`bfly.metric` or an after hook's `metrics`), as `hook.<name>`. */
  metrics: Record<string, number>;
  /** The run's log budget (shared by every block's hooks). */
  logBudget: LogBudget;
  /** Aborting it stops a hook call at once (its sandbox process is killed): a time limit passed. */
  signal?: AbortSignal;
  /** Tells that hook logs were cut (one call's, or the run's). */
  emitTruncated: (e: { hook: string; scope: 'hook' | 'run'; limitBytes: number; limitLines: number }) => void;
}

function hookFailure(h: RunnableHook, raw: unknown): BflyError {
  if (raw instanceof BflyError) return raw;
  // what the hook threw is user text: escaped before it reaches a terminal, a log or run.json
  const err = raw instanceof HookError ? new HookError(printable(raw.message), raw.kind, raw.hookStack === undefined ? undefined : printable(raw.hookStack, { newlines: true })) : raw;
  if (err instanceof HookError) {
    const limit = err.kind === 'timeout' ? `; raise \`timeoutMs\` in the hook entry (now ${h.timeoutMs})` : err.kind === 'memory' ? `; raise \`memoryMb\` in the hook entry (now ${h.memoryMb})` : '';
    const where = err.hookStack?.split('\n').find((l) => l.includes(h.origin === 'inline' ? h.id : h.origin))?.trim();
    return new BflyError('user_code', err.kind === 'timeout' ? 'HOOK_TIMEOUT' : err.kind === 'memory' ? 'HOOK_MEMORY' : 'HOOK_FAILED', `hook ${h.id} ${err.kind === 'threw' || err.kind === 'invalid' ? `failed: ${err.message}` : err.message}${where ? ` (${where.replace(/^at /, '')})` : ''}`, {
      hint: limit ? `make the hook cheaper${limit}` : `fix ${h.origin === 'inline' ? 'the inline code' : h.origin}; its stack is in the run's logs/error.log`,
      data: { hook: h.id, stack: err.hookStack },
    });
  }
  return new BflyError('user_code', 'HOOK_FAILED', `hook ${h.id} failed: ${printable(err instanceof Error ? err.message : String(err))}`, { data: { hook: h.id } });
}

/**
 * Runs a block with its hooks, in declaration order: each `before_` hook sees copies of the
 * block's inputs and config and may return `{ inputs, config }` to change them; an `override_`
 * hook replaces the block and must return `{ outputs }` with what the block writes; each
 * `after_` hook sees inputs and outputs and may return `{ outputs, metrics }`. Every value a hook
 * returns is checked before it is used; a hook error fails the block as `user_code`.
 */
export async function runBlockWithHooks(b: HookedBlock): Promise<void> {
  const { ctx, hooks } = b;
  const info = BLOCKS[ctx.block.type];
  const inputs = new Map<string, unknown>();
  let block: BlockSpec = ctx.block;
  const readIn = <T>(slot: string): T | undefined => (inputs.has(slot) ? (inputs.get(slot) as T) : ctx.readOptional<T>(slot));
  // The class labels, from whichever table this stage reads (or wrote).
  const classes = (): string[] => {
    for (const slot of ['train', 'test', 'dataset']) {
      const v = (info.reads.includes(slot) ? readIn<{ classes?: string[] }>(slot) : undefined) ?? (b.written.get(slot) as { classes?: string[] } | undefined);
      if (v?.classes !== undefined) return v.classes;
    }
    return [];
  };
  const views = (slots: readonly string[], get: (s: string) => unknown): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const s of slots) {
      const v = get(s);
      if (v !== undefined) out[s] = slotToView(s, v, ctx.run.binding.target, MODEL_STAGES.has(block.type));
    }
    return out;
  };
  let runCut = b.logBudget.exhausted;
  const call = async (h: RunnableHook, extra: Record<string, unknown>): Promise<Record<string, unknown> | undefined> => {
    b.emitHook({ type: 'hook_started', hook: h.id });
    const t0 = performance.now();
    let ok = false;
    try {
      const input = { stage: block.type, block: block.id, hook: h.id, config: block.config, seed: ctx.run.seed, task: ctx.run.binding.task, target: ctx.run.binding.target, metric: ctx.run.binding.metric, classes: classes(), ...extra };
      const out = await callHook({
        source: h.source,
        filename: h.origin === 'inline' ? `${h.id} (inline)` : h.origin,
        input,
        transfer: true,
        seed: ctx.run.seed,
        now: b.now,
        timeoutMs: h.timeoutMs,
        memoryMb: h.memoryMb,
        signal: b.signal,
        capabilities: {
          log: (level, message) => {
            if (b.logBudget.take(message)) ctx.log(level, `[${h.id}] ${printable(message)}`);
            else if (!runCut) {
              runCut = true;
              b.emitTruncated({ hook: h.id, scope: 'run', limitBytes: b.logBudget.limit.bytes, limitLines: b.logBudget.limit.lines });
            }
          },
          metric: (name, value) => {
            if (isHookMetricName(name) && Number.isFinite(value)) b.metrics[HOOK_METRIC_PREFIX + name] = value;
          },
          truncated: (limit) => b.emitTruncated({ hook: h.id, scope: 'hook', limitBytes: limit.bytes, limitLines: limit.lines }),
        },
      });
      ok = true;
      if (out === undefined || out === null) return undefined;
      if (typeof out !== 'object' || Array.isArray(out)) throw new BflyError('user_code', 'HOOK_BAD_RESULT', `hook ${h.id} returned ${Array.isArray(out) ? 'an array' : typeof out}`, { hint: 'return nothing, or an object such as { inputs }, { outputs } or { metrics }', data: { hook: h.id } });
      return out as Record<string, unknown>;
    } catch (err) {
      ok = false;
      throw hookFailure(h, err);
    } finally {
      b.emitHook({ type: 'hook_finished', hook: h.id, durationMs: Math.round(performance.now() - t0), ok });
    }
  };
  const slotsOf = (r: Record<string, unknown> | undefined, key: string, h: RunnableHook, allowed: readonly string[]): Array<[string, unknown]> => {
    const v = r?.[key];
    if (v === undefined || v === null) return [];
    if (typeof v !== 'object') throw new BflyError('user_code', 'HOOK_BAD_RESULT', `hook ${h.id}: \`${key}\` must be an object of slots`, { data: { hook: h.id } });
    for (const s of Object.keys(v)) {
      if (!allowed.includes(s)) throw new BflyError('user_code', 'HOOK_BAD_RESULT', `hook ${h.id} returned ${key}.${s}, but this stage's ${key} are: ${allowed.join(', ') || 'none'}`, { hint: `a ${block.type} hook may return ${key}: ${allowed.filter((x) => (WRITABLE_SLOTS as readonly string[]).includes(x)).join(', ') || 'nothing'}`, data: { hook: h.id } });
    }
    return Object.entries(v);
  };
  const vctx = () => ({ classes: classes(), task: ctx.run.binding.task });

  for (const h of hooks.filter((x) => x.kind === 'before')) {
    const r = await call(h, { inputs: views(info.reads, readIn) });
    for (const [slot, view] of slotsOf(r, 'inputs', h, info.reads)) inputs.set(slot, viewToSlot(slot, view, readIn(slot), h.id, vctx()));
    if (r?.config !== undefined) {
      const parsed = info.config.safeParse({ ...block.config, ...(r.config as object) });
      if (!parsed.success) throw new BflyError('user_code', 'HOOK_BAD_CONFIG', `hook ${h.id} returned an invalid config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { hint: 'see `bfly blocks` for the config fields', data: { hook: h.id } });
      block = { ...block, config: parsed.data as Record<string, unknown> };
    }
  }
  const inner: BlockContext = {
    ...ctx,
    block,
    read: <T>(slot: string): T => {
      if (!inputs.has(slot)) return ctx.read<T>(slot);
      ctx.readOptional(slot); // still checks that the block may read this slot
      return inputs.get(slot) as T;
    },
    readOptional: <T>(slot: string): T | undefined => (inputs.has(slot) ? (inputs.get(slot) as T) : ctx.readOptional<T>(slot)),
  };
  const override = hooks.find((x) => x.kind === 'override');
  if (override === undefined) await b.executor(inner);
  else {
    const r = await call(override, { inputs: views(info.reads, readIn) });
    const outs = new Map(slotsOf(r, 'outputs', override, info.writes));
    const need = (slot: string): unknown => {
      if (!outs.has(slot)) throw new BflyError('user_code', 'HOOK_BAD_RESULT', `override hook ${override.id} must return outputs.${slot}`, { hint: `an override of ${block.type} returns { outputs: { ${overrideOutputs(block.type).join(', ')} } }`, data: { hook: override.id } });
      return outs.get(slot);
    };
    if (block.type === 'evaluate') {
      const test = inner.read<PartSlot>('test');
      const template: PredictionsSlot = { rows: test.rows, actual: test.y, predicted: new Float64Array(test.rows.length), proba: null, classes: test.classes };
      const p = viewToSlot('predictions', need('predictions'), template, override.id, vctx()) as PredictionsSlot;
      writeEvaluation(inner, test, p.predicted, p.proba);
    } else if (block.type === 'model_selection') {
      const sel = viewToSlot('selection', need('selection'), undefined, override.id, vctx()) as SelectionSlot;
      const board: LeaderboardSlot = { metric: ctx.run.binding.metric, higherIsBetter: true, folds: 0, candidates: [] };
      b.write('selection', { ...sel, metric: ctx.run.binding.metric });
      b.write('leaderboard', board);
      ctx.artifact('leaderboard.json', 'leaderboard', JSON.stringify({ ...board, overriddenBy: override.id }, null, 2) + '\n');
    } else {
      for (const slot of ['train', 'test']) b.write(slot, viewToSlot(slot, need(slot), readIn(slot), override.id, vctx()));
      if (block.type === 'preprocess') b.write('transform', []);
    }
  }
  for (const h of hooks.filter((x) => x.kind === 'after')) {
    const r = await call(h, { inputs: views(info.reads, readIn), outputs: views(info.writes, (s) => b.written.get(s)) });
    for (const [slot, view] of slotsOf(r, 'outputs', h, info.writes)) b.write(slot, viewToSlot(slot, view, b.written.get(slot), h.id, vctx()));
    if (r?.metrics !== undefined) {
      for (const [name, v] of Object.entries(r.metrics as object)) {
        if (!isHookMetricName(name)) throw new BflyError('user_code', 'HOOK_BAD_RESULT', `hook ${h.id}: ${JSON.stringify(printable(name))} is not a metric name`, { hint: 'letters, digits, _ . - (starting with a letter or _), at most 64 characters', data: { hook: h.id } });
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new BflyError('user_code', 'HOOK_BAD_RESULT', `hook ${h.id}: metric ${name} is not a finite number`, { data: { hook: h.id } });
        b.metrics[HOOK_METRIC_PREFIX + name] = v;
      }
    }
  }
}

/** What an override hook of a stage returns in `outputs`. */
export function overrideOutputs(type: string): string[] {
  return type === 'evaluate' ? ['predictions'] : type === 'model_selection' ? ['selection'] : ['train', 'test'];
}
