import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';

/** Why a source's bytes were refused (the importer turns this into a user-facing error). */
export class SourceBytesError extends Error {
  constructor(
    readonly kind: 'nul' | 'utf8',
    readonly offset: number,
  ) {
    super(kind === 'nul' ? `NUL byte at offset ${offset}` : `invalid UTF-8 at offset ${offset}`);
  }
}

/** Length of a UTF-8 sequence from its lead byte (0 for a continuation or invalid byte). */
function seqLen(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/**
 * How far a file being copied has got, shared (a SharedArrayBuffer) between the thread that
 * copies it ({@link copyAndHash}) and threads that read the copy as it grows ({@link ByteSource}).
 */
export class CopyProgress {
  /** [0] bytes copied so far; [1] 0 while copying, 1 done, 2 failed. */
  private readonly cells: BigInt64Array;

  constructor(readonly shared: SharedArrayBuffer = new SharedArrayBuffer(16)) {
    this.cells = new BigInt64Array(shared);
  }

  /** `bytes` are in the copy (written before this call). */
  publish(bytes: number): void {
    Atomics.store(this.cells, 0, BigInt(bytes));
    Atomics.notify(this.cells, 0);
  }

  /** The copy is complete (`ok`) or was abandoned; wakes every reader. */
  end(ok: boolean): void {
    Atomics.store(this.cells, 1, ok ? 1n : 2n);
    Atomics.notify(this.cells, 0);
  }

  /**
   * Waits until the copy holds more than `pos` bytes or is complete; returns how many bytes
   * past `pos` may be read (Infinity once complete). Throws if the copy was abandoned.
   */
  available(pos: number): number {
    for (;;) {
      const state = Atomics.load(this.cells, 1);
      const bytes = Atomics.load(this.cells, 0);
      if (state === 2n) throw new Error('the copy being read was abandoned');
      if (state === 1n) return Infinity;
      if (Number(bytes) > pos) return Number(bytes) - pos;
      // woken by publish or end; the timeout covers an end that lands just before the wait
      Atomics.wait(this.cells, 0, bytes, 20);
    }
  }
}

/** Why a copy stopped early: the source grew past its byte limit, or the import was cancelled. */
export class CopyStopped extends Error {
  constructor(
    readonly why: 'too_large' | 'cancelled',
    readonly bytes: number,
  ) {
    super(why === 'too_large' ? `the source is larger than ${bytes} bytes` : 'cancelled');
  }
}

/** Options of {@link copyAndHash}. */
export interface CopyOptions {
  /** Published after each write, for threads that parse the copy as it grows. */
  progress?: CopyProgress;
  /** Stop with {@link CopyStopped} ('too_large') past this many bytes. */
  maxBytes?: number;
  /** Stop with {@link CopyStopped} ('cancelled') when aborted (checked between reads). */
  signal?: AbortSignal;
}

/**
 * Copies `from` to the new file `to` (never overwriting) in 1 MiB reads and writes, hashing
 * the bytes on the way (sha256 hex: the dataset hash) and publishing each write to
 * `o.progress`, so that other threads can parse the copy while it is made. Asynchronous reads
 * and writes, so that a signal can stop it between two of them. A NUL byte stops it at once
 * ({@link SourceBytesError}: no text file has one, and a stream such as /dev/zero is refused at
 * its first byte instead of being copied whole); so do `maxBytes` and `signal`.
 */
export async function copyAndHash(from: string, to: string, o: CopyOptions = {}): Promise<{ hex: string; bytes: number }> {
  const progress = o.progress;
  try {
    const src = await open(from, 'r');
    try {
      const dst = await open(to, 'wx');
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        const hash = createHash('sha256');
        let bytes = 0;
        for (;;) {
          if (o.signal?.aborted) throw new CopyStopped('cancelled', bytes);
          const { bytesRead: n } = await src.read(buf, 0, buf.length, null);
          if (n === 0) break;
          const nul = buf.subarray(0, n).indexOf(0);
          if (nul !== -1) {
            // the bytes before it go into the copy, so that the error can name the NUL's line
            for (let off = 0; off < nul; ) off += (await dst.write(buf, off, nul - off)).bytesWritten;
            throw new SourceBytesError('nul', bytes + nul);
          }
          if (o.maxBytes !== undefined && bytes + n > o.maxBytes) throw new CopyStopped('too_large', o.maxBytes);
          hash.update(buf.subarray(0, n));
          for (let off = 0; off < n; ) off += (await dst.write(buf, off, n - off)).bytesWritten;
          bytes += n;
          progress?.publish(bytes);
        }
        progress?.end(true);
        return { hex: hash.digest('hex'), bytes };
      } finally {
        await dst.close();
      }
    } finally {
      await src.close();
    }
  } catch (err) {
    progress?.end(false);
    throw err;
  }
}

