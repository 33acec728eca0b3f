import { EVENT_SCHEMA_VERSION, type RunEvent } from '../core/events.js';
import type { RunFolder } from '../store/run-state.js';

type Body<E> = E extends RunEvent ? Omit<E, 'runId' | 'at' | 'schemaVersion'> : never;
/** An event before the sink stamps it with the run id and time. */
export type EventBody = Body<RunEvent>;

/** Progress events per block at most this often (the last one, done = total, always goes). */
const PROGRESS_INTERVAL_MS = 100;

/**
 * The one stream of a run's events: each goes to the listener at once and to
 * `events.jsonl`, which is appended at block boundaries ({@link EventSink.flush}). Progress
 * events are thinned to one per 100 ms per block.
 */
export class EventSink {
  private pending: string[] = [];
  private lastProgress = new Map<string, number>();

  constructor(
    private readonly runId: string,
    private readonly folder: RunFolder,
    private readonly listener: ((e: RunEvent) => void) | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stamps and sends one event. */
  emit(body: EventBody): void {
    if (body.type === 'block_progress' && body.done < body.total) {
      const t = this.now();
      if (t - (this.lastProgress.get(body.block) ?? -Infinity) < PROGRESS_INTERVAL_MS) return;
      this.lastProgress.set(body.block, t);
    }
    const event = { schemaVersion: EVENT_SCHEMA_VERSION, runId: this.runId, at: new Date(this.now()).toISOString(), ...body } as RunEvent;
    this.pending.push(JSON.stringify(event));
    if (this.listener !== undefined) {
      try {
        this.listener(event);
      } catch {
        // A renderer's failure must not fail the run.
      }
    }
  }

  /** Appends what is pending to `events.jsonl`. */
  flush(): void {
    const lines = this.pending;
    this.pending = [];
    this.folder.appendEvents(lines);
  }
}
