import { createRequire } from 'node:module';

/** glibc's `M_MMAP_THRESHOLD` (malloc.h). */
const M_MMAP_THRESHOLD = -3;
/** 128 KiB: glibc's starting threshold, then kept. */
export const MMAP_THRESHOLD_BYTES = 128 * 1024;
/** Runs of datasets with at least this many rows fix the threshold (a smaller one fragments too little to pay koffi's ~10 ms load). */
export const LARGE_RUN_ROWS = 100_000;

let fixed: boolean | null = null;

/**
 * Fixes glibc malloc's mmap threshold at 128 KiB for this process, as
 * `MALLOC_MMAP_THRESHOLD_=131072` would, and says whether it is fixed.
 *
 * Why: glibc raises the threshold to the size of every mapped buffer freed (up to 32 MiB), and
 * after that the run's large typed arrays (a column of 1M rows is 8 MB) come from the heap, where
 * freed ones between live ones are never given back. On a 1M × 20 table, the RSS as model
 * selection began was 434 MB, against 290 MB with the threshold fixed. Fixed, buffers of 128 KiB
 * and more are mapped on their own and unmapped when freed.
 *
 * Linux with glibc only (through koffi's FFI; where `libc.so.6` or koffi cannot load, e.g. musl,
 * nothing is done), once per process; a `MALLOC_MMAP_THRESHOLD_` set by the user is left alone.
 */
export function fixMallocThreshold(): boolean {
  if (fixed !== null) return fixed;
  fixed = false;
  if (process.platform !== 'linux' || process.env.MALLOC_MMAP_THRESHOLD_ !== undefined) return fixed;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const mallopt = koffi.load('libc.so.6').func('int mallopt(int param, int value)') as (param: number, value: number) => number;
    fixed = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) === 1;
  } catch {
    fixed = false;
  }
  return fixed;
}
