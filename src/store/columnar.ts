import { closeSync, openSync, readFileSync, writeSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import type { ColumnType } from '../core/dataset.js';
import { InfraError } from '../core/errors.js';

/**
 * The columnar copy of a dataset (`BFLYCOL2`): blocks of typed-array bytes (8-byte aligned),
 * written while the source streams by, then a JSON footer that lists each column's blocks in
 * row order, the footer's length (u32 LE) and the magic again.
 *
 * Block kinds: `f64` float64 values (NaN = missing; datetimes in epoch ms); `ids` int32 ids
 * into the column's `levels` (-1 = missing); `bytes` int32 lengths (-1 = missing) followed by
 * the UTF-8 bytes of each value. number/integer/datetime columns are `f64`; category and
 * boolean columns are `ids` (a boolean's `levels` map to `trueLevels`); text mixes `ids` and
 * `bytes` (values past the dictionary's size).
 */
export const COLUMNAR_MAGIC = 'BFLYCOL2';

/** Where a block lives in the file. */
export interface BlockRef {
  kind: 'f64' | 'ids' | 'bytes';
  offset: number;
  byteLength: number;
  /** Rows in the block. */
  rows: number;
}

/** Footer entry of one column. */
export interface ColumnarColumnMeta {
  name: string;
  type: ColumnType;
  blocks: BlockRef[];
  levels?: string[];
  /** For boolean columns: which levels mean true. */
  trueLevels?: number[];
}

/** The footer. */
export interface ColumnarFooter {
  format: 'bfly-columnar';
  version: 2;
  rows: number;
  columns: ColumnarColumnMeta[];
}

/** A loaded column. */
export type LoadedColumn =
  | { name: string; type: 'number' | 'integer' | 'datetime'; values: Float64Array; format?: string }
  | { name: string; type: 'boolean'; values: Int8Array }
  | { name: string; type: 'category'; codes: Int32Array; levels: string[] }
  | { name: string; type: 'text'; values: Array<string | null> };

/** A loaded columnar dataset. */
export interface LoadedTable {
  rows: number;
  columns: LoadedColumn[];
}

/** Row `i` of a target column as a class label (text), or null when missing. */
export function classLabel(col: LoadedColumn, i: number): string | null {
  switch (col.type) {
    case 'category':
      return col.codes[i] < 0 ? null : col.levels[col.codes[i]];
    case 'boolean':
      return col.values[i] < 0 ? null : col.values[i] === 1 ? 'true' : 'false';
    case 'text':
      return col.values[i];
    default:
      return Number.isNaN(col.values[i]) ? null : String(col.values[i]);
  }
}

/** How many rows of each class a target column holds (missing values left out). */
export function classCounts(col: LoadedColumn): Map<string, number> {
  const counts = new Map<string, number>();
  const n = col.type === 'category' ? col.codes.length : col.values.length;
  for (let i = 0; i < n; i++) {
    const l = classLabel(col, i);
    if (l !== null) counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  return counts;
}

/**
 * Appends blocks to a columnar file while hashing it; blocks can be read back before the file
 * is finished; `finish()` appends the footer. A writer may hold its first `holdBytes` in
 * memory: the file is made only once it grows past them, and one that never does is finished
 * as an in-memory image (for the importer to put with other small columns in one group object).
 */
export class ColumnarWriter {
  /** -1: held in memory (no file yet) or closed for room; see {@link onDisk}. */
  private fd = -1;
  /** The file exists (it may be closed to stay within the open-file budget, and is reopened on use). */
  private onDisk = false;
  /** Bytes written to the file so far (writes are positional: a reopened file goes on where it was). */
  private filePos = 0;
  private pos = 0;
  private readonly hash: Hash = createHash('sha256');
  private static readonly PAD = new Uint8Array(8);
  private static readonly PENDING = 1 << 16;
  // Small writes gathered before they go to the file: grown as needed, up to `pendingCap`; full
  // blocks bypass it. Wide tables hold thousands of writers at once.
  private pending = Buffer.alloc(0);
  private pendingLen = 0;
  /** 64 KiB, or as little as 4 KiB for a writer that may hold little (a wide table's column). */
  private readonly pendingCap: number;

  constructor(
    readonly path: string,
    /** Bytes kept in memory before the file is made (0: made at once). */
    private readonly holdBytes = 0,
  ) {
    this.pendingCap = Math.max(4096, Math.min(ColumnarWriter.PENDING, holdBytes));
    this.write(Buffer.from(COLUMNAR_MAGIC, 'latin1'));
    if (holdBytes <= 0) this.spill();
  }

  /** Whether the bytes so far are only in memory (no file yet). */
  get held(): boolean {
    return !this.onDisk;
  }

  /** Writers with a file open, least recently used first: a table of 20,000 columns stays within `ulimit -n`. */
  private static readonly open = new Set<ColumnarWriter>();

  /** How many column files are open now (every finished or abandoned writer has closed its own). */
  static get openFiles(): number {
    return ColumnarWriter.open.size;
  }

  /** The most column files open at once: the process's open-file limit less a margin, at least 16. */
  static maxOpen = openFileBudget();

  /** The file's descriptor, opening it (and closing the least recently used other) as needed. */
  private file(): number {
    const open = ColumnarWriter.open;
    if (this.fd !== -1) {
      open.delete(this);
      open.add(this);
      return this.fd;
    }
    while (open.size >= ColumnarWriter.maxOpen) {
      const lru = open.values().next().value as ColumnarWriter;
      lru.release();
    }
    // read-write: blocks are read back through the same descriptor
    this.fd = openSync(this.path, this.onDisk ? 'r+' : 'wx+', 0o644);
    this.onDisk = true;
    open.add(this);
    return this.fd;
  }

  /** Closes the file for now (it is reopened on the next write or read). */
  private release(): void {
    ColumnarWriter.open.delete(this);
    if (this.fd !== -1) closeSync(this.fd);
    this.fd = -1;
  }

  /** Makes the file and writes what was held (and lets go of a buffer grown past the cap). */
  private spill(): void {
    this.file();
    this.flush();
    if (this.pending.length > this.pendingCap) this.pending = Buffer.alloc(0);
  }

  private flush(): void {
    if (this.pendingLen === 0 || !this.onDisk) return;
    this.writeNow(this.pending.subarray(0, this.pendingLen));
    this.pendingLen = 0;
  }

  private writeNow(bytes: Uint8Array): void {
    const fd = this.file();
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, this.filePos + off);
    this.filePos += bytes.length;
    this.hash.update(bytes);
  }

  private room(need: number): void {
    if (need <= this.pending.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.pending.length * 2 || 256));
    this.pending.copy(next, 0, 0, this.pendingLen);
    this.pending = next;
  }

  private write(bytes: Uint8Array): void {
    this.pos += bytes.length;
    if (!this.onDisk) {
      // held in memory; past the hold, the file is made and everything goes there from now on
      this.room(this.pendingLen + bytes.length);
      this.pending.set(bytes, this.pendingLen);
      this.pendingLen += bytes.length;
      if (this.pos > this.holdBytes) this.spill();
      return;
    }
    if (this.pendingLen + bytes.length <= this.pendingCap) {
      this.room(this.pendingLen + bytes.length);
      this.pending.set(bytes, this.pendingLen);
      this.pendingLen += bytes.length;
      return;
    }
    this.flush();
    if (bytes.length >= this.pendingCap) this.writeNow(bytes);
    else {
      this.room(bytes.length);
      this.pending.set(bytes, 0);
      this.pendingLen = bytes.length;
    }
  }

  private align(): void {
    const pad = (8 - (this.pos % 8)) % 8;
    if (pad > 0) this.write(ColumnarWriter.PAD.subarray(0, pad));
  }

  /** Appends one block made of `parts` (written back to back). */
  block(kind: BlockRef['kind'], rows: number, ...parts: ArrayBufferView[]): BlockRef {
    this.align();
    const offset = this.pos;
    for (const p of parts) this.write(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
    return { kind, offset, byteLength: this.pos - offset, rows };
  }

  /** Reads a written block's bytes back into `into` (which must be `ref.byteLength` long). */
  readBack(ref: BlockRef, into: Uint8Array): void {
    if (!this.onDisk) {
      into.set(this.pending.subarray(ref.offset, ref.offset + ref.byteLength));
      return;
    }
    this.flush();
    const fd = this.file();
    let off = 0;
    while (off < ref.byteLength) {
      const n = readSync(fd, into, off, ref.byteLength - off, ref.offset + off);
      if (n === 0) throw new Error(`short read of block at ${ref.offset}`);
      off += n;
    }
  }

  /**
   * Writes the footer; returns the sha256 hex and size, and the bytes themselves when they were
   * held in memory all along (no file was made). A file is closed but not fsynced here: the
   * importer syncs all its files at once, in parallel ({@link syncFiles}).
   */
  finish(footer: ColumnarFooter): { hex: string; bytes: number; image?: Uint8Array } {
    const json = Buffer.from(JSON.stringify(footer), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length, 0);
    // a footer that takes the file past the hold (a text column's levels) makes the file too
    if (!this.onDisk && this.pos + json.length + 12 > this.holdBytes) this.spill();
    if (!this.onDisk) {
      this.room(this.pendingLen + json.length + 12);
      for (const part of [json, len, Buffer.from(COLUMNAR_MAGIC, 'latin1')]) {
        this.pending.set(part, this.pendingLen);
        this.pendingLen += part.length;
        this.pos += part.length;
      }
      // its own exact-size copy: the buffer it grew in (shared with others when small) is let go
      const image = new Uint8Array(this.pending.subarray(0, this.pendingLen));
      this.pending = Buffer.alloc(0);
      this.closed = true;
      return { hex: this.hash.update(image).digest('hex'), bytes: this.pos, image };
    }
    this.write(json);
    this.write(len);
    this.write(Buffer.from(COLUMNAR_MAGIC, 'latin1'));
    this.flush();
    this.close();
    return { hex: this.hash.digest('hex'), bytes: this.pos };
  }

  private closed = false;

  /** Closes the file (the caller removes it on error). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }
}

/** The process's open-file limit (`ulimit -n`, from /proc) less 256 for everything else, at least 16. */
function openFileBudget(): number {
  let files = 4096;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m !== null) files = Number(m[1]);
  } catch {
    /* no /proc: a budget every system allows */
  }
  return Math.max(16, Math.min(4096, files - 256));
}

