import { ByteDict, type StringDict } from '../../core/byte-dict.js';
import { FirstPass, HyperLogLog, fnv1a } from '../../core/stats.js';
import { isInfinityBytes, isMissingBytes, lastNumber, parseDateBytes, parseNumberBytes } from '../../core/values.js';
import { type BlockRef, type ColumnarColumnMeta, ColumnarWriter } from '../columnar.js';
import { type CsvBatch, ValueKind, WasmDict } from './csv.js';

/** Rows per block. */
export const CHUNK_ROWS = 1 << 16;
/** Distinct strings kept in the dictionary; past this a column is text and stores raw bytes. */
export const DICT_CAP = 1 << 16;

/**
 * Inference states. Unknown: only missing values so far. Rescan: numbers or dates were written
 * before the first string, so the column's strings come from a second read of the file.
 */
export const ColState = { Unknown: 0, Number: 1, Date: 2, String: 3, Rescan: 4 } as const;
/** One of {@link ColState}. */
export type ColState = (typeof ColState)[keyof typeof ColState];

/** `a` if it has room past `used`, else a copy twice as long (64 to start), at most `max`. */
function withRoom<T extends Float64Array | Int32Array>(a: T | null, used: number, max: number, make: (n: number) => T): T {
  if (a !== null && used < a.length) return a;
  const next = make(Math.min(max, a === null ? 64 : a.length * 2));
  if (a !== null) next.set(a.subarray(0, used));
  return next;
}

const SP = 32;
const TAB = 9;

/**
 * Collects one column while the file streams by: infers its type (number, date or string,
 * with missing markers recognised) and appends full blocks of values to the column's file, so
 * memory does not grow with the file. Numbers and dates become float64 blocks; strings become
 * dictionary-id blocks, or raw-byte blocks once the dictionary passes {@link DICT_CAP}.
 */
export class ColumnBuilder {
  state: ColState;
  rows = 0;
  missing = 0;
  /** Every number so far was written without a fraction or exponent. */
  integerSyntax = true;
  /** Number/date values were written before the first string (needs a second read). */
  needsRescan = false;
  /** The column's blocks in row order. */
  blocks: BlockRef[] = [];

  private f64: Float64Array | null = null;
  private fpos = 0;
  /** Count, sum, min, max and distinct values of the float blocks, taken as they are written. */
  firstPass = new FirstPass();

  /** The column's distinct strings. */
  readonly dict: StringDict;
  bytesMode = false;
  hll: HyperLogLog | null = null;
  private ids: Int32Array | null = null;
  private lens: Int32Array | null = null;
  /** HyperLogLog registers in the tokenizer's memory, for fields appended there (merged into {@link hll} by finish). */
  private regs = -1;
  private regsBatch: CsvBatch | null = null;
  private bbuf = Buffer.allocUnsafe(0);
  private blen = 0;
  private spos = 0;
  private scratch = Buffer.allocUnsafe(256);

  /** The column's columnar file (held in memory while small: see {@link ColumnarWriter}). */
  private readonly out: ColumnarWriter;

  constructor(
    readonly name: string,
    readonly path: string,
    forceString = false,
    /** Rows per block: smaller for wide tables, so buffers stay within a fixed budget. */
    readonly chunkRows = CHUNK_ROWS,
    /**
     * Makes the string dictionary (the CSV reader's lives in its tokenizer's memory). Made
     * here, before any field: making one can grow that memory, which detaches its views.
     */
    newDict: () => StringDict = () => new ByteDict(),
    /** Bytes held in memory before the column's file is made (see {@link ColumnarWriter}). */
    holdBytes = 0,
  ) {
    this.dict = newDict();
    this.out = new ColumnarWriter(path, holdBytes);
    this.state = forceString ? ColState.String : ColState.Unknown;
  }

  /** Writes the footer, closes the file; returns its sha256 hex, and its bytes if they were only held in memory. */
  finishFile(meta: ColumnarColumnMeta): { hex: string; image?: Uint8Array } {
    const { hex, image } = this.out.finish({ format: 'bfly-columnar', version: 2, rows: this.rows, columns: [meta] });
    return image === undefined ? { hex } : { hex, image };
  }

