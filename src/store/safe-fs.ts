/**
 * File-system primitives that never follow a symbolic link inside `.butterfly/`. bfly itself
 * never makes a link there, so one is damage or an attack: a command that writes or deletes
 * must not act through it (a `gc` that followed `objects/zz -> /home/me` would delete the user's
 * files). Walks report links instead of entering them; writes open with `O_NOFOLLOW`; folders
 * a command writes into are checked with `lstat` first.
 */
import { chmodSync, closeSync, constants, lstatSync, openSync, readdirSync, readlinkSync, rmSync, type Stats, writeSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { IntegrityError } from '../core/errors.js';

/** `lstat`, or null when nothing is there. */
export function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}

function linkTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '?';
  }
}

/** The error for a link found where bfly keeps a real file or folder. */
export function symlinkError(path: string, root?: string): IntegrityError {
  const shown = root === undefined ? path : relative(root, path).split(sep).join('/');
  return new IntegrityError('STORE_SYMLINK', `${shown} is a symbolic link (to ${linkTarget(path)}); bfly never follows links inside .butterfly/`, {
    hint: 'remove the link (or move the folder it points to into its place), then run `bfly fsck`',
    data: { path },
  });
}

/**
 * Throws an {@link IntegrityError} when `path` is a symbolic link, or exists but is not a folder.
 * Returns false when nothing is there.
 */
export function assertRealDir(path: string, root?: string): boolean {
  const st = lstatOrNull(path);
  if (st === null) return false;
  if (st.isSymbolicLink()) throw symlinkError(path, root);
  if (!st.isDirectory()) {
    throw new IntegrityError('STORE_NOT_A_FOLDER', `${root === undefined ? path : relative(root, path)} should be a folder but is not`, { hint: 'move it away, then run `bfly fsck`', data: { path } });
  }
  return true;
}

/** One entry of a folder, typed without following links. */
export interface Entry {
  name: string;
  path: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
}

/** The entries of `dir` (none when it is missing or unreadable), typed without following links. */
export function entries(dir: string): Entry[] {
  let list;
  try {
    list = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return list.map((e) => {
    const path = `${dir}${sep}${e.name}`;
    let kind: Entry['kind'] = e.isSymbolicLink() ? 'symlink' : e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other';
    if (kind === 'other' && !(e.isFIFO() || e.isSocket() || e.isBlockDevice() || e.isCharacterDevice())) {
      // d_type unknown on some filesystems: ask lstat
      const st = lstatOrNull(path);
      kind = st === null ? 'other' : st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    }
    return { name: e.name, path, kind };
  });
}

/** What {@link walk} found: regular files with their size, and everything it did not enter. */
export interface Walked {
  files: Array<{ path: string; bytes: number }>;
  /** Links and special files (FIFOs, devices), never followed or opened. */
  strange: Entry[];
}

/** Every regular file under `dir`, recursively, without following links. */
export function walk(dir: string): Walked {
  const out: Walked = { files: [], strange: [] };
  const visit = (d: string): void => {
    for (const e of entries(d)) {
      if (e.kind === 'dir') visit(e.path);
      else if (e.kind === 'file') {
        const st = lstatOrNull(e.path);
        if (st !== null) out.files.push({ path: e.path, bytes: st.size });
      } else out.strange.push(e);
    }
  };
  visit(dir);
  return out;
}

/**
 * Removes a folder tree that bfly made read-only (an ended run: folders 0555), without ever
 * following a link: folders are made writable only after `lstat` says they are folders, and
 * links inside are removed as links. Throws when `dir` itself is a link.
 */
export function removeTree(dir: string): void {
  const st = lstatOrNull(dir);
  if (st === null) return;
  if (st.isSymbolicLink()) throw symlinkError(dir);
  if (!st.isDirectory()) {
    rmSync(dir, { force: true });
    return;
  }
  const unfreeze = (d: string): void => {
    chmodSync(d, 0o755);
    for (const e of entries(d)) if (e.kind === 'dir') unfreeze(e.path);
  };
  unfreeze(dir);
  // rmSync does not follow links (it lstat's each entry).
  rmSync(dir, { recursive: true, force: true });
}

/** Makes a tree read-only (files 0444, folders 0555, deepest first) without following links. */
export function freezeTree(dir: string): void {
  for (const e of entries(dir)) {
    if (e.kind === 'dir') freezeTree(e.path);
    else if (e.kind === 'file') chmodSync(e.path, 0o444);
  }
  chmodSync(dir, 0o555);
}

const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/** Appends to `path` (created 0644 if missing); refuses (ELOOP) when `path` is a link. */
export function appendNoFollow(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, APPEND, 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}

/** Creates `path` (never an existing file or link: O_EXCL) with `data`. */
export function writeNewFile(path: string, data: string | Uint8Array, mode = 0o644): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}
