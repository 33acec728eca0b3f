import { fnv1a } from './stats.js';

/** A dictionary of byte strings → dense ids in first-seen order, with occurrence counts. */
export interface StringDict {
  /** Number of distinct entries. */
  readonly size: number;
  /** Occurrences of each id (index by id: it may be longer than `size`). */
  readonly counts: Float64Array;
  /** The id of `buf[s..e)`, inserting it if new; counts one occurrence. */
  add(buf: Uint8Array, s: number, e: number): number;
  /** The 32-bit FNV-1a hash of entry `id` (as used for HyperLogLog). */
  hashOf(id: number): number;
  /** The UTF-8 text of entry `id`. */
  text(id: number): string;
}

/**
 * A dictionary of byte strings → dense ids (first-seen order) with occurrence counts. Lookups
 * hash and compare bytes, so repeated category values never become JS strings on the hot path.
 */
export class ByteDict implements StringDict {
  // Small to start (a wide table has one per column); everything doubles as it fills.
  private arena: Buffer = Buffer.alloc(1024);
  private arenaLen = 0;
  private starts = new Int32Array(64);
  private lens = new Int32Array(64);
  private hashes = new Int32Array(64);
  /** Occurrences of each id. */
  counts = new Float64Array(64);
  /** Number of distinct entries. */
  size = 0;
  private table = new Int32Array(128).fill(-1);

  /** The id of `buf[s..e)`, inserting it if new; counts one occurrence. */
  add(buf: Uint8Array, s: number, e: number): number {
    const h = fnv1a(buf, s, e) | 0;
    const len = e - s;
    const mask = this.table.length - 1;
    let slot = h & mask;
    for (;;) {
      const id = this.table[slot];
      if (id === -1) break;
      if (this.hashes[id] === h && this.lens[id] === len) {
        const st = this.starts[id];
        let k = 0;
        while (k < len && this.arena[st + k] === buf[s + k]) k++;
        if (k === len) {
          this.counts[id]++;
          return id;
        }
      }
      slot = (slot + 1) & mask;
    }
    const id = this.size++;
    if (id === this.starts.length) this.growEntries();
    if (this.arenaLen + len > this.arena.length) {
      const next = Buffer.alloc(Math.max(this.arena.length * 2, this.arenaLen + len));
      this.arena.copy(next, 0, 0, this.arenaLen);
      this.arena = next;
    }
    this.arena.set(buf.subarray(s, e), this.arenaLen);
    this.starts[id] = this.arenaLen;
    this.lens[id] = len;
    this.hashes[id] = h;
    this.counts[id] = 1;
    this.arenaLen += len;
    this.table[slot] = id;
    if (this.size * 2 > this.table.length) this.rehash();
    return id;
  }

  /** The hash of entry `id` (as used for HyperLogLog). */
  hashOf(id: number): number {
    return this.hashes[id] >>> 0;
  }

  /** The UTF-8 text of entry `id`. */
  text(id: number): string {
    return this.arena.toString('utf8', this.starts[id], this.starts[id] + this.lens[id]);
  }

  /** The bytes of entry `id` (a view; do not keep it across `add`). */
  bytes(id: number): Uint8Array {
    return this.arena.subarray(this.starts[id], this.starts[id] + this.lens[id]);
  }

  private growEntries(): void {
    const grow = <T extends Int32Array | Float64Array>(a: T): T => {
      const next = new (a.constructor as new (n: number) => T)(a.length * 2);
      next.set(a);
      return next;
    };
    this.starts = grow(this.starts);
    this.lens = grow(this.lens);
    this.hashes = grow(this.hashes);
    this.counts = grow(this.counts);
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let id = 0; id < this.size; id++) {
      let slot = this.hashes[id] & mask;
      while (table[slot] !== -1) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }
}
