import { ValidationError } from '../../core/errors.js';
import type { StringDict } from '../../core/byte-dict.js';
import { type WasmMemory, wasmInstance } from '../../core/wasm.js';
import { CSV_WASM } from './csv.generated.js';

/** Largest record (one row, all fields) accepted, in bytes. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Most columns accepted. */
export const MAX_COLUMNS = 20_000;

/**
 * Receives parsed CSV records, one at a time (`record`) or, when `records` is given, a batch
 * of records at a time after the header. Field `k` of a record is `buf[starts[k]..ends[k])`.
 */
export interface CsvHandlers {
  header(names: string[], line: number): void;
  /** `flags[k]` bit 1: quoted; bit 2: contains doubled quotes to unescape. */
  record?(buf: Buffer, starts: Int32Array, ends: Int32Array, flags: Uint8Array, count: number, line: number): void;
  /** Many records at once (see {@link CsvBatch}); used instead of `record` when given. */
  records?(batch: CsvBatch): void;
}

/** Pulls bytes: reads up to `len` bytes into `buf[off..]`, returns 0 at the end. */
export type ReadFn = (buf: Buffer, off: number, len: number) => number;

/** Decodes field `k` as a string (unescaping doubled quotes). */
export function fieldText(buf: Buffer, start: number, end: number, flags: number): string {
  const s = buf.toString('utf8', start, end);
  return flags & 2 ? s.replaceAll('""', '"') : s;
}

/** The tokenizer's functions (csv.wat). */
interface CsvWasm {
  next(buf: number, end: number, last: number, delim: number, st: number, starts: number, ends: number, flags: number, cap: number): number;
  batch(buf: number, end: number, last: number, delim: number, st: number, starts: number, ends: number, flags: number, lines: number, width: number, max: number): number;
  values(kind: number, buf: number, starts: number, ends: number, flags: number, width: number, col: number, from: number, to: number, out: number, st: number): number;
  dictAdd(d: number, s: number, e: number): number;
  dictRehash(d: number, table: number, mask: number): void;
  dictIds(buf: number, starts: number, ends: number, flags: number, width: number, col: number, from: number, to: number, d: number, out: number): number;
  bytes(buf: number, starts: number, ends: number, flags: number, width: number, col: number, from: number, to: number, lens: number, out: number, cap: number, regs: number, st: number): number;
}

/** Fields in one batch (records x width) and records in one batch, at most. */
const BATCH_FIELDS = 1 << 16;
const BATCH_RECORDS = 4096;

// Memory layout: the state (i32s: position, line, record line, -, missing, fraction), the
// tokenizer's powers of ten at 1024, then starts and ends (i32) and flags (u8) of a batch's
// fields (or of one record), the batch's record lines (i32) and values (f64), then the buffer
// the file is read into.
const ST = 0;
const STARTS = 2048;
const ENDS = STARTS + BATCH_FIELDS * 4;
const FLAGS = ENDS + BATCH_FIELDS * 4;
const LINES = FLAGS + BATCH_FIELDS;
const OUT = LINES + BATCH_RECORDS * 4;
const BUF = OUT + BATCH_RECORDS * 8;
/** Allocations (dictionaries, HyperLogLog registers, free-text read-outs) live past the largest buffer; never freed. */
const HEAP = BUF + MAX_RECORD_BYTES + 65536;

/** What {@link CsvBatch.values} reads a column as. */
export const ValueKind = { Number: 0, Date: 1 } as const;

/**
 * A batch of parsed records of the same width, record-major: field `k` of record `r` is
 * `buf[starts[r * width + k] .. ends[r * width + k])` with `flags[r * width + k]`; record `r`
 * starts on line `lines[r]`. Valid only during the `records` call.
 */
