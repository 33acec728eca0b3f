import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { basename, extname, join, resolve } from 'node:path';
import { DATASET_FORMATS, type DatasetFormat, type DatasetManifest, MISSING_MARKERS } from '../../core/dataset.js';
import { BflyError, InfraError, NotFoundError, ValidationError, isBflyError } from '../../core/errors.js';
import { formatHash } from '../../core/hash.js';
import { nameFromFile, validateName } from '../../core/names.js';
import { tempName } from '../atomic.js';
import { writeDatasetManifest } from '../dataset-manifest.js';
import { appendAudit } from '../audit.js';
import { listDatasets } from '../datasets.js';
import { workspacePaths } from '../layout.js';
import { sweepDeadTemps, withLock } from '../lock.js';
import { adoptObject } from '../objects.js';
import { packageRoot } from '../package-root.js';
import { ColumnarWriter, eachFile, groupColumnar, syncFiles } from '../columnar.js';
import { type BuildOptions, type BuiltColumn, type BuiltColumns, buildColumns, passBudget, sourceError } from './build-columns.js';
import { CsvParser, fieldText } from './csv.js';
import { ByteSource, CopyProgress, CopyStopped, SourceBytesError, copyAndHash } from './source.js';

/** Options for {@link importDataset}. */
export interface ImportOptions {
  /** Dataset name; defaults to the file name without its extension. */
  name?: string;
  /** Input format; defaults to the extension, then the content. */
  format?: DatasetFormat;
  /** Called as bytes are read (about every 16 MiB; single-threaded imports only). */
  onProgress?: (progress: { bytes: number; total: number }) => void;
  /** Parser threads for CSV/TSV (default: 2 for files of 32 MiB or more, else 1). */
  threads?: number;
  /**
   * The most bytes to import (default: no limit for a regular file, whose size is known;
   * {@link STREAM_MAX_BYTES} for a pipe or device, which could be endless).
   */
  maxBytes?: number;
  /** Aborting it stops the import (between reads); nothing is left in the workspace. */
  signal?: AbortSignal;
}

/** How much a pipe or a device may bring by default (`--max-bytes` changes it). */
export const STREAM_MAX_BYTES = 16 * 1024 ** 3;

/** The import was cancelled (a signal); the workspace is as it was. */
export class ImportCancelled extends Error {
  constructor() {
    super('the import was cancelled');
  }
}

/** What {@link importDataset} returns. */
export interface ImportResult {
  dataset: DatasetManifest;
  /** False when the same bytes were already imported (nothing was written). */
  created: boolean;
}

