/**
 * The run index's columnar side file, `index/runs-cols-v1.bin`: every indexed run's summary as
 * typed columns (one per leaf field: `metrics.accuracy`, `params.train.model`, `status`, …), with
 * where its line sits in the index datafile. `bfly runs`, `--where` and `--sort` scan these
 * columns instead of parsing 100,000 JSON documents, and print the matching lines' text as stored.
 *
 * It is a cache of a cache: it covers the datafile's first `covered` bytes (the same file: its
 * inode), and readers parse only the lines appended since. A reader that finds many such lines
 * writes the file again (merging the columns it has with the new lines); a datafile rewritten
 * (healed, `bfly reindex`) has a new inode, and the side file is rebuilt from it. The body carries
 * its sha256; a side file that does not match is not used. A line's text printed from it is checked
 * against the line's own hash (`_h`) first, as every index reader does.
 *
 * Layout: `BFLYCOL1`, a u32 header length, the header (JSON), then 8-byte-aligned sections: the
 * ids (newline-separated), each row's line offset (f64) and length (u32), then the columns. A
 * column is `f64` (NaN: absent; used when every present value is a number) or `code` (u8/u16/u32
 * indexes into its values' JSON texts, 0: absent) or `const` (every row the same present value).
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../core/hash.js';
import type { RunSummary } from '../core/run-summary.js';
import { writeFileAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';

export const COLUMNS_FILE = 'runs-cols-v1.bin';
const MAGIC = 'BFLYCOL1';

/** Path of the columnar side file. */
export function columnsPath(root: string): string {
  return join(workspacePaths(root).index, COLUMNS_FILE);
}

type Codes = Uint8Array | Uint16Array | Uint32Array;

/**
 * One column: a leaf field of the summaries. Texts (a `code` column's values, a `text` column's
 * cells: JSON texts, '' for absent) are decoded on first use.
 */
export type Column = { kind: 'f64'; data: Float64Array } | { kind: 'code'; data: Codes; values: () => string[] } | { kind: 'text'; texts: () => string[] } | { kind: 'const'; value: string };

/** A loaded side file. */
export interface RunColumns {
  /** The datafile it covers (inode, sha256 of its first 4 KiB) and how much of it (bytes). */
  ino: number;
  head: string;
  covered: number;
  ids: string[];
  lineOffset: Float64Array;
  lineLength: Uint32Array;
  columns: Map<string, Column>;
}

interface SectionRef {
  offset: number;
  bytes: number;
}
interface Header {
  v: 1;
  rows: number;
  ino: number;
  covered: number;
  /** sha256 of the datafile's first bytes (up to 4 KiB): an inode number reused by a rewritten datafile is not taken for the old one. */
  head: string;
  sha256: string;
  ids: SectionRef;
  lineOffset: SectionRef;
  lineLength: SectionRef;
  columns: Array<{ path: string; kind: 'f64' | 'code' | 'text' | 'const'; width?: 1 | 2 | 4; values?: SectionRef; value?: string; at?: SectionRef }>;
}

/** A cell: a number, the JSON text of any other value, or undefined (absent). */
type Cell = number | string | undefined;

/**
 * Calls `leaf` for each leaf of a summary: numbers as they are, anything else (strings, lists,
 * null, `{}`) as JSON text. The run's id is not a column (the side file lists the ids).
 */
export function summaryLeaves(doc: unknown, leaf: (path: string, v: Cell) => void, prefix = ''): void {
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    if (path === 'id') continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) summaryLeaves(v, leaf, path);
    else if (typeof v === 'number') leaf(path, v);
    else if (v !== undefined) leaf(path, JSON.stringify(v));
  }
}

/** A column's cell at a row. */
export function cellAt(c: Column, row: number): Cell {
  if (c.kind === 'f64') {
    const v = c.data[row];
    return Number.isNaN(v) ? undefined : v;
  }
  if (c.kind === 'const') return c.value;
  if (c.kind === 'text') {
    const t = c.texts()[row];
    return t === '' ? undefined : t;
  }
  const k = c.data[row];
  return k === 0 ? undefined : c.values()[k - 1];
}

