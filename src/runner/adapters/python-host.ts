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
/** Bytes received and not yet parsed, as chunks (joined once a whole frame is there: no quadratic copying). */
let chunks: Buffer[] = [];
let received = 0;
/** The size of the frame being received, once its header is in. */
let frameSize = -1;
let dead: { code: number | null; signal: string | null; error?: string } | null = null;

function answer(message: unknown, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

child.stderr?.on('data', (d: Buffer) => {
  stderr = (stderr + d.toString('utf8')).slice(-16_384);
});
function take(n: number): Buffer {
  const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
  chunks = all.length > n ? [all.subarray(n)] : [];
  received = all.length - n;
  return all.subarray(0, n);
}

function peek(n: number): Buffer {
  if (chunks[0].length < n) chunks = [Buffer.concat(chunks, received)];
  return chunks[0].subarray(0, n);
}

child.stdout?.on('data', (d: Buffer) => {
  chunks.push(d);
  received += d.length;
  for (;;) {
    if (frameSize < 0) {
      if (received < 4) return;
      const size = peek(4).readUInt32LE(0);
      if (received < 4 + size) return;
      const header = JSON.parse(peek(4 + size).subarray(4).toString('utf8')) as { sizes?: number[] };
      frameSize = 4 + size + (header.sizes ?? []).reduce((a, b) => a + b, 0);
    }
    if (received < frameSize) return;
    const frame = take(frameSize);
    frameSize = -1;
    const size = frame.readUInt32LE(0);
    const header = JSON.parse(frame.subarray(4, 4 + size).toString('utf8')) as { sizes?: number[] };
    let at = 4 + size;
    const buffers = (header.sizes ?? []).map((n) => {
      const copy = new Uint8Array(n);
      copy.set(frame.subarray(at, at + n));
      at += n;
      return copy.buffer;
    });
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
  child.stdin?.write(Buffer.concat([len, header]));
  for (const b of m.buffers) child.stdin?.write(Buffer.from(b));
});
