import { ValidationError } from '../../core/errors.js';

const QUOTE = 34;
const LF = 10;
const CR = 13;

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

/**
 * A byte-level RFC 4180 parser (any single-byte delimiter; quoted fields may hold delimiters,
 * doubled quotes and newlines; CRLF or LF line ends; a UTF-8 BOM is skipped; blank lines are
 * skipped). Ragged rows, unclosed quotes and text after a closing quote are errors that name
 * the line.
 */
export class CsvParser {
  private line = 1;
  private ncols = -1;
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private flags = new Uint8Array(64);
  /** Data records seen (not counting the header). */
  records = 0;

  constructor(
    private readonly delimiter: number,
    private readonly handlers: CsvHandlers,
    private readonly fileLabel: string,
  ) {}

  /** Parses everything `read` yields. */
  run(read: ReadFn, bufferSize = 1 << 20): void {
    let buf = Buffer.allocUnsafe(bufferSize);
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
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_RECORD_BYTES));
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
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

  private push(nf: number, s: number, e: number, fl: number): void {
    if (nf === this.starts.length) {
      if (nf >= MAX_COLUMNS) this.error('TOO_MANY_COLUMNS', `more than ${MAX_COLUMNS} fields`, 'is the delimiter right? pass --format', this.line);
      const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
      this.flags = grow(this.flags);
    }
    this.starts[nf] = s;
    this.ends[nf] = e;
    this.flags[nf] = fl;
  }

  /** Parses complete records in `buf[pos..end)`; returns where the first incomplete one starts. */
  private parse(buf: Buffer, pos: number, end: number, last: boolean): number {
    const D = this.delimiter;
    let line = this.line;
    let starts = this.starts;
    let ends = this.ends;
    let flags = this.flags;
    let i = pos;
    while (i < end) {
      const recStart = i;
      const recLine = line;
      let nf = 0;
      let complete = false;
      for (;;) {
        let fs: number;
        let fe: number;
        let fl = 0;
        if (i < end && buf[i] === QUOTE) {
          fl = 1;
          fs = ++i;
          for (;;) {
            while (i < end) {
              const c = buf[i];
              if (c === QUOTE) break;
              if (c === LF) line++;
              i++;
            }
            if (i >= end) {
              if (last) this.error('UNCLOSED_QUOTE', 'a quoted field is never closed', 'add the missing closing quote (") or escape quotes inside fields by doubling them ("")', recLine);
              break;
            }
            if (i + 1 < end && buf[i + 1] === QUOTE) {
              fl |= 2;
              i += 2;
              continue;
            }
            if (i + 1 >= end && !last) break;
            fe = i;
            i++;
            fl |= 4; // closed
            break;
          }
          if ((fl & 4) === 0) break; // incomplete
          fl &= 3;
          if (i < end) {
            const c = buf[i];
            if (c !== D && c !== LF && c !== CR) this.error('BAD_QUOTE', 'unexpected text after a closing quote', 'quote the whole field, and double any quote inside it ("")', line);
          }
        } else {
          fs = i;
          while (i < end) {
            const c = buf[i];
            if (c === D || c === LF || c === CR) break;
            i++;
          }
          if (i >= end && !last) break; // incomplete
          fe = i;
        }
        if (nf === starts.length) {
          this.push(nf, 0, 0, 0);
          starts = this.starts;
          ends = this.ends;
          flags = this.flags;
        }
        starts[nf] = fs;
        ends[nf] = fe!;
        flags[nf] = fl;
        nf++;
        if (i >= end) {
          complete = true;
          break;
        }
        const c = buf[i];
        if (c === D) {
          i++;
          if (i >= end) {
            if (!last) break;
            this.push(nf++, i, i, 0);
            starts = this.starts;
            ends = this.ends;
            flags = this.flags;
            complete = true;
            break;
          }
          continue;
        }
        if (c === CR) {
          i++;
          if (i < end && buf[i] === LF) i++;
          else if (i >= end && !last) break;
        } else {
          i++; // LF
        }
        line++;
        complete = true;
        break;
      }
      if (!complete) {
        this.line = recLine;
        return recStart;
      }
      if (nf === 1 && ends[0] === starts[0] && flags[0] === 0) continue; // blank line
      this.line = line;
      this.emit(buf, nf, recLine);
    }
    this.line = line;
    return i;
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
