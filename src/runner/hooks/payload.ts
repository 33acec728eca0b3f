/**
 * Large values between bfly and its hook host go through a file in a private folder (0700, on
 * tmpfs where there is one) rather than the socket between them: a 128 MB table crossed a
 * socket at ~350 MB/s here, a tmpfs file at several GB/s. Typed arrays (table columns) are
 * written as raw bytes and read straight into fresh buffers (one copy each way, and the reader's
 * buffers can be moved into an isolate without another); the rest of the value is a v8
 * structured-clone skeleton (cycles, Maps, Dates survive). The reader removes the file.
 */
import { closeSync, constants, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';

/** Values smaller than this (in typed-array bytes) go inline, through the socket. */
export const PAYLOAD_MIN_BYTES = 1 << 20;

type Typed = Exclude<NodeJS.TypedArray, never>;

const CTORS: Record<string, new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => Typed> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array: BigInt64Array as never,
  BigUint64Array: BigUint64Array as never,
};

/** A value as skeleton and raw typed arrays (identity and cycles kept in the skeleton). */
function split(value: unknown): { skeleton: unknown; arrays: Typed[] } {
  const arrays: Typed[] = [];
  const seen = new Map<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof Buffer) && CTORS[v.constructor.name] !== undefined) {
      arrays.push(v as Typed);
      return { $bflyTypedArray: arrays.length - 1 };
    }
    if (seen.has(v)) return seen.get(v);
    const proto = Object.getPrototypeOf(v);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const x of v) out.push(walk(x));
      return out;
    }
    if (proto !== Object.prototype && proto !== null) return v; // Map, Date, …: v8 handles them
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    for (const [k, x] of Object.entries(v)) out[k] = walk(x);
    return out;
  };
  return { skeleton: walk(value), arrays };
}

/** The typed-array bytes a value holds (to decide between inline and a file). */
export function typedBytes(value: unknown): number {
  let n = 0;
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) n += v.byteLength;
    else if (Array.isArray(v)) for (const x of v) walk(x);
    else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) walk(x);
  };
  walk(value);
  return n;
}

function writeAll(fd: number, buf: Uint8Array, position: number): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off, position + off);
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** Writes `value` to a new file in `dir` and returns its path. */
export function writePayload(dir: string, value: unknown): string {
  const { skeleton, arrays } = split(value);
  const header = serialize({ skeleton, arrays: arrays.map((a) => ({ type: a.constructor.name, length: a.length, byteLength: a.byteLength })) });
  const file = join(dir, `${process.pid}-${randomBytes(6).toString('hex')}.payload`);
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(header.length, 0);
    writeAll(fd, head, 0);
    writeAll(fd, header, 4);
    let pos = pad8(4 + header.length);
    for (const a of arrays) {
      writeAll(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength), pos);
      pos = pad8(pos + a.byteLength);
    }
  } catch (err) {
    closeSync(fd);
    unlinkSync(file);
    throw err;
  }
  closeSync(fd);
  return file;
}

function readAll(fd: number, buf: Uint8Array, position: number): void {
  for (let off = 0; off < buf.length; ) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) throw new Error('hook payload file is shorter than its header says');
    off += n;
  }
}

/** Reads a payload file (and removes it): each typed array in a buffer of its own. */
export function readPayload(file: string): unknown {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const head = Buffer.allocUnsafe(4);
    readAll(fd, head, 0);
    const header = Buffer.allocUnsafe(head.readUInt32LE(0));
    readAll(fd, header, 4);
    const { skeleton, arrays } = deserialize(header) as { skeleton: unknown; arrays: Array<{ type: string; length: number; byteLength: number }> };
    let pos = pad8(4 + header.length);
    const typed = arrays.map((a) => {
      // not zero-filled: every byte is read from the file just below
      const buffer = Buffer.allocUnsafeSlow(a.byteLength).buffer as ArrayBuffer;
      readAll(fd, new Uint8Array(buffer), pos);
      pos = pad8(pos + a.byteLength);
      return new CTORS[a.type](buffer, 0, a.length);
    });
    const seen = new Set<object>();
    const restore = (v: unknown): unknown => {
      if (v === null || typeof v !== 'object' || seen.has(v)) return v;
      const marker = (v as { $bflyTypedArray?: unknown }).$bflyTypedArray;
      if (typeof marker === 'number' && Object.keys(v).length === 1) return typed[marker];
      seen.add(v);
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = restore(v[i]);
      else if (Object.getPrototypeOf(v) === Object.prototype) for (const k of Object.keys(v)) (v as Record<string, unknown>)[k] = restore((v as Record<string, unknown>)[k]);
      return v;
    };
    return restore(skeleton);
  } finally {
    closeSync(fd);
    unlinkSync(file);
  }
}
