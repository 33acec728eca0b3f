/**
 * Live events of the service.
 * - {@link JsonlTail}: reads the complete lines appended to a JSONL file (events.jsonl,
 *   audit.jsonl) since the last read; a line still being written waits for its newline.
 * - {@link EventHub}: the workspace's stream (`GET /api/v1/events`): every event gets an id
 *   (`<boot>-<n>`); the last {@link RING_SIZE} are kept so a client reconnecting with
 *   `Last-Event-ID` gets what it missed, or a `reset` when that is no longer kept.
 * - {@link WorkspaceWatcher}: what other processes did (the CLI, the service's own workers), from
 *   the audit log, tailed every {@link POLL_MS} ms, and the events of each run the log says started.
 */
import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ServiceEvent } from '../core/contracts/service.js';
import type { RunEvent } from '../core/events.js';
import { workspacePaths } from '../store/layout.js';

/** Events kept for reconnecting clients. */
export const RING_SIZE = 10_000;
/** How often files are read for new lines (a change is seen within this plus the read). */
export const POLL_MS = 100;

/** The complete lines appended to a file since the last {@link JsonlTail.read}. */
export class JsonlTail {
  private offset: number;
  private partial = Buffer.alloc(0);
  /** Line number (1-based) of the next complete line. */
  line = 1;

  constructor(
    readonly path: string,
    from = 0,
  ) {
    this.offset = from;
  }

  /** New complete lines (none when the file is missing). A file cut shorter starts over at its end. */
  read(): string[] {
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      return [];
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return [];
      if (st.size < this.offset) {
        this.offset = st.size;
        this.partial = Buffer.alloc(0);
        return [];
      }
      if (st.size === this.offset) return [];
      const buf = Buffer.allocUnsafe(Math.min(st.size - this.offset, 64 * 1024 * 1024));
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const data = this.partial.length > 0 ? Buffer.concat([this.partial, buf.subarray(0, n)]) : buf.subarray(0, n);
      const last = data.lastIndexOf(0x0a);
      if (last === -1) {
        this.partial = Buffer.from(data);
        return [];
      }
      this.partial = Buffer.from(data.subarray(last + 1));
      const lines = data.toString('utf8', 0, last).split('\n');
      this.line += lines.length;
      return lines;
    } finally {
      closeSync(fd);
    }
  }

  /** The file's size now (where a tail that wants only what comes next starts). */
  static sizeOf(path: string): number {
    try {
      const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        return fstatSync(fd).size;
      } finally {
        closeSync(fd);
      }
    } catch {
      return 0;
    }
  }
}

/** An event of the hub with its id. */
export interface HubEvent {
  id: string;
  event: ServiceEvent;
}

/** The workspace's event stream, with a ring of recent events for reconnecting clients. */
export class EventHub {
  private readonly boot = randomBytes(4).toString('hex');
  private n = 0;
  private readonly ring: HubEvent[] = [];
  private readonly subscribers = new Set<(e: HubEvent) => void>();

  publish(event: ServiceEvent): void {
    const e = { id: `${this.boot}-${++this.n}`, event };
    this.ring.push(e);
    if (this.ring.length > RING_SIZE) this.ring.splice(0, this.ring.length - RING_SIZE);
    for (const s of this.subscribers) s(e);
  }

  /**
   * What a client that saw `lastEventId` missed: the events after it, or `reset: true` when it
   * is from another start of the service or older than what is kept. No id: nothing missed.
   */
  since(lastEventId: string | undefined): { events: HubEvent[]; reset: boolean } {
    if (lastEventId === undefined || lastEventId === '') return { events: [], reset: false };
    const m = /^([0-9a-f]{8})-(\d{1,15})$/.exec(lastEventId);
    if (m === null || m[1] !== this.boot) return { events: [], reset: true };
    const seen = Number(m[2]);
    if (seen > this.n) return { events: [], reset: true };
    const first = this.ring.length === 0 ? this.n + 1 : Number(this.ring[0].id.split('-')[1]);
    if (seen < first - 1) return { events: [], reset: true };
    return { events: this.ring.slice(seen - first + 1), reset: false };
  }

  /** The id of the latest event (`<boot>-0` before the first). */
  currentId(): string {
    return `${this.boot}-${this.n}`;
  }

  /** Calls `fn` with every event published from now on; returns the unsubscribe. */
  subscribe(fn: (e: HubEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }
}

/** Parses a line of events.jsonl (null when it is not an event). */
export function parseEventLine(line: string): RunEvent | null {
  try {
    const v = JSON.parse(line) as RunEvent;
    return typeof v === 'object' && v !== null && typeof v.type === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** Publishes what the audit log records (any process) and the events of the runs it says started. */
export class WorkspaceWatcher {
  private readonly audit: JsonlTail;
  private readonly runs = new Map<string, JsonlTail>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly root: string,
    private readonly hub: EventHub,
  ) {
    const path = join(workspacePaths(root).dir, 'audit.jsonl');
    this.audit = new JsonlTail(path, JsonlTail.sizeOf(path));
  }

  start(): void {
    this.timer = setInterval(() => this.poll(), POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads what is new now (also called by tests and before answering). */
  poll(): void {
    const ended = new Set<string>();
    for (const line of this.audit.read()) {
      let e: { seq?: number; at?: string; user?: string; command?: string; action?: string; target?: Record<string, unknown>; outcome?: string };
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        continue;
      }
      if (typeof e.action !== 'string') continue;
      const target = e.target ?? {};
      this.hub.publish({ type: 'workspace_changed', change: { seq: e.seq ?? 0, at: e.at ?? '', user: e.user ?? '', command: e.command ?? '', action: e.action, target, outcome: e.outcome ?? 'ok' } });
      const run = typeof target.run === 'string' && /^[0-9A-Za-z-]+$/.test(target.run) ? target.run : null;
      if (run !== null && e.action === 'run.start') this.runs.set(run, new JsonlTail(join(workspacePaths(this.root).runs, run, 'events.jsonl')));
      if (run !== null && e.action === 'run.end') ended.add(run);
    }
    for (const [runId, tail] of this.runs) {
      for (const line of tail.read()) {
        const event = parseEventLine(line);
        if (event === null) continue;
        this.hub.publish({ type: 'run_event', runId, event });
        if (event.type === 'run_finished') ended.add(runId);
      }
      if (ended.has(runId)) this.runs.delete(runId);
    }
  }
}
