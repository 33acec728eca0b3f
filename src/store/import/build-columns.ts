import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetColumn, DatasetFormat } from '../../core/dataset.js';
import { ValidationError } from '../../core/errors.js';
import type { StringDict } from '../../core/byte-dict.js';
import { ColumnarWriter } from '../columnar.js';
import { CHUNK_ROWS, ColumnBuilder, DICT_CAP } from './column-builder.js';
import { MAX_COLUMNS, CsvParser, type CsvHandlers, type ReadFn } from './csv.js';
import { finalizeColumn } from './finalize.js';
import { parseJsonArray, parseJsonLines } from './json.js';
import { ByteSource, CopyProgress, SourceBytesError, lineOfOffset } from './source.js';

/** One finished column: its manifest entry and its columnar file (not yet in the store). */
export interface BuiltColumn {
  index: number;
  column: DatasetColumn;
  /** The file, when it grew past what a column may hold in memory. */
  path: string;
  /** sha256 hex of the column's file (or image). */
  hex: string;
  /** The whole columnar file, when it stayed small (no file was made): grouped with others. */
  image?: Uint8Array;
}

/** The bytes all columns of a table may hold in memory at once before their files are made. */
const HOLD_BUDGET = 64 * 1024 * 1024;
/** The most one column holds in memory. */
export const HOLD_MAX = 1 << 20;

/**
 * How many bytes each column of a `width`-column table holds in memory before its file is made
 * (a column that never outgrows it needs no file at all). Which columns share a group object
 * does not depend on it (see the importer's writeColumnGroups). `BFLY_COLUMN_HOLD_BYTES=0`
 * writes every column to its file from the start.
 */
export function holdBytes(width: number): number {
  const env = process.env.BFLY_COLUMN_HOLD_BYTES;
  const max = env !== undefined && /^\d+$/.test(env) ? Number(env) : HOLD_MAX;
  return Math.min(max, Math.floor(HOLD_BUDGET / Math.max(1, width)));
}

/** What {@link buildColumns} returns. */
export interface BuiltColumns {
  rows: number;
  /** Number of columns in the file (all of them, owned or not). */
  width: number;
  columns: BuiltColumn[];
}

/** Options for {@link buildColumns}. */
export interface BuildOptions {
  rawPath: string;
  work: string;
  format: DatasetFormat;
  label: string;
  /** Only these column indices (CSV/TSV); default all. Other columns are scanned over. */
  owned?: ReadonlySet<number>;
  /** Called with the bytes read so far (about every 16 MiB). */
  onBytes?: (bytes: number) => void;
  /** The raw copy is still being made: its {@link CopyProgress} (never read past what is copied). */
  copying?: SharedArrayBuffer;
  /** Column files this thread may keep open at once (a worker's share of the process's budget). */
  maxOpenFiles?: number;
  /** Size of the table being read (the raw copy may still be growing); default the raw copy's size. */
  sourceBytes?: number;
  /** Bytes of column state one read may hold (a worker's share of {@link passBudget}); default all of it. */
  passBytes?: number;
}

/** The columns of one read of a table, fed by the CSV or JSON readers. */
class TableBuilder {
  readonly builders: Array<{ index: number; b: ColumnBuilder }> = [];
  private readonly byName = new Map<string, ColumnBuilder>();
  private csvTargets: Array<ColumnBuilder | null> = [];
  private scratch = Buffer.allocUnsafe(4096);
  rows = 0;
  width = 0;

  constructor(
    private readonly work: string,
    private readonly label: string,
    private readonly owned: ReadonlySet<number> | undefined,
    /** Second read: these column names only, as strings. */
    private readonly only?: ReadonlySet<string>,
  ) {}

  /** Rows per block: 65,536, or fewer for wide tables (at most about 64 MiB of buffers in all). */
  private chunkRows = CHUNK_ROWS;

  /** Makes a column's string dictionary (in the CSV tokenizer's memory when reading CSV). */
  private newDict?: () => StringDict;

  /** Bytes each column holds in memory before its file is made (set from the width). */
  private hold = 0;

  private add(name: string, index: number): ColumnBuilder {
    const b = new ColumnBuilder(name, join(this.work, `col-${index}${this.only ? '-r' : ''}`), this.only !== undefined, this.chunkRows, this.newDict, this.hold);
    this.builders.push({ index, b });
    this.byName.set(name, b);
    return b;
  }

  private wanted(index: number, name: string): boolean {
    return (this.owned === undefined || this.owned.has(index)) && (this.only === undefined || this.only.has(name));
  }

