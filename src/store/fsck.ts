/**
 * `bfly fsck`: proves the store intact. Re-hashes every object, checks every run's seal
 * wherever there is one (and that a run which ended has one), every sealed file against its
 * manifest, cache entries against their digests and blobs, the index against its line hashes
 * and the run folders, and finds temp leftovers, stale locks, half-finished deletions and links
 * inside `.butterfly/`. `repair` fixes what is derived or left by a dead process (index, cache,
 * leftovers, locks, links in derived folders, the ending of a run whose process died); objects,
 * datasets and sealed runs are never touched.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import { type RunManifest, isFinalStatus } from '../core/run-manifest.js';
import { type RunSummary, type SummaryPipeline, summarizeRun } from '../core/run-summary.js';
import { HOST_TAG, parseTempName } from './atomic.js';
import { checkCacheEntry } from './block-cache.js';
import { readDatasetManifest } from './dataset-manifest.js';
import type { DatasetManifest } from '../core/dataset.js';
import { type DraftRevision, historyPath, listDraftRevisions } from './draft-history.js';
import { appendAudit, readAudit, repairAudit } from './audit.js';
import { membershipsOf, readBatchRecords } from './batches.js';
import { readValidatedEntry } from './experiments.js';
import { finishRunDeletions } from './gc.js';
import { LAYOUT_DIRS, workspacePaths } from './layout.js';
import { job as jobContract } from '../core/contracts/service.js';
import { breakDeadLock, findDeadLocks, isProcessAlive, lockHolderAlive } from './lock.js';
import { INDEX_FILE, rebuildRunIndex, readRunIndex, summarizeRunFolder } from './run-index.js';
import { columnsPath, runColumnsProblem } from './run-columns.js';
import { RUN_SEAL, RunFolder, recoverInterruptedRuns, withRecoveryLock } from './run-state.js';
import { DELETING_PREFIX, listRunIds } from './runs.js';
import { type Entry, entries, lstatOrNull, walk } from './safe-fs.js';
import { indexRunFolders } from './run-index.js';

export type { FsckProblem, FsckReport } from '../core/contracts/workspace.js';
import type { FsckProblem, FsckReport } from '../core/contracts/workspace.js';


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

/** Folders whose content is derived or transient: a link there may be removed by --repair. */
const DERIVED = new Set(['cache', 'index', 'locks', 'tmp']);

