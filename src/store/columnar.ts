import { closeSync, openSync, writeSync, fsyncSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import type { ColumnType } from '../core/dataset.js';
import { InfraError } from '../core/errors.js';

/**
 * The columnar copy of a dataset (`BFLYCOL1`): 8-byte aligned sections of typed-array bytes
 * followed by a JSON footer, its length (u32 LE) and the magic again. Loading maps each section
 * to a typed array without parsing text.
 *
 * Encodings: number/integer/datetime → f64 (NaN = missing; datetime in epoch ms);
 * boolean → i8 (1, 0, -1 = missing); category → i32 codes into `levels` (-1 = missing);
 * text → utf8 bytes plus f64 offsets (rows + 1; an empty value is missing).
 */
export const COLUMNAR_MAGIC = 'BFLYCOL1';

/** Where one array lives in the file. */
export interface SectionRef {
  offset: number;
  byteLength: number;
}

/** Footer entry of one column. */
export interface ColumnarColumnMeta {
  name: string;
  type: ColumnType;
  values?: SectionRef;
  levels?: string[];
  bytes?: SectionRef;
  offsets?: SectionRef;
}

/** The footer. */
export interface ColumnarFooter {
  format: 'bfly-columnar';
  version: 1;
  rows: number;
  columns: ColumnarColumnMeta[];
}

/** A loaded column. */
export type LoadedColumn =
  | { name: string; type: 'number' | 'integer' | 'datetime'; values: Float64Array }
  | { name: string; type: 'boolean'; values: Int8Array }
  | { name: string; type: 'category'; codes: Int32Array; levels: string[] }
  | { name: string; type: 'text'; get(row: number): string | null };

/** A loaded columnar dataset. */
export interface LoadedTable {
  rows: number;
  columns: LoadedColumn[];
}

/** Streams sections to a file while hashing it; `finish()` appends the footer. */
export class ColumnarWriter {
  private readonly fd: number;
  private pos = 0;
  private readonly hash: Hash = createHash('sha256');
  private static readonly PAD = new Uint8Array(8);

  constructor(readonly path: string) {
    this.fd = openSync(path, 'wx', 0o644);
    this.write(Buffer.from(COLUMNAR_MAGIC, 'latin1'));
  }

  private write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    this.hash.update(bytes);
    this.pos += bytes.length;
  }

  private align(): void {
    const pad = (8 - (this.pos % 8)) % 8;
    if (pad > 0) this.write(ColumnarWriter.PAD.subarray(0, pad));
  }

  /** Starts a section; append its bytes with {@link append}, then call {@link endSection}. */
  beginSection(): number {
    this.align();
    return this.pos;
  }

  /** Appends bytes to the open section. */
  append(view: ArrayBufferView): void {
    this.write(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  }

  /** Ends the section begun at `start`. */
  endSection(start: number): SectionRef {
    return { offset: start, byteLength: this.pos - start };
  }

  /** Writes a whole section. */
  section(view: ArrayBufferView): SectionRef {
    const start = this.beginSection();
    this.append(view);
    return this.endSection(start);
  }

  /** Writes the footer, fsyncs and closes; returns the file's sha256 hex and size. */
  finish(footer: ColumnarFooter): { hex: string; bytes: number } {
    const json = Buffer.from(JSON.stringify(footer), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length, 0);
    this.write(json);
    this.write(len);
    this.write(Buffer.from(COLUMNAR_MAGIC, 'latin1'));
    fsyncSync(this.fd);
    closeSync(this.fd);
    return { hex: this.hash.digest('hex'), bytes: this.pos };
  }

  /** Closes without finishing (the caller removes the file). */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

/** Reads the footer of a columnar file's bytes. */
export function readColumnarFooter(buf: Uint8Array): ColumnarFooter {
  const bad = (): never => {
    throw new InfraError('BAD_COLUMNAR', 'the columnar copy of this dataset is damaged', { hint: 'run `bfly fsck`; re-import the dataset to rebuild it' });
  };
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 20 || b.toString('latin1', 0, 8) !== COLUMNAR_MAGIC || b.toString('latin1', b.length - 8) !== COLUMNAR_MAGIC) bad();
  const len = b.readUInt32LE(b.length - 12);
  if (len > b.length - 20) bad();
  return JSON.parse(b.toString('utf8', b.length - 12 - len, b.length - 12)) as ColumnarFooter;
}

/**
 * Maps a columnar file's bytes to typed arrays (copy-free when the buffer is 8-byte aligned).
 */
export function loadColumnar(buf: Uint8Array): LoadedTable {
  const footer = readColumnarFooter(buf);
  // Typed arrays need aligned offsets; Node's pooled buffers may not be.
  const base = buf.byteOffset % 8 === 0 ? buf : new Uint8Array(buf);
  const view = <T>(ref: SectionRef, Ctor: { new (b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number }): T =>
    new Ctor(base.buffer, base.byteOffset + ref.offset, ref.byteLength / Ctor.BYTES_PER_ELEMENT);
  const columns = footer.columns.map((c): LoadedColumn => {
    switch (c.type) {
      case 'number':
      case 'integer':
      case 'datetime':
        return { name: c.name, type: c.type, values: view(c.values!, Float64Array) };
      case 'boolean':
        return { name: c.name, type: 'boolean', values: view(c.values!, Int8Array) };
      case 'category':
        return { name: c.name, type: 'category', codes: view(c.values!, Int32Array), levels: c.levels ?? [] };
      case 'text': {
        const offsets = view(c.offsets!, Float64Array);
        const bytes = Buffer.from(base.buffer, base.byteOffset + c.bytes!.offset, c.bytes!.byteLength);
        return {
          name: c.name,
          type: 'text',
          get: (row: number) => (offsets[row + 1] > offsets[row] ? bytes.toString('utf8', offsets[row], offsets[row + 1]) : null),
        };
      }
    }
  });
  return { rows: footer.rows, columns };
}
