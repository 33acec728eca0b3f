import { createHash } from 'node:crypto';

/** A seeded source of uniform numbers in [0, 1). */
export interface Rng {
  /** The next number in [0, 1). */
  next(): number;
  /** A whole number in [0, n). */
  int(n: number): number;
  /** Shuffles `a` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T;
}

/**
 * A named stream of a run's seed: `rngStream(42, 'split')` and `rngStream(42, 'model_selection')`
 * are independent, and each is the same in every run with seed 42, so adding a random step to
 * one block never changes another block's numbers. xoshiro128** seeded from sha256(seed, name).
 *
 * @example
 * const rng = rngStream(seed, 'split');
 * const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
 */
export function rngStream(seed: number, name: string): Rng {
  const h = createHash('sha256').update(`${seed}\u0000${name}`).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  if ((a | b | c | d) === 0) a = 1;
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const rng: Rng = {
    // 53 random bits, like Math.random's resolution.
    next: () => ((nextU32() >>> 5) * 67108864 + (nextU32() >>> 6)) / 9007199254740992,
    int: (n) => Math.floor(rng.next() * n),
    shuffle(arr) {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const tmp = arr[i];
        arr[i] = arr[j];
        arr[j] = tmp;
      }
      return arr;
    },
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
