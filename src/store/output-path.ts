/**
 * Outputs the user names (`predict --out`, `export <dir>`, `pipeline edit`'s copy) are written
 * where the user meant, never into the store: a path inside `.butterfly/` (after following every
 * link on the way) or onto one of the command's own inputs is refused before anything is
 * written, and the file is written aside and renamed into place, checked again through its
 * descriptor so that a folder swapped for a link meanwhile cannot redirect it.
 */
import { closeSync, constants, fsyncSync, openSync, readlinkSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { BFLY_DIR } from './layout.js';
import { lstatOrNull } from './safe-fs.js';

function inside(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/**
 * Where `path` really is: links followed (a dangling link's target too, up to 40 hops), and for
 * a path that does not exist yet, its nearest existing folder's real path plus the rest.
 */
export function realTarget(path: string, hops = 0): { path: string; exists: boolean; danglingLink: string | null } {
  const abs = resolve(path);
  const st = lstatOrNull(abs);
  if (st !== null && st.isSymbolicLink()) {
    try {
      return { path: realpathSync(abs), exists: true, danglingLink: null };
    } catch {
      if (hops > 40) throw new ValidationError('OUTPUT_LINK_LOOP', `${path} is a loop of symbolic links`, { hint: 'choose another path' });
      const next = realTarget(resolve(dirname(abs), readlinkSync(abs)), hops + 1);
      return { ...next, danglingLink: next.danglingLink ?? abs };
    }
  }
  if (st !== null) return { path: realpathSync(abs), exists: true, danglingLink: null };
  const rest: string[] = [basename(abs)];
  let dir = dirname(abs);
  while (lstatOrNull(dir) === null && dirname(dir) !== dir) {
    rest.unshift(basename(dir));
    dir = dirname(dir);
  }
  const base = realTarget(dir, hops + 1);
  return { path: join(base.path, ...rest), exists: false, danglingLink: base.danglingLink };
}

/** Options of {@link checkOutputPath}. */
export interface OutputCheck {
  /** The workspace root (its `.butterfly/` is off limits), or null outside a workspace. */
  root: string | null;
  /** What the output is, for messages: `--out`, `the export folder`, … */
  what: string;
  /** Files the command reads: the output may not be one of them. */
  inputs?: readonly string[];
}

/**
 * The real path a user-named output would be written to, or a validation error when it is
 * inside `.butterfly/` or one of `inputs`.
 */
export function checkOutputPath(out: string, o: OutputCheck): string {
  const target = realTarget(out);
  if (o.root !== null) {
    let store: string;
    try {
      store = realpathSync(join(o.root, BFLY_DIR));
    } catch {
      store = resolve(o.root, BFLY_DIR);
    }
    if (inside(store, target.path)) {
      throw new ValidationError('OUTPUT_IN_STORE', `${o.what} ${out} is inside the workspace store (${target.path}); bfly never writes a named output into .butterfly/`, {
        hint: 'write it somewhere outside .butterfly/, e.g. ./predictions.csv',
        data: { out, target: target.path },
      });
    }
  }
  for (const input of o.inputs ?? []) {
    let same = false;
    try {
      const a = statSync(input);
      const b = target.exists ? statSync(target.path) : null;
      same = b !== null && a.dev === b.dev && a.ino === b.ino;
    } catch {
      same = false;
    }
    if (same || realTarget(input).path === target.path) {
      throw new ValidationError('OUTPUT_IS_INPUT', `${o.what} ${out} is the command's own input ${input}; writing it would destroy what is being read`, { hint: 'choose another output path', data: { out, input } });
    }
  }
  return target.path;
}

/** Where an open descriptor's file really is (Linux), or null where that cannot be told. */
function fdPath(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/**
 * Writes a user-named output file all-or-nothing: checked with {@link checkOutputPath}, written
 * to a new temp file beside the real target (O_EXCL|O_NOFOLLOW, re-checked through its
 * descriptor), fsynced and renamed over the target. `write` gets the descriptor.
 */
export function writeOutputFile<T>(out: string, o: OutputCheck, write: (fd: number) => T): T {
  const target = checkOutputPath(out, o);
  const existing = lstatOrNull(target);
  if (existing !== null && existing.isDirectory()) throw new ValidationError('OUTPUT_IS_DIRECTORY', `${o.what} ${out} is a directory`, { hint: 'give a file name, e.g. predictions.csv' });
  const tmp = join(dirname(target), `.${basename(target)}.bfly-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ValidationError('OUTPUT_FOLDER_MISSING', `the folder of ${o.what} ${out} does not exist`, { hint: `create ${dirname(target)} first` });
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new ValidationError('OUTPUT_NOT_WRITABLE', `cannot write ${o.what} ${out}: ${code}`, { hint: 'choose a folder you can write to' });
    throw err;
  }
  try {
    const really = fdPath(fd);
    if (really !== null) checkOutputPath(really, { ...o, inputs: [] });
    const result = write(fd);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, target);
    return result;
  } catch (err) {
    if (fd !== -1) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}