export class CsvBatch {
  buf = Buffer.alloc(0);
  starts = new Int32Array(0);
  ends = new Int32Array(0);
  flags = new Uint8Array(0);
  lines = new Int32Array(0);
  /** Values read by {@link values}, by record index. */
  out = new Float64Array(0);
  /** Ids given by {@link WasmDict.ids}, or lengths by {@link bytes}, by record index. */
  ids = new Int32Array(0);
  /** The whole memory. */
  u8 = new Uint8Array(0);
  i32 = new Int32Array(0);
  width = 0;
  count = 0;
  /** Missing markers met by the last {@link values} call. */
  missing = 0;
  /** Whether a number read by the last {@link values} call had a fraction or an exponent. */
  fraction = false;
  /** The tokenizer's state (i32s; see csv.wat). */
  state = new Int32Array(0);
  private bufSize = 0;
  private heapTop = HEAP;

  constructor(readonly wasm: CsvWasm & { memory: WasmMemory }) {}

  /**
   * Makes the read buffer `size` bytes, growing the memory if needed. Growing detaches every
   * view: callers take `buf` and the rest afresh from here after anything that may allocate.
   */
  resize(size: number): void {
    this.bufSize = size;
    this.grow(BUF + size);
  }

  private scratchAt = 0;
  private scratchCap = 0;

  /** A reusable region of at least `bytes` (for bytes that come from outside the memory). */
  scratch(bytes: number): number {
    if (bytes > this.scratchCap) {
      this.scratchCap = Math.max(bytes, 256, this.scratchCap * 2);
      this.scratchAt = this.alloc(this.scratchCap);
    }
    return this.scratchAt;
  }

  /** `bytes` of zeroed memory (8-byte aligned), for the parser's lifetime. */
  alloc(bytes: number): number {
    const at = this.heapTop;
    this.heapTop += Math.ceil(bytes / 8) * 8;
    this.grow(this.heapTop);
    return at;
  }

  private grow(need: number): void {
    const memory = this.wasm.memory;
    // in big steps: each growth detaches and re-makes the views
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil(Math.max(need - memory.buffer.byteLength, memory.buffer.byteLength / 4) / 65536));
    if (this.u8.buffer !== memory.buffer || this.buf.length !== this.bufSize) this.views();
  }

  private views(): void {
    const buffer = this.wasm.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.ids = new Int32Array(buffer, OUT, BATCH_RECORDS);
    this.buf = Buffer.from(buffer, BUF, this.bufSize);
    this.starts = new Int32Array(buffer, STARTS, BATCH_FIELDS);
    this.ends = new Int32Array(buffer, ENDS, BATCH_FIELDS);
    this.flags = new Uint8Array(buffer, FLAGS, BATCH_FIELDS);
    this.lines = new Int32Array(buffer, LINES, BATCH_RECORDS);
    this.out = new Float64Array(buffer, OUT, BATCH_RECORDS);
    this.state = new Int32Array(buffer, ST, 8);
  }

  /**
   * Reads column `col` of records `from..to` (default: to the batch's end) as numbers or dates
   * (core/values.ts; missing markers as NaN) into {@link out} until a field that is neither (or
   * needs the slow number path, or has doubled quotes); returns that field's record index, or
   * `to`. Sets {@link missing} and {@link fraction} for the values read.
   */
  values(kind: number, col: number, from: number, to = this.count): number {
    const st = this.state;
    st[4] = 0;
    st[5] = 0;
    const stop = this.wasm.values(kind, BUF, STARTS, ENDS, FLAGS, this.width, col, from, to, OUT, ST);
    this.missing = st[4];
    this.fraction = st[5] !== 0;
    return stop;
  }

  /** Where {@link bytes} writes (allocated on first use), and its size. */
  private bytesOut = -1;
  private static readonly BYTES_CAP = 1 << 20;
  /** Bytes written by the last {@link bytes} call, from {@link bytesAt}. */
  bytesUsed = 0;

  /**
   * Reads column `col` of records `from..to` as raw bytes (a free-text column): lengths into
   * {@link ids} (-1 for a missing marker), the fields' bytes one after another at
   * `u8[bytesAt()..]` ({@link bytesUsed} of them), and their hashes into the HyperLogLog
   * registers at `regs` (4,096 bytes from {@link alloc}). Stops at a field with doubled
   * quotes, or one that does not fit; returns its record index, or `to`. Sets {@link missing}.
   */
  bytes(col: number, from: number, to: number, regs: number): number {
    const out = this.bytesAt();
    const st = this.state;
    const stop = this.wasm.bytes(BUF, STARTS, ENDS, FLAGS, this.width, col, from, to, OUT, out, CsvBatch.BYTES_CAP, regs, ST);
    this.missing = st[4];
    this.bytesUsed = st[6];
    return stop;
  }

  /** The address {@link bytes} writes to (may allocate: take views afterwards). */
  bytesAt(): number {
    if (this.bytesOut === -1) this.bytesOut = this.alloc(CsvBatch.BYTES_CAP);
    return this.bytesOut;
  }
}

