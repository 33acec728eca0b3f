import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ByteDict } from '../../core/byte-dict.js';
import { HyperLogLog, fnv1a } from '../../core/stats.js';
import { isMissingBytes, lastNumber, parseDateBytes, parseNumberBytes } from '../../core/values.js';
import { safeUnlink } from '../atomic.js';

/** Rows per spilled chunk. */
export const CHUNK_ROWS = 1 << 16;
/** Distinct strings kept in the dictionary; past this a column is text and spills raw bytes. */
export const DICT_CAP = 1 << 16;

/**
 * Inference states. Unknown: only missing values so far. Rescan: numbers or dates were spilled
 * before the first string, so the column's strings come from a second read of the file.
 */
export const ColState = { Unknown: 0, Number: 1, Date: 2, String: 3, Rescan: 4 } as const;
/** One of {@link ColState}. */
export type ColState = (typeof ColState)[keyof typeof ColState];

const SP = 32;
const TAB = 9;

function writeAll(fd: number, view: ArrayBufferView): void {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** A spilled string chunk, as read back by {@link ColumnBuilder.readStringChunks}. */
export type StringChunk =
  | { mode: 'ids'; ids: Int32Array }
  | { mode: 'bytes'; lens: Int32Array; bytes: Buffer };

/**
 * Collects one column while the file streams by: infers its type (number, date or string,
 * with missing markers recognised) and spills values to a temp file in chunks, so memory does
 * not grow with the file. Numbers and dates spill as float64; strings as dictionary ids, or as
 * raw bytes once the dictionary passes {@link DICT_CAP}.
 */
export class ColumnBuilder {
  state: ColState;
  rows = 0;
  missing = 0;
  /** Every number so far was written without a fraction or exponent. */
  integerSyntax = true;
  /** Number/date values were seen before the first string (needs a second read for strings). */
  needsRescan = false;

  private f64 = new Float64Array(CHUNK_ROWS);
  private fpos = 0;
  private ffd = -1;
  readonly floatPath: string;

  readonly dict = new ByteDict();
  bytesMode = false;
  hll: HyperLogLog | null = null;
  private ids = new Int32Array(CHUNK_ROWS);
  private lens = new Int32Array(CHUNK_ROWS);
  private bbuf = Buffer.allocUnsafe(1 << 16);
  private blen = 0;
  private spos = 0;
  private sfd = -1;
  readonly stringPath: string;
  private scratch = Buffer.allocUnsafe(256);

  constructor(
    readonly name: string,
    dir: string,
    index: number,
    forceString = false,
  ) {
    this.floatPath = join(dir, `c${index}${forceString ? 'r' : ''}.f64`);
    this.stringPath = join(dir, `c${index}${forceString ? 'r' : ''}.str`);
    this.state = forceString ? ColState.String : ColState.Unknown;
    if (forceString) this.sfd = openSync(this.stringPath, 'w');
  }

  /** Adds a missing value. */
  addMissing(): void {
    this.rows++;
    this.missing++;
    const st = this.state;
    if (st === ColState.String) this.pushId(-1);
    else if (st !== ColState.Rescan) this.pushFloat(NaN);
  }

  /** Adds field `buf[s..e)`; `escaped` when it holds doubled quotes to unescape. */
  addField(buf: Uint8Array, s: number, e: number, escaped: boolean): void {
    if (escaped) {
      const u = this.unescape(buf, s, e);
      this.addField(u, 0, u.length, false);
      return;
    }
    let a = s;
    let b = e;
    while (a < b && (buf[a] === SP || buf[a] === TAB)) a++;
    while (b > a && (buf[b - 1] === SP || buf[b - 1] === TAB)) b--;
    if (a === b || (b - a <= 4 && isMissingBytes(buf, a, b))) {
      this.addMissing();
      return;
    }
    this.rows++;
    switch (this.state) {
      case ColState.Number: {
        const x = parseNumberBytes(buf, a, b);
        if (x === x) {
          if (!lastNumber.integerSyntax) this.integerSyntax = false;
          this.pushFloat(x);
        } else this.toRescan();
        return;
      }
      case ColState.String:
        this.pushString(buf, s, e);
        return;
      case ColState.Date: {
        const d = parseDateBytes(buf, a, b);
        if (d === d) this.pushFloat(d);
        else this.toRescan();
        return;
      }
      case ColState.Unknown: {
        const x = parseNumberBytes(buf, a, b);
        if (x === x) {
          this.state = ColState.Number;
          this.integerSyntax = lastNumber.integerSyntax;
          this.pushFloat(x);
          return;
        }
        const d = parseDateBytes(buf, a, b);
        if (d === d) {
          this.state = ColState.Date;
          this.pushFloat(d);
          return;
        }
        this.toString(buf, s, e);
        return;
      }
      default:
        return; // Rescan: the second read collects this column
    }
  }

  private unescape(buf: Uint8Array, s: number, e: number): Buffer {
    if (this.scratch.length < e - s) this.scratch = Buffer.allocUnsafe(e - s);
    let w = 0;
    for (let i = s; i < e; i++) {
      this.scratch[w++] = buf[i];
      if (buf[i] === 34 && i + 1 < e && buf[i + 1] === 34) i++;
    }
    return this.scratch.subarray(0, w);
  }

  /** First string after only missing values: switch to strings, re-emitting the missing rows. */
  private toString(buf: Uint8Array, s: number, e: number): void {
    this.closeFloat(true);
    this.state = ColState.String;
    this.sfd = openSync(this.stringPath, 'w');
    for (let r = 0; r < this.rows - 1; r++) this.pushId(-1);
    this.pushString(buf, s, e);
  }

  private toRescan(): void {
    this.closeFloat(true);
    this.state = ColState.Rescan;
    this.needsRescan = true;
  }

  private pushFloat(x: number): void {
    this.f64[this.fpos++] = x;
    if (this.fpos === CHUNK_ROWS) this.flushFloat();
  }

  private flushFloat(): void {
    if (this.fpos === 0) return;
    if (this.ffd === -1) this.ffd = openSync(this.floatPath, 'w');
    writeAll(this.ffd, this.f64.subarray(0, this.fpos));
    this.fpos = 0;
  }

  private closeFloat(discard: boolean): void {
    if (this.ffd !== -1) closeSync(this.ffd);
    this.ffd = -1;
    this.fpos = 0;
    if (discard) safeUnlink(this.floatPath);
  }

  private pushId(id: number): void {
    if (this.bytesMode) {
      this.lens[this.spos++] = -1;
    } else {
      this.ids[this.spos++] = id;
    }
    if (this.spos === CHUNK_ROWS) this.flushStrings();
  }

  private pushString(buf: Uint8Array, s: number, e: number): void {
    if (!this.bytesMode) {
      this.ids[this.spos++] = this.dict.add(buf, s, e);
      if (this.dict.size > DICT_CAP) {
        this.flushStrings();
        this.bytesMode = true;
        this.hll = new HyperLogLog();
        for (let id = 0; id < this.dict.size; id++) this.hll.add(this.dict.hashOf(id));
      }
    } else {
      const len = e - s;
      if (this.blen + len > this.bbuf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(this.bbuf.length * 2, this.blen + len));
        this.bbuf.copy(bigger, 0, 0, this.blen);
        this.bbuf = bigger;
      }
      this.bbuf.set(buf.subarray(s, e), this.blen);
      this.blen += len;
      this.lens[this.spos++] = len;
      this.hll!.add(fnv1a(buf, s, e));
    }
    if (this.spos === CHUNK_ROWS) this.flushStrings();
  }

  private flushStrings(): void {
    if (this.spos === 0) return;
    const header = new Uint32Array([this.bytesMode ? 1 : 0, this.spos, this.blen, 0]);
    writeAll(this.sfd, header);
    if (this.bytesMode) {
      writeAll(this.sfd, this.lens.subarray(0, this.spos));
      writeAll(this.sfd, this.bbuf.subarray(0, this.blen));
    } else {
      writeAll(this.sfd, this.ids.subarray(0, this.spos));
    }
    this.spos = 0;
    this.blen = 0;
  }

  /** Flushes and closes the spill files. */
  finish(): void {
    if (this.state === ColState.Unknown || this.state === ColState.Number || this.state === ColState.Date) {
      this.flushFloat();
      this.closeFloat(false);
    } else if (this.state === ColState.String) {
      this.flushStrings();
      closeSync(this.sfd);
      this.sfd = -1;
    }
  }

  /** Closes whatever is open (error path). */
  abort(): void {
    if (this.ffd !== -1) closeSync(this.ffd);
    if (this.sfd !== -1) closeSync(this.sfd);
    this.ffd = -1;
    this.sfd = -1;
  }

  /** Reads the spilled float64 values (all rows) back. */
  readFloats(): Float64Array {
    const out = new Float64Array(this.rows);
    if (this.rows === 0) return out;
    let fd: number;
    try {
      fd = openSync(this.floatPath, 'r');
    } catch {
      return out.fill(NaN);
    }
    try {
      const bytes = new Uint8Array(out.buffer);
      let off = 0;
      while (off < bytes.length) {
        const n = readSync(fd, bytes, off, bytes.length - off, off);
        if (n === 0) break;
        off += n;
      }
    } finally {
      closeSync(fd);
    }
    return out;
  }

  /** Iterates the spilled string chunks in row order. */
  *readStringChunks(): Generator<StringChunk> {
    const fd = openSync(this.stringPath, 'r');
    try {
      let pos = 0;
      const header = new Uint32Array(4);
      const hb = new Uint8Array(header.buffer);
      for (;;) {
        if (readSync(fd, hb, 0, 16, pos) < 16) break;
        pos += 16;
        const [mode, count, blen] = header;
        const arr = new Int32Array(count);
        readSync(fd, new Uint8Array(arr.buffer), 0, count * 4, pos);
        pos += count * 4;
        if (mode === 0) {
          yield { mode: 'ids', ids: arr };
        } else {
          const bytes = Buffer.allocUnsafe(blen);
          readSync(fd, bytes, 0, blen, pos);
          pos += blen;
          yield { mode: 'bytes', lens: arr, bytes };
        }
      }
    } finally {
      closeSync(fd);
    }
  }
}
