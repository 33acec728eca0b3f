import { sleepSync } from '../store/lock.js';

/** Error codes of I/O that may succeed if tried again a moment later. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(['EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE', 'ETXTBSY']);

/**
 * Runs `fn`, retrying (up to `attempts` times, backing off 20, 40, 80… ms) only when it fails
 * with a transient I/O error; any other failure is deterministic and thrown at once.
 */
export function retryTransient<T>(fn: () => T, attempts = 4): T {
  for (let i = 1; ; i++) {
    try {
      return fn();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (i >= attempts || code === undefined || !TRANSIENT_CODES.has(code)) throw err;
      sleepSync(20 * 2 ** (i - 1));
    }
  }
}
