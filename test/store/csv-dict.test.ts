// The tokenizer's string dictionary (csv.wat dict*, csv.ts WasmDict) against core/byte-dict.ts
// ByteDict: the same ids, counts, texts and hashes, through every growth of its table, entries
// and arena, and the batch reader `ids` stops where JavaScript must take over.
import { describe, expect, it } from 'vitest';
import { bytesReader, seededRandom } from '../helpers.js';
import { ByteDict } from '../../src/core/byte-dict.js';
import { isMissingBytes } from '../../src/core/values.js';
import { type CsvBatch, CsvParser, type WasmDict } from '../../src/store/import/csv.js';

/** Random strings: mostly repeats of a pool, some unique, some long (past the first arena). */
function strings(seed: number, n: number, pool: number): string[] {
  const rnd = seededRandom(seed);
  const word = (len: number) => Array.from({ length: len }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join('');
  const common = Array.from({ length: pool }, (_, i) => word(1 + (i % 12)) + (i % 7 === 0 ? ' é ✓' : ''));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const u = rnd();
    out.push(u < 0.7 ? common[Math.floor(rnd() * pool)] : u < 0.98 ? word(1 + Math.floor(rnd() * 40)) : word(1000 + Math.floor(rnd() * 3000)));
  }
  return out;
}

function sameDicts(d: WasmDict, ref: ByteDict): void {
  expect(d.size).toBe(ref.size);
  expect(Array.from(d.counts.subarray(0, d.size))).toEqual(Array.from(ref.counts.subarray(0, ref.size)));
  for (let id = 0; id < ref.size; id++) {
    expect(d.text(id)).toBe(ref.text(id));
    expect(d.hashOf(id)).toBe(ref.hashOf(id));
  }
}

describe('WasmDict', () => {
  it('gives the ids, counts, texts and hashes of ByteDict for bytes from outside its memory, through every growth', () => {
    const parser = new CsvParser(44, { header: () => undefined }, 'dict.csv');
    const dicts = [parser.newDict(1 << 30), parser.newDict(1 << 30)];
    const refs = [new ByteDict(), new ByteDict()];
    // two dictionaries side by side: one's growth must not disturb the other
    const words = strings(3, 20000, 500);
    for (let i = 0; i < words.length; i++) {
      const bytes = Buffer.from(`<${words[i]}>`);
      const k = i % 3 === 0 ? 1 : 0;
      expect(dicts[k].add(bytes, 1, bytes.length - 1)).toBe(refs[k].add(bytes, 1, bytes.length - 1));
    }
    expect(refs[0].size).toBeGreaterThan(4000); // past the first table (128 slots), entries (64) and arena (1 KiB) many times
    sameDicts(dicts[0], refs[0]);
    sameDicts(dicts[1], refs[1]);
  });

  it('reads a batch column as ByteDict ids, -1 for missing markers, and stops at doubled quotes and at the cap', () => {
    const rnd = seededRandom(5);
    const words = strings(9, 30000, 300);
    const fields = words.map((w) => {
      const u = rnd();
      if (u < 0.05) return ['', ' ', 'NA', ' null\t', '?', 'N/A', 'NaN'][Math.floor(rnd() * 7)];
      if (u < 0.08) return `"${w}, ""quoted"""`;
      if (u < 0.1) return `"${w}\nsecond line"`;
      return rnd() < 0.05 ? ` ${w}\t` : w;
    });
    const text = 'v,w\n' + fields.map((f) => `${f},x`).join('\n') + '\n';
    for (const cap of [1 << 30, 1000]) {
      const ref = new ByteDict();
      let row = 0;
      let read = 0;
      let capped = false;
      const parser = new CsvParser(44, {
        header: () => undefined,
        records: (batch: CsvBatch) => {
          let r = 0;
          while (r < batch.count && !capped) {
            const { stop, missing } = dict.ids(0, r);
            let seen = 0;
            for (let i = r; i < stop; i++) {
              const at = i * 2;
              let a = batch.starts[at];
              let b = batch.ends[at];
              const buf = batch.buf;
              while (a < b && (buf[a] === 32 || buf[a] === 9)) a++;
              while (b > a && (buf[b - 1] === 32 || buf[b - 1] === 9)) b--;
              const absent = a === b || (b - a <= 4 && isMissingBytes(buf, a, b));
              if (absent) seen++;
              const want = absent ? -1 : ref.add(buf, batch.starts[at], batch.ends[at]);
              expect(batch.ids[i], `row ${row + i}`).toBe(want);
            }
            expect(missing).toBe(seen);
            read += stop - r;
            if (stop < batch.count) {
              if (dict.size >= cap) {
                capped = true;
                expect(dict.size).toBe(cap); // stopped right after the field that filled it
                break;
              }
              // only a field with doubled quotes stops it otherwise: JavaScript unescapes it
              expect(batch.flags[stop * 2] & 2).toBe(2);
              const u = Buffer.from(batch.buf.toString('utf8', batch.starts[stop * 2], batch.ends[stop * 2]).replaceAll('""', '"'));
              expect(dict.add(u, 0, u.length)).toBe(ref.add(u, 0, u.length));
              read++;
            }
            r = stop + 1;
          }
          row += batch.count;
        },
      }, 'dict.csv');
      const dict: WasmDict = parser.newDict(cap); // read by the handler, which runs only after this
      parser.run(bytesReader(text), 1 << 16); // small reads: many batches, the memory grows under them
      if (cap === 1000) expect(capped).toBe(true);
      else expect(read).toBe(fields.length);
      sameDicts(dict, ref);
    }
  });
});
