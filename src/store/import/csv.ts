import { ValidationError } from '../../core/errors.js';
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
  width = 0;
  count = 0;
  /** Missing markers met by the last {@link values} call. */
  missing = 0;
  /** Whether a number read by the last {@link values} call had a fraction or an exponent. */
  fraction = false;
  private state = new Int32Array(0);

  constructor(private readonly wasm: CsvWasm & { memory: WasmMemory }) {}

  /** Re-makes the views after the memory grew. */
  views(size: number): void {
    const buffer = this.wasm.memory.buffer;
    this.buf = Buffer.from(buffer, BUF, size);
    this.starts = new Int32Array(buffer, STARTS, BATCH_FIELDS);
    this.ends = new Int32Array(buffer, ENDS, BATCH_FIELDS);
    this.flags = new Uint8Array(buffer, FLAGS, BATCH_FIELDS);
    this.lines = new Int32Array(buffer, LINES, BATCH_RECORDS);
    this.out = new Float64Array(buffer, OUT, BATCH_RECORDS);
    this.state = new Int32Array(buffer, ST, 8);
  }

  /**
   * Reads column `col` of records `from..count` as numbers or dates (core/values.ts; missing
   * markers as NaN) into {@link out} until a field that is neither (or needs the slow number
   * path, or has doubled quotes); returns that field's record index, or `count`. Sets
   * {@link missing} and {@link fraction} for the values read.
   */
  values(kind: number, col: number, from: number): number {
    const st = this.state;
    st[4] = 0;
    st[5] = 0;
    const stop = this.wasm.values(kind, BUF, STARTS, ENDS, FLAGS, this.width, col, from, this.count, OUT, ST);
    this.missing = st[4];
    this.fraction = st[5] !== 0;
    return stop;
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
    const memory = this.wasm.memory;
    const need = BUF + size;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    this.batch.views(size);
    return this.batch.buf;
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
    const st = new Int32Array(this.wasm.memory.buffer, ST, 3);
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
          if (n === max) continue;
        }
      }
      const nf = next(BUF, BUF + end, lastFlag, D, ST, STARTS, ENDS, FLAGS, MAX_COLUMNS);
      if (nf === -1) break;
      if (nf === -2) this.error('UNCLOSED_QUOTE', 'a quoted field is never closed', 'add the missing closing quote (") or escape quotes inside fields by doubling them ("")', st[2]);
      if (nf === -3) this.error('BAD_QUOTE', 'unexpected text after a closing quote', 'quote the whole field, and double any quote inside it ("")', st[2]);
      if (nf === -4) this.error('TOO_MANY_COLUMNS', `more than ${MAX_COLUMNS} fields`, 'is the delimiter right? pass --format', st[2]);
      this.line = st[1];
      this.emit(buf, nf, st[2]);
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