  csvHandlers(): CsvHandlers {
    return {
      header: (names, line) => {
        const seen = new Map<string, number>();
        names.forEach((raw, i) => {
          const name = raw.trim();
          if (name === '') {
            throw new ValidationError('EMPTY_COLUMN_NAME', `${this.label}: line ${line}: column ${i + 1} has no name`, { hint: 'give every column a name in the header line', data: { line, column: i + 1 } });
          }
          if (seen.has(name)) {
            throw new ValidationError('DUPLICATE_COLUMN', `${this.label}: line ${line}: column name ${JSON.stringify(name)} appears twice (columns ${seen.get(name)! + 1} and ${i + 1})`, {
              hint: 'rename one of them so every column name is unique',
              data: { line, name },
            });
          }
          seen.set(name, i);
        });
        if (names.length > maxColumns()) throw tooManyColumns(this.label, `line ${line} has ${names.length} columns`);
        this.width = names.length;
        // from the whole width, not the owned share: the same blocks (so the same objects) whatever the threads
        this.chunkRows = Math.max(1024, Math.min(CHUNK_ROWS, 2 ** Math.floor(Math.log2((64 * 1024 * 1024) / (Math.max(1, names.length) * 8)))));
        this.hold = holdBytes(names.length);
        this.csvTargets = names.map((raw, i) => (this.wanted(i, raw.trim()) ? this.add(raw.trim(), i) : null));
      },
      records: (batch) => {
        const targets = this.csvTargets;
        for (let k = 0; k < targets.length; k++) targets[k]?.addBatch(batch, k);
        this.rows += batch.count;
      },
    };
  }

  onObject = (obj: Record<string, unknown>): void => {
    const row = this.rows;
    const keys = Object.keys(obj);
    // counted before any column is made: making 20,000 column files only to refuse them costs seconds
    if (this.width + keys.length > maxColumns() && this.width + keys.filter((k) => !this.byName.has(k)).length > maxColumns()) throw tooManyColumns(this.label, `record ${row + 1} brings the table past ${maxColumns()} columns (keys)`);
    for (const key of keys) {
      let b = this.byName.get(key);
      if (b === undefined) {
        if (key.trim() === '') {
          throw new ValidationError('EMPTY_COLUMN_NAME', `${this.label}: record ${row + 1} has a key that is empty`, { hint: 'give every field a name', data: { record: row + 1 } });
        }
        if (this.only !== undefined && !this.only.has(key)) continue;
        if (this.width >= maxColumns()) throw tooManyColumns(this.label, `record ${row + 1} brings the table past ${maxColumns()} columns (keys)`);
        // the width grows as keys come: a new column holds what the budget allows at this width
        // (at least 256 columns' shares), so the total stays a small multiple of the budget
        this.hold = holdBytes(Math.max(256, this.width + 1));
        b = this.add(key, this.width++);
        for (let r = 0; r < row; r++) b.addMissing();
      }
      this.addJsonValue(b, obj[key], row + 1);
    }
    this.rows++;
    for (const { b } of this.builders) if (b.rows < this.rows) b.addMissing();
  };

  private addJsonValue(b: ColumnBuilder, v: unknown, row: number): void {
    if (v === null || v === undefined) {
      b.addMissing();
      return;
    }
    // 1e400 parses as Infinity: it reaches the column as "Infinity", which a numeric column refuses
    const text = typeof v === 'string' ? v : typeof v === 'object' ? nestedJson(v, this.label, row, b.name) : String(v);
    const need = Buffer.byteLength(text);
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(need * 2);
    const n = this.scratch.write(text, 0);
    b.addField(this.scratch, 0, n, false);
  }

  run(format: DatasetFormat, read: ReadFn): void {
    if (format === 'csv' || format === 'tsv') {
      const parser = new CsvParser(format === 'csv' ? 44 : 9, this.csvHandlers(), this.label);
      this.newDict = () => parser.newDict(DICT_CAP);
      parser.run(read);
    }
    else if (format === 'json') parseJsonArray(read, this.onObject, this.label);
    else parseJsonLines(read, this.onObject, this.label);
    for (const { b } of this.builders) b.finish();
  }

  close(): void {
    for (const { b } of this.builders) b.close();
  }
}

