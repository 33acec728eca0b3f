/**
 * `bfly fsck`: proves the store intact. Re-hashes every object, checks every ended run's seal
 * and files against its manifest, and finds temp leftovers, stale locks, index drift and broken
 * cache entries. `repair` rebuilds derived data only (index, cache, leftovers of dead
 * processes); objects and runs are never touched.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import { isFinalStatus, type RunManifest } from '../core/run-manifest.js';
import { type RunSummary, type SummaryPipeline, summarizeRun } from '../core/run-summary.js';
import { HOST_TAG, parseTempName } from './atomic.js';
import { listDatasets } from './datasets.js';
import { membershipsOf, readBatchRecords } from './batches.js';
import { workspacePaths } from './layout.js';
import { breakDeadLock, findDeadLocks } from './lock.js';
import { rebuildRunIndex, readRunIndex, summarizeRunFolder } from './run-index.js';
import { RUN_SEAL } from './run-state.js';
import { listRunIds } from './runs.js';

/** One problem fsck found. */
export interface FsckProblem {
  kind:
    | 'corrupt_object'
    | 'stray_object'
    | 'missing_object'
    | 'bad_dataset'
    | 'bad_run'
    | 'run_manifest_changed'
    | 'run_file_changed'
    | 'run_file_missing'
    | 'run_file_unexpected'
    | 'temp_leftover'
    | 'stale_lock'
    | 'index_drift'
    | 'cache_broken'
    | 'bad_batch_record';
  /** Relative to the workspace root. */
  path: string;
  message: string;
  /** True when `--repair` fixes it (derived data only). */
  repairable: boolean;
}

/** What {@link fsck} returns. */
export interface FsckReport {
  ok: boolean;
  problems: FsckProblem[];
  checked: { objects: number; datasets: number; runs: number; runFiles: number; cacheEntries: number; bytesHashed: number };
  /** The whole check. */
  seconds: number;
  /** Time spent reading and hashing files (objects, run files, cache blobs). */
  hashSeconds: number;
  /** Bytes hashed per second of {@link FsckReport.hashSeconds}, in MB/s (every file: many small run files lower it). */
  hashMBps: number;
  /** The same for the objects alone (the datasets' bytes), in MB/s. */
  objectsMBps: number;
  /** What `repair` did. */
  repaired: string[];
}

const BUF = Buffer.allocUnsafe(1 << 20);

let hashNs = 0n;

/**
 * sha256 hex of a file, read in 1 MiB chunks (a small file in one read, its bytes returned when
 * `keep`). Throws ENOENT for a missing file. Time spent here is the hashing rate's denominator.
 */
function hashFile(path: string, keep = false): { hex: string; bytes: number; data?: Buffer } {
  const t0 = process.hrtime.bigint();
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    const first = readSync(fd, BUF, 0, BUF.length, null);
    if (first < BUF.length) {
      const data = BUF.subarray(0, first);
      return { hex: h.update(data).digest('hex'), bytes: first, ...(keep ? { data: Buffer.from(data) } : {}) };
    }
    h.update(BUF);
    bytes = first;
    for (;;) {
      const n = readSync(fd, BUF, 0, BUF.length, null);
      if (n === 0) break;
      h.update(n === BUF.length ? BUF : BUF.subarray(0, n));
      bytes += n;
    }
    return { hex: h.digest('hex'), bytes };
  } finally {
    closeSync(fd);
    hashNs += process.hrtime.bigint() - t0;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function walkFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walkFiles(p, base));
    else out.push(relative(base, p).split(sep).join('/'));
  }
  return out;
}

/**
 * Checks the workspace at `root`. With `repair`, rebuilds the run index, drops broken cache
 * entries and stale run keys, and removes temp files and locks of dead processes; then checks
 * again and reports what is left.
 */
