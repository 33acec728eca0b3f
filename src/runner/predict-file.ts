import { csvCell } from '../core/csv.js';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { writeOutputFile } from '../store/output-path.js';
import { extname } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { CsvParser, fieldText } from '../store/import/csv.js';
import { parseJsonArray, parseJsonLines } from '../store/import/json.js';
import { recordsFrame } from './frames.js';
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


/**
 * Predicts every row of a CSV/TSV/JSON/JSONL file with a loaded model, streaming: rows are read,
 * predicted and written in batches, in the input's order. Columns are matched by name (extra
 * ones ignored); a missing input column or a value that cannot be read as its training type is
 * a validation error naming it (and the row). Returns the number of rows.
 */
export function predictFile(model: LoadedModel, file: string, o: PredictFileOptions): { rows: number } {
  const ext = extname(file).toLowerCase();
  const format = ext === '.tsv' || ext === '.tab' ? 'tsv' : ext === '.json' ? 'json' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : 'csv';
  const batchRows = o.batchRows ?? 50_000;
  const inputs = model.artifact.inputs;
  const classes = model.classes;
  const out = o.format ?? 'csv';
  let batch: Array<Record<string, unknown>> = [];
  let ids: unknown[] = [];
  let done = 0;
  let headerWritten = false;
  const flush = (): void => {
    if (!headerWritten) {
      headerWritten = true;
      if (out === 'csv') o.write([...(o.id ? [o.id] : []), 'prediction', ...(o.proba && classes.length ? classes.map((c) => `proba_${c}`) : [])].map(csvCell).join(',') + '\n');
    }
    if (batch.length === 0) return;
    const { predicted, proba } = model.predictFrame(recordsFrame(inputs, batch, done + 1));
    const k = classes.length;
    const lines: string[] = [];
    for (let i = 0; i < batch.length; i++) {
      const label = k > 0 ? classes[predicted[i]] : predicted[i];
      const probs = o.proba && k > 0 ? Array.from(proba!.subarray(i * k, i * k + k)) : null;
      if (out === 'jsonl') lines.push(JSON.stringify({ ...(o.id ? { [o.id]: ids[i] ?? null } : {}), prediction: label, ...(probs ? { proba: Object.fromEntries(classes.map((c, j) => [c, probs[j]])) } : {}) }));
      else lines.push([...(o.id ? [String(ids[i] ?? '')] : []), label, ...(probs ?? [])].map((v) => csvCell(v as string | number)).join(','));
    }
    o.write(lines.join('\n') + '\n');
    done += batch.length;
    batch = [];
    ids = [];
  };
  const fd = openSync(file, 'r');
  try {
    const read = (buf: Buffer, off: number, len: number): number => readSync(fd, buf, off, len, null);
    const label = file;
    if (format === 'csv' || format === 'tsv') {
      let index: number[] = [];
      let idIndex = -1;
      new CsvParser(format === 'csv' ? 44 : 9, {
        header: (names) => {
          const missing = inputs.filter((c) => !names.includes(c.name)).map((c) => c.name);
          if (missing.length > 0) {
            throw new ValidationError('MISSING_COLUMN', `${file} has no column ${missing.map((m) => JSON.stringify(m)).join(', ')}`, { hint: `the model needs: ${inputs.map((c) => c.name).join(', ')}`, data: { missing } });
          }
          index = inputs.map((c) => names.indexOf(c.name));
          if (o.id !== undefined) {
            idIndex = names.indexOf(o.id);
            if (idIndex < 0) throw new ValidationError('MISSING_COLUMN', `${file} has no id column ${JSON.stringify(o.id)}`, { hint: `columns: ${names.join(', ')}` });
          }
        },
        record: (buf, starts, ends, flags) => {
          const r: Record<string, unknown> = {};
          for (let k = 0; k < inputs.length; k++) r[inputs[k].name] = fieldText(buf, starts[index[k]], ends[index[k]], flags[index[k]]).trim();
          batch.push(r);
          if (idIndex >= 0) ids.push(fieldText(buf, starts[idIndex], ends[idIndex], flags[idIndex]));
          if (batch.length >= batchRows) flush();
        },
      }, label).run(read);
    } else {
      const onObject = (obj: Record<string, unknown>): void => {
        if (done === 0 && batch.length === 0) {
          const missing = inputs.filter((c) => !(c.name in obj)).map((c) => c.name);
          if (missing.length > 0) throw new ValidationError('MISSING_COLUMN', `${file} has no column ${missing.map((m) => JSON.stringify(m)).join(', ')}`, { hint: `the model needs: ${inputs.map((c) => c.name).join(', ')}`, data: { missing } });
        }
        batch.push(obj);
        if (o.id !== undefined) ids.push(obj[o.id]);
        if (batch.length >= batchRows) flush();
      };
      if (format === 'json') parseJsonArray(read, onObject, label);
      else parseJsonLines(read, onObject, label);
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { rows: done };
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