/**
 * A dictionary of byte strings in the tokenizer's memory (csv.wat): the same ids, counts and
 * hashes as core/byte-dict.ts ByteDict, but a batch's column is looked up in one call
 * ({@link ids}) rather than a JavaScript call per field.
 */
export class WasmDict implements StringDict {
  /** Descriptor address (see csv.wat). */
  private readonly d: number;
  private countsCache: Float64Array | null = null;

  constructor(
    private readonly batch: CsvBatch,
    /** {@link ids} stops after the field that brings the size to this. */
    cap: number,
  ) {
    // every allocation first: one may grow the memory, which detaches the views
    // small to start (a wide table has thousands, most never used): they grow as needed
    this.d = batch.alloc(64);
    const table = batch.alloc(32 * 4);
    const entries = batch.alloc(16 * 16);
    const arena = batch.alloc(256);
    for (const [k, v] of [[0, table], [1, 31], [2, entries], [3, 16], [5, arena], [6, 256], [9, cap]]) this.setField(k, v);
  }

  private field(k: number): number {
    return this.batch.i32[(this.d >> 2) + k];
  }

  private setField(k: number, v: number): void {
    this.batch.i32[(this.d >> 2) + k] = v;
  }

  /** Number of distinct entries. */
  get size(): number {
    return this.field(4);
  }

  /** Makes room for one more entry of `len` bytes. */
  private grow(len: number): void {
    const size = this.size;
    if (size >= this.field(3)) {
      const cap = this.field(3) * 2;
      const entries = this.batch.alloc(cap * 16);
      const old = this.field(2);
      this.batch.u8.copyWithin(entries, old, old + size * 16);
      this.setField(2, entries);
      this.setField(3, cap);
    }
    if (this.field(7) + len > this.field(6)) {
      const cap = Math.max(this.field(6) * 2, this.field(7) + len);
      const arena = this.batch.alloc(cap);
      const old = this.field(5);
      this.batch.u8.copyWithin(arena, old, old + this.field(7));
      this.setField(5, arena);
      this.setField(6, cap);
    }
    const slots = this.field(1) + 1;
    if ((size + 1) * 2 > slots) this.batch.wasm.dictRehash(this.d, this.batch.alloc(slots * 2 * 4), slots * 2 - 1);
  }

  /** The id of `buf[s..e)`, inserting it if new; counts one occurrence. */
  add(buf: Uint8Array, s: number, e: number): number {
    this.countsCache = null;
    let at: number;
    if (buf.buffer === this.batch.u8.buffer) at = buf.byteOffset + s;
    else {
      // bytes from elsewhere (an unescaped field): copied into the memory first
      at = this.batch.scratch(e - s);
      this.batch.u8.set(buf.subarray(s, e), at);
    }
    for (;;) {
      const id = this.batch.wasm.dictAdd(this.d, at, at + (e - s));
      if (id >= 0) return id;
      this.grow(e - s);
    }
  }

