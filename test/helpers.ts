import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options, type Result } from 'execa';
import { initWorkspace, type Workspace } from '../src/store/workspace.js';

/** The repository root. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The built CLI. */
export const BFLY = join(REPO, 'bin', 'bfly.cjs');
/** vega-datasets' data folder. */
export const VEGA = join(REPO, 'node_modules', 'vega-datasets', 'data');

/** A temp directory, removed by `cleanup()`. */
export function makeTempDir(prefix = 'bfly-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh workspace in a temp directory, plus a scratch folder for input files. */
export async function makeWorkspace(): Promise<{ ws: Workspace; root: string; files: string; write: (name: string, data: string | Buffer) => string; cleanup: () => void }> {
  const t = makeTempDir();
  const root = join(t.dir, 'ws');
  const files = join(t.dir, 'files');
  mkdirSync(files);
  const ws = await initWorkspace(root, { name: 'test' });
  return {
    ws,
    root,
    files,
    write: (name, data) => {
      const p = join(files, name);
      writeFileSync(p, data);
      return p;
    },
    cleanup: t.cleanup,
  };
}

/** What {@link bfly} returns. */
export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: () => any;
}

/** Runs the built `bfly` like a user would; never throws on a non-zero exit. */
export async function bfly(args: string[], options: Pick<Options, 'cwd' | 'env' | 'input'> = {}): Promise<CliResult> {
  const r: Result = await execa(process.execPath, [BFLY, ...args], { reject: false, stripFinalNewline: false, ...options, env: { NO_COLOR: '1', ...(options.env ?? {}) } });
  const stdout = String(r.stdout);
  return { exitCode: r.exitCode ?? -1, stdout, stderr: String(r.stderr), json: () => JSON.parse(stdout) };
}

/** Every file and folder under `dir` with its sha256 and mode: compare two to prove nothing changed. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      const rel = relative(dir, p);
      if (st.isDirectory()) {
        out[rel + '/'] = `dir ${(st.mode & 0o777).toString(8)}`;
        walk(p);
      } else {
        out[rel] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${(st.mode & 0o777).toString(8)}`;
      }
    }
  };
  walk(dir);
  return out;
}

/** sha256 hex of a file. */
export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A temp directory holding a workspace `ws/` made by the built CLI (`bfly init`). */
export async function makeCliWorkspace(): Promise<{ dir: string; ws: string; cleanup: () => void }> {
  const t = makeTempDir();
  const ws = join(t.dir, 'ws');
  const r = await bfly(['init', ws]);
  if (r.exitCode !== 0) throw new Error(`bfly init failed: ${r.stderr}`);
  return { dir: t.dir, ws, cleanup: t.cleanup };
}

/** A seeded uniform random number generator in [0, 1) (an LCG: fast, repeatable). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A CsvParser ReadFn that yields `text`'s UTF-8 bytes. */
export function bytesReader(text: string): (buf: Buffer, off: number, len: number) => number {
  const data = Buffer.from(text);
  let pos = 0;
  return (buf, off, len) => {
    const n = Math.min(len, data.length - pos);
    data.copy(buf, off, pos, pos + n);
    pos += n;
    return n;
  };
}
