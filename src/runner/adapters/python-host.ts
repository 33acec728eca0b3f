// The worker thread that owns a run's Python adapter process (see python.ts): it spawns the
// interpreter with execa, writes request frames to its stdin, parses response frames from its
// stdout and hands each response to the main thread, which waits for it synchronously
// (Atomics.wait on `flag`, then receiveMessageOnPort). Python's stderr is kept (its tail goes
// into error messages when the process dies).
import { execa } from 'execa';
import { type MessagePort, workerData } from 'node:worker_threads';

interface HostData {
  python: string;
  script: string;
  flag: SharedArrayBuffer;
  port: MessagePort;
}

const { python, script, flag, port } = workerData as HostData;
const signal = new Int32Array(flag);
const child = execa(python, ['-u', script], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: false, reject: false, cleanup: true, env: { PYTHONDONTWRITEBYTECODE: '1', PYTHONHASHSEED: '0' } });
// the child's pid for the main thread, which kills it when a call times out or the process exits
if (child.pid !== undefined) Atomics.store(signal, 1, child.pid);
let stderr = '';
let pending = Buffer.alloc(0);
let dead: { code: number | null; signal: string | null; error?: string } | null = null;

function answer(message: unknown, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

child.stderr?.on('data', (d: Buffer) => {
  stderr = (stderr + d.toString('utf8')).slice(-16_384);
});
child.stdout?.on('data', (d: Buffer) => {
  pending = Buffer.concat([pending, d]);
  for (;;) {
    if (pending.length < 4) return;
    const size = pending.readUInt32LE(0);
    if (pending.length < 4 + size) return;
    const header = JSON.parse(pending.subarray(4, 4 + size).toString('utf8')) as { sizes?: number[] };
    const total = 4 + size + (header.sizes ?? []).reduce((a, b) => a + b, 0);
    if (pending.length < total) return;
    let at = 4 + size;
    const buffers = (header.sizes ?? []).map((n) => {
      const copy = new Uint8Array(n);
      copy.set(pending.subarray(at, at + n));
      at += n;
      return copy.buffer;
    });
    pending = pending.subarray(total);
    answer({ header, buffers }, buffers);
  }
});
child.on('error', (err: Error) => {
  dead = { code: null, signal: null, error: err.message };
});
void child.then((r) => {
  dead ??= { code: r.exitCode ?? null, signal: r.signal ?? null, ...(r.failed && r.exitCode === undefined ? { error: r.message } : {}) };
  answer({ died: { ...dead, stderr } });
});

port.on('message', (m: { header: Record<string, unknown>; buffers: ArrayBuffer[] } | 'close') => {
  if (m === 'close') {
    child.stdin?.end();
    port.close();
    return;
  }
  if (dead !== null) {
    answer({ died: { ...dead, stderr } });
    return;
  }
  const sizes = m.buffers.map((b) => b.byteLength);
  const header = Buffer.from(JSON.stringify({ ...m.header, sizes }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  child.stdin?.write(Buffer.concat([len, header, ...m.buffers.map((b) => Buffer.from(b))]));
});