  /**
   * Ids of column `col` of the batch's records `from..count` into {@link CsvBatch.ids}, -1 for
   * a missing marker (spaces and tabs trimmed), until a field with doubled quotes or the cap;
   * returns the record index it stopped at, and the missing markers met.
   */
  ids(col: number, from: number): { stop: number; missing: number } {
    this.countsCache = null;
    const b = this.batch;
    let r = from;
    let missing = 0;
    for (;;) {
      r = b.wasm.dictIds(BUF, STARTS, ENDS, FLAGS, b.width, col, r, b.count, this.d, OUT);
      missing += this.field(8);
      const at = r * b.width + col;
      if (r === b.count || this.size >= this.field(9) || (b.flags[at] & 2) !== 0) return { stop: r, missing };
      this.grow(b.ends[at] - b.starts[at]); // the field did not fit: make room, go on from it
    }
  }

  /** The hash of entry `id` (as used for HyperLogLog). */
  hashOf(id: number): number {
    return this.batch.i32[(this.field(2) >> 2) + id * 4 + 2] >>> 0;
  }

  /** The UTF-8 text of entry `id`. */
  text(id: number): string {
    const e = (this.field(2) >> 2) + id * 4;
    const start = this.field(5) + this.batch.i32[e];
    return Buffer.from(this.batch.u8.buffer, start, this.batch.i32[e + 1]).toString('utf8');
  }

  /** Occurrences of each id. */
  get counts(): Float64Array {
    if (this.countsCache === null || this.countsCache.length !== this.size) {
      const out = new Float64Array(this.size);
      const e = this.field(2) >> 2;
      for (let id = 0; id < out.length; id++) out[id] = this.batch.i32[e + id * 4 + 3] >>> 0;
      this.countsCache = out;
    }
    return this.countsCache;
  }
}

/**
 * A byte-level RFC 4180 parser (any single-byte delimiter; quoted fields may hold delimiters,
 * doubled quotes and newlines; CRLF or LF line ends; a UTF-8 BOM is skipped; blank lines are
 * skipped). Ragged rows, unclosed quotes and text after a closing quote are errors that name
 * the line. The bytes are read straight into the memory of a WebAssembly tokenizer (csv.wat),
 * which finds each record's fields; this class keeps the header, the checks and the errors.
 */
export class CsvParser {
  private line = 1;
  private ncols = -1;
  private readonly wasm = wasmInstance<CsvWasm>(CSV_WASM);
  private readonly batch = new CsvBatch(this.wasm);
  /** Data records seen (not counting the header). */
  records = 0;

  constructor(
    private readonly delimiter: number,
    private readonly handlers: CsvHandlers,
    private readonly fileLabel: string,
  ) {}

  /** A buffer of `size` bytes in the tokenizer's memory (growing it detaches the old views). */
  private buffer(size: number): Buffer {
    this.batch.resize(size);
    return this.batch.buf;
  }

  /** A dictionary in this parser's memory, for a column's strings (see {@link WasmDict}). */
  newDict(cap: number): WasmDict {
    return new WasmDict(this.batch, cap);
  }

