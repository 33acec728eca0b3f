/**
 * Request bodies, read from the Node request with limits: JSON (size and nesting depth) and
 * raw uploads streamed to a temp file under `.butterfly/tmp/` (never buffered whole).
 */
import { closeSync, constants, openSync, readSync, renameSync, writeSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tempPath, safeUnlink } from '../store/atomic.js';
import { workspacePaths } from '../store/layout.js';
import { HttpError } from './errors.js';

/** The largest JSON body of any route. */
export const MAX_JSON_BYTES = 1024 * 1024;
/** The deepest nesting a JSON body may have. */
export const MAX_JSON_DEPTH = 32;

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1 && n % 1024 === 0) {
    n /= 1024;
    i++;
  }
  return `${n} ${units[i]}`;
}

function tooLarge(limit: number, what: string): HttpError {
  return new HttpError(413, 'validation', 'BODY_TOO_LARGE', `${what} is larger than the limit of ${formatBytes(limit)}`, what === 'the upload' ? 'import larger files with `bfly dataset import`, or start the service with a larger --max-upload' : 'send less');
}

function declaredLength(req: IncomingMessage): number | null {
  const h = req.headers['content-length'];
  if (h === undefined) return null;
  const n = Number(h);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Reads the whole body (at most `limit` bytes: else 413, and the rest is not read). */
export async function readBody(req: IncomingMessage, limit = MAX_JSON_BYTES): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== null && declared > limit) throw tooLarge(limit, 'the request body');
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > limit) throw tooLarge(limit, 'the request body');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** How deeply `text` nests arrays and objects (strings skipped). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** A JSON body (empty: `{}`), checked for size and depth before it is parsed. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
  if (text.trim() === '') return {};
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new HttpError(400, 'validation', 'JSON_TOO_DEEP', `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`, 'send a flatter body');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'validation', 'BAD_JSON', `the body is not valid JSON: ${(err as Error).message}`, 'send a JSON object with Content-Type: application/json');
  }
}

/**
 * Streams the body to a new temp file in `.butterfly/tmp/` (created O_EXCL|O_NOFOLLOW) and
 * returns its path (with `extension`, or one sniffed from the content, unless `extension` is null). Over `limit` bytes: 413, and the file is removed. The caller removes it after use.
 */
export async function uploadToTemp(root: string, req: IncomingMessage, limit: number, label: string, extension?: string | null): Promise<string> {
  const declared = declaredLength(req);
  if (declared !== null && declared > limit) throw tooLarge(limit, 'the upload');
  const path = await writeUpload(root, req, limit, label);
  if (extension === null) return path;
  // readers that go by the file name (predict) are told the format: given, else sniffed
  const ext = extension ?? sniffFormat(path);
  const named = `${path}.${ext}`;
  renameSync(path, named);
  return named;
}

/** csv, json or jsonl from the first non-blank byte. */
function sniffFormat(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const first = buf.subarray(0, n).toString('utf8').trimStart()[0];
    return first === '[' ? 'json' : first === '{' ? 'jsonl' : 'csv';
  } finally {
    closeSync(fd);
  }
}

async function writeUpload(root: string, req: IncomingMessage, limit: number, label: string): Promise<string> {
  const path = tempPath(workspacePaths(root).tmp, label);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  let ok = false;
  try {
    let n = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > limit) throw tooLarge(limit, 'the upload');
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    }
    ok = true;
    return path;
  } finally {
    closeSync(fd);
    if (!ok) safeUnlink(path);
  }
}