/** A NUL or invalid UTF-8 byte found by the source, as a user-facing error naming its line. */
export function sourceError(err: SourceBytesError, path: string, label: string): ValidationError {
  const line = lineOfOffset(path, err.offset);
  if (err.kind === 'nul') {
    return new ValidationError('NUL_BYTE', `${label}: line ${line}: contains a NUL byte (byte ${err.offset}); this looks like a binary file, not text`, {
      hint: 'export the data as UTF-8 CSV, TSV, JSON or JSONL text',
      data: { line, offset: err.offset },
    });
  }
  return new ValidationError('NOT_UTF8', `${label}: line ${line}: bytes that are not valid UTF-8 (byte ${err.offset})`, {
    hint: 're-save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`',
    data: { line, offset: err.offset },
  });
}

/** Reads the whole raw copy into `table` (as it is made, when `copying`). */
function readAll(table: TableBuilder, rawPath: string, format: DatasetFormat, label: string, onBytes?: (bytes: number) => void, copying?: SharedArrayBuffer): void {
  const source = new ByteSource(rawPath, copying && new CopyProgress(copying));
  let next = 1 << 24;
  try {
    table.run(format, (buf, off, len) => {
      const n = source.read(buf, off, len);
      if (onBytes !== undefined && source.bytes >= next) {
        next = source.bytes + (1 << 24);
        onBytes(source.bytes);
      }
      return n;
    });
  } catch (err) {
    table.close();
    if (err instanceof SourceBytesError) throw sourceError(err, rawPath, label);
    throw err;
  } finally {
    source.close();
  }
}

/**
 * The most columns an import takes ({@link MAX_COLUMNS}). Column files are opened only when a
 * column outgrows what it may hold in memory, and closed and reopened as needed to stay within
 * the open-file limit (see ColumnarWriter), so `ulimit -n` does not bound the width.
 */
export function maxColumns(): number {
  return MAX_COLUMNS;
}

function tooManyColumns(label: string, what: string): ValidationError {
  return new ValidationError('TOO_MANY_COLUMNS', `${label}: ${what}; an import takes at most ${MAX_COLUMNS} columns`, {
    hint: 'is the delimiter right (--format)? Otherwise split the table',
    data: { limit: MAX_COLUMNS },
  });
}

/** The deepest nesting a JSON value may have (kept as JSON text in its column). */
export const MAX_JSON_DEPTH = 64;

/** A nested JSON value as text, after checking its depth without recursion (100,000 nested arrays must not overflow the stack). */
function nestedJson(v: object, label: string, record: number, column: string): string {
  const stack: Array<[unknown, number]> = [[v, 1]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (d > MAX_JSON_DEPTH) {
      throw new ValidationError('NESTED_TOO_DEEP', `${label}: record ${record}, key ${JSON.stringify(column)}: the value nests more than ${MAX_JSON_DEPTH} levels deep`, { hint: 'flatten the value, or keep it as a string', data: { record, column } });
    }
    if (x !== null && typeof x === 'object') for (const y of Array.isArray(x) ? x : Object.values(x)) if (y !== null && typeof y === 'object') stack.push([y, d + 1]);
  }
  return JSON.stringify(v);
}

/** Bytes of column state an import holds at once (all threads together): a wider table is read in several passes. */
export const PASS_BUDGET = 128 * 1024 * 1024;
/** A pass builds at least this many columns (a table this narrow is read once whatever its length). */
export const PASS_MIN_COLUMNS = 1024;

/** {@link PASS_BUDGET}, or `BFLY_IMPORT_PASS_BYTES` (tests force several passes with it). */
export function passBudget(): number {
  const env = process.env.BFLY_IMPORT_PASS_BYTES;
  return env !== undefined && /^\d+$/.test(env) ? Number(env) : PASS_BUDGET;
}

/**
 * What one column takes while it is built, as the process's memory grows (measured on the
 * wide benchmark at 20,000 columns: ~16 KB of builder, writer, dictionary, counter and their
 * garbage, and ~40 bytes a row for its distinct table, block buffer and the bytes held for its
 * object, up to the exact-distinct cap).
 */
export function columnStateBytes(rows: number): number {
  return 16 * 1024 + 40 * Math.min(rows, DICT_CAP);
}

/**
 * The width of a CSV/TSV table and its rows: counted in its first MiB, scaled by its size
 * (exact for a smaller table); null for JSON, for a table of at most {@link PASS_MIN_COLUMNS}
 * columns (its header is all that is read), or when not even the header parses (the full read
 * reports why).
 */