function damaged(): never {
  throw new InfraError('BAD_COLUMNAR', 'the columnar copy of this dataset is damaged', { hint: 'run `bfly fsck`; re-import the dataset to rebuild it' });
}

/** Reads the footer of a columnar file's bytes. */
export function readColumnarFooter(buf: Uint8Array): ColumnarFooter {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 20 || b.toString('latin1', 0, 8) !== COLUMNAR_MAGIC || b.toString('latin1', b.length - 8) !== COLUMNAR_MAGIC) damaged();
  const len = b.readUInt32LE(b.length - 12);
  if (len > b.length - 20) damaged();
  return JSON.parse(b.toString('utf8', b.length - 12 - len, b.length - 12)) as ColumnarFooter;
}

/**
 * One columnar file holding the columns of several (each a whole single-column file of the same
 * row count, in order): their blocks one after another, 8-byte aligned, and one footer listing
 * them all. A group of one is that file, unchanged.
 */
export function groupColumnar(images: readonly Uint8Array[]): Uint8Array {
  if (images.length === 1) return images[0];
  const footers = images.map(readColumnarFooter);
  const bodies = images.map((img, i) => {
    const b = Buffer.from(img.buffer, img.byteOffset, img.byteLength);
    const end = b.length - 12 - b.readUInt32LE(b.length - 12);
    if (footers[i].columns.length !== 1 || footers[i].rows !== footers[0].rows) damaged();
    return b.subarray(8, end);
  });
  const columns: ColumnarColumnMeta[] = [];
  const parts: Uint8Array[] = [Buffer.from(COLUMNAR_MAGIC, 'latin1')];
  let pos = 8;
  bodies.forEach((body, i) => {
    const pad = (8 - (pos % 8)) % 8;
    if (pad > 0) parts.push(new Uint8Array(pad));
    pos += pad;
    const shift = pos - 8; // a body starts 8-byte aligned at 8 in its own file
    const meta = footers[i].columns[0];
    columns.push({ ...meta, blocks: meta.blocks.map((blk) => ({ ...blk, offset: blk.offset + shift })) });
    parts.push(body);
    pos += body.length;
  });
  const footer: ColumnarFooter = { format: 'bfly-columnar', version: 2, rows: footers[0].rows, columns };
  const json = Buffer.from(JSON.stringify(footer), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  parts.push(json, len, Buffer.from(COLUMNAR_MAGIC, 'latin1'));
  return Buffer.concat(parts);
}

/**
 * Loads a columnar file's bytes into one typed array (or string array) per column: all of them,
 * or only those named in `only` (a group object holds many).
 */
export function loadColumnar(buf: Uint8Array, only?: ReadonlySet<string>): LoadedTable {
  const footer = readColumnarFooter(buf);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const rows = footer.rows;
  const columns = footer.columns.filter((c) => only === undefined || only.has(c.name)).map((c): LoadedColumn => {
    const f64 = (): Float64Array => {
      const out = new Float64Array(rows);
      const bytes = new Uint8Array(out.buffer);
      let at = 0;
      for (const blk of c.blocks) {
        bytes.set(b.subarray(blk.offset, blk.offset + blk.byteLength), at);
        at += blk.byteLength;
      }
      return out;
    };
    const ids = (): Int32Array => {
      const out = new Int32Array(rows);
      let r = 0;
      for (const blk of c.blocks) {
        if (blk.kind !== 'ids') damaged();
        out.set(new Int32Array(b.buffer.slice(b.byteOffset + blk.offset, b.byteOffset + blk.offset + blk.byteLength)), r);
        r += blk.rows;
      }
      return out;
    };
    switch (c.type) {
      case 'number':
      case 'integer':
      case 'datetime':
        return { name: c.name, type: c.type, values: f64() };
      case 'boolean': {
        const isTrue = new Set(c.trueLevels ?? []);
        return { name: c.name, type: 'boolean', values: Int8Array.from(ids(), (id) => (id < 0 ? -1 : isTrue.has(id) ? 1 : 0)) };
      }
      case 'category':
        return { name: c.name, type: 'category', codes: ids(), levels: c.levels ?? [] };
      case 'text': {
        const levels = c.levels ?? [];
        const values: Array<string | null> = [];
        for (const blk of c.blocks) {
          const raw = b.buffer.slice(b.byteOffset + blk.offset, b.byteOffset + blk.offset + blk.rows * 4);
          const ints = new Int32Array(raw);
          if (blk.kind === 'ids') {
            for (const id of ints) values.push(id < 0 ? null : levels[id]);
          } else if (blk.kind === 'bytes') {
            let p = blk.offset + blk.rows * 4;
            for (const len of ints) {
              if (len < 0) values.push(null);
              else {
                values.push(b.toString('utf8', p, p + len));
                p += len;
              }
            }
          } else {
            for (let k = 0; k < blk.rows; k++) values.push(null);
          }
        }
        return { name: c.name, type: 'text', values };
      }
    }
  });
  return { rows, columns };
}

/**
 * One column of a columnar file: the one it holds (a per-column object), or the one named
 * `name` (a per-column object or a group object).
 */
export function loadColumn(buf: Uint8Array, name?: string): LoadedColumn {
  const t = loadColumnar(buf, name === undefined ? undefined : new Set([name]));
  if (t.columns.length !== 1) damaged();
  return t.columns[0];
}

/**
 * fsyncs files with up to `concurrency` at a time on libuv's thread pool: on filesystems where
 * one fsync costs most of a millisecond, a wide table's thousands of column files sync several
 * times faster than one after another.
 */
export async function syncFiles(paths: readonly string[], concurrency = 16): Promise<void> {
  await eachFile(paths, concurrency, async (fh) => fh.sync());
}

/**
 * Opens each file read-only and runs `use` on it, with at most `concurrency` open at a time (a
 * wide table has thousands of files, and the descriptors are the process's, threads included);
 * errors reject (after the running ones end).
 */
export async function eachFile(paths: readonly string[], concurrency: number, use: (fh: FileHandle) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const fh = await open(paths[next++], 'r');
      try {
        await use(fh);
      } finally {
        await fh.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
}