/** Decodes a section of newline-separated texts once, when first asked. */
function lazyTexts(body: Buffer, ref: SectionRef): () => string[] {
  let texts: string[] | null = null;
  return () => (texts ??= ref.bytes === 0 ? [''] : body.toString('utf8', ref.offset, ref.offset + ref.bytes).split('\n'));
}

/** How many of the datafile's first bytes the side file's `head` hashes. */
export const HEAD_BYTES = 4096;

/**
 * Reads and checks the side file; null when it is missing, damaged or not for this datafile
 * (`head`: a function giving the sha256 of the datafile's first `n` bytes).
 */
export function readRunColumns(root: string, datafile: Datafile): RunColumns | null {
  const r = loadRunColumns(root);
  return r === null || 'problem' in r ? null : fitsDatafile(r, datafile);
}

/** What a side file is checked against: the datafile's inode, size and the sha256 of its first `n` bytes. */
export interface Datafile {
  ino: number;
  size: number;
  head: (n: number) => string;
}

/** The side file when it was made for this datafile (the same inode, first bytes, and no longer than it); else null. */
export function fitsDatafile(cols: RunColumns | null, d: Datafile): RunColumns | null {
  return cols !== null && cols.ino === d.ino && cols.covered <= d.size && cols.head === d.head(Math.min(HEAD_BYTES, cols.covered)) ? cols : null;
}

/** The datafile open at `fd`, as {@link fitsDatafile} checks it. */
export function datafileOf(fd: number): Datafile {
  const { ino, size } = fstatSync(fd);
  const first = Buffer.allocUnsafe(Math.min(HEAD_BYTES, size));
  const firstLength = readSync(fd, first, 0, first.length, 0);
  return { ino, size, head: (n) => sha256Hex(first.subarray(0, Math.min(n, firstLength))) };
}

/** What is wrong with the side file, if anything (fsck); null when it is sound or absent. */
export function runColumnsProblem(root: string): string | null {
  const r = loadRunColumns(root);
  return r !== null && 'problem' in r ? r.problem : null;
}

function loadRunColumns(root: string): RunColumns | { problem: string } | null {
  let buf: Buffer;
  try {
    buf = readFileSync(columnsPath(root));
  } catch {
    return null;
  }
  try {
    if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) return { problem: 'not a run-index side file' };
    const hlen = buf.readUInt32LE(8);
    const h = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Header;
    const start = align(12 + hlen);
    if (h.v !== 1) return { problem: `side file version ${h.v}` };
    if (sha256Hex(buf.subarray(start)) !== h.sha256) return { problem: 'its body does not match its sha256' };
    // typed views need aligned offsets: copy the body into its own buffer when it is not
    const body = (buf.byteOffset + start) % 8 === 0 ? buf.subarray(start) : Buffer.from(buf.subarray(start));
    const view = <T>(ref: SectionRef, make: (b: ArrayBuffer, o: number, n: number) => T, size: number): T => make(body.buffer as ArrayBuffer, body.byteOffset + ref.offset, ref.bytes / size);
    const ids = h.rows === 0 ? [] : body.toString('utf8', h.ids.offset, h.ids.offset + h.ids.bytes).split('\n');
    if (ids.length !== h.rows) return { problem: 'its ids do not match its row count' };
    const columns = new Map<string, Column>();
    for (const c of h.columns) {
      if (c.kind === 'const') columns.set(c.path, { kind: 'const', value: c.value! });
      else if (c.kind === 'text') columns.set(c.path, { kind: 'text', texts: lazyTexts(body, c.at!) });
      else if (c.kind === 'f64') columns.set(c.path, { kind: 'f64', data: view(c.at!, (b, o, n) => new Float64Array(b, o, n), 8) });
      else {
        const make = (b: ArrayBuffer, o: number, n: number): Codes => (c.width === 1 ? new Uint8Array(b, o, n) : c.width === 2 ? new Uint16Array(b, o, n) : new Uint32Array(b, o, n));
        columns.set(c.path, { kind: 'code', data: view(c.at!, make, c.width!), values: lazyTexts(body, c.values!) });
      }
    }
    return {
      ino: h.ino,
      head: h.head,
      covered: h.covered,
      ids,
      lineOffset: view(h.lineOffset, (b, o, n) => new Float64Array(b, o, n), 8),
      lineLength: view(h.lineLength, (b, o, n) => new Uint32Array(b, o, n), 4),
      columns,
    };
  } catch (err) {
    return { problem: `unreadable (${(err as Error).message})` };
  }
}