const EXTENSIONS: Record<string, DatasetFormat> = { '.csv': 'csv', '.tsv': 'tsv', '.tab': 'tsv', '.json': 'json', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/** Picks the format: explicit, else by `path`'s extension, else by sniffing the first bytes (of `bytesOf`). */
export function detectFormat(path: string, explicit?: string, bytesOf = path): DatasetFormat {
  if (explicit !== undefined) {
    if (!(DATASET_FORMATS as readonly string[]).includes(explicit)) {
      throw new ValidationError('BAD_FORMAT', `unknown format ${JSON.stringify(explicit)}`, { hint: `use one of: ${DATASET_FORMATS.join(', ')}` });
    }
    return explicit as DatasetFormat;
  }
  const byExt = EXTENSIONS[extname(path).toLowerCase()];
  if (byExt !== undefined) return byExt;
  const head = Buffer.alloc(65536);
  const fd = openSync(bytesOf, 'r');
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

/** Files smaller than this are parsed by one thread. */
const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;

function readError(err: unknown, path: string, label: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new ValidationError('FILE_UNREADABLE', `cannot read ${label}: permission denied`, { hint: 'check the file permissions (e.g. chmod +r)', data: { path } });
  }
  return new InfraError('READ_FAILED', `cannot read ${label}: ${(err as Error).message}`, { cause: err, hint: 'check the path and the free disk space', data: { path } });
}

/** Path of the worker script: the CLI's bundle when built, else the compiled module. */
function workerScript(): string {
  const bundled = join(packageRoot(), 'dist', 'cli', 'import-worker.cjs');
  return existsSync(bundled) ? bundled : join(packageRoot(), 'dist', 'store', 'import', 'worker.js');
}

/** How many threads to parse with: 1 for small or JSON files; else up to 2, or as requested. */
function threadCount(format: DatasetFormat, size: number, requested?: number): number {
  if (format !== 'csv' && format !== 'tsv') return 1;
  if (requested !== undefined) return Math.max(1, Math.min(requested, 8));
  return size >= PARALLEL_MIN_BYTES ? Math.min(2, availableParallelism()) : 1;
}

/** Fields the cost estimate samples at most: its rows shrink as the table widens (a 20,000-column table's 500 rows are ten million strings). */
const SAMPLE_FIELDS = 200_000;

/** Rows {@link estimateColumnCosts} samples of a `width`-column table: 500, down to 8 for the widest. */
function sampleRows(width: number): number {
  return Math.max(8, Math.min(500, Math.floor(SAMPLE_FIELDS / Math.max(1, width))));
}

/**
 * Relative parsing cost of each column of a CSV/TSV file (the source: the copy is not made
 * yet), guessed from its first rows ({@link sampleRows}) and measured on the import
 * benchmark: numbers 1 (read by the tokenizer), dates 1.6, whole numbers with few distinct values 1.1 (counted exactly all
 * the way), short repeated strings 1 (looked up in the tokenizer's dictionary), long or
 * varied strings (free text) 1.9.
 */
function estimateColumnCosts(path: string, format: DatasetFormat, label: string): number[] {
  const samples: string[][] = [];
  const stop = new Error('sampled');
  const source = new ByteSource(path);
  let width = 0;
  let rows = 500;
  try {
    new CsvParser(format === 'csv' ? 44 : 9, {
      header: (names) => {
        width = names.length;
        rows = sampleRows(width);
        for (let i = 0; i < width; i++) samples.push([]);
      },
      record: (buf, starts, ends, flags, count) => {
        for (let k = 0; k < count; k++) samples[k].push(fieldText(buf, starts[k], ends[k], flags[k]).trim());
        if (samples[0].length >= rows) throw stop;
      },
    }, label).run((b, o, l) => source.read(b, o, l));
  } catch (err) {
    if (err !== stop) {
      if (err instanceof SourceBytesError) throw sourceError(err, path, label);
      throw err;
    }
  } finally {
    source.close();
  }
  return samples.map((values) => {
    const present = values.filter((v) => v !== '');
    if (present.length === 0) return 1;
    const distinct = new Set(present).size;
    if (present.every((v) => !Number.isNaN(Number(v)))) return distinct <= present.length / 2 && present.every((v) => /^[-+]?\d+$/.test(v)) ? 1.1 : 1;
    if (present.every((v) => /^\d{4}[-/]\d\d[-/]\d\d/.test(v))) return 1.6;
    const avgLength = present.reduce((n, v) => n + v.length, 0) / present.length;
    return distinct > present.length / 2 || avgLength > 24 ? 1.9 : 1;
  });
}

/**
 * Until `pending` settles, writes the column files that the workers are filling in `dir` back
 * to disk every 200 ms (fdatasync through other descriptors), so that the fsync before they
 * are adopted has little left to write. Errors are ignored: the final fsync is the one that counts.
 */
async function flushWhile(dir: string, pending: Promise<unknown>): Promise<void> {
  let done = false;
  void pending.finally(() => (done = true));
  while (!done) {
    await Promise.race([pending, new Promise((r) => setTimeout(r, 200))]);
    if (done) break;
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.startsWith('col-'));
    } catch {
      return;
    }
    // a few at a time: the descriptors are the process's, and the workers need theirs
    await eachFile(
      names.map((n) => join(dir, n)),
      16,
      (fh) => fh.datasync(),
    ).catch(() => undefined); // gone or unreadable: nothing to do here
  }
}

/** Import workers, parsing the raw copy as the main thread makes it. */
interface WorkerPool {
  /** Waits for the workers and puts their columns together. */
  run(): Promise<BuiltColumns>;
  /** Stops the workers (an error came first, or they are done). */
  stop(): Promise<void>;
}

