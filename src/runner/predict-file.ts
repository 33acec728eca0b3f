import { csvCell } from '../core/csv.js';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { writeOutputFile } from '../store/output-path.js';
import { extname } from 'node:path';
import { orderOfFormat } from '../core/dates.js';
import { ValidationError } from '../core/errors.js';
import { type CsvBatch, CsvParser, ValueKind, fieldText } from '../store/import/csv.js';
import { parseJsonArray, parseJsonLines } from '../store/import/json.js';
import type { Frame, FrameColumn } from '../ml/frame.js';
import { type InputColumn, cellNumber, isMissingCell, recordsFrame } from './frames.js';
import type { LoadedModel } from './model-artifact.js';

/** Options of {@link predictFile}. */
export interface PredictFileOptions {
  /** Add one probability column per class (classification). */
  proba?: boolean;
  /** A column of the input copied to the output to identify rows. */
  id?: string;
  /** `csv` (default) or `jsonl` output. */
  format?: 'csv' | 'jsonl';
  /** Rows predicted at a time (memory stays bounded by this). */
  batchRows?: number;
  /** Receives the output text, batch by batch, in input order. */
  write: (text: string) => void;
}

/** Rows predicted at a time by default: ~10 MB of input columns for 20 numbers a row. */
export const PREDICT_BATCH_ROWS = 1 << 16;

