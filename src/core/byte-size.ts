import { ValidationError } from './errors.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3, t: 1e12, tb: 1e12, tib: 1024 ** 4 };

/**
 * A size as people write it: `5000`, `512MiB`, `10GB`, `1.5 GiB`, `2e9` (KB/MB/GB are powers
 * of 1000, KiB/MiB/GiB of 1024). Throws a ValidationError naming `flag` otherwise.
 *
 * @example
 * parseByteSize('16GiB', '--max-bytes') // 17179869184
 */
export function parseByteSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m === null ? undefined : UNITS[m[2].toLowerCase()];
  const n = m === null || unit === undefined ? NaN : Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new ValidationError('BAD_SIZE', `${flag} must be a size such as 500MB, 16GiB or 2e9, not ${JSON.stringify(text)}`, { hint: `e.g. ${flag} 64GiB` });
  }
  return n;
}
