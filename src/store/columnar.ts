import { closeSync, openSync, writeSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
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
 * Appends blocks to a file while hashing it (small writes are gathered); blocks can be
 * read back before the file is finished; `finish()` appends the footer.
 */
export class ColumnarWriter {
  private readonly fd: number;
  private pos = 0;
  private readonly hash: Hash = createHash('sha256');
  private static readonly PAD = new Uint8Array(8);
  // Small: full blocks bypass it; wide tables hold thousands of writers at once.
  private readonly pending = Buffer.allocUnsafe(1 << 16);
  private pendingLen = 0;

  constructor(readonly path: string) {
    // read-write: blocks are read back through the same descriptor (one open per column matters
    // for wide tables: creating and opening a file costs ~0.5 ms on some filesystems)
    this.fd = openSync(path, 'wx+', 0o644);
    this.write(Buffer.from(COLUMNAR_MAGIC, 'latin1'));
  }

  private flush(): void {
    if (this.pendingLen === 0) return;
    this.writeNow(this.pending.subarray(0, this.pendingLen));
    this.pendingLen = 0;
  }

  private writeNow(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    this.hash.update(bytes);
  }

  private write(bytes: Uint8Array): void {
    this.pos += bytes.length;
    if (this.pendingLen + bytes.length <= this.pending.length) {
      this.pending.set(bytes, this.pendingLen);
      this.pendingLen += bytes.length;
      return;
    }
    this.flush();
    if (bytes.length >= this.pending.length) this.writeNow(bytes);
    else {
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
    this.flush();
    let off = 0;
    while (off < ref.byteLength) {
      const n = readSync(this.fd, into, off, ref.byteLength - off, ref.offset + off);
      if (n === 0) throw new Error(`short read of block at ${ref.offset}`);
      off += n;
    }
  }

  /**
   * Writes the footer and closes; returns the file's sha256 hex and size. Not fsynced here: the
   * importer syncs all its column files at once, in parallel ({@link syncFiles}).
   */
  finish(footer: ColumnarFooter): { hex: string; bytes: number } {
    const json = Buffer.from(JSON.stringify(footer), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length, 0);
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
    closeSync(this.fd);
  }
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

/** Loads a columnar file's bytes into one typed array (or string array) per column. */
export function loadColumnar(buf: Uint8Array): LoadedTable {
  const footer = readColumnarFooter(buf);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const rows = footer.rows;
  const columns = footer.columns.map((c): LoadedColumn => {
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

/** One column of a columnar file (a per-column object holds exactly one). */
export function loadColumn(buf: Uint8Array): LoadedColumn {
  const t = loadColumnar(buf);
  if (t.columns.length !== 1) damaged();
  return t.columns[0];
}

/**
 * fsyncs files with up to `concurrency` at a time on libuv's thread pool: on filesystems where
 * one fsync costs most of a millisecond, a wide table's thousands of column files sync several
 * times faster than one after another.
 */
export async function syncFiles(paths: readonly string[], concurrency = 16): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const fh = await open(paths[next++], 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
}