function missingColumns(file: string, inputs: readonly InputColumn[], has: (name: string) => boolean): void {
  const missing = inputs.filter((c) => !has(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    throw new ValidationError('MISSING_COLUMN', `${file} has no column ${missing.map((m) => JSON.stringify(m)).join(', ')}`, { hint: `the model needs: ${inputs.map((c) => c.name).join(', ')}`, data: { missing } });
  }
}

/**
 * Writes predictions from typed arrays, a batch at a time: each class label and number is
 * turned into text once per cell, with no object per row.
 */
class PredictionWriter {
  private readonly labelCells: string[];
  private readonly probaKeys: string[];
  private headerDone = false;

  constructor(
    private readonly classes: readonly string[],
    private readonly o: { proba: boolean; id?: string; format: 'csv' | 'jsonl'; write: (text: string) => void },
  ) {
    const json = o.format === 'jsonl';
    this.labelCells = classes.map((c) => (json ? JSON.stringify(c) : csvCell(c)));
    this.probaKeys = classes.map((c, j) => `${j === 0 ? '' : ','}${JSON.stringify(c)}:`);
  }

  header(): void {
    if (this.headerDone) return;
    this.headerDone = true;
    const { o, classes } = this;
    if (o.format === 'csv') o.write([...(o.id !== undefined ? [o.id] : []), 'prediction', ...(o.proba && classes.length ? classes.map((c) => `proba_${c}`) : [])].map(csvCell).join(',') + '\n');
  }

  /** `n` predictions: `predicted` (class codes or values), `proba` (n × classes) and the rows' ids. */
  rows(n: number, predicted: Float64Array, proba: Float64Array | null, ids: readonly unknown[] | null): void {
    this.header();
    if (n === 0) return;
    const k = this.classes.length;
    const probs = this.o.proba && k > 0 ? proba : null;
    const labels = this.labelCells;
    let s = '';
    if (this.o.format === 'csv') {
      for (let i = 0; i < n; i++) {
        if (ids !== null) s += csvCell(String(ids[i] ?? '')) + ',';
        s += k > 0 ? labels[predicted[i]] : String(predicted[i]);
        if (probs !== null) for (let c = 0, at = i * k; c < k; c++) s += ',' + probs[at + c];
        s += '\n';
      }
    } else {
      const idKey = this.o.id === undefined ? '' : JSON.stringify(this.o.id) + ':';
      const keys = this.probaKeys;
      for (let i = 0; i < n; i++) {
        s += '{';
        if (ids !== null) s += idKey + (JSON.stringify(ids[i] ?? null) ?? 'null') + ',';
        s += '"prediction":' + (k > 0 ? labels[predicted[i]] : jsonNumber(predicted[i]));
        if (probs !== null) {
          s += ',"proba":{';
          for (let c = 0, at = i * k; c < k; c++) s += keys[c] + jsonNumber(probs[at + c]);
          s += '}';
        }
        s += '}\n';
      }
    }
    this.o.write(s);
  }
}

function jsonNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

/**
 * The input columns of a batch of CSV records, filled column by column from the tokenizer
 * (numbers and ISO dates read in WebAssembly, as import reads them) into typed arrays of
 * `capacity` rows; only categories, free text, booleans and the fields the tokenizer leaves
 * (other date formats, doubled quotes, the slow number path, bad values) become strings.
 */
class CsvColumns {
  private readonly numbers: Float64Array[];
  private readonly codes: Int32Array[];
  private readonly texts: Array<Array<string | null>>;
  /** Per category column: training levels by text, then unseen ones met in the current batch. */
  private readonly levelIndex: Array<Map<string, number>>;
  private readonly levels: string[][];
  private readonly orders: Array<'MDY' | 'DMY'>;
  ids: string[] | null;
  filled = 0;

  constructor(
    private readonly inputs: readonly InputColumn[],
    /** The field index of each input in a record, and of the id column (or -1). */
    private readonly index: readonly number[],
    private readonly idIndex: number,
    readonly capacity: number,
  ) {
    this.numbers = inputs.map((c) => (c.type === 'category' || c.type === 'text' ? new Float64Array(0) : new Float64Array(capacity)));
    this.codes = inputs.map((c) => (c.type === 'category' ? new Int32Array(capacity) : new Int32Array(0)));
    this.texts = inputs.map(() => []);
    this.levels = inputs.map((c) => [...(c.levels ?? [])]);
    this.levelIndex = this.levels.map((ls) => new Map(ls.map((l, i) => [l, i])));
    this.orders = inputs.map((c) => orderOfFormat(c.format));
    this.ids = idIndex >= 0 ? [] : null;
  }

  /** Adds records `from..to` of the batch (at most the room left); `firstRow` is the 0-based data row of record `from`. */
  add(b: CsvBatch, from: number, to: number, firstRow: number): void {
    const at0 = this.filled - from;
    for (let k = 0; k < this.inputs.length; k++) {
      const c = this.inputs[k];
      const col = this.index[k];
      if (c.type === 'category') {
        const codes = this.codes[k];
        const index = this.levelIndex[k];
        const levels = this.levels[k];
        for (let r = from; r < to; r++) {
          const f = r * b.width + col;
          const s = fieldText(b.buf, b.starts[f], b.ends[f], b.flags[f]);
          let code = -1;
          if (!isMissingCell(s)) {
            const known = index.get(s);
            if (known !== undefined) code = known;
            else index.set(s, (code = levels.push(s) - 1));
          }
          codes[at0 + r] = code;
        }
      } else if (c.type === 'text') {
        const texts = this.texts[k];
        for (let r = from; r < to; r++) {
          const f = r * b.width + col;
          const s = fieldText(b.buf, b.starts[f], b.ends[f], b.flags[f]);
          texts.push(isMissingCell(s) ? null : s);
        }
      } else {
        const values = this.numbers[k];
        const kind = c.type === 'datetime' ? ValueKind.Date : c.type === 'boolean' ? -1 : ValueKind.Number;
        let r = from;
        while (r < to) {
          const stop = kind < 0 ? r : b.values(kind, col, r, to);
          if (stop > r) values.set(b.out.subarray(r, stop), at0 + r);
          if (stop >= to) break;
          // a field the tokenizer leaves: read as a cell of text (or refused, naming it)
          const f = stop * b.width + col;
          values[at0 + stop] = cellNumber(fieldText(b.buf, b.starts[f], b.ends[f], b.flags[f]).trim(), c.type, c.name, firstRow + stop - from, this.orders[k]);
          r = stop + 1;
        }
      }
    }
    if (this.ids !== null) {
      for (let r = from; r < to; r++) {
        const f = r * b.width + this.idIndex;
        this.ids.push(fieldText(b.buf, b.starts[f], b.ends[f], b.flags[f]));
      }
    }
    this.filled += to - from;
  }

  /** The rows added so far as a frame (views of the arrays: use it before {@link clear}). */
  frame(): Frame {
    const n = this.filled;
    const columns = this.inputs.map((c, k): FrameColumn => {
      if (c.type === 'category') return { kind: 'categorical', name: c.name, levels: this.levels[k], codes: this.codes[k].subarray(0, n) };
      if (c.type === 'text') return { kind: 'text', name: c.name, values: this.texts[k] };
      const values = this.numbers[k].subarray(0, n);
      return c.type === 'number' ? { kind: 'numeric', name: c.name, values } : { kind: 'numeric', name: c.name, values, semantic: c.type };
    });
    return { rows: n, columns, index: null };
  }

  /** Empties the batch; levels unseen in training are forgotten (memory stays bounded). */
  clear(): void {
    this.filled = 0;
    for (let k = 0; k < this.inputs.length; k++) {
      this.texts[k] = [];
      const trained = this.inputs[k].levels?.length ?? 0;
      if (this.levels[k].length > trained) {
        for (const l of this.levels[k].splice(trained)) this.levelIndex[k].delete(l);
      }
    }
    if (this.ids !== null) this.ids = [];
  }
}

/** Options of {@link readInputFrames}. */
export interface InputFrameOptions {
  /** A column copied out beside the frame, as read (to identify rows). */
  id?: string;
  /** Rows per frame (the last may have fewer). */
  batchRows?: number;
}

/**
 * Reads the model's input columns from a CSV/TSV/JSON/JSONL file as frames of at most
 * `batchRows` rows, in order, handing each to `onFrame` (its arrays are reused: use them before
 * returning). A CSV or TSV is read column-wise by the import tokenizer into typed arrays, no
 * object per row; JSON rows are objects by nature. Columns are matched by name (extra ones
 * ignored); a missing input column or a value that cannot be read as its training type is a
 * validation error naming it (and the row). Returns the number of rows.
 */
export function readInputFrames(file: string, inputs: readonly InputColumn[], o: InputFrameOptions, onFrame: (frame: Frame, ids: readonly unknown[] | null) => void): number {
  const ext = extname(file).toLowerCase();
  const format = ext === '.tsv' || ext === '.tab' ? 'tsv' : ext === '.json' ? 'json' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : 'csv';
  const batchRows = Math.max(1, o.batchRows ?? PREDICT_BATCH_ROWS);
  let done = 0;
  const fd = openSync(file, 'r');
  try {
    const read = (buf: Buffer, off: number, len: number): number => readSync(fd, buf, off, len, null);
    if (format === 'csv' || format === 'tsv') {
      let cols: CsvColumns | null = null;
      const flush = (): void => {
        if (cols === null || cols.filled === 0) return;
        onFrame(cols.frame(), cols.ids);
        done += cols.filled;
        cols.clear();
      };
      new CsvParser(format === 'csv' ? 44 : 9, {
        header: (names) => {
          missingColumns(file, inputs, (n) => names.includes(n));
          const idIndex = o.id === undefined ? -1 : names.indexOf(o.id);
          if (o.id !== undefined && idIndex < 0) throw new ValidationError('MISSING_COLUMN', `${file} has no id column ${JSON.stringify(o.id)}`, { hint: `columns: ${names.join(', ')}` });
          cols = new CsvColumns(inputs, inputs.map((c) => names.indexOf(c.name)), idIndex, batchRows);
        },
        records: (b) => {
          const c = cols!;
          for (let r = 0; r < b.count; ) {
            const to = Math.min(b.count, r + c.capacity - c.filled);
            c.add(b, r, to, done + c.filled);
            r = to;
            if (c.filled === c.capacity) flush();
          }
        },
      }, file).run(read);
      flush();
    } else {
      let batch: Array<Record<string, unknown>> = [];
      let ids: unknown[] = [];
      const flush = (): void => {
        if (batch.length === 0) return;
        onFrame(recordsFrame(inputs, batch, done + 1), o.id === undefined ? null : ids);
        done += batch.length;
        batch = [];
        ids = [];
      };
      const onObject = (obj: Record<string, unknown>): void => {
        if (done === 0 && batch.length === 0) missingColumns(file, inputs, (n) => n in obj);
        batch.push(obj);
        if (o.id !== undefined) ids.push(obj[o.id]);
        if (batch.length >= batchRows) flush();
      };
      if (format === 'json') parseJsonArray(read, onObject, file);
      else parseJsonLines(read, onObject, file);
      flush();
    }
  } finally {
    closeSync(fd);
  }
  return done;
}

/**
 * Predicts every row of a CSV/TSV/JSON/JSONL file with a loaded model, streaming: rows are read
 * ({@link readInputFrames}), predicted and written from typed arrays in batches, in the input's
 * order. Returns the number of rows.
 */
export function predictFile(model: LoadedModel, file: string, o: PredictFileOptions): { rows: number } {
  if (o.id === 'prediction' || o.id === 'proba') {
    throw new ValidationError('BAD_ID_COLUMN', `--id ${o.id} would be written beside the output's own ${JSON.stringify(o.id)}`, { hint: 'copy the column under another name first, or leave --id out' });
  }
  const writer = new PredictionWriter(model.classes, { proba: o.proba === true, id: o.id, format: o.format ?? 'csv', write: o.write });
  const rows = readInputFrames(file, model.artifact.inputs, { id: o.id, batchRows: o.batchRows }, (frame, ids) => {
    const { predicted, proba } = model.predictFrame(frame);
    writer.rows(frame.rows, predicted, proba, ids);
  });
  writer.header();
  return { rows };
}

/**
 * {@link predictFile} into `out` (CSV, or JSON lines for `.jsonl`), written aside and renamed
 * into place: a prediction that fails leaves no half-written file. `out` may not be inside the
 * workspace store (`root`'s `.butterfly/`) nor the input file itself.
 */
export function predictToFile(model: LoadedModel, file: string, out: string, o: Omit<PredictFileOptions, 'write' | 'format'> & { root: string | null }): { rows: number } {
  const { root, ...rest } = o;
  return writeOutputFile(out, { root, what: '--out', inputs: [file] }, (fd) => predictFile(model, file, { ...rest, format: out.endsWith('.jsonl') ? 'jsonl' : 'csv', write: (t) => writeAll(fd, t) }));
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}
