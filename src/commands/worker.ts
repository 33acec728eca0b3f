import type { GlobalOptions } from '../cli.js';
import { ValidationError } from '../core/errors.js';
import { printable } from '../core/printable.js';
import { openWorkspace } from '../store/workspace.js';
import { jsonLine } from '../ui/json.js';

/** Options of `bfly worker`. */
export interface WorkerCommandOptions extends GlobalOptions {
  queue?: string;
  concurrency?: string;
  name?: string;
}

/** `bfly worker --queue redis://…`: runs queued jobs until a signal (once: drain; twice: hand back). */
export async function workerCommand(o: WorkerCommandOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { queueAddress } = await import('../runner/queue.js');
  const address = queueAddress(o.queue, process.env.BFLY_QUEUE);
  const concurrency = o.concurrency === undefined ? 1 : Number(o.concurrency);
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) throw new ValidationError('BAD_CONCURRENCY', `--concurrency must be a whole number from 1 to 64, not ${JSON.stringify(o.concurrency)}`, { hint: 'e.g. --concurrency 2 (one run per core is a good start)' });
  if (o.name !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(o.name)) throw new ValidationError('BAD_WORKER_NAME', `--name ${JSON.stringify(o.name)} must be 1-64 letters, digits, '.', '_' or '-'`, { hint: 'e.g. --name gpu-box-1' });
  const { startQueueWorker } = await import('../runner/queue-worker.js');
  const say = (line: string): void => void process.stderr.write(`${printable(line)}\n`);
  const worker = await startQueueWorker(ws.root, address, {
    concurrency,
    name: o.name,
    onEvent: (e) => {
      if (o.json) return void process.stdout.write(jsonLine(e));
      switch (e.type) {
        case 'worker_started':
          return say(`worker ${e.name} on ${e.host}: taking runs of queue ${e.queue} at ${e.redis}, ${e.concurrency} at a time (Ctrl-C: finish the current runs and stop; twice: stop them and hand their jobs back)`);
        case 'job_started':
          return say(`▶ ${e.job}  ${e.experiment} ${e.label || '(default)'}${e.attempt > 1 ? `  attempt ${e.attempt}` : ''}`);
        case 'job_block':
          return;
        case 'job_finished':
          return say(`${e.status === 'succeeded' ? '✔' : '✖'} ${e.job}  ${e.reused ? 'reused' : e.status}${e.runId ? `  ${e.runId}` : ''}${e.error ? `  ${e.error.category}: ${e.error.message}` : ''}${e.retry ? '  (transient: it will be retried)' : ''}`);
        case 'job_handed_back':
          return say(`↩ ${e.job}  stopped and handed back to the queue`);
        case 'worker_draining':
          return say(`stopping: ${e.running === 0 ? 'no run in progress' : `finishing ${e.running} run(s) in progress`}, taking no more (Ctrl-C again: stop them and hand their jobs back)`);
        case 'worker_stopped':
          return say(`worker ${e.name} stopped after ${e.done} job(s)`);
      }
    },
  });
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    worker.stop(signals === 1 ? 'drain' : 'cancel');
    if (signals >= 3) process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await worker.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