  /** Parses everything `read` yields. */
  run(read: ReadFn, bufferSize = 1 << 20): void {
    let buf = this.buffer(bufferSize);
    let filled = 0;
    let pos = 0;
    let first = true;
    for (;;) {
      if (filled === buf.length) {
        if (buf.length >= MAX_RECORD_BYTES) {
          throw new ValidationError('RECORD_TOO_LARGE', `${this.fileLabel}: the record starting at line ${this.line} is larger than ${MAX_RECORD_BYTES / 1048576} MiB`, {
            hint: 'a field this large is not tabular data; if it is unexpected, look for an unclosed quote on that line',
            data: { line: this.line, limitBytes: MAX_RECORD_BYTES },
          });
        }
        // the bytes stay where they are: the bigger buffer starts at the same place
        buf = this.buffer(Math.min(buf.length * 2, MAX_RECORD_BYTES));
      }
      const n = read(buf, filled, buf.length - filled);
      filled += n;
      const last = n === 0;
      if (first && filled >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
      if (first && (filled >= 3 || last)) first = false;
      pos = this.parse(buf, pos, filled, last);
      buf = this.batch.buf; // the handlers may have grown the memory
      if (last) break;
      if (pos > 0) {
        buf.copy(buf, 0, pos, filled);
        filled -= pos;
        pos = 0;
      }
    }
    if (this.ncols === -1) {
      throw new ValidationError('EMPTY_FILE', `${this.fileLabel} is empty`, { hint: 'check the path; a CSV needs a header line and at least one data row' });
    }
  }

  private error(code: string, message: string, hint: string, line: number): never {
    throw new ValidationError(code, `${this.fileLabel}: line ${line}: ${message}`, { hint, data: { line } });
  }

  /** Parses complete records in `buf[pos..end)`; returns where the first incomplete one starts. */
  private parse(buf: Buffer, pos: number, end: number, last: boolean): number {
    let st = this.batch.state;
    st[0] = pos;
    st[1] = this.line;
    const { next, batch } = this.wasm;
    const D = this.delimiter;
    const lastFlag = last ? 1 : 0;
    const many = this.handlers.records;
    for (;;) {
      if (many !== undefined && this.ncols !== -1) {
        // whole batches of well-formed records; anything else goes through `next` below
        const width = this.ncols;
        const max = Math.min(BATCH_RECORDS, Math.floor(BATCH_FIELDS / width));
        const n = batch(BUF, BUF + end, lastFlag, D, ST, STARTS, ENDS, FLAGS, LINES, width, max);
        if (n > 0) {
          this.line = st[1];
          this.records += n;
          this.batch.width = width;
          this.batch.count = n;
          many.call(this.handlers, this.batch);
          st = this.batch.state; // the handler may have grown the memory
          if (n === max) continue;
        }
      }
      const nf = next(BUF, BUF + end, lastFlag, D, ST, STARTS, ENDS, FLAGS, MAX_COLUMNS);
      if (nf === -1) break;
      if (nf === -2) this.error('UNCLOSED_QUOTE', 'a quoted field is never closed', 'add the missing closing quote (") or escape quotes inside fields by doubling them ("")', st[2]);
      if (nf === -3) this.error('BAD_QUOTE', 'unexpected text after a closing quote', 'quote the whole field, and double any quote inside it ("")', st[2]);
      if (nf === -4) this.error('TOO_MANY_COLUMNS', `more than ${MAX_COLUMNS} fields`, 'is the delimiter right? pass --format', st[2]);
      this.line = st[1];
      this.emit(this.batch.buf, nf, st[2]);
      st = this.batch.state;
    }
    this.line = st[1];
    return st[0];
  }

  private emit(buf: Buffer, nf: number, line: number): void {
    const { starts, ends, flags } = this.batch;
    if (this.ncols === -1) {
      const names: string[] = [];
      for (let k = 0; k < nf; k++) names.push(fieldText(buf, starts[k], ends[k], flags[k]));
      this.ncols = nf;
      this.handlers.header(names, line);
      return;
    }
    if (nf !== this.ncols) {
      this.error('RAGGED_ROW', `has ${nf} field${nf === 1 ? '' : 's'}, but the header has ${this.ncols}`, 'every row needs one value per column: look for an unquoted delimiter, a missing value or a stray line break', line);
    }
    this.records++;
    if (this.handlers.records !== undefined) {
      this.batch.width = nf;
      this.batch.count = 1;
      this.batch.lines[0] = line;
      this.handlers.records(this.batch);
    } else this.handlers.record?.(buf, starts, ends, flags, nf, line);
  }
}
