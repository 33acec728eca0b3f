import { closeSync, openSync, readSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
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
 * Reads a file in large sequential reads and, on the way, hashes every byte (sha256) and
 * refuses NUL bytes and invalid UTF-8. One pass: the parser pulls bytes through
 * {@link ByteSource.read}.
 */
export class ByteSource {
  private readonly fd: number;
  private readonly hash: Hash | null;
  private carry: Buffer = Buffer.alloc(0);
  /** Bytes read so far. */
  bytes = 0;

  constructor(path: string, options: { hash?: boolean } = {}) {
    this.fd = openSync(path, 'r');
    this.hash = options.hash === false ? null : createHash('sha256');
  }

  /** Reads up to `len` bytes into `buf[off..]`; 0 at end of file. */
  read(buf: Buffer, off: number, len: number): number {
    const n = readSync(this.fd, buf, off, len, null);
    if (n === 0) {
      if (this.carry.length > 0) throw new SourceBytesError('utf8', this.bytes - this.carry.length);
      return 0;
    }
    const region = buf.subarray(off, off + n);
    const nul = region.indexOf(0);
    if (nul !== -1) throw new SourceBytesError('nul', this.bytes + nul);
    this.checkUtf8(region);
    this.hash?.update(region);
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

  /** The sha256 hex of everything read. */
  digest(): string {
    if (this.hash === null) throw new Error('hashing was disabled');
    return this.hash.digest('hex');
  }

  /** Closes the file. */
  close(): void {
    closeSync(this.fd);
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