const align = (n: number): number => Math.ceil(n / 8) * 8;

/** Distinct texts a column keeps one copy of each (more: a column of mostly distinct texts). */
const INTERN_LIMIT = 65_536;

/**
 * Builds a side file row by row (rows from a loaded side file, or summaries parsed from new
 * lines), holding only the cells: each column's repeated texts are kept once. A row can be
 * dropped (its run's line was replaced or deleted later). Rows are written sorted by id.
 */
export class ColumnBuilder {
  private ids: string[] = [];
  private offsets: number[] = [];
  private lengths: number[] = [];
  private dead: boolean[] = [];
  private cells = new Map<string, { cells: Cell[]; intern: Map<string, string> | null }>();

  get rows(): number {
    return this.ids.length;
  }

  private column(path: string): { cells: Cell[]; intern: Map<string, string> | null } {
    let c = this.cells.get(path);
    if (c === undefined) this.cells.set(path, (c = { cells: [], intern: new Map() }));
    return c;
  }

  private put(path: string, row: number, v: Cell): void {
    const c = this.column(path);
    if (typeof v === 'string' && c.intern !== null) {
      const kept = c.intern.get(v);
      if (kept !== undefined) v = kept;
      else if (c.intern.size < INTERN_LIMIT) c.intern.set(v, v);
      else c.intern = null;
    }
    c.cells[row] = v;
  }

  /** Adds the given rows of a loaded side file (column by column). */
  addSide(from: RunColumns, rows: ArrayLike<number>): void {
    const base = this.ids.length;
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      this.ids.push(from.ids[r]);
      this.offsets.push(from.lineOffset[r]);
      this.lengths.push(from.lineLength[r]);
      this.dead.push(false);
    }
    for (const [path, col] of from.columns) for (let k = 0; k < rows.length; k++) this.put(path, base + k, cellAt(col, rows[k]));
  }

  /** Adds a summary parsed from the line at `offset`; returns its row. */
  addDoc(id: string, offset: number, length: number, doc: RunSummary): number {
    const row = this.ids.length;
    this.ids.push(id);
    this.offsets.push(offset);
    this.lengths.push(length);
    this.dead.push(false);
    summaryLeaves(doc, (path, v) => this.put(path, row, v));
    return row;
  }

  /** Leaves a row out of the file. */
  drop(row: number): void {
    this.dead[row] = true;
  }

  /**
   * Writes the side file (temp file, then rename): it covers the datafile `ino` up to `covered`
   * bytes. The caller holds the index lock.
   */
  write(root: string, datafile: { ino: number; head: (n: number) => string }, covered: number): void {
    const order = [...this.ids.keys()].filter((i) => !this.dead[i]).sort((a, b) => (this.ids[a] < this.ids[b] ? -1 : this.ids[a] > this.ids[b] ? 1 : 0));
    const n = order.length;
    const sections: Buffer[] = [];
    let at = 0;
    const put = (b: Buffer): SectionRef => {
      const ref = { offset: at, bytes: b.length };
      sections.push(b);
      const pad = align(b.length) - b.length;
      if (pad > 0) sections.push(Buffer.alloc(pad));
      at += align(b.length);
      return ref;
    };
    const bytesOf = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const header: Header = { v: 1, rows: n, ino: datafile.ino, covered, head: datafile.head(Math.min(HEAD_BYTES, covered)), sha256: '', ids: put(Buffer.from(order.map((i) => this.ids[i]).join('\n'))), lineOffset: { offset: 0, bytes: 0 }, lineLength: { offset: 0, bytes: 0 }, columns: [] };
    header.lineOffset = put(bytesOf(Float64Array.from(order, (i) => this.offsets[i])));
    header.lineLength = put(bytesOf(Uint32Array.from(order, (i) => this.lengths[i])));
    const text = (v: Cell): string | undefined => (v === undefined ? undefined : typeof v === 'number' ? JSON.stringify(v) : v);
    for (const path of [...this.cells.keys()].sort()) {
      const all = this.cells.get(path)!.cells;
      let numeric = true;
      let present = 0;
      for (let k = 0; k < n; k++) {
        const v = all[order[k]];
        if (v !== undefined) {
          present++;
          if (typeof v !== 'number') numeric = false;
        }
      }
      if (present === 0) continue;
      const codes = new Map<string, number>();
      const values: string[] = [];
      const idx = new Uint32Array(n);
      for (let k = 0; k < n && values.length <= n / 2; k++) {
        const t = text(all[order[k]]);
        if (t === undefined) continue;
        let c = codes.get(t);
        if (c === undefined) {
          values.push(t);
          c = values.length;
          codes.set(t, c);
        }
        idx[k] = c;
      }
      if (present === n && values.length === 1) header.columns.push({ path, kind: 'const', value: values[0] });
      else if (numeric) {
        const data = new Float64Array(n);
        for (let k = 0; k < n; k++) {
          const v = all[order[k]];
          data[k] = v === undefined ? NaN : (v as number);
        }
        header.columns.push({ path, kind: 'f64', at: put(bytesOf(data)) });
      } else if (values.length > n / 2) {
        // mostly distinct (times, hashes): the texts themselves
        header.columns.push({ path, kind: 'text', at: put(Buffer.from(order.map((i) => text(all[i]) ?? '').join('\n'))) });
      } else {
        const width = values.length < 255 ? 1 : values.length < 65535 ? 2 : 4;
        const data = width === 1 ? Uint8Array.from(idx) : width === 2 ? Uint16Array.from(idx) : idx;
        header.columns.push({ path, kind: 'code', width, values: put(Buffer.from(values.join('\n'))), at: put(bytesOf(data)) });
      }
    }
    const body = Buffer.concat(sections);
    header.sha256 = sha256Hex(body);
    const h = Buffer.from(JSON.stringify(header));
    const head = Buffer.alloc(align(12 + h.length));
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(h.length, 8);
    h.copy(head, 12);
    mkdirSync(workspacePaths(root).index, { recursive: true });
    // derived and checked on every read: no fsync
    writeFileAtomic(columnsPath(root), Buffer.concat([head, body]), { tmpDir: workspacePaths(root).tmp, durable: false });
  }
}

