import { closeSync, constants, copyFileSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, extname, join, resolve } from 'node:path';
import { DATASET_FORMATS, type DatasetColumn, type DatasetFormat, type DatasetManifest, MISSING_MARKERS } from '../../core/dataset.js';
import { InfraError, NotFoundError, ValidationError, isBflyError } from '../../core/errors.js';
import { formatHash } from '../../core/hash.js';
import { nameFromFile, validateName } from '../../core/names.js';
import { writeJsonAtomic } from '../atomic.js';
import { type ColumnarColumnMeta, ColumnarWriter } from '../columnar.js';
import { datasetLabel, listDatasets } from '../datasets.js';
import { workspacePaths } from '../layout.js';
import { sweepDeadTemps, withLock } from '../lock.js';
import { adoptObject } from '../objects.js';
import { ColumnBuilder } from './column-builder.js';
import { CsvParser, type CsvHandlers, type ReadFn } from './csv.js';
import { finalizeColumn } from './finalize.js';
import { parseJsonArray, parseJsonLines } from './json.js';
import { ByteSource, SourceBytesError, lineOfOffset } from './source.js';

/** Options for {@link importDataset}. */
export interface ImportOptions {
  /** Dataset name; defaults to the file name without its extension. */
  name?: string;
  /** Input format; defaults to the extension, then the content. */
  format?: DatasetFormat;
  /** Called as bytes are read (about every MiB). */
  onProgress?: (progress: { bytes: number; total: number }) => void;
}

/** What {@link importDataset} returns. */
export interface ImportResult {
  dataset: DatasetManifest;
  /** False when the same bytes were already imported (nothing was written). */
  created: boolean;
}

const EXTENSIONS: Record<string, DatasetFormat> = { '.csv': 'csv', '.tsv': 'tsv', '.tab': 'tsv', '.json': 'json', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/** Picks the format: explicit, else by extension, else by sniffing the first bytes. */
export function detectFormat(path: string, explicit?: string): DatasetFormat {
  if (explicit !== undefined) {
    if (!(DATASET_FORMATS as readonly string[]).includes(explicit)) {
      throw new ValidationError('BAD_FORMAT', `unknown format ${JSON.stringify(explicit)}`, { hint: `use one of: ${DATASET_FORMATS.join(', ')}` });
    }
    return explicit as DatasetFormat;
  }
  const byExt = EXTENSIONS[extname(path).toLowerCase()];
  if (byExt !== undefined) return byExt;
  const head = Buffer.alloc(65536);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const text = head.toString('utf8', 0, n).replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('[')) return 'json';
  if (text.startsWith('{')) return 'jsonl';
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const tabs = firstLine.split('\t').length - 1;
  const commas = firstLine.split(',').length - 1;
  return tabs > commas ? 'tsv' : 'csv';
}

/** The columns of one table being imported, fed by the CSV or JSON readers. */
class TableBuilder {
  readonly builders: ColumnBuilder[] = [];
  private readonly byName = new Map<string, ColumnBuilder>();
  /** Per CSV column: its builder, or null when this pass skips it. */
  private csvTargets: Array<ColumnBuilder | null> = [];
  private scratch = Buffer.allocUnsafe(4096);
  rows = 0;

  constructor(
    private readonly out: ColumnarWriter,
    private readonly label: string,
    /** Second read: only these column names, as strings. */
    private readonly only?: Set<string>,
  ) {}

