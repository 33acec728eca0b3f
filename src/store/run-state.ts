import { appendFileSync, chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { InfraError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { type RunManifest, isFinalStatus } from '../core/run-manifest.js';
import { writeJsonAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';
import { breakDeadLock, findDeadLocks, sweepDeadTemps } from './lock.js';

/**
 * The seal of an ended run: `run.json.sha256` holds the sha256 of its final run.json (which in
 * turn lists every other file's hash), so `bfly fsck` notices a changed byte anywhere.
 */
export const RUN_SEAL = 'run.json.sha256';

/**
 * A run's frozen pipeline from its folder: `pipeline.json` (the canonical form, parsed without
 * loading the YAML library), or `pipeline.yaml` for runs made before pipeline.json existed.
 * Throws when neither can be read.
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

/** Reads `runs/<id>/run.json`. */
export function readRunManifest(root: string, id: string): RunManifest {
  return JSON.parse(readFileSync(join(workspacePaths(root).runs, id, 'run.json'), 'utf8')) as RunManifest;
}

function frozenError(id: string, what: string): InfraError {
  return new InfraError('RUN_FROZEN', `run ${id} has ended; its folder is read-only and ${what} was refused`, {
    hint: 'a finished run never changes: start a new run with `bfly run <experiment>`',
    data: { run: id },
  });
}

/**
 * The only writer of a live run's folder. It refuses to open a run that has ended, and once
 * {@link RunFolder.finish} has frozen the folder every further write throws.
 */
export class RunFolder {
  readonly dir: string;
  private frozen = false;

  constructor(
    private readonly root: string,
    readonly manifest: RunManifest,
  ) {
    this.dir = join(workspacePaths(root).runs, manifest.id);
    const onDisk = readRunManifest(root, manifest.id);
    if (isFinalStatus(onDisk.status)) {
      this.frozen = true;
      throw frozenError(manifest.id, 'opening it for writing');
    }
  }

  private guard(what: string): void {
    if (this.frozen) throw frozenError(this.manifest.id, what);
  }

  /** Writes `artifacts/<name>` and returns its path (relative to the run), hash and size. */
  writeArtifact(name: string, data: Uint8Array | string): { path: string; hash: string; bytes: number } {
    this.guard(`writing artifact ${name}`);
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new RangeError(`bad artifact name ${name}`);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    mkdirSync(join(this.dir, 'artifacts'), { recursive: true });
    writeFileSync(join(this.dir, 'artifacts', name), bytes, { flag: 'wx' });
    return { path: `artifacts/${name}`, hash: `sha256:${sha256Hex(bytes)}`, bytes: bytes.length };
  }

  /** Appends lines to `events.jsonl`. */
  appendEvents(lines: readonly string[]): void {
    if (lines.length === 0) return;
    this.guard('appending events');
    appendFileSync(join(this.dir, 'events.jsonl'), lines.join('\n') + '\n');
  }

  /** Writes (or appends to) `logs/<name>`. */
  writeLog(name: string, text: string): void {
    this.guard(`writing log ${name}`);
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    appendFileSync(join(this.dir, 'logs', name), text);
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
   * Ends the run: fsyncs every file, lists each with its sha256 in `run.json` (written last),
   * seals run.json with its own hash ({@link RUN_SEAL}), and makes the folder and its files read-only. Nothing writes here again.
   */
  finish(): void {
    this.guard('finishing it again');
    this.manifest.files = listFiles(this.dir).map((path) => {
      const full = join(this.dir, path);
      const data = readFileSync(full);
      const fd = openSync(full, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return { path, hash: `sha256:${sha256Hex(data)}`, bytes: data.length };
    });
    this.save(true);
    const sealed = readFileSync(join(this.dir, 'run.json'));
    writeFileSync(join(this.dir, RUN_SEAL), `sha256:${sha256Hex(sealed)}\n`, { flag: 'wx' });
    const fd = openSync(join(this.dir, RUN_SEAL), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.frozen = true;
    freezeTree(this.dir);
  }
}

/** Every file under `dir` but `run.json`, as sorted `/`-separated relative paths. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p !== join(dir, 'run.json')) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** Makes a folder tree read-only: files 0444, folders 0555 (deepest first). */
function freezeTree(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) freezeTree(p);
    else chmodSync(p, 0o444);
  }
  chmodSync(dir, 0o555);
}

/**
 * Finds runs whose process died (their `run-<id>` lock is held by a dead process), marks each
 * `interrupted` (blocks that were running too), freezes its folder and removes the lock.
 * Every bfly command calls this when it opens the workspace. Returns the ids marked.
 */
export function recoverInterruptedRuns(root: string, now = new Date()): string[] {
  const marked: string[] = [];
  for (const lock of findDeadLocks(root, 'run-')) {
    const id = lock.slice('run-'.length);
    try {
      const manifest = readRunManifest(root, id);
      if (!isFinalStatus(manifest.status)) {
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
        folder.appendEvents([JSON.stringify({ type: 'run_finished', runId: id, at: manifest.endedAt, status: 'interrupted', metrics: manifest.metrics, durationMs: manifest.durationMs ?? 0 })]);
        folder.finish();
        marked.push(id);
      }
    } catch (err) {
      // A folder without a readable run.json was killed while being created: nothing to mark.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
    }
    breakDeadLock(root, lock);
  }
  // The dead process may have left temp files of half-done atomic writes.
  if (marked.length > 0) sweepDeadTemps(root);
  return marked;
}