/**
 * Starts `threads` workers on the raw copy `base.rawPath`, each owning a share of the columns
 * (estimated from the first rows of `sample`, the source file). They load while the copy
 * begins and parse it as it grows (`base.copying`).
 */
function startWorkers(base: Omit<BuildOptions, 'owned'>, threads: number, sample: string): WorkerPool {
  const costs = estimateColumnCosts(sample, base.format, base.label);
  const width = costs.length;
  // Largest first, each to the least-loaded worker (LPT scheduling).
  const shares: number[][] = Array.from({ length: Math.max(1, Math.min(threads, width)) }, () => []);
  const load = shares.map(() => 0);
  for (const i of costs.map((_, i) => i).sort((x, y) => costs[y] - costs[x] || x - y)) {
    const k = load.indexOf(Math.min(...load));
    shares[k].push(i);
    load[k] += costs[i];
  }
  // the open-file budget is the process's: each worker gets its share (the main thread keeps one too)
  const maxOpenFiles = Math.max(8, Math.floor(ColumnarWriter.maxOpen / (shares.length + 1)));
  // so is the memory the columns' state may take (a wide table is read in more passes)
  const passBytes = Math.floor(passBudget() / shares.length);
  const workers = shares.map((owned) => new Worker(workerScript(), { workerData: { ...base, onBytes: undefined, owned, maxOpenFiles, passBytes } }));
  const results = workers.map(
    (w) =>
      new Promise<{ ok: boolean; result?: BuiltColumns; error?: Record<string, unknown> }>((resolveMsg, reject) => {
        w.once('message', resolveMsg);
        w.once('error', reject);
        w.once('exit', (code) => reject(new InfraError('IMPORT_WORKER_DIED', `an import worker exited with code ${code}`, { hint: 'retry; if it keeps failing, set BFLY_IMPORT_THREADS=1' })));
      }),
  );
  const all = Promise.allSettled(results); // observed from the start: a worker may fail while loading
  const stop = async (): Promise<void> => {
    await Promise.all(workers.map((w) => w.terminate()));
  };
  return { stop, run: () => collect(all, base.work, width, stop) };
}

/** Flushes the workers' files while they run, and puts their columns together. */
async function collect(
  all: Promise<Array<PromiseSettledResult<{ ok: boolean; result?: BuiltColumns; error?: Record<string, unknown> }>>>,
  work: string,
  width: number,
  stop: () => Promise<void>,
): Promise<BuiltColumns> {
  await flushWhile(work, all);
  const settled = await all;
  await stop();
  const columns: BuiltColumn[] = [];
  let rows = -1;
  for (const s of settled) {
    if (s.status === 'rejected') throw s.reason;
    const msg = s.value;
    if (!msg.ok) {
      const e = msg.error as { category: string; code: string; message: string; hint?: string; data?: Record<string, unknown>; stack?: string };
      if (e.category === 'unknown') throw new Error(`${e.message}\n${e.stack ?? ''}`);
      throw new BflyError(e.category as never, e.code, e.message, { hint: e.hint, data: e.data });
    }
    if (rows !== -1 && msg.result!.rows !== rows) throw new Error('import workers disagree on the row count');
    rows = msg.result!.rows;
    columns.push(...msg.result!.columns);
  }
  columns.sort((a, b) => a.index - b.index);
  return { rows, width, columns };
}

/** The most bytes of small columns put together in one group object. */
export const GROUP_BYTES = 4 * 1024 * 1024;
/** A column whose columnar file is larger is its own object; smaller ones are grouped. */
export const GROUP_COLUMN_MAX = 1 << 20;

/** {@link GROUP_BYTES}, or `BFLY_COLUMN_GROUP_BYTES` (0: every column its own object, the format-2 layout). */
function groupBytes(): number {
  const env = process.env.BFLY_COLUMN_GROUP_BYTES;
  return env !== undefined && /^\d+$/.test(env) ? Number(env) : GROUP_BYTES;
}

/**
 * The dataset's column objects as files in `work`: a column whose columnar file is over
 * {@link GROUP_COLUMN_MAX} is its own object (the file it was built in); the smaller ones, in
 * column order, are put together in group objects of up to {@link GROUP_BYTES} (a group of one
 * is the column's own file, byte for byte). Which columns share an object depends only on their
 * sizes, never on whether the importer held them in memory or wrote them out (threads, width).
 * Each file lists the positions in `columns` it holds.
 */
