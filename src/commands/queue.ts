import type { GlobalOptions } from '../cli.js';
import { printable } from '../core/printable.js';
import { openWorkspace } from '../store/workspace.js';
import { renderTable } from '../ui/format.js';
import { jsonLine } from '../ui/json.js';

/** Options of `bfly queue …`. */
export interface QueueCommandOptions extends GlobalOptions {
  queue?: string;
}

/** `bfly queue status`. */
export async function queueStatusCommand(o: QueueCommandOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { queueAddress, queueStatus } = await import('../runner/queue.js');
  const address = queueAddress(o.queue, process.env.BFLY_QUEUE);
  const s = await queueStatus(ws.root, address);
  if (o.json) return void process.stdout.write(jsonLine(s));
  const c = s.counts;
  const out = [`queue ${s.queue} at ${s.redis}: ${c.waiting + (c.prioritized ?? 0)} waiting, ${c.active} running, ${c.delayed} retrying later, ${c.completed} completed, ${c.failed} failed`, ''];
  if (s.workers.length === 0) out.push('no worker is running: start one with `bfly worker --queue ' + s.redis + '` on each machine that mounts this workspace', '');
  else
    out.push(
      renderTable(
        ['worker', 'host', 'pid', 'runs', 'doing'],
        s.workers.map((w) => [w.name + (w.draining ? ' (stopping)' : ''), w.host, String(w.pid), `${w.running.length}/${w.concurrency}`, w.running.map((r) => `${r.job}${r.block ? ` ${r.block}` : ''}`).join(', ') || 'idle']),
      ),
    );
  if (s.batches.length === 0) out.push('no queued batch of this workspace is unfinished');
  else out.push(renderTable(['batch', 'experiment', 'since', 'runs'], s.batches.map((b) => [b.id, b.experiment, b.createdAt, Object.entries(b.counts).map(([k, v]) => `${v} ${k}`).join(', ') + (b.cancelled ? ' (cancelled)' : '')])));
  process.stdout.write(printable(out.join('\n'), { newlines: true }) + '\n');
}

/** `bfly queue cancel <batch>`. */
export async function queueCancelCommand(batch: string, o: QueueCommandOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { queueAddress, cancelQueuedBatch } = await import('../runner/queue.js');
  const address = queueAddress(o.queue, process.env.BFLY_QUEUE);
  const r = await cancelQueuedBatch(ws.root, address, batch);
  process.stdout.write(o.json ? jsonLine(r) : `batch ${r.batch} cancelled: ${r.dropped} queued run(s) dropped, ${r.stopping} running run(s) stopping cleanly\n`);
}

/** `bfly queue retry <batch>`. */
export async function queueRetryCommand(batch: string, o: QueueCommandOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { queueAddress, retryQueuedBatch } = await import('../runner/queue.js');
  const address = queueAddress(o.queue, process.env.BFLY_QUEUE);
  const r = await retryQueuedBatch(ws.root, address, batch);
  if (o.json) return void process.stdout.write(jsonLine(r));
  const lines = [`batch ${r.batch}: ${r.retried.length} run(s) queued again`];
  for (const n of r.notRetried) lines.push(`  not retried: ${n.label || `run ${n.index}`} failed with ${n.category} (not transient: it would fail again; fix it and run the batch again)`);
  process.stdout.write(printable(lines.join('\n'), { newlines: true }) + '\n');
}