  private add(name: string): ColumnBuilder {
    const b = new ColumnBuilder(name, this.out, this.only !== undefined);
    this.builders.push(b);
    this.byName.set(name, b);
    return b;
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
        this.csvTargets = names.map((raw) => (this.only === undefined || this.only.has(raw.trim()) ? this.add(raw.trim()) : null));
      },
      record: (buf, starts, ends, flags, count) => {
        const targets = this.csvTargets;
        for (let k = 0; k < count; k++) {
          const b = targets[k];
          if (b !== null) b.addField(buf, starts[k], ends[k], (flags[k] & 2) !== 0);
        }
        this.rows++;
      },
    };
  }

  onObject = (obj: Record<string, unknown>): void => {
    const row = this.rows;
    for (const key of Object.keys(obj)) {
      let b = this.byName.get(key);
      if (b === undefined) {
        if (this.only !== undefined && !this.only.has(key)) continue;
        if (key.trim() === '') {
          throw new ValidationError('EMPTY_COLUMN_NAME', `${this.label}: record ${row + 1} has a key that is empty`, { hint: 'give every field a name', data: { record: row + 1 } });
        }
        b = this.add(key);
        for (let r = 0; r < row; r++) b.addMissing();
      }
      this.addJsonValue(b, obj[key]);
    }
    this.rows++;
    for (const b of this.builders) if (b.rows < this.rows) b.addMissing();
  };

  private addJsonValue(b: ColumnBuilder, v: unknown): void {
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) {
      b.addMissing();
      return;
    }
    const text = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    const need = Buffer.byteLength(text);
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(need * 2);
    const n = this.scratch.write(text, 0);
    b.addField(this.scratch, 0, n, false);
  }

  /** Reads the whole input through the right parser. */
  run(format: DatasetFormat, read: ReadFn): void {
    if (format === 'csv' || format === 'tsv') {
      new CsvParser(format === 'csv' ? 44 : 9, this.csvHandlers(), this.label).run(read);
    } else if (format === 'json') {
      parseJsonArray(read, this.onObject, this.label);
    } else {
      parseJsonLines(read, this.onObject, this.label);
    }
    for (const b of this.builders) b.finish();
  }
}

function readError(err: unknown, path: string, label: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new ValidationError('FILE_UNREADABLE', `cannot read ${label}: permission denied`, { hint: 'check the file permissions (e.g. chmod +r)', data: { path } });
  }
  return new InfraError('READ_FAILED', `cannot read ${label}: ${(err as Error).message}`, { cause: err, hint: 'check the path and the free disk space', data: { path } });
}

