/**
 * A compact binary encoding of JSON-like values that may hold typed arrays (frames, matrices,
 * fitted models): a JSON header where each typed array is replaced by a reference into a binary
 * section, and non-finite numbers are spelled out. Used for the block cache.
 *
 * Layout: `BFLYVAL1` · u32 LE header length · header (UTF-8 JSON) · zero padding to 8 bytes ·
 * the arrays' bytes, each starting on an 8-byte boundary.
 */

const MAGIC = 'BFLYVAL1';

const ARRAY_TYPES = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
} as const;
type ArrayTypeName = keyof typeof ARRAY_TYPES;
type AnyTypedArray = InstanceType<(typeof ARRAY_TYPES)[ArrayTypeName]>;

function typedArrayName(v: unknown): ArrayTypeName | null {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return null;
  const name = v.constructor.name as ArrayTypeName;
  return name in ARRAY_TYPES ? name : null;
}

const align8 = (n: number): number => (n + 7) & ~7;

/**
 * Encodes `value` (plain objects, arrays, strings, numbers including NaN and ±Infinity,
 * booleans, null and typed arrays). `undefined` object properties are left out, as in JSON.
 */
export function encodeValue(value: unknown): Uint8Array {
  const arrays: AnyTypedArray[] = [];
  let offset = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : { $num: String(v) };
    if (v === null || typeof v !== 'object') return v;
    const name = typedArrayName(v);
    if (name !== null) {
      const ta = v as AnyTypedArray;
      const ref = { $ta: name, o: offset, n: ta.length };
      arrays.push(ta);
      offset = align8(offset + ta.byteLength);
      return ref;
    }
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x);
    return out;
  };
  const header = new TextEncoder().encode(JSON.stringify(walk(value)));
  const start = align8(12 + header.length);
  const buf = new Uint8Array(start + offset);
  buf.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(buf.buffer).setUint32(8, header.length, true);
  buf.set(header, 12);
  let pos = start;
  for (const ta of arrays) {
    buf.set(new Uint8Array(ta.buffer, ta.byteOffset, ta.byteLength), pos);
    pos = align8(pos + ta.byteLength);
  }
  return buf;
}

/** Decodes what {@link encodeValue} wrote; typed arrays are fresh copies. */
export function decodeValue(bytes: Uint8Array): unknown {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new Error('not a bfly encoded value');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  const start = align8(12 + headerLength);
  if (start > bytes.length) throw new Error('truncated bfly encoded value');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as unknown;
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    const o = v as Record<string, unknown>;
    if (typeof o.$num === 'string' && Object.keys(o).length === 1) return Number(o.$num);
    if (typeof o.$ta === 'string' && o.$ta in ARRAY_TYPES) {
      const Ctor = ARRAY_TYPES[o.$ta as ArrayTypeName];
      const n = o.n as number;
      const from = start + (o.o as number);
      const byteLength = n * Ctor.BYTES_PER_ELEMENT;
      if (from + byteLength > bytes.length) throw new Error('truncated bfly encoded value');
      const copy = new Uint8Array(byteLength);
      copy.set(bytes.subarray(from, from + byteLength));
      return new Ctor(copy.buffer);
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = walk(x);
    return out;
  };
  return walk(header);
}

/** JSON text in which NaN and ±Infinity survive (as `{"$num": "NaN"}`); read back with {@link parseJsonNumbers}. */
export function stringifyJsonNumbers(value: unknown, space?: number): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { $num: String(v) } : v), space);
}

/** Parses JSON written by {@link stringifyJsonNumbers}. */
export function parseJsonNumbers(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$num === 'string' && Object.keys(o).length === 1) return Number(o.$num);
    }
    return v;
  });
}
