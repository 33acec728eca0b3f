import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { BFLY_DIR } from './layout.js';

/** The largest hook file bfly reads (a hook is code, not data). */
export const MAX_HOOK_BYTES = 1 << 20;

/** A hook file as read once: its exact bytes, their text, and their sha256. */
export interface HookSource {
  /** The path relative to the workspace root, `/`-separated. */
  rel: string;
  bytes: Buffer;
  source: string;
  hash: string;
}

function inside(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a hook file of the workspace at `root` once, race-free: the path must be relative,
 * inside the workspace and outside `.butterfly/`; it is opened with O_NOFOLLOW (a link is
 * refused) and O_NONBLOCK (a FIFO cannot hang the read); the opened file itself (its real path
 * from /proc/self/fd where there is one) must be a regular file inside the workspace, at most
 * {@link MAX_HOOK_BYTES}, valid UTF-8 without NUL bytes. The bytes returned are the bytes that
 * were checked, and the ones that are hashed and run: swapping the file or a folder on its path
 * for a link between a check and a use cannot make bfly run or freeze another file.
 */
export function readHookFile(root: string, file: string): HookSource {
  const bad = (code: string, message: string, hint: string): ValidationError => new ValidationError(code, message, { hint, data: { file } });
  if (isAbsolute(file)) throw bad('HOOK_OUTSIDE', `hook file ${file} is an absolute path`, 'give the path relative to the workspace root');
  const abs = resolve(root, file);
  const rel = relative(root, abs);
  if (rel === '' || !inside(root, abs)) throw bad('HOOK_OUTSIDE', `hook file ${file} is outside the workspace`, 'keep hook files inside the workspace folder');
  if (rel.split(sep)[0] === BFLY_DIR) throw bad('HOOK_IN_STORE', `hook file ${file} is inside .butterfly/`, 'keep hook files in your own folders of the workspace');
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw bad('HOOK_SYMLINK', `hook file ${file} is a symbolic link`, 'bfly runs hooks only from regular files in the workspace: copy the file into place instead of linking it');
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError('HOOK_FILE_MISSING', `hook file ${file} does not exist`, { hint: `create it (e.g. from templates/hooks/), relative to ${root}`, data: { file } });
    throw bad('HOOK_UNREADABLE', `cannot read hook file ${file}: ${(err as Error).message}`, 'check its permissions');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw bad('HOOK_NOT_A_FILE', `hook file ${file} is not a regular file`, 'point at a JavaScript file');
    // Where the opened file really is (a folder on its path may be a link).
    let real: string;
    try {
      real = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      real = realpathSync(abs);
    }
    const realRoot = realpathSync(root);
    if (!inside(realRoot, real)) throw bad('HOOK_OUTSIDE', `hook file ${file} resolves to ${real}, outside the workspace`, 'copy the file into the workspace instead of linking a folder on its path');
    if (inside(join(realRoot, BFLY_DIR), real)) throw bad('HOOK_IN_STORE', `hook file ${file} resolves to a file inside .butterfly/`, 'keep hook files in your own folders of the workspace');
    if (st.size > MAX_HOOK_BYTES) throw bad('HOOK_TOO_LARGE', `hook file ${file} is ${st.size} bytes; hooks may be at most ${MAX_HOOK_BYTES} bytes`, 'a hook is code: load data through the pipeline, not the hook file');
    const bytes = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, bytes, n, bytes.length - n, n);
      if (got === 0) break;
      n += got;
      if (n > MAX_HOOK_BYTES) throw bad('HOOK_TOO_LARGE', `hook file ${file} is larger than ${MAX_HOOK_BYTES} bytes`, 'a hook is code: load data through the pipeline, not the hook file');
      if (n === bytes.length) throw bad('HOOK_CHANGED', `hook file ${file} changed while it was being read`, 'try again once nothing is writing it');
    }
    const exact = bytes.subarray(0, n);
    if (exact.includes(0)) throw bad('HOOK_NOT_TEXT', `hook file ${file} contains NUL bytes: it is not JavaScript source`, 'point at a JavaScript (.js) file');
    let source: string;
    try {
      source = decoder.decode(exact);
    } catch {
      throw bad('HOOK_NOT_TEXT', `hook file ${file} is not valid UTF-8 text`, 'save it as UTF-8 JavaScript');
    }
    return { rel: rel.split(sep).join('/'), bytes: Buffer.from(exact), source, hash: `sha256:${sha256Hex(exact)}` };
  } finally {
    closeSync(fd);
  }
}
