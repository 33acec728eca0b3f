import { closeSync, constants, fsyncSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { InfraError, IntegrityError, isBflyError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { type RunManifest, isFinalStatus } from '../core/run-manifest.js';
import { writeJsonAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';
import { type HeldLock, acquireLock, breakDeadLock, findDeadLocks, lockHolderAlive, sweepDeadTemps } from './lock.js';
import { recordReusableRun } from './run-keys.js';
import { appendAudit } from './audit.js';
import { appendNoFollow, assertRealDir, entries, freezeTree, lstatOrNull, writeNewFile } from './safe-fs.js';

/**
 * The seal of an ended run: `run.json.sha256` holds the sha256 of its final run.json (which in
 * turn lists every other file's hash), so `bfly fsck` notices a changed byte anywhere.
 */
export const RUN_SEAL = 'run.json.sha256';

/**
 * A run's frozen pipeline from its folder: `pipeline.json` (the canonical form, parsed without
 * loading the YAML library), or `pipeline.yaml` for runs made before pipeline.json existed.
 * Throws when neither can be read. Not verified: for derived data (the index); readers that use
 * the pipeline go through {@link readRunFile}.
 */
export function readFrozenPipeline(runDir: string): unknown {
  try {
    return JSON.parse(readFileSync(join(runDir, 'pipeline.json'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return parse(readFileSync(join(runDir, 'pipeline.yaml'), 'utf8'));
}

/** Reads `runs/<id>/run.json` as it is (not verified: for listings and derived data). */
export function readRunManifest(root: string, id: string): RunManifest {
  return JSON.parse(readFileSync(join(workspacePaths(root).runs, id, 'run.json'), 'utf8')) as RunManifest;
}

/** The seal (sha256 of run.json) of a run folder, or null when it has none. */
export function sealOf(dir: string): string | null {
  return readSeal(dir);
}

function readSeal(dir: string): string | null {
  try {
    return readFileSync(join(dir, RUN_SEAL), 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function changedError(id: string, what: string, path: string): IntegrityError {
  return new IntegrityError('RUN_CHANGED', `run ${id} was changed after it ended: ${what}`, {
    hint: 'a sealed run is never written again; run `bfly fsck` to list what changed, and restore the run folder from a backup',
    data: { run: id, path },
  });
}

/**
 * Checks a run's seal: 'sealed' when `run.json.sha256` exists and matches run.json, 'unsealed'
 * when there is no seal (a live run, or one whose finish a crash interrupted). A seal that does
 * not match throws an {@link IntegrityError}: the run changed after it ended.
 */
export function verifyRunSeal(root: string, id: string): 'sealed' | 'unsealed' {
  const dir = join(workspacePaths(root).runs, id);
  const seal = readSeal(dir);
  if (seal === null) return 'unsealed';
  if (`sha256:${sha256Hex(readFileSync(join(dir, 'run.json')))}` !== seal) throw changedError(id, 'its run.json no longer matches its seal', join(dir, 'run.json'));
  return 'sealed';
}

/** A run read for use: its manifest, checked against its seal, and whether it is sealed. */
export interface VerifiedRun {
  manifest: RunManifest;
  dir: string;
  /** False for a live run (still being written by its process). */
  sealed: boolean;
}

/**
 * Reads a run for use (show, predict, compare, export, open, lineage): a sealed run.json must
 * match its seal, and a run that ended must be sealed, unless its own process is finishing it
 * right now. Throws an {@link IntegrityError} naming what changed.
 */
export function readVerifiedRun(root: string, id: string): VerifiedRun {
  const dir = join(workspacePaths(root).runs, id);
  const st = lstatOrNull(dir);
  if (st !== null && st.isSymbolicLink()) throw changedError(id, 'its folder is a symbolic link', dir);
  // The seal first: a run ending now writes its final run.json, then the seal, so a run.json
  // read after a seal is the one sealed (read the other way round, a run ending between the two
  // reads looked changed).
  let seal = readSeal(dir);
  const raw = readFileSync(join(dir, 'run.json'));
  const manifest = JSON.parse(raw.toString('utf8')) as RunManifest;
  if (seal === null && isFinalStatus(manifest.status) && !lockHolderAlive(root, `run-${id}`)) {
    // ended without a seal, or sealed (and its lock released) since the seal was read
    seal = readSeal(dir);
    if (seal === null) {
      throw new IntegrityError('RUN_UNSEALED', `run ${id} ended (${manifest.status}) but has no seal, so its files cannot be verified`, {
        hint: 'run `bfly fsck` to see what else is wrong; a run is sealed when it ends, and a crash while sealing is completed by the next command',
        data: { run: id },
      });
    }
  }
  if (seal !== null && `sha256:${sha256Hex(raw)}` !== seal) throw changedError(id, 'its run.json no longer matches its seal', join(dir, 'run.json'));
  return { manifest, dir, sealed: seal !== null };
}

/**
 * One file of a sealed run, read once through a descriptor that does not follow links and
 * checked against the sha256 and size its run.json lists. Throws an {@link IntegrityError} when
 * it is not listed, missing, or changed.
 */
export function readRunFile(run: VerifiedRun, path: string): Buffer {
  const id = run.manifest.id;
  if (!run.sealed) {
    throw new InfraError('RUN_NOT_ENDED', `run ${id} is still ${run.manifest.status}: its files are not final yet`, { hint: 'wait for it to end (`bfly show` tells its status)', data: { run: id } });
  }
  const listed = (run.manifest.files ?? []).find((f) => f.path === path);
  if (listed === undefined || path.split('/').some((part) => part === '..' || part === '' || part === '.')) {
    throw changedError(id, `${path} is not one of the files it sealed`, join(run.dir, path));
  }
  let fd: number;
  try {
    fd = openSync(join(run.dir, path), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    throw changedError(id, `${path} is missing or not a file (${(err as NodeJS.ErrnoException).code})`, join(run.dir, path));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size !== listed.bytes) throw changedError(id, `${path} is not the file it sealed (${st.size} bytes, sealed ${listed.bytes})`, join(run.dir, path));
    const data = Buffer.allocUnsafe(listed.bytes);
    let off = 0;
    while (off < data.length) {
      const n = readSync(fd, data, off, data.length - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== data.length || `sha256:${sha256Hex(data)}` !== listed.hash) throw changedError(id, `${path} changed (its sha256 no longer matches run.json)`, join(run.dir, path));
    return data;
  } finally {
    closeSync(fd);
  }
}

function frozenError(id: string, what: string): InfraError {
  return new InfraError('RUN_FROZEN', `run ${id} has ended; its folder is read-only and ${what} was refused`, {
    hint: 'a finished run never changes: start a new run with `bfly run <experiment>`',
    data: { run: id },
  });
}

/**
 * The only writer of a live run's folder. It refuses to open a run that has ended, and once
 * {@link RunFolder.finish} has frozen the folder every further write throws. It never writes
 * through a link: files are created with O_EXCL|O_NOFOLLOW, appended with O_NOFOLLOW.
 */
export class RunFolder {
  readonly dir: string;
  private frozen = false;

  constructor(
    private readonly root: string,
    readonly manifest: RunManifest,
  ) {
    this.dir = join(workspacePaths(root).runs, manifest.id);
    assertRealDir(this.dir, root);
    const onDisk = readRunManifest(root, manifest.id);
    if (isFinalStatus(onDisk.status) || readSeal(this.dir) !== null) {
      this.frozen = true;
      throw frozenError(manifest.id, 'opening it for writing');
    }
  }

  private guard(what: string): void {
    if (this.frozen) throw frozenError(this.manifest.id, what);
  }

  private subdir(name: string): string {
    const d = join(this.dir, name);
    if (!assertRealDir(d, this.root)) {
      try {
        mkdirSync(d);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        assertRealDir(d, this.root);
      }
    }
    return d;
  }

  /** Writes `artifacts/<name>` and returns its path (relative to the run), hash and size. */
  writeArtifact(name: string, data: Uint8Array | string): { path: string; hash: string; bytes: number } {
    this.guard(`writing artifact ${name}`);
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new RangeError(`bad artifact name ${name}`);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    writeNewFile(join(this.subdir('artifacts'), name), bytes);
    return { path: `artifacts/${name}`, hash: `sha256:${sha256Hex(bytes)}`, bytes: bytes.length };
  }

  /** Appends lines to `events.jsonl`. */
  appendEvents(lines: readonly string[]): void {
    if (lines.length === 0) return;
    this.guard('appending events');
    appendNoFollow(join(this.dir, 'events.jsonl'), lines.join('\n') + '\n');
  }

  /** Writes (or appends to) `logs/<name>`. */
  writeLog(name: string, text: string): void {
    this.guard(`writing log ${name}`);
    appendNoFollow(join(this.subdir('logs'), name), text);
  }

  /**
   * Saves the manifest as it is now (atomically; fsynced only when `durable`: the states in
   * between are superseded, and the final one is written durably by {@link finish}).
   */
  save(durable = false): void {
    this.guard('updating run.json');
    writeJsonAtomic(join(this.dir, 'run.json'), this.manifest, { tmpDir: workspacePaths(this.root).tmp, durable });
  }

  /**
   * Ends the run: fsyncs every file, lists each with its sha256 in `run.json` (written last,
   * durably), seals run.json with its own hash ({@link RUN_SEAL}), and makes the folder and its
   * files read-only. Nothing writes here again. A crash between the final run.json and the seal
   * is completed by the next command ({@link recoverInterruptedRuns}).
   */
  finish(): void {
    this.guard('finishing it again');
    this.manifest.files = listFiles(this.dir).map((path) => {
      const data = readFileSync(join(this.dir, path));
      syncFile(join(this.dir, path));
      return { path, hash: `sha256:${sha256Hex(data)}`, bytes: data.length };
    });
    this.save(true);
    sealRun(this.dir);
    this.frozen = true;
  }

  /** Seals a run folder whose final run.json is on disk (a finish a crash interrupted), then freezes it. */
  static seal(dir: string): void {
    sealRun(dir);
  }

  /**
   * Ends a live run no process holds any more: `interrupted` (blocks that were running too),
   * with a `run_finished` event, then sealed and frozen like any ended run.
   */
  static markInterrupted(root: string, manifest: RunManifest, now: Date): void {
    const folder = new RunFolder(root, manifest);
    manifest.status = 'interrupted';
    manifest.endedAt = now.toISOString();
    if (manifest.startedAt !== null) manifest.durationMs = now.getTime() - Date.parse(manifest.startedAt);
    const running = manifest.blocks.find((b) => b.status === 'running');
    for (const b of manifest.blocks) if (b.status === 'running') b.status = 'interrupted';
    manifest.error = {
      category: 'infra',
      code: 'RUN_INTERRUPTED',
      block: running?.id ?? null,
      hook: null,
      message: 'the process running it ended before the run finished (killed or crashed)',
      hint: `run \`bfly run ${manifest.experiment}\` again: blocks that finished come from the cache`,
    };
    folder.appendEvents([JSON.stringify({ schemaVersion: 1, type: 'run_finished', runId: manifest.id, at: manifest.endedAt, status: 'interrupted', metrics: manifest.metrics, durationMs: manifest.durationMs ?? 0 })]);
    folder.finish();
    appendAudit(root, { action: 'run.end', target: { run: manifest.id, experiment: manifest.experiment, executionKey: manifest.executionKey, runJson: readSeal(folder.dir), recovered: true }, outcome: 'interrupted' });
  }
}

function syncFile(path: string): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes the seal of a run folder whose final run.json is on disk, then freezes the folder. */
function sealRun(dir: string): void {
  const sealed = readFileSync(join(dir, 'run.json'));
  writeNewFile(join(dir, RUN_SEAL), `sha256:${sha256Hex(sealed)}\n`);
  syncFile(join(dir, RUN_SEAL));
  freezeTree(dir);
}

/** Every regular file under `dir` but `run.json`, as sorted `/`-separated relative paths (links are not followed or listed). */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string, prefix: string): void => {
    for (const e of entries(d)) {
      if (e.kind === 'dir') visit(e.path, `${prefix}${e.name}/`);
      else if (e.kind === 'file' && !(prefix === '' && e.name === 'run.json')) out.push(`${prefix}${e.name}`);
    }
  };
  visit(dir, '');
  return out.sort();
}

/**
 * Completes what a dead process left of its run's ending, whatever the crash point:
 * - run.json still live (`created`/`running`): marked `interrupted` (blocks that were running
 *   too), then sealed and frozen like any ended run;
 * - run.json final but no seal (killed between the two): every listed file is checked against
 *   run.json, then the seal is written and the folder frozen;
 * - sealed but not all read-only, or its run key not recorded: finished.
 * Finds them by their `run-<id>` lock, held by a dead process; removes the lock last. Every bfly
 * command calls this when it opens the workspace. Returns the ids of runs whose ending it wrote
 * (to be indexed).
 */
export function recoverInterruptedRuns(root: string, now = new Date()): string[] {
  const ended: string[] = [];
  for (const lock of findDeadLocks(root, 'run-')) {
    const id = lock.slice('run-'.length);
    // Several processes may find the same dead run at once (a batch and its other workers, the
    // next command): one recovers it, under `recover-<id>`; the others leave it alone.
    withRecoveryLock(root, id, () => {
      if (!findDeadLocks(root, `run-${id}`).includes(lock)) return; // recovered meanwhile
      const dir = join(workspacePaths(root).runs, id);
      const st = lstatOrNull(dir);
      try {
        if (st !== null && st.isDirectory() && lstatOrNull(join(dir, 'run.json')) !== null) recoverRun(root, id, dir, now, ended);
      } catch (err) {
        // A damaged or tampered run is not this function's to fix: fsck names it.
        if (!isBflyError(err) && !(err instanceof SyntaxError)) throw err;
      }
      // No folder: killed before the staged run was moved into runs/ (tmp/ holds the leftover).
      breakDeadLock(root, lock);
    });
  }
  // Its other locks (an execution key it was running, a recovery it was doing) are just mutexes.
  for (const lock of [...findDeadLocks(root, 'key-'), ...findDeadLocks(root, 'recover-')]) breakDeadLock(root, lock);
  // The dead process may have left temp files of half-done atomic writes.
  if (ended.length > 0) sweepDeadTemps(root);
  return ended;
}

/**
 * Runs `fn` holding `recover-<id>`, the lock that makes the recovery of a run exclusive; does
 * nothing when another live process holds it. A recoverer that died leaves a dead lock, which
 * the next one breaks.
 */
export function withRecoveryLock(root: string, id: string, fn: () => void): void {
  let held: HeldLock;
  try {
    held = acquireLock(root, `recover-${id}`, { purpose: `completing the ending of run ${id}` });
  } catch (err) {
    if (isBflyError(err) && err.code === 'LOCKED') return;
    throw err;
  }
  try {
    fn();
  } finally {
    held.release();
  }
}

function recoverRun(root: string, id: string, dir: string, now: Date, ended: string[]): void {
  const manifest = readRunManifest(root, id);
  if (!isFinalStatus(manifest.status)) {
    RunFolder.markInterrupted(root, manifest, now);
    ended.push(id);
    return;
  }
  if (readSeal(dir) === null && filesMatch(dir, manifest)) {
    sealRun(dir);
    ended.push(id);
  } else if (readSeal(dir) !== null) freezeTree(dir);
  if (manifest.status === 'succeeded' && readSeal(dir) !== null) recordReusableRun(root, manifest);
}

/** True when every file run.json lists is there with its listed hash (and nothing is a link). */
function filesMatch(dir: string, m: RunManifest): boolean {
  if (!Array.isArray(m.files)) return false;
  for (const f of m.files) {
    try {
      const data = readFileSync(join(dir, f.path));
      if (`sha256:${sha256Hex(data)}` !== f.hash || data.length !== f.bytes) return false;
    } catch {
      return false;
    }
  }
  return true;
}