/**
 * Checks the workspace at `root`. With `repair`, completes the ending of runs whose process
 * died, finishes interrupted run deletions, rebuilds the run index, drops broken cache entries
 * and stale run keys, removes links from derived folders and temp files and locks of dead
 * processes; then checks again and reports what is left.
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
  const strange = (e: Entry, where: string): void => {
    const derived = DERIVED.has(rel(e.path).split('/')[1] ?? '');
    if (e.kind === 'symlink') add('symlink', e.path, `a symbolic link in ${where}: bfly never makes one and never follows it${derived ? '' : '; remove it (or put the real file or folder in its place)'}`, derived);
    else add('symlink', e.path, `not a regular file or folder (a FIFO, socket or device) in ${where}`, derived);
  };

  // 0. The store's own folders must be real folders: nothing below is checked through a link.
  const layoutLinks = new Set<string>();
  for (const sub of LAYOUT_DIRS) {
    const st = lstatOrNull(join(p.dir, sub));
    if (st !== null && !st.isDirectory()) {
      layoutLinks.add(sub);
      add('symlink', join(p.dir, sub), st.isSymbolicLink() ? 'a symbolic link where bfly keeps a folder: no command writes or deletes through it; move the real folder into its place' : 'not a folder', false);
    }
  }
  const usable = (sub: string): boolean => !layoutLinks.has(sub);

  // Datasets first, to name the owner of a damaged object: each manifest checked against its seal.
  const datasets: DatasetManifest[] = [];
  for (const e of usable('datasets') ? entries(p.datasets) : []) {
    if (e.kind !== 'file' || !e.name.endsWith('.json')) continue;
    try {
      datasets.push(readDatasetManifest(root, e.name));
    } catch (err) {
      add('dataset_changed', e.path, (err as Error).message.replace(/^\.butterfly\/datasets\/[^:]+: /, ''));
    }
  }
  const owner = new Map<string, string>();
  for (const d of datasets) for (const h of [d.objects.raw, ...d.objects.columns]) owner.set(h.slice(7), `dataset ${d.name}@${d.version}`);
  const histories = new Map<string, DraftRevision[]>();
  for (const e of usable('experiments') ? entries(p.experiments) : []) if (e.kind === 'dir') histories.set(e.name, listDraftRevisions(root, e.name));
  for (const [name, revisions] of histories) for (const r of revisions) if (!owner.has(r.hash.slice(7))) owner.set(r.hash.slice(7), `draft revision ${r.rev} of experiment ${name}`);

  // 1. Objects: each file's sha256 must be its name.
  for (const a of usable('objects') ? entries(p.objects) : []) {
    if (a.kind === 'symlink' || a.kind === 'other') {
      strange(a, 'objects/');
      continue;
    }
    if (!/^[0-9a-f]{2}$/.test(a.name) || a.kind !== 'dir') {
      add('stray_object', a.path, 'not an object folder (objects/ holds only ab/cdef… files)');
      continue;
    }
    for (const b of entries(a.path)) {
      if (b.kind !== 'file') {
        if (b.kind === 'dir') add('stray_object', b.path, 'not an object (a folder)');
        else strange(b, 'objects/');
        continue;
      }
      if (!/^[0-9a-f]{62}$/.test(b.name)) {
        add('stray_object', b.path, 'not an object name (64 hex digits)');
        continue;
      }
      const { hex, bytes } = hashFile(b.path);
      checked.objects++;
      checked.bytesHashed += bytes;
      const of = owner.get(a.name + b.name);
      if (hex !== a.name + b.name) add('corrupt_object', b.path, `content hashes to sha256:${hex.slice(0, 12)}…, not its name: the object${of ? ` (${of})` : ''} is damaged; restore .butterfly/objects from a backup${of?.startsWith('dataset') ? ' (re-importing the same file gives the same hash)' : ''}`);
    }
  }

  const objectSeconds = Number(hashNs) / 1e9;
  const objectBytes = checked.bytesHashed;

  // 2. Datasets: every object a manifest names must exist.
  for (const e of usable('datasets') ? entries(p.datasets) : []) if (e.kind === 'symlink' || e.kind === 'other') strange(e, 'datasets/');
  for (const d of datasets) {
    checked.datasets++;
    for (const h of [d.objects.raw, ...d.objects.columns]) {
      if (!existsSync(join(p.objects, h.slice(7, 9), h.slice(9)))) add('missing_object', join(p.datasets, `${d.id}.json`), `dataset ${d.name}@${d.version} needs object ${h.slice(0, 19)}…, which is missing`);
    }
  }
  for (const e of usable('experiments') ? entries(p.experiments) : []) {
    if (e.kind === 'symlink' || e.kind === 'other') strange(e, 'experiments/');
    else if (e.kind === 'dir') for (const f of entries(e.path)) if (f.kind === 'symlink' || f.kind === 'other') strange(f, `experiments/${e.name}/`);
  }
  // Draft history: every revision's object must be there (its bytes are checked with the objects).
  for (const [name, revisions] of histories) {
    for (const r of revisions) {
      if (!existsSync(join(p.objects, r.hash.slice(7, 9), r.hash.slice(9)))) add('missing_object', historyPath(root, name), `draft revision ${r.rev} of experiment ${name} needs object ${r.hash.slice(0, 19)}…, which is missing`);
    }
  }

  // The audit log: an unbroken chain of hashes.
  for (const x of readAudit(root).problems) add('audit_broken', join(p.dir, 'audit.jsonl'), `line ${x.line}: ${x.message}`, x.repairable);

  // 3. Runs: a seal, wherever there is one, must match; an ended run must have one; every
  //    sealed file must match the manifest's list.
  const summaries = new Map<string, RunSummary | null>();
  const batches = usable('batches') ? readBatchRecords(root) : { records: [], unreadable: [] };
  const memberships = membershipsOf(batches.records);
  const toSeal: string[] = [];
  const toRemove: string[] = [];
  for (const b of batches.unreadable) add('bad_batch_record', join(p.batches, b.name), `unreadable batch record (${b.error}): \`compare --batch\` and \`--where batch\` miss the runs it reused`);
  for (const e of usable('runs') ? entries(p.runs) : []) {
    if (e.name.startsWith(DELETING_PREFIX)) add('half_deleted_run', e.path, 'a run whose deletion (bfly gc) was interrupted; the rest of it is removed by the next gc', true);
    else if (e.kind === 'symlink' || e.kind === 'other') strange(e, 'runs/');
  }
  for (const id of usable('runs') ? listRunIds(root) : []) {
    const dir = join(p.runs, id);
    checked.runs++;
    let m: RunManifest;
    let raw: Buffer;
    const live = lockHolderAlive(root, `run-${id}`);
    try {
      raw = readFileSync(join(dir, 'run.json'));
      m = JSON.parse(raw.toString('utf8')) as RunManifest;
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      if (missing && !live) {
        add('bad_run', dir, 'a run folder without run.json (left by a crash of an older bfly before the run began): it holds no result', true);
        toRemove.push(dir);
      } else add('bad_run', join(dir, 'run.json'), `unreadable run.json (${(err as Error).message.split('\n')[0]})`);
      continue;
    }
    let seal: string | null = null;
    try {
      seal = readFileSync(join(dir, RUN_SEAL), 'utf8').trim();
    } catch {
      seal = null;
    }
    if (seal === null) {
      if (live) continue; // a live run is still being written
      if (isFinalStatus(m.status)) {
        const ok = filesIntact(dir, m);
        add('run_unsealed', join(dir, RUN_SEAL), ok ? `the run ended (${m.status}) but its seal was never written (a crash while sealing); every file matches run.json, so --repair seals it` : `the run ended (${m.status}) but has no seal, and its files do not match run.json: it cannot be verified`, ok);
        if (ok) toSeal.push(id);
      } else {
        add('bad_run', join(dir, 'run.json'), `the run is marked ${m.status} but no process is running it (killed without a lock?); --repair marks it interrupted and seals it`, true);
        toSeal.push(id);
      }
      continue;
    }
    checked.bytesHashed += raw.length;
    let pipelineText: Buffer | undefined;
    const th = process.hrtime.bigint();
    const actual = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    hashNs += process.hrtime.bigint() - th;
    if (seal !== actual) add('run_manifest_changed', join(dir, 'run.json'), `run.json changed after the run ended (its hash no longer matches the seal)${isFinalStatus(m.status) ? '' : `; it now says "${m.status}", but a sealed run can never be live again`}`);
    else if (!isFinalStatus(m.status)) add('run_manifest_changed', join(dir, 'run.json'), `a sealed run.json says "${m.status}": a sealed run can never be live again`);
    const listed = new Set<string>();
    for (const f of m.files ?? []) {
      listed.add(f.path);
      const path = join(dir, f.path);
      const st = lstatOrNull(path);
      if (st !== null && !st.isFile()) {
        add('run_file_changed', path, 'listed in run.json as a file, but it is a link or not a regular file');
        continue;
      }
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
    const found = walk(dir);
    for (const s of found.strange) add('run_file_unexpected', s.path, `${s.kind === 'symlink' ? 'a symbolic link' : 'not a regular file'} inside a sealed run: added after the run ended`);
    for (const f of found.files) {
      const r = relative(dir, f.path).split(sep).join('/');
      if (r !== 'run.json' && r !== RUN_SEAL && !listed.has(r)) add('run_file_unexpected', f.path, 'not listed in run.json: added after the run ended');
    }
    let pipeline = null;
    try {
      pipeline = pipelineText === undefined ? undefined : (JSON.parse(pipelineText.toString('utf8')) as SummaryPipeline);
    } catch {
      pipeline = undefined;
    }
    summaries.set(id, pipeline === undefined ? summarizeRunFolder(root, id, memberships) : summarizeRun(m, pipeline, memberships.get(id) ?? []));
  }

  // 4. Temp leftovers and stale locks.
  for (const e of usable('tmp') ? entries(p.tmp) : []) {
    const w = parseTempName(e.name);
    if (w !== null && w.host !== HOST_TAG) continue; // another host's: not ours to judge
    const alive = w !== null && isProcessAlive(w.pid);
    if (!alive) add('temp_leftover', e.path, w === null ? 'not a bfly temp name' : `left by process ${w.pid}, which is gone`, w !== null || e.kind === 'symlink');
  }
  if (usable('locks')) {
    for (const e of entries(p.locks)) if (e.kind === 'symlink' || e.kind === 'other') strange(e, 'locks/');
    for (const lock of findDeadLocks(root, '')) add('stale_lock', join(p.locks, `${lock}.lock`), lock.startsWith('run-') ? 'held by a process that is gone; the next command completes that run\'s ending' : 'held by a process that is gone', true);
  }

  // The service's job records (history: a damaged one is removed by --repair).
  const jobsDir = join(p.dir, 'jobs');
  for (const e of lstatOrNull(jobsDir)?.isDirectory() ? entries(jobsDir) : []) {
    if (e.kind === 'symlink' || e.kind === 'other') strange(e, 'jobs/');
    else if (e.kind === 'file' && !readableJob(e.name, e.path)) add('bad_job_record', e.path, 'a job record of the service that cannot be read; --repair removes it (a record of history, not data)', true);
  }

  // 5. Index: every line must match its hash, and the index must agree with the run folders.
  const indexFile = join(p.index, INDEX_FILE);
  if (usable('index')) {
    for (const e of entries(p.index)) if (e.kind === 'symlink' || e.kind === 'other') strange(e, 'index/');
    const index = readRunIndex(root, true);
    if (index.state === 'corrupt') add('index_drift', indexFile, `${index.badLines} line(s) unreadable or not matching their hash`, true);
    const sideProblem = runColumnsProblem(root);
    if (sideProblem !== null) add('index_drift', columnsPath(root), `the run index's columnar side file: ${sideProblem}`, true);
    const ids = new Set(usable('runs') ? listRunIds(root) : []);
    for (const id of ids) {
      const doc = index.docs.get(id);
      const s = summaries.has(id) ? summaries.get(id)! : summarizeRunFolder(root, id, memberships);
      if (s === null || !isFinalStatus(s.status) || !summaries.has(id)) continue;
      if (doc === undefined) add('index_drift', indexFile, `run ${id} is missing from the index`, true);
      else if (doc.text !== JSON.stringify(s)) add('index_drift', indexFile, `the entry of run ${id} differs from its folder`, true);
    }
    for (const id of index.docs.keys()) if (!ids.has(id)) add('index_drift', indexFile, `run ${id} is indexed but its folder is gone`, true);
  }

  // 6. Cache: entries must match their digest and name intact blobs written for them;
  //    remembered validations must match theirs; run keys must name existing runs.
  const brokenEntries: string[] = [];
  const staleKeys: string[] = [];
  if (usable('cache')) {
    for (const e of entries(p.cache)) if (e.kind === 'symlink' || e.kind === 'other') strange(e, 'cache/');
    const verified = new Map<string, boolean>();
    const entriesWalk = walk(join(p.cache, 'entries'));
    for (const s of entriesWalk.strange) strange(s, 'cache/entries/');
    for (const f of entriesWalk.files) {
      checked.cacheEntries++;
      const th = process.hrtime.bigint();
      const { problem } = checkCacheEntry(root, f.path, null, 'verify', verified);
      hashNs += process.hrtime.bigint() - th;
      if (problem !== null) {
        add('cache_broken', f.path, `cache entry: ${problem} (the block would just run again)`, true);
        brokenEntries.push(f.path);
      }
    }
    const blobWalk = walk(join(p.cache, 'blobs'));
    for (const s of blobWalk.strange) strange(s, 'cache/blobs/');
    const validated = walk(join(p.cache, 'validated'));
    for (const s of validated.strange) strange(s, 'cache/validated/');
    for (const f of validated.files) {
      if (readValidatedEntry(f.path, null) === null) {
        add('cache_broken', f.path, 'remembered pipeline validation does not match its key or digest (the draft would just be validated again)', true);
        brokenEntries.push(f.path);
      }
    }
    const keys = walk(join(p.cache, 'run-keys'));
    for (const s of keys.strange) strange(s, 'cache/run-keys/');
    const ids = new Set(usable('runs') ? listRunIds(root) : []);
    for (const f of keys.files) {
      try {
        const k = JSON.parse(readFileSync(f.path, 'utf8')) as { id?: string };
        if (typeof k.id !== 'string' || !ids.has(k.id)) staleKeys.push(f.path);
      } catch {
        staleKeys.push(f.path);
      }
    }
    for (const path of staleKeys) add('cache_broken', path, 'run key of a run that is gone', true);
  }

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
  // What a dead process left of a run's ending: completed exactly as the next command would.
  const ended = recoverInterruptedRuns(root);
  for (const id of ended) repaired.push(`completed the ending of run ${id} (its process had died)`);
  for (const id of toSeal) {
    if (ended.includes(id)) continue;
    withRecoveryLock(root, id, () => {
      const sealed = completeRunEnding(root, id);
      if (sealed !== null) repaired.push(sealed);
    });
  }
  if (ended.length + toSeal.length > 0) indexRunFolders(root, [...new Set([...ended, ...toSeal])]);
  if (problems.some((x) => x.kind === 'audit_broken' && x.repairable) && repairAudit(root)) repaired.push('cut a torn last line off .butterfly/audit.jsonl');
  const half = finishRunDeletions(root);
  if (half > 0) repaired.push(`finished removing ${half} run folder(s) whose deletion was interrupted`);
  for (const dir of toRemove) {
    if (lockHolderAlive(root, `run-${dir.split(sep).at(-1)}`)) continue;
    rmSync(dir, { recursive: true, force: true });
    repaired.push(`removed ${rel(dir)} (a folder without run.json)`);
  }
  for (const path of [...brokenEntries, ...staleKeys]) {
    rmSync(path, { force: true });
    repaired.push(`removed ${rel(path)}`);
  }
  for (const x of problems) {
    if ((x.kind === 'temp_leftover' || x.kind === 'symlink') && x.repairable) {
      // a link is removed as itself (rm never follows it)
      rmSync(join(root, x.path), { recursive: lstatOrNull(join(root, x.path))?.isDirectory() === true, force: true });
      repaired.push(`removed ${x.path}`);
    } else if (x.kind === 'bad_job_record') {
      rmSync(join(root, x.path), { force: true });
      repaired.push(`removed ${x.path}`);
    } else if (x.kind === 'stale_lock') {
      breakDeadLock(root, x.path.split('/').at(-1)!.replace(/\.lock$/, ''));
      repaired.push(`removed ${x.path}`);
    }
  }
  if (problems.some((x) => x.kind === 'index_drift') || ended.length + toSeal.length + half > 0) {
    const r = await rebuildRunIndex(root);
    repaired.push(`rebuilt the run index (${r.runs} runs)`);
  }
  if (repaired.length > 0) appendAudit(root, { action: 'fsck.repair', target: { repaired } });
  const after = await fsck(root);
  return { ...after, repaired };
}

function readableJob(name: string, path: string): boolean {
  if (!/^\d{8}-\d{6}-[0-9a-f]{6}\.json$/.test(name)) return false;
  try {
    return jobContract.safeParse(JSON.parse(readFileSync(path, 'utf8'))).success;
  } catch {
    return false;
  }
}

/** True when every file run.json lists is there, a regular file, with its listed hash. */
function filesIntact(dir: string, m: RunManifest): boolean {
  if (!Array.isArray(m.files)) return false;
  for (const f of m.files) {
    const st = lstatOrNull(join(dir, f.path));
    if (st === null || !st.isFile()) return false;
    try {
      if (`sha256:${hashFile(join(dir, f.path)).hex}` !== f.hash) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Ends a run no process holds: a live one is marked interrupted and sealed (through the same
 * writer as every run), an ended one with intact files gets its seal. Returns what was done.
 */
function completeRunEnding(root: string, id: string): string | null {
  const dir = join(workspacePaths(root).runs, id);
  if (readFileSafe(join(dir, RUN_SEAL)) !== null || lockHolderAlive(root, `run-${id}`)) return null; // ended meanwhile, or alive after all
  const m = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunManifest;
  if (isFinalStatus(m.status)) {
    if (!filesIntact(dir, m)) return null;
    RunFolder.seal(dir);
    return `sealed run ${id} (${m.status}; every file matched run.json)`;
  }
  RunFolder.markInterrupted(root, m, new Date());
  return `marked run ${id} interrupted and sealed it (it was ${m.status} with no process running it)`;
}

function readFileSafe(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
