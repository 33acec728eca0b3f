import { spawn, spawnSync } from 'node:child_process';
import type { GlobalOptions } from '../cli.js';
import { parseByteSize } from '../core/byte-size.js';
import { ValidationError } from '../core/errors.js';
import { API_VERSION } from '../core/contracts/service.js';
import { createServer } from '../server/server.js';

/** Options of `bfly serve`. */
export interface ServeCommandOptions extends GlobalOptions {
  port?: string;
  host?: string;
  jobs?: string;
  queue?: string;
  maxUpload?: string;
  /** `bfly ui`: say so, and open the browser (unless `--no-open`). */
  ui?: boolean;
  /** false with `--no-open`. */
  open?: boolean;
}

/** A terminal on a desktop with a system opener: `xdg-open` (with a display) or macOS `open`. */
function desktopOpener(): string | null {
  if (!process.stdout.isTTY) return null;
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? null : process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? 'xdg-open' : null;
  return opener !== null && spawnSync('sh', ['-c', `command -v ${opener}`], { stdio: 'ignore' }).status === 0 ? opener : null;
}

function wholeNumber(value: string | undefined, flag: string, min: number, max: number, example: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new ValidationError('BAD_OPTION', `${flag} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`, { hint: `e.g. ${flag} ${example}` });
  return n;
}

/**
 * `bfly serve` and `bfly ui` (the same service; `ui` opens the browser on a desktop terminal).
 * `bfly serve [--port N] [--host H] [--jobs N] [--max-upload S] [--json]`: the local service
 * until SIGINT/SIGTERM (then: running jobs cancelled cleanly, serve.json removed, exit 0).
 */
export async function serveCommand(o: ServeCommandOptions): Promise<void> {
  const port = wholeNumber(o.port, '--port', 0, 65535, '8080 (0: a free port)') ?? 0;
  const jobs = wholeNumber(o.jobs, '--jobs', 1, 64, '2');
  const maxUpload = o.maxUpload === undefined ? undefined : parseByteSize(o.maxUpload, '--max-upload');
  // A service idles most of the time: it may then collect garbage in full, to give memory back.
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--expose-gc');
  (globalThis as { gc?: unknown }).gc ??= (await import('node:vm')).runInNewContext('gc');
  // --queue: jobs go to `bfly worker`s through Redis (reachable now, or the service does not start)
  let queue;
  if (o.queue !== undefined) {
    const q = await import('../runner/queue.js');
    queue = q.parseQueueUrl(o.queue);
    (await q.connectRedis(queue, 'bfly-serve-check')).disconnect();
  }
  const server = await createServer(o.C ?? process.cwd(), { port, host: o.host, jobs, maxUpload, queue });
  const entry = `${server.url}/?token=${server.token}`;
  if (o.json) process.stdout.write(JSON.stringify({ url: server.url, port: server.port, token: server.token, pid: process.pid, apiVersion: API_VERSION }) + '\n');
  else process.stdout.write(`bfly ${o.ui ? 'ui' : 'serve'}: ${server.root}\n  ${o.ui ? 'UI  ' : 'open'} ${entry}\n  API  ${server.url}/api/v1 (Authorization: Bearer ${server.token})\n  ${queue !== undefined ? `  jobs go to the workers of ${queue.display} (bfly worker --queue ${queue.display})\n` : ''}  Ctrl-C stops (running jobs are cancelled cleanly${queue !== undefined ? '; queued batches go on with the workers' : ''})\n`);
  const opener = o.ui && o.open !== false && !o.json ? desktopOpener() : null;
  if (opener !== null) spawn(opener, [entry], { detached: true, stdio: 'ignore' }).unref();
  if (o.host !== undefined && !['127.0.0.1', 'localhost', '::1'].includes(o.host)) {
    process.stderr.write(`warning: listening on ${o.host}, not only this machine's loopback: anyone who can reach it and has the token controls this workspace\n`);
  }
  await new Promise<void>((resolve) => {
    let signals = 0;
    const stop = (): void => {
      if (++signals > 1) process.exit(130);
      if (!o.json) process.stderr.write('\nstopping: cancelling running jobs… (Ctrl-C again to quit at once)\n');
      void server.close().then(resolve, (err: unknown) => {
        process.stderr.write(`bfly serve: error while stopping: ${(err as Error).message}\n`);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
