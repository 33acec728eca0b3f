import { createHash } from 'node:crypto';

/** Prefix used wherever a hash is shown or stored: `sha256:<64 hex>`. */
export const HASH_PREFIX = 'sha256:';

/** sha256 of bytes or a string (UTF-8), as 64 lowercase hex characters. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256:<hex>` for a hex digest. */
export function formatHash(hex: string): string {
  return HASH_PREFIX + hex;
}

/** The hex digest of `sha256:<hex>` or of a bare hex string; null when it is neither. */
export function parseHash(value: string): string | null {
  const hex = value.startsWith(HASH_PREFIX) ? value.slice(HASH_PREFIX.length) : value;
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

/**
 * JSON with object keys sorted at every depth, no whitespace: the same value always gives the
 * same bytes, so it can be hashed. `undefined` members are dropped, like JSON.stringify.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** sha256 hex of the canonical JSON of a value. */
export function hashJson(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