function writeColumnGroups(work: string, columns: readonly BuiltColumn[]): Array<{ path: string; hex: string; columns: number[] }> {
  const files: Array<{ path: string; hex: string; columns: number[] }> = [];
  const limit = groupBytes();
  let group: number[] = [];
  let size = 0;
  const write = (members: number[]): void => {
    const first = columns[members[0]];
    if (members.length === 1 && first.image === undefined) {
      files.push({ path: first.path, hex: first.hex, columns: members });
      return;
    }
    // small columns written out (a wide table's past the memory budget) are read back here
    const bytes = groupColumnar(members.map((k) => columns[k].image ?? readFileSync(columns[k].path)));
    const path = join(work, `group-${first.index}`);
    writeFileSync(path, bytes, { flag: 'wx', mode: 0o644 });
    files.push({ path, hex: members.length === 1 ? first.hex : createHash('sha256').update(bytes).digest('hex'), columns: members });
  };
  const close = (): void => {
    if (group.length > 0) write(group);
    group = [];
    size = 0;
  };
  columns.forEach((c, k) => {
    const bytes = c.image?.length ?? statSync(c.path).size;
    if (limit === 0 || bytes > GROUP_COLUMN_MAX) {
      write([k]); // its own object; the group of small columns goes on past it
      return;
    }
    if (size > 0 && size + bytes > limit) close();
    group.push(k);
    size += bytes;
  });
  close();
  return files;
}