  /** Closes the file without finishing it (error path; the caller removes it). */
  close(): void {
    this.out.close();
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
        let x = parseNumberBytes(buf, a, b);
        if (x !== x && isInfinityBytes(buf, a, b)) x = Infinity;
        if (x === x) {
          if (!lastNumber.integerSyntax) this.integerSyntax = false;
          if (x === Infinity || x === -Infinity) this.noteInfinite(buf, a, b);
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
        let x = parseNumberBytes(buf, a, b);
        if (x !== x && isInfinityBytes(buf, a, b)) x = Infinity;
        if (x === x) {
          this.state = ColState.Number;
          this.integerSyntax = lastNumber.integerSyntax;
          if (x === Infinity || x === -Infinity) this.noteInfinite(buf, a, b);
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

  /**
   * Adds column `col` of a CSV batch a run at a time in the tokenizer: numbers and dates
   * ({@link CsvBatch.values}), strings through its dictionary ({@link WasmDict.ids}), free
   * text as raw bytes ({@link CsvBatch.bytes}). Only the fields it leaves (the first value, a
   * change of type, doubled quotes, the slow number path) come through {@link addField}; the
   * same values as field by field.
   */
  addBatch(batch: CsvBatch, col: number): void {
    const { count, width } = batch;
    let r = 0;
    while (r < count) {
      const st = this.state;
      if (st === ColState.Number || st === ColState.Date) {
        const stop = batch.values(st === ColState.Number ? ValueKind.Number : ValueKind.Date, col, r);
        if (stop > r) {
          this.rows += stop - r;
          this.missing += batch.missing;
          if (batch.fraction) this.integerSyntax = false;
          this.pushFloats(batch.out, r, stop);
          r = stop;
          if (r === count) return;
        }
      } else if (st === ColState.String && !this.bytesMode && this.dict instanceof WasmDict) {
        const { stop, missing } = this.dict.ids(col, r);
        if (stop > r) {
          this.rows += stop - r;
          this.missing += missing;
          this.pushIds(batch.ids, r, stop);
          if (this.dict.size >= DICT_CAP) this.toBytesMode();
          r = stop;
          if (r === count) return;
        }
      } else if (st === ColState.String && this.bytesMode) {
        if (this.regs === -1) {
          this.regs = batch.alloc(4096);
          this.regsBatch = batch;
        }
        const at = batch.bytesAt(); // allocated before the views are taken
        const to = Math.min(count, r + this.chunkRows - this.spos); // not past the block
        const stop = batch.bytes(col, r, to, this.regs);
        if (stop > r) {
          this.rows += stop - r;
          this.missing += batch.missing;
          this.appendBytes(batch.ids, r, stop, batch.u8, at, batch.bytesUsed);
          r = stop;
          if (r === count) return;
          if (r === to) continue;
        }
      }
      // views afresh: a dictionary may have grown the memory
      const at = r * width + col;
      this.addField(batch.buf, batch.starts[at], batch.ends[at], (batch.flags[at] & 2) !== 0);
      r++;
    }
  }

  /**
   * The first number of this column beyond a 64-bit float's range (`1e400`) or written as an
   * infinity (`Infinity`, `-inf`): a numeric column holding one is refused when it is finished
   * (a text column keeps such words as text).
   */
  firstInfinite: { row: number; text: string } | null = null;

  private noteInfinite(buf: Uint8Array, a: number, b: number): void {
    if (this.firstInfinite === null) this.firstInfinite = { row: this.rows, text: Buffer.from(buf.subarray(a, Math.min(b, a + 40))).toString('utf8') };
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
    this.blocks = [];
    this.firstPass = new FirstPass();
    this.fpos = 0;
    this.state = ColState.String;
    for (let r = 0; r < this.rows - 1; r++) this.pushId(-1);
    this.pushString(buf, s, e);
  }

  private toRescan(): void {
    this.blocks = [];
    this.firstPass = new FirstPass();
    this.fpos = 0;
    this.state = ColState.Rescan;
    this.needsRescan = true;
  }

  /**
   * Makes room for at least one more value in the block buffer: it starts small and doubles up
   * to a block, so a column of few rows (a wide table's) costs only what it holds.
   */
  private floatRoom(): Float64Array {
    return (this.f64 = withRoom(this.f64, this.fpos, this.chunkRows, (n) => new Float64Array(n)));
  }

  private idRoom(): Int32Array {
    return (this.ids = withRoom(this.ids, this.spos, this.chunkRows, (n) => new Int32Array(n)));
  }

  private pushFloat(x: number): void {
    this.floatRoom()[this.fpos++] = x;
    if (this.fpos === this.chunkRows) this.flushFloat();
  }

  /** Appends `values[from..to)`. */
  private pushFloats(values: Float64Array, from: number, to: number): void {
    let i = from;
    while (i < to) {
      const f = this.floatRoom();
      const n = Math.min(to - i, f.length - this.fpos);
      f.set(values.subarray(i, i + n), this.fpos);
      this.fpos += n;
      i += n;
      if (this.fpos === this.chunkRows) this.flushFloat();
    }
  }

  private flushFloat(): void {
    if (this.fpos === 0 || this.f64 === null) return;
    this.firstPass.add(this.f64.subarray(0, this.fpos));
    this.blocks.push(this.out.block('f64', this.fpos, this.f64.subarray(0, this.fpos)));
    this.fpos = 0;
  }

  private pushId(id: number): void {
    if (this.bytesMode) this.lens![this.spos++] = -1;
    else this.idRoom()[this.spos++] = id;
    if (this.spos === this.chunkRows) this.flushStrings();
  }

  /** Appends dictionary ids `ids[from..to)` (-1: missing). */
  private pushIds(ids: Int32Array, from: number, to: number): void {
    let i = from;
    while (i < to) {
      const a = this.idRoom();
      const n = Math.min(to - i, a.length - this.spos);
      a.set(ids.subarray(i, i + n), this.spos);
      this.spos += n;
      i += n;
      if (this.spos === this.chunkRows) this.flushStrings();
    }
  }

  /** Makes room for `len` more bytes in the block's byte buffer. */
  private roomForBytes(len: number): void {
    if (this.blen + len <= this.bbuf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.bbuf.length * 2, this.blen + len));
    this.bbuf.copy(bigger, 0, 0, this.blen);
    this.bbuf = bigger;
  }

  /** Appends fields `from..to` read by CsvBatch.bytes: their lengths, and their bytes `u8[at..at + used)`. */
  private appendBytes(lens: Int32Array, from: number, to: number, u8: Uint8Array, at: number, used: number): void {
    this.roomForBytes(used);
    this.bbuf.set(u8.subarray(at, at + used), this.blen);
    this.blen += used;
    this.lens!.set(lens.subarray(from, to), this.spos);
    this.spos += to - from;
    if (this.spos === this.chunkRows) this.flushStrings();
  }

  /** The dictionary is full: from here on the column keeps raw bytes (and estimates distinct values). */
  private toBytesMode(): void {
    this.flushStrings();
    this.bytesMode = true;
    this.lens = new Int32Array(this.chunkRows);
    this.bbuf = Buffer.allocUnsafe(1 << 16);
    this.hll = new HyperLogLog();
    for (let id = 0; id < this.dict.size; id++) this.hll.add(this.dict.hashOf(id));
  }

  private pushString(buf: Uint8Array, s: number, e: number): void {
    if (!this.bytesMode) {
      const id = this.dict.add(buf, s, e); // may grow the memory: before the buffer is taken
      this.idRoom()[this.spos++] = id;
      if (this.dict.size >= DICT_CAP) {
        this.toBytesMode();
        return;
      }
    } else {
      const len = e - s;
      this.roomForBytes(len);
      const bbuf = this.bbuf;
      if (len <= 64) {
        // a loop: a subarray per field (for set) costs more than copying a short string
        const at = this.blen - s;
        for (let i = s; i < e; i++) bbuf[at + i] = buf[i];
      } else bbuf.set(buf.subarray(s, e), this.blen);
      this.blen += len;
      this.lens![this.spos++] = len;
      this.hll!.add(fnv1a(buf, s, e));
    }
    if (this.spos === this.chunkRows) this.flushStrings();
  }

  private flushStrings(): void {
    if (this.spos === 0) return;
    if (this.bytesMode) this.blocks.push(this.out.block('bytes', this.spos, this.lens!.subarray(0, this.spos), this.bbuf.subarray(0, this.blen)));
    else this.blocks.push(this.out.block('ids', this.spos, this.ids!.subarray(0, this.spos)));
    this.spos = 0;
    this.blen = 0;
  }

  /** Writes the last partial block. */
  finish(): void {
    if (this.regs !== -1) {
      this.hll!.merge(this.regsBatch!.u8.subarray(this.regs, this.regs + 4096));
      this.regs = -1;
    }
    if (this.state === ColState.String) this.flushStrings();
    else if (this.state !== ColState.Rescan) this.flushFloat();
  }

  /**
   * Turns a finished string column (dictionary ids) into a float64 column: each id becomes
   * `values[id]` (a missing value stays NaN). The new blocks are appended to the column's file
   * and replace the old ones in its footer (the id blocks stay behind as unused bytes).
   */
  idsToFloats(values: Float64Array): void {
    const old = this.blocks;
    this.blocks = [];
    this.firstPass = new FirstPass();
    this.fpos = 0;
    this.state = ColState.Date;
    const ids = new Int32Array(this.chunkRows);
    const bytes = new Uint8Array(ids.buffer);
    for (const b of old) {
      if (b.kind !== 'ids') throw new Error('idsToFloats: the column holds raw bytes, not dictionary ids');
      this.out.readBack(b, bytes.subarray(0, b.byteLength));
      for (let i = 0; i < b.rows; i++) this.pushFloat(ids[i] < 0 ? NaN : values[ids[i]]);
    }
    this.flushFloat();
  }

  /** Visits this column's float64 blocks in order, read back one at a time into one buffer. */
  eachFloatBlock(visit: (values: Float64Array) => void): void {
    const buf = new Float64Array(this.chunkRows);
    const bytes = new Uint8Array(buf.buffer);
    for (const b of this.blocks) {
      this.out.readBack(b, bytes.subarray(0, b.byteLength));
      visit(buf.subarray(0, b.rows));
    }
  }
}
