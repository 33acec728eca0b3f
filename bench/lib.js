// Shared helpers for the benchmarks: timing, peak RSS via /usr/bin/time, seeded data.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_DIR = join(ROOT, 'bench', '.data');
export const BFLY = join(ROOT, 'bin', 'bfly.cjs');
mkdirSync(DATA_DIR, { recursive: true });

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Runs a command; returns wall seconds, peak RSS in MB (or null), exit status and output. */
export function measure(cmd, args, options = {}) {
  const full = GNU_TIME ? [GNU_TIME, ['-f', '__RSS_KB=%M', cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /__RSS_KB=(\d+)/.exec(r.stderr ?? '');
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  }
  return { seconds, rssMB: m ? Number(m[1]) / 1024 : null, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Median wall times of several commands, sampled round-robin so that drift in the machine's
 * speed hits all of them alike. `commands` is a list of [cmd, args]; returns seconds each.
 */
export function interleavedMedians(commands, runs = 21) {
  const times = commands.map(() => []);
  for (let i = 0; i < runs; i++) {
    commands.forEach(([cmd, args], k) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(cmd, args, { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
      times[k].push(Number(process.hrtime.bigint() - t0) / 1e9);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

/** Median wall time of `runs` runs. */
export function medianSeconds(cmd, args, runs = 9, options = {}) {
  const times = [];
  for (let i = 0; i < runs; i++) times.push(measure(cmd, args, options).seconds);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** mulberry32: a small seeded PRNG. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fmt(x, digits = 2) {
  return x === null || x === undefined ? 'n/a' : x.toFixed(digits);
}

/** Prints an aligned table of rows (arrays of strings). */
export function table(headers, rows) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(w[i])).join('  ');
  console.log(line(headers));
  for (const r of rows) console.log(line(r));
}
