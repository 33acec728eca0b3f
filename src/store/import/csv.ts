import { ValidationError } from '../../core/errors.js';
import { wasmInstance } from '../../core/wasm.js';
import { CSV_WASM } from './csv.generated.js';

/** Largest record (one row, all fields) accepted, in bytes. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Most columns accepted. */
export const MAX_COLUMNS = 20_000;

/** Receives parsed CSV records. Field `k` of a record is `buf[starts[k]..ends[k])`. */
export interface CsvHandlers {
  header(names: string[], line: number): void;
  /** `flags[k]` bit 1: quoted; bit 2: contains doubled quotes to unescape. */
  record(buf: Buffer, starts: Int32Array, ends: Int32Array, flags: Uint8Array, count: number, line: number): void;
}

/** Pulls bytes: reads up to `len` bytes into `buf[off..]`, returns 0 at the end. */
export type ReadFn = (buf: Buffer, off: number, len: number) => number;

/** Decodes field `k` as a string (unescaping doubled quotes). */
export function fieldText(buf: Buffer, start: number, end: number, flags: number): string {
  const s = buf.toString('utf8', start, end);
  return flags & 2 ? s.replaceAll('""', '"') : s;
}

/** The tokenizer's function (csv.wat). */
interface CsvWasm {
  next(buf: number, end: number, last: number, delim: number, st: number, starts: number, ends: number, flags: number, cap: number): number;
}

// Memory layout: the state (3 i32), then starts and ends (i32) and flags (u8) of up to
// MAX_COLUMNS fields, then the buffer the file is read into.
const ST = 0;
const STARTS = 64;
const ENDS = STARTS + MAX_COLUMNS * 4;
const FLAGS = ENDS + MAX_COLUMNS * 4;
const BUF = FLAGS + MAX_COLUMNS + 64 - (MAX_COLUMNS % 64);

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
  private starts = new Int32Array(0);
  private ends = new Int32Array(0);
  private flags = new Uint8Array(0);
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
    this.starts = new Int32Array(memory.buffer, STARTS, MAX_COLUMNS);
    this.ends = new Int32Array(memory.buffer, ENDS, MAX_COLUMNS);
    this.flags = new Uint8Array(memory.buffer, FLAGS, MAX_COLUMNS);
    return Buffer.from(memory.buffer, BUF, size);
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
    const next = this.wasm.next;
    const D = this.delimiter;
    const lastFlag = last ? 1 : 0;
    for (;;) {
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
    if (this.ncols === -1) {
      const names: string[] = [];
      for (let k = 0; k < nf; k++) names.push(fieldText(buf, this.starts[k], this.ends[k], this.flags[k]));
      this.ncols = nf;
      this.handlers.header(names, line);
      return;
    }
    if (nf !== this.ncols) {
      this.error('RAGGED_ROW', `has ${nf} field${nf === 1 ? '' : 's'}, but the header has ${this.ncols}`, 'every row needs one value per column: look for an unquoted delimiter, a missing value or a stray line break', line);
    }
    this.records++;
    this.handlers.record(buf, this.starts, this.ends, this.flags, nf, line);
  }
}