/**
 * Imports a CSV/TSV/JSON/JSONL file: copies its bytes into the store, hashing them on the way
 * (the dataset hash), parses them, infers each column's type with the reason, computes
 * statistics, and stores one columnar object per column. Large CSV/TSV files are parsed by two
 * worker threads, each owning a share of the columns, while the copy is made. Memory does not grow
 * with the file. Nothing becomes visible in the workspace until the manifest is written, under
 * a short lock; on any error the workspace is left exactly as it was. The same bytes twice are
 * imported once; the same name with other bytes becomes a new version (`NAME@2`).
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
  let regular: boolean;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new ValidationError('IS_A_DIRECTORY', `${label} is a directory, not a data file`, { hint: 'pass the path of a .csv, .tsv, .json or .jsonl file' });
    size = st.size;
    regular = st.isFile();
  } catch (err) {
    if (isBflyError(err)) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new NotFoundError('FILE_NOT_FOUND', `no such file: ${label}`, { hint: 'check the path (it is relative to the current directory)', data: { path } });
    }
    throw readError(err, path, label);
  }
  const maxBytes = options.maxBytes ?? (regular ? undefined : STREAM_MAX_BYTES);
  const tooLarge = (): ValidationError =>
    new ValidationError('SOURCE_TOO_LARGE', `${label} is larger than the import limit of ${maxBytes} bytes${regular ? '' : ` (a ${options.maxBytes === undefined ? 'pipe or device: its default limit' : 'limit set with --max-bytes'})`}`, {
      hint: regular ? 'raise it with --max-bytes, e.g. --max-bytes 64GiB' : 'raise it with --max-bytes if the stream is really that large, e.g. --max-bytes 64GiB; an endless device (/dev/zero, /dev/urandom) is not a table',
      data: { path, maxBytes },
    });
  if (maxBytes !== undefined && regular && size > maxBytes) throw tooLarge();
  const paths = workspacePaths(root);
  sweepDeadTemps(root);
  const work = join(paths.tmp, tempName('import'));
  mkdirSync(work);
  let pool: WorkerPool | undefined;
  try {
    // The raw object is a copy that the main thread makes and hashes (the dataset hash);
    // everything after reads that private copy, so the stored bytes are exactly the hashed
    // and parsed bytes even if the source changes meanwhile. Workers parse it as it grows.
    const rawPath = join(work, 'raw');
    // anything that reads the source: its errors say so
    const reading = <T>(f: () => T): T => {
      try {
        return f();
      } catch (err) {
        if (isBflyError(err)) throw err;
        throw readError(err, path, label);
      }
    };
    const copy = async (progress?: CopyProgress): Promise<{ hex: string; bytes: number }> => {
      try {
        return await copyAndHash(path, rawPath, { progress, maxBytes, signal: options.signal });
      } catch (err) {
        if (err instanceof CopyStopped) throw err.why === 'cancelled' ? new ImportCancelled() : tooLarge();
        // a NUL byte stops the copy where it is: its line is counted in what was copied
        if (err instanceof SourceBytesError) throw sourceError(err, rawPath, label);
        if (isBflyError(err)) throw err;
        throw readError(err, path, label);
      }
    };
    // a pipe (`<(...)`, /dev/stdin) can be read only once: copied first, then looked at
    let copied = regular ? undefined : await copy();
    const format = reading(() => detectFormat(path, options.format, copied === undefined ? path : rawPath));
    const base = { rawPath, work, format, label, sourceBytes: copied?.bytes ?? size, onBytes: options.onProgress && ((bytes: number) => options.onProgress!({ bytes, total: copied?.bytes ?? size })) };
    if (copied === undefined) {
      const threads = threadCount(format, size, options.threads);
      const copying = threads > 1 ? new CopyProgress() : undefined;
      if (copying !== undefined) pool = reading(() => startWorkers({ ...base, copying: copying.shared }, threads, path));
      // on an error the copy is abandoned, and a worker waiting for bytes stops
      copied = await copy(copying);
    }
    if (options.signal?.aborted) throw new ImportCancelled();
    const { hex, bytes: rawBytes } = copied;
    // its fsync runs on the thread pool while the columns are built
    const rawSynced = syncFiles([rawPath]);
    rawSynced.catch(() => undefined); // awaited below; not awaited at all when an error comes first
    const built = pool !== undefined ? await pool.run() : buildColumns(base);
    if (built.rows === 0) {
      throw new ValidationError('NO_ROWS', format === 'csv' || format === 'tsv' ? `${label} has a header but no data rows` : `${label} has no records`, { hint: 'add at least one data row' });
    }
    if (built.columns.length === 0) {
      throw new ValidationError('NO_COLUMNS', `${label} has no columns`, { hint: 'each record needs at least one field' });
    }
    const already = listDatasets(root).find((d) => d.hash === formatHash(hex));
    if (already !== undefined) return { dataset: already, created: false };
    const files = writeColumnGroups(work, built.columns);
    await Promise.all([rawSynced, syncFiles(files.map((f) => f.path))]);

    // Objects are adopted under the datasets lock, which `bfly gc` also holds: gc never sees an
    // object whose manifest is about to be written.
    return withLock(root, 'datasets', { purpose: `importing ${label}`, waitMs: 30_000, long: true }, () => {
      const all = listDatasets(root);
      const same = all.find((d) => d.hash === formatHash(hex));
      if (same !== undefined) return { dataset: same, created: false };
      // all fsynced just above
      const rawHash = adoptObject(root, rawPath, hex, true);
      const columnHashes: string[] = [];
      for (const f of files) {
        const hash = adoptObject(root, f.path, f.hex, true);
        for (const k of f.columns) columnHashes[k] = hash;
      }
      let idLen = 12;
      while (all.some((d) => d.id === hex.slice(0, idLen))) idLen += 4;
      const version = all.filter((d) => d.name === name).reduce((m, d) => Math.max(m, d.version), 0) + 1;
      const manifest: DatasetManifest = {
        id: hex.slice(0, idLen),
        name,
        version,
        hash: rawHash,
        format,
        rows: built.rows,
        bytes: rawBytes,
        columns: built.columns.map((c) => c.column),
        importedAt: new Date().toISOString(),
        source: { path, name: basename(path) },
        objects: { raw: rawHash, columns: columnHashes },
        missingMarkers: [...MISSING_MARKERS],
      };
      const sealed = writeDatasetManifest(root, manifest);
      appendAudit(root, { action: 'dataset.import', target: { dataset: sealed.id, name: sealed.name, version: sealed.version, hash: sealed.hash, rows: sealed.rows, source: sealed.source.path } });
      return { dataset: sealed, created: true };
    });
  } finally {
    await pool?.stop(); // finished, or an error came first
    rmSync(work, { recursive: true, force: true });
  }
}