function tableShape(o: BuildOptions): { width: number; rows: number } | null {
  if (o.format !== 'csv' && o.format !== 'tsv') return null;
  const source = new ByteSource(o.rawPath, o.copying && new CopyProgress(o.copying));
  const LIMIT = 1 << 20;
  let width = -1;
  let records = 0;
  let whole = false;
  try {
    const header = (names: string[]): void => {
      width = names.length;
      if (width <= PASS_MIN_COLUMNS) throw new Error('narrow'); // one pass whatever the rows
    };
    new CsvParser(o.format === 'csv' ? 44 : 9, { header, record: () => void records++ }, o.label).run((b, off, len) => {
      const n = source.read(b, off, Math.min(len, LIMIT - source.bytes));
      if (n === 0 && source.bytes < LIMIT) whole = true;
      return n;
    });
  } catch {
    // the sample's last record is cut off (or the table is bad: the full read says so)
  } finally {
    source.close();
  }
  if (width <= PASS_MIN_COLUMNS) return null;
  const size = o.sourceBytes ?? statSync(o.rawPath).size;
  return { width, rows: whole ? records : Math.ceil((Math.max(1, records) * size) / Math.max(1, source.bytes)) };
}

/**
 * The owned columns split into the passes that read them: one pass unless the table is wide
 * enough that the columns' state would pass the budget (see {@link columnStateBytes}).
 */
export function columnPasses(o: BuildOptions): Array<ReadonlySet<number> | undefined> {
  const shape = tableShape(o);
  if (shape === null) return [o.owned];
  const owned = o.owned !== undefined ? [...o.owned].sort((a, b) => a - b) : Array.from({ length: shape.width }, (_, i) => i);
  const per = Math.max(PASS_MIN_COLUMNS, Math.floor((o.passBytes ?? passBudget()) / columnStateBytes(shape.rows)));
  if (owned.length <= per) return [o.owned];
  const passes = Math.ceil(owned.length / per);
  const size = Math.ceil(owned.length / passes);
  return Array.from({ length: passes }, (_, k) => new Set(owned.slice(k * size, (k + 1) * size)));
}

/**
 * Builds the owned columns, in as many reads of the raw copy as {@link columnPasses} says
 * (each builds and finishes its share of the columns before the next, so their state is held
 * one share at a time). Which blocks and objects a column makes does not depend on the passes.
 * Used directly, and by each import worker for its share of the columns.
 */
export function buildColumns(o: BuildOptions): BuiltColumns {
  if (o.maxOpenFiles !== undefined) ColumnarWriter.maxOpen = o.maxOpenFiles;
  const passes = columnPasses(o);
  if (passes.length === 1) return buildPass({ ...o, owned: passes[0] });
  const total = o.onBytes && statSync(o.rawPath).size;
  const columns: BuiltColumn[] = [];
  let built: BuiltColumns | undefined;
  for (let k = 0; k < passes.length; k++) {
    // progress runs once over the whole import, not once a pass
    const onBytes = o.onBytes && ((bytes: number) => o.onBytes!(Math.round((k * total! + bytes) / passes.length)));
    built = buildPass({ ...o, owned: passes[k], onBytes });
    if (built.rows === 0) return built;
    columns.push(...built.columns);
  }
  return { rows: built!.rows, width: built!.width, columns };
}

/**
 * Reads the raw copy once (following it as it is made, when asked) and builds the owned
 * columns: each is streamed into its own columnar file, re-read as strings if it turned from
 * numbers to text mid-file, then typed, summarised and finished (hashed as written).
 */
function buildPass(o: BuildOptions): BuiltColumns {
  const table = new TableBuilder(o.work, o.label, o.owned);
  readAll(table, o.rawPath, o.format, o.label, o.onBytes, o.copying);
  if (table.rows === 0) return { rows: 0, width: table.width, columns: [] };
  const rescan = table.builders.filter(({ b }) => b.needsRescan);
  const replacement = new Map<ColumnBuilder, ColumnBuilder>();
  if (rescan.length > 0) {
    const second = new TableBuilder(o.work, o.label, o.owned, new Set(rescan.map(({ b }) => b.name)));
    readAll(second, o.rawPath, o.format, o.label);
    for (const { b } of rescan) {
      replacement.set(b, second.builders.find((s) => s.b.name === b.name)!.b);
      b.close(); // its file (numbers read before the first string) is left unfinished in the work folder
    }
  }
  const columns = table.builders.map(({ index, b }) => {
    const use = replacement.get(b) ?? b;
    const { meta, column } = finalizeColumn(use, o.label);
    const { hex, image } = use.finishFile(meta);
    return image === undefined ? { index, column, path: use.path, hex } : { index, column, path: use.path, hex, image };
  });
  return { rows: table.rows, width: table.width, columns };
}
