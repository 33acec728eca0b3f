/**
 * How errors become HTTP responses: the ONE table from error categories to statuses (as
 * src/cli.ts has the one table to exit codes). Every error body is the contract `Error`
 * (`{schemaVersion, error: {code, category, message, hint, data?}}`), as `--json` prints on stderr.
 * A failed *run* is not an HTTP error: it is a job's state.
 */
import { BflyError, type ErrorCategory, isBflyError } from '../core/errors.js';

/** HTTP status of each error category. `validation` is 422 instead when the content was read and is invalid (problems with lines). */
export const HTTP_STATUS: Record<ErrorCategory, number> = {
  validation: 400,
  user_code: 422,
  not_found: 404,
  not_a_workspace: 503,
  policy: 403,
  integrity: 409,
  infra: 503,
  framework: 500,
  unknown: 500,
};

/** Errors of the HTTP layer itself (no route, too large, not authorized, …). */
export class HttpError extends BflyError {
  constructor(
    readonly status: number,
    category: ErrorCategory,
    code: string,
    message: string,
    hint?: string,
  ) {
    super(category, code, message, { hint });
  }
}

/** The status of an error: its category's, 422 for invalid content with problems, 500 for a bug. */
export function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (isBflyError(err)) {
    if (err.category === 'validation' && Array.isArray((err.data as { problems?: unknown }).problems)) return 422;
    return HTTP_STATUS[err.category] ?? 500;
  }
  return 500;
}

/** The body of an error response (the `Error` contract). A bug says so, without its stack. */
export function errorBody(err: unknown): { schemaVersion: number; error: { code: string; category: ErrorCategory; message: string; hint: string | null; data?: Record<string, unknown> } } {
  if (isBflyError(err)) {
    const data = err.data && Object.keys(err.data).length > 0 ? { data: err.data } : {};
    return { schemaVersion: 1, error: { code: err.code, category: err.category, message: err.message, hint: err.hint ?? null, ...data } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { schemaVersion: 1, error: { code: 'INTERNAL', category: 'unknown', message, hint: 'this is a bug in bfly: please report it with the request you made' } };
}
