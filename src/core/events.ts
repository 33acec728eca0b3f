import { z } from 'zod';

/** Run statuses (a run ends in one of the last five). */
export const RUN_STATUSES = ['created', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'] as const;
/** One of {@link RUN_STATUSES}. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The schema version of run events ({@link runEvent}); absent in events of format-1 runs. */
export const EVENT_SCHEMA_VERSION = 1;

const base = { schemaVersion: z.literal(EVENT_SCHEMA_VERSION).optional(), runId: z.string(), at: z.string() };

/**
 * Every event of a run, one zod-typed union: appended to `runs/<id>/events.jsonl` and rendered
 * (Ink, plain lines or NDJSON) from the same stream.
 */
export const runEvent = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('run_created'), experiment: z.string(), executionKey: z.string() }),
  z.object({ ...base, type: z.literal('run_started'), blocks: z.array(z.object({ id: z.string(), type: z.string() })) }),
  z.object({ ...base, type: z.literal('block_started'), block: z.string(), blockType: z.string() }),
  z.object({ ...base, type: z.literal('block_progress'), block: z.string(), done: z.number().int().nonnegative(), total: z.number().int().positive(), label: z.string().optional() }),
  z.object({ ...base, type: z.literal('block_finished'), block: z.string(), durationMs: z.number().nonnegative(), cached: z.boolean(), status: z.enum(['succeeded', 'failed', 'cancelled', 'timed_out']) }),
  z.object({ ...base, type: z.literal('hook_started'), block: z.string(), hook: z.string() }),
  z.object({ ...base, type: z.literal('hook_finished'), block: z.string(), hook: z.string(), durationMs: z.number().nonnegative(), ok: z.boolean() }),
  z.object({ ...base, type: z.literal('artifact_written'), name: z.string(), path: z.string(), hash: z.string(), bytes: z.number().int().nonnegative() }),
  z.object({ ...base, type: z.literal('log'), level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string(), block: z.string().optional() }),
  /** Hooks' log lines went over a limit (of one hook call, or of the whole run); later ones are dropped. */
  z.object({ ...base, type: z.literal('log_truncated'), block: z.string(), hook: z.string(), scope: z.enum(['hook', 'run']), limitBytes: z.number().int().nonnegative(), limitLines: z.number().int().nonnegative() }),
  z.object({
    ...base,
    type: z.literal('run_finished'),
    status: z.enum(RUN_STATUSES),
    metrics: z.record(z.string(), z.number()),
    durationMs: z.number().nonnegative(),
    error: z.object({ category: z.string(), code: z.string(), block: z.string().nullable(), hook: z.string().nullable(), message: z.string(), hint: z.string().nullable() }).nullable().optional(),
  }),
]);

/** One run event. */
export type RunEvent = z.infer<typeof runEvent>;

/** Parses one line of `events.jsonl`; throws a zod error naming what is wrong. */
export function parseRunEvent(line: string): RunEvent {
  return runEvent.parse(JSON.parse(line));
}
