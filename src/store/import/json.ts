import { ValidationError } from '../../core/errors.js';
import { MAX_RECORD_BYTES, type ReadFn } from './csv.js';

/** Receives each top-level object of a JSON array or JSONL file. */
export type ObjectHandler = (obj: Record<string, unknown>, line: number) => void;

const LF = 10;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Pull-based buffer that keeps an incomplete tail across reads. */
class Window {
  buf = Buffer.allocUnsafe(1 << 20);
  filled = 0;
  pos = 0;
  eof = false;
  line = 1;

  constructor(
    private readonly read: ReadFn,
    private readonly label: string,
  ) {}

  /** Fills at least 3 bytes (or to the end) and steps over a UTF-8 byte order mark. */
  skipBom(): void {
    while (this.filled < 3 && this.more(0));
    if (this.filled >= 3 && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) this.pos = 3;
  }

  /** Reads more; returns false at the end. Keeps bytes from `keep` on. */
  more(keep: number): boolean {
    if (this.eof) return false;
    if (keep > 0) {
      this.buf.copy(this.buf, 0, keep, this.filled);
      this.filled -= keep;
      this.pos -= keep;
    }
    if (this.filled === this.buf.length) {
      if (this.buf.length >= MAX_RECORD_BYTES) {
        throw new ValidationError('RECORD_TOO_LARGE', `${this.label}: the record starting at line ${this.line} is larger than ${MAX_RECORD_BYTES / 1048576} MiB`, {
          hint: 'split the data into smaller records',
          data: { line: this.line },
        });
      }
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.filled);
      this.buf = bigger;
    }
    const n = this.read(this.buf, this.filled, this.buf.length - this.filled);
    if (n === 0) this.eof = true;
    this.filled += n;
    return n > 0;
  }
}

function parseJsonText(text: string, label: string, line: number, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError('BAD_JSON', `${label}: line ${line}: ${what} is not valid JSON (${(err as Error).message})`, {
      hint: 'fix that line; each record must be a JSON object like {"a": 1}',
      data: { line },
    });
  }
}

/** Streams the objects of a JSONL (one JSON object per line) file. Blank lines are skipped. */
export function parseJsonLines(read: ReadFn, onObject: ObjectHandler, label: string): number {
  const w = new Window(read, label);
  let count = 0;
  w.skipBom();
  for (;;) {
    let nl = w.buf.indexOf(LF, w.pos);
    if (nl >= w.filled) nl = -1;
    if (nl === -1 && !w.eof) {
      w.more(w.pos);
      continue;
    }
    const end = nl === -1 ? w.filled : nl;
    const text = w.buf.toString('utf8', w.pos, end).trim();
    if (text !== '') {
      const value = parseJsonText(text, label, w.line, 'the line');
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new ValidationError('NOT_AN_OBJECT', `${label}: line ${w.line}: expected a JSON object, found ${describe(value)}`, {
          hint: 'JSONL needs one object per line, like {"a": 1, "b": "x"}',
          data: { line: w.line },
        });
      }
      onObject(value as Record<string, unknown>, w.line);
      count++;
    }
    if (nl === -1) break;
    w.pos = nl + 1;
    w.line++;
  }
  return count;
}

/** Streams the elements of a top-level JSON array; each must be an object. */
export function parseJsonArray(read: ReadFn, onObject: ObjectHandler, label: string): number {
  const w = new Window(read, label);
  const fail = (code: string, message: string, hint: string, line = w.line): never => {
    throw new ValidationError(code, `${label}: line ${line}: ${message}`, { hint, data: { line } });
  };
  const NOT_ARRAY_HINT = 'a JSON dataset must be an array of objects: [{"a": 1}, {"a": 2}] (or use JSONL)';
  const skipSpace = (): boolean => {
    for (;;) {
      while (w.pos < w.filled) {
        const c = w.buf[w.pos];
        if (c === LF) w.line++;
        else if (c !== 32 && c !== 9 && c !== 13) return true;
        w.pos++;
      }
      if (!w.more(w.pos)) return false;
    }
  };
  w.skipBom();
  if (!skipSpace()) fail('EMPTY_FILE', 'the file is empty', 'check the path');
  if (w.buf[w.pos] !== 0x5b) fail('NOT_AN_ARRAY', `expected a JSON array, found ${w.buf[w.pos] === 0x7b ? 'an object' : `'${String.fromCharCode(w.buf[w.pos])}'`}`, NOT_ARRAY_HINT);
  w.pos++;
  let count = 0;
  for (;;) {
    if (!skipSpace()) fail('BAD_JSON', 'the array is never closed (missing ])', 'the file may be truncated');
    if (w.buf[w.pos] === 0x5d) {
      if (count > 0) fail('BAD_JSON', 'a trailing comma before ]', 'remove the comma after the last element');
      w.pos++;
      break;
    }
    if (w.buf[w.pos] !== 0x7b) {
      fail('NOT_AN_OBJECT', `element ${count + 1} of the array is not an object`, NOT_ARRAY_HINT);
    }
    // Scan to the end of this object, tracking strings and nesting.
    const startLine = w.line;
    let start = w.pos;
    let i = w.pos;
    let depth = 0;
    let inString = false;
    let lines = 0;
    for (;;) {
      if (i >= w.filled) {
        const shift = start;
        if (!w.more(start)) fail('BAD_JSON', `element ${count + 1} is never closed`, 'the file may be truncated', startLine);
        i -= shift;
        start = 0;
        continue;
      }
      const c = w.buf[i];
      if (inString) {
        if (c === 0x5c) i++;
        else if (c === 0x22) inString = false;
        else if (c === LF) lines++;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (c === LF) lines++;
      i++;
    }
    const value = parseJsonText(w.buf.toString('utf8', start, i), label, startLine, `element ${count + 1}`);
    onObject(value as Record<string, unknown>, startLine);
    count++;
    w.pos = i;
    w.line += lines;
    if (!skipSpace()) fail('BAD_JSON', 'the array is never closed (missing ])', 'the file may be truncated');
    const c = w.buf[w.pos];
    if (c === 0x2c) {
      w.pos++;
      if (!skipSpace()) fail('BAD_JSON', 'the array is never closed (missing ])', 'the file may be truncated');
      if (w.buf[w.pos] === 0x5d) fail('BAD_JSON', 'a trailing comma before ]', 'remove the comma after the last element');
      continue;
    }
    if (c === 0x5d) {
      w.pos++;
      break;
    }
    fail('BAD_JSON', `expected ',' or ']' after element ${count}`, 'separate the objects with commas');
  }
  if (skipSpace()) fail('BAD_JSON', 'unexpected content after the closing ]', 'a JSON dataset holds exactly one array');
  return count;
}