/**
 * Reads a file in large sequential reads and, on the way, refuses NUL bytes and invalid UTF-8.
 * One pass: the parser pulls bytes through {@link ByteSource.read}. Given a {@link CopyProgress},
 * it reads a copy that is still being made, never past what has been copied.
 */
export class ByteSource {
  private fd = -1;
  private carry: Buffer = Buffer.alloc(0);
  /** Bytes read so far. */
  bytes = 0;

  constructor(
    private readonly path: string,
    private readonly copying?: CopyProgress,
  ) {
    // a copy being made is opened once it has begun (its file may not exist yet)
    if (copying === undefined) this.fd = openSync(path, 'r');
  }

  /** Reads up to `len` bytes into `buf[off..]`; 0 at end of file. */
  read(buf: Buffer, off: number, len: number): number {
    if (this.copying !== undefined) {
      len = Math.min(len, this.copying.available(this.bytes));
      if (this.fd === -1) this.fd = openSync(this.path, 'r');
    }
    const n = readSync(this.fd, buf, off, len, null);
    if (n === 0) {
      if (this.carry.length > 0) throw new SourceBytesError('utf8', this.bytes - this.carry.length);
      return 0;
    }
    const region = buf.subarray(off, off + n);
    const nul = region.indexOf(0);
    if (nul !== -1) throw new SourceBytesError('nul', this.bytes + nul);
    this.checkUtf8(region);
    this.bytes += n;
    return n;
  }

  private checkUtf8(region: Buffer): void {
    let start = 0;
    if (this.carry.length > 0) {
      const need = seqLen(this.carry[0]) - this.carry.length;
      const take = Math.min(need, region.length);
      const joined = Buffer.concat([this.carry, region.subarray(0, take)]);
      if (take < need) {
        this.carry = joined;
        return;
      }
      if (!isUtf8(joined)) throw new SourceBytesError('utf8', this.bytes - this.carry.length);
      this.carry = Buffer.alloc(0);
      start = take;
    }
    let cut = region.length;
    for (let back = 1; back <= 3 && region.length - back >= start; back++) {
      const b = region[region.length - back];
      if (b >= 0xc0) {
        if (seqLen(b) > back) cut = region.length - back;
        break;
      }
      if (b < 0x80) break;
    }
    if (!isUtf8(region.subarray(start, cut))) {
      throw new SourceBytesError('utf8', this.bytes + start + firstInvalidUtf8(region.subarray(start, cut)));
    }
    if (cut < region.length) this.carry = Buffer.from(region.subarray(cut));
  }

  /** Closes the file. */
  close(): void {
    if (this.fd !== -1) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Offset of the first invalid UTF-8 sequence in `b` (error path only). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const n = seqLen(b[i]);
    if (n === 0 || i + n > b.length) return i;
    if (!isUtf8(b.subarray(i, i + n))) return i;
    i += n;
  }
  return i;
}

/** The 1-based line number of byte `offset` in file `path` (error path only). */
export function lineOfOffset(path: string, offset: number): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let line = 1;
  let pos = 0;
  try {
    while (pos < offset) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, offset - pos), pos);
      if (n === 0) break;
      for (let i = buf.indexOf(10, 0); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) line++;
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return line;
}