/**
 * Reads index lines by their place in the datafile, from one descriptor: one by one, or, when they
 * add up to a good part of the file, the whole file at once. Null when the datafile is not the
 * one the places are for any more (another inode).
 */
export function readLines(file: string, ino: number, offsets: ArrayLike<number>, lengths: ArrayLike<number>): Array<Buffer | null> | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (st.ino !== ino) return null;
    let total = 0;
    for (let i = 0; i < lengths.length; i++) total += lengths[i];
    const out: Array<Buffer | null> = new Array<Buffer | null>(offsets.length);
    let lo = Infinity;
    let hi = 0;
    for (let i = 0; i < offsets.length; i++) {
      lo = Math.min(lo, offsets[i]);
      hi = Math.max(hi, offsets[i] + lengths[i]);
    }
    if (hi - lo <= 2 * total + 65_536) {
      // close together (a listing's lines, in order): the span they cover, in one read
      const span = Buffer.allocUnsafe(hi - lo);
      const got = readAt(fd, span, lo);
      for (let i = 0; i < offsets.length; i++) out[i] = offsets[i] + lengths[i] - lo <= got ? span.subarray(offsets[i] - lo, offsets[i] - lo + lengths[i]) : null;
    } else if (total > st.size / 4) {
      const whole = readFileSync(fd);
      for (let i = 0; i < offsets.length; i++) out[i] = offsets[i] + lengths[i] <= whole.length ? whole.subarray(offsets[i], offsets[i] + lengths[i]) : null;
    } else {
      for (let i = 0; i < offsets.length; i++) {
        const b = Buffer.allocUnsafe(lengths[i]);
        out[i] = readSync(fd, b, 0, lengths[i], offsets[i]) === lengths[i] ? b : null;
      }
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Fills `buf` from the file at `position` (fewer bytes at its end); returns how many were read. */
export function readAt(fd: number, buf: Buffer, position: number): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