export async function fsck(root: string, o: { repair?: boolean } = {}): Promise<FsckReport> {
  const t0 = performance.now();
  hashNs = 0n;
  const p = workspacePaths(root);
  const rel = (path: string): string => relative(root, path).split(sep).join('/');
  const problems: FsckProblem[] = [];
  const checked = { objects: 0, datasets: 0, runs: 0, runFiles: 0, cacheEntries: 0, bytesHashed: 0 };
  const add = (kind: FsckProblem['kind'], path: string, message: string, repairable = false): void => {
    problems.push({ kind, path: rel(path), message, repairable });
  };

  // Datasets first, to name the owner of a damaged object.
  let datasets: ReturnType<typeof listDatasets> = [];
  try {
    datasets = listDatasets(root);
  } catch (err) {
    add('bad_dataset', p.datasets, `dataset manifests unreadable: ${(err as Error).message}`);
  }
  const owner = new Map<string, string>();
  for (const d of datasets) for (const h of [d.objects.raw, ...d.objects.columns]) owner.set(h.slice(7), `${d.name}@${d.version}`);

  // 1. Objects: each file's sha256 must be its name.
  for (const a of list(p.objects)) {
    const dir = join(p.objects, a);
    if (!/^[0-9a-f]{2}$/.test(a) || !statSync(dir).isDirectory()) {
      add('stray_object', dir, 'not an object folder (objects/ holds only ab/cdef… files)');
      continue;
    }
    for (const b of list(dir)) {
      const path = join(dir, b);
      if (!/^[0-9a-f]{62}$/.test(b)) {
        add('stray_object', path, 'not an object name (64 hex digits)');
        continue;
      }
      const { hex, bytes } = hashFile(path);
      checked.objects++;
      checked.bytesHashed += bytes;
      const of = owner.get(a + b);
      if (hex !== a + b) add('corrupt_object', path, `content hashes to sha256:${hex.slice(0, 12)}…, not its name: the object${of ? ` (part of dataset ${of})` : ''} is damaged; restore .butterfly/objects from a backup${of ? ' (re-importing the same file gives the same hash)' : ''}`);
    }
  }

  const objectSeconds = Number(hashNs) / 1e9;
  const objectBytes = checked.bytesHashed;

  // 2. Datasets: every object a manifest names must exist.
  for (const d of datasets) {
    checked.datasets++;
    for (const h of [d.objects.raw, ...d.objects.columns]) {
      if (!existsSync(join(p.objects, h.slice(7, 9), h.slice(9)))) add('missing_object', join(p.datasets, `${d.id}.json`), `dataset ${d.name}@${d.version} needs object ${h.slice(0, 19)}…, which is missing`);
    }
  }

  // 3. Runs: ended runs are sealed; every file matches the manifest's list.
  const summaries = new Map<string, RunSummary | null>();
  const batches = readBatchRecords(root);
  const memberships = membershipsOf(batches.records);
  for (const b of batches.unreadable) add('bad_batch_record', join(p.batches, b.name), `unreadable batch record (${b.error}): \`compare --batch\` and \`--where batch\` miss the runs it reused`);
  for (const id of listRunIds(root)) {
    const dir = join(p.runs, id);
    checked.runs++;
    let m: RunManifest;
    let raw: Buffer;
    try {
      raw = readFileSync(join(dir, 'run.json'));
      m = JSON.parse(raw.toString('utf8')) as RunManifest;
    } catch (err) {
      add('bad_run', join(dir, 'run.json'), `unreadable run.json (${(err as Error).message.split('\n')[0]})`);
      continue;
    }
    if (!isFinalStatus(m.status)) continue; // a live run is still being written
    checked.bytesHashed += raw.length;
    let pipelineText: Buffer | undefined;
    let seal: string | null = null;
    try {
      seal = readFileSync(join(dir, RUN_SEAL), 'utf8').trim();
    } catch {
      add('run_manifest_changed', join(dir, RUN_SEAL), 'the run has no seal: its run.json cannot be verified');
    }
    const th = process.hrtime.bigint();
    const actual = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    hashNs += process.hrtime.bigint() - th;
    if (seal !== null && seal !== actual) add('run_manifest_changed', join(dir, 'run.json'), 'run.json changed after the run ended (its hash no longer matches the seal)');
    const listed = new Set<string>();
    for (const f of m.files ?? []) {
      listed.add(f.path);
      const path = join(dir, f.path);
      let got;
      try {
        got = hashFile(path, f.path === 'pipeline.json');
      } catch {
        add('run_file_missing', path, `listed in run.json but missing or unreadable`);
        continue;
      }
      const { hex, bytes } = got;
      if (f.path === 'pipeline.json' && `sha256:${hex}` === f.hash) pipelineText = got.data;
      checked.runFiles++;
      checked.bytesHashed += bytes;
      if (`sha256:${hex}` !== f.hash || bytes !== f.bytes) add('run_file_changed', path, `changed after the run ended (sha256 ${hex.slice(0, 12)}…, run.json says ${f.hash.slice(7, 19)}…)`);
    }
    const pj = (m.files ?? []).find((f) => f.path === 'pipeline.json');
    if (pj !== undefined && pj.hash !== m.pipelineHash) add('run_manifest_changed', join(dir, 'run.json'), `pipelineHash ${m.pipelineHash.slice(0, 19)}… is not the hash of the frozen pipeline.json`);
    for (const f of walkFiles(dir)) if (f !== 'run.json' && f !== RUN_SEAL && !listed.has(f)) add('run_file_unexpected', join(dir, f), 'not listed in run.json: added after the run ended');
    let pipeline = null;
    try {
      pipeline = pipelineText === undefined ? undefined : (JSON.parse(pipelineText.toString('utf8')) as SummaryPipeline);
    } catch {
      pipeline = undefined;
    }
    summaries.set(id, pipeline === undefined ? summarizeRunFolder(root, id, memberships) : summarizeRun(m, pipeline, memberships.get(id) ?? []));
  }

  // 4. Temp leftovers and stale locks.
  for (const name of list(p.tmp)) {
    const w = parseTempName(name);
    let alive = false;
    if (w !== null && w.host === HOST_TAG) {
      try {
        process.kill(w.pid, 0);
        alive = true;
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code !== 'ESRCH';
      }
    }
    if (w !== null && w.host !== HOST_TAG) continue; // another host's: not ours to judge
    if (!alive) add('temp_leftover', join(p.tmp, name), w === null ? 'not a bfly temp name' : `left by process ${w.pid}, which is gone`, w !== null);
  }
  for (const lock of findDeadLocks(root, '')) add('stale_lock', join(p.locks, `${lock}.lock`), 'held by a process that is gone', true);

  // 5. Index drift: the index must agree with the run folders.
  const index = readRunIndex(root, true);
  if (index.state === 'corrupt') add('index_drift', join(p.index, 'runs-v1.db'), `${index.badLines} unreadable line(s)`, true);
  const ids = new Set(listRunIds(root));
  for (const id of ids) {
    const doc = index.docs.get(id);
    const s = summaries.has(id) ? summaries.get(id)! : summarizeRunFolder(root, id, memberships);
    if (s === null || !isFinalStatus(s.status)) continue;
    if (doc === undefined) add('index_drift', join(p.index, 'runs-v1.db'), `run ${id} is missing from the index`, true);
    else if (doc !== JSON.stringify(s)) add('index_drift', join(p.index, 'runs-v1.db'), `the entry of run ${id} differs from its folder`, true);
  }
  for (const id of index.docs.keys()) if (!ids.has(id)) add('index_drift', join(p.index, 'runs-v1.db'), `run ${id} is indexed but its folder is gone`, true);

  // 6. Cache: entries must parse and name intact blobs; run keys must name existing runs.
  const brokenEntries: string[] = [];
  const blobOk = new Map<string, boolean>();
  const entriesDir = join(p.cache, 'entries');
  for (const f of walkFiles(entriesDir)) {
    const path = join(entriesDir, f);
    checked.cacheEntries++;
    let why: string | null = null;
    try {
      const e = JSON.parse(readFileSync(path, 'utf8')) as { slots?: Record<string, string>; artifacts?: Array<{ hash: string }> };
      for (const h of [...Object.values(e.slots ?? {}), ...(e.artifacts ?? []).map((a) => a.hash)]) {
        const blob = join(p.cache, 'blobs', h.slice(7, 9), h.slice(9));
        if (!blobOk.has(h)) {
          try {
            const { hex, bytes } = hashFile(blob);
            checked.bytesHashed += bytes;
            blobOk.set(h, `sha256:${hex}` === h);
          } catch {
            blobOk.set(h, false);
          }
        }
        if (!blobOk.get(h)) why = existsSync(blob) ? `blob ${h.slice(0, 19)}… is damaged` : `blob ${h.slice(0, 19)}… is missing`;
        if (why !== null) break;
      }
    } catch (err) {
      why = `unreadable (${(err as Error).message.split('\n')[0]})`;
    }
    if (why !== null) {
      add('cache_broken', path, `cache entry: ${why} (the block would just run again)`, true);
      brokenEntries.push(path);
    }
  }
  const keysDir = join(p.cache, 'run-keys');
  const staleKeys: string[] = [];
  for (const f of walkFiles(keysDir)) {
    const path = join(keysDir, f);
    try {
      const k = JSON.parse(readFileSync(path, 'utf8')) as { id?: string };
      if (typeof k.id !== 'string' || !ids.has(k.id)) staleKeys.push(path);
    } catch {
      staleKeys.push(path);
    }
  }
  for (const path of staleKeys) add('cache_broken', path, 'run key of a run that is gone', true);

  const seconds = (performance.now() - t0) / 1000;
  const hashSeconds = Number(hashNs) / 1e9;
  const report: FsckReport = {
    ok: problems.length === 0,
    problems,
    checked,
    seconds,
    hashSeconds,
    hashMBps: checked.bytesHashed / 1e6 / Math.max(hashSeconds, 1e-6),
    objectsMBps: objectBytes / 1e6 / Math.max(objectSeconds, 1e-6),
    repaired: [],
  };
  if (!o.repair || problems.every((x) => !x.repairable)) return report;

  const repaired: string[] = [];
  if (problems.some((x) => x.kind === 'index_drift')) {
    const r = await rebuildRunIndex(root);
    repaired.push(`rebuilt the run index (${r.runs} runs)`);
  }
  for (const path of [...brokenEntries, ...staleKeys]) {
    rmSync(path, { force: true });
    repaired.push(`removed ${rel(path)}`);
  }
  for (const x of problems) {
    if (x.kind === 'temp_leftover' && x.repairable) {
      rmSync(join(root, x.path), { recursive: true, force: true });
      repaired.push(`removed ${x.path}`);
    } else if (x.kind === 'stale_lock') {
      breakDeadLock(root, x.path.split('/').at(-1)!.replace(/\.lock$/, ''));
      repaired.push(`removed ${x.path}`);
    }
  }
  const after = await fsck(root);
  return { ...after, repaired };
}