function sourceError(err: SourceBytesError, path: string, label: string): ValidationError {
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

/**
 * Imports a CSV/TSV/JSON/JSONL file in one streaming pass: hashes its bytes (the dataset
 * hash), copies them into the object store, parses them, infers each column's type with the
 * reason, computes statistics, and stores a columnar copy. Memory does not grow with the file.
 * Nothing becomes visible in the workspace until the manifest is written, under a short lock;
 * on any error the workspace is left exactly as it was. The same bytes twice are imported
 * once; the same name with other bytes becomes a new version (`NAME@2`).
 *
 * @example
 * const { dataset, created } = await importDataset(ws.root, 'penguins.csv');
 * console.log(dataset.rows, dataset.columns.map((c) => c.type));
 */
export async function importDataset(root: string, file: string, options: ImportOptions = {}): Promise<ImportResult> {
  const label = file;
  const path = resolve(file);
  let name: string;
  if (options.name !== undefined) name = validateName(options.name, 'dataset name');
  else {
    const derived = nameFromFile(basename(path));
    if (derived === null) {
      throw new ValidationError('BAD_NAME', `cannot make a dataset name from ${JSON.stringify(basename(path))}`, { hint: 'pass one with --name, e.g. --name sales' });
    }
    name = derived;
  }
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new ValidationError('IS_A_DIRECTORY', `${label} is a directory, not a data file`, { hint: 'pass the path of a .csv, .tsv, .json or .jsonl file' });
    size = st.size;
  } catch (err) {
    if (isBflyError(err)) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new NotFoundError('FILE_NOT_FOUND', `no such file: ${label}`, { hint: 'check the path (it is relative to the current directory)', data: { path } });
    }
    throw new InfraError('READ_FAILED', `cannot read ${label}: ${(err as Error).message}`, { cause: err });
  }
  const paths = workspacePaths(root);
  sweepDeadTemps(root);
  const work = join(paths.tmp, `${process.pid}-${randomBytes(6).toString('hex')}-import`);
  mkdirSync(work);
  let writer: ColumnarWriter | null = null;
  try {
    let format: DatasetFormat;
    try {
      format = detectFormat(path, options.format);
    } catch (err) {
      if (isBflyError(err)) throw err;
      throw readError(err, path, label);
    }
    // The raw object is an in-kernel copy (copy_file_range: far faster than write() here);
    // everything after reads that private copy, so the stored bytes are exactly the hashed
    // and parsed bytes even if the source changes meanwhile.
    const rawPath = join(work, 'raw');
    try {
      copyFileSync(path, rawPath, constants.COPYFILE_EXCL);
    } catch (err) {
      throw readError(err, path, label);
    }
    const source = new ByteSource(rawPath);
    const columnarPath = join(work, 'columnar');
    writer = new ColumnarWriter(columnarPath);
    const table = new TableBuilder(writer, label);
    let nextReport = 1 << 20;
    const read: ReadFn = (buf, off, len) => {
      const n = source.read(buf, off, len);
      if (options.onProgress !== undefined && source.bytes >= nextReport) {
        nextReport = source.bytes + (1 << 24);
        options.onProgress({ bytes: source.bytes, total: size });
      }
      return n;
    };
    try {
      table.run(format, read);
    } catch (err) {
      if (err instanceof SourceBytesError) throw sourceError(err, rawPath, label);
      throw err;
    } finally {
      source.close();
    }
    const hex = source.digest();
    const bytes = source.bytes;
    if (table.rows === 0) {
      throw new ValidationError('NO_ROWS', format === 'csv' || format === 'tsv' ? `${label} has a header but no data rows` : `${label} has no records`, { hint: 'add at least one data row' });
    }
    if (table.builders.length === 0) {
      throw new ValidationError('NO_COLUMNS', `${label} has no columns`, { hint: 'each record needs at least one field' });
    }
    const already = listDatasets(root).find((d) => d.hash === formatHash(hex));
    if (already !== undefined) return { dataset: already, created: false };

    // Columns that switched from numbers/dates to strings mid-file: read their strings again.
    const rescan = table.builders.filter((b) => b.needsRescan);
    const replacement = new Map<ColumnBuilder, ColumnBuilder>();
    if (rescan.length > 0) {
      const second = new TableBuilder(writer, label, new Set(rescan.map((b) => b.name)));
      const again = new ByteSource(rawPath, { hash: false });
      try {
        second.run(format, (buf, off, len) => again.read(buf, off, len));
      } finally {
        again.close();
      }
      for (const b of rescan) replacement.set(b, second.builders.find((s) => s.name === b.name)!);
    }

    const metas: ColumnarColumnMeta[] = [];
    const columns: DatasetColumn[] = [];
    for (const b of table.builders) {
      const { meta, column } = finalizeColumn(replacement.get(b) ?? b);
      metas.push(meta);
      columns.push(column);
    }
    const written = writer.finish({ format: 'bfly-columnar', version: 2, rows: table.rows, columns: metas });
    const rawHash = adoptObject(root, rawPath, hex);
    const columnarHash = adoptObject(root, columnarPath, written.hex);

    return withLock(root, 'datasets', { purpose: `importing ${label}`, waitMs: 30_000 }, () => {
      const all = listDatasets(root);
      const same = all.find((d) => d.hash === rawHash);
      if (same !== undefined) return { dataset: same, created: false };
      let idLen = 12;
      while (all.some((d) => d.id === hex.slice(0, idLen))) idLen += 4;
      const version = all.filter((d) => d.name === name).reduce((m, d) => Math.max(m, d.version), 0) + 1;
      const manifest: DatasetManifest = {
        id: hex.slice(0, idLen),
        name,
        version,
        hash: rawHash,
        format,
        rows: table.rows,
        bytes,
        columns,
        importedAt: new Date().toISOString(),
        source: { path, name: basename(path) },
        objects: { raw: rawHash, columnar: columnarHash },
        missingMarkers: [...MISSING_MARKERS],
      };
      writeJsonAtomic(join(paths.datasets, `${manifest.id}.json`), manifest, { tmpDir: paths.tmp });
      return { dataset: manifest, created: true };
    });
  } finally {
    writer?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

export { datasetLabel };
