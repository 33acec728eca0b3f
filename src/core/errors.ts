/**
 * Error classes shared by every layer. Each error carries a literal `code`, a `category`
 * (which maps to one exit code in `src/cli.ts`), structured `data`, and a `hint` that tells
 * the user what to do next.
 */

/** The error categories; each maps to one documented exit code. */
export const ERROR_CATEGORIES = [
  'validation',
  'user_code',
  'framework',
  'policy',
  'infra',
  'not_found',
  'not_a_workspace',
  'integrity',
  'unknown',
] as const;

/** One of {@link ERROR_CATEGORIES}. */
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** Options for {@link BflyError}. */
export interface BflyErrorOptions {
  /** What the user should do next. */
  hint?: string;
  /** Structured details (paths, names, line numbers). */
  data?: Record<string, unknown>;
  /** The underlying error, if any. */
  cause?: unknown;
}

/** The JSON shape of an error, as printed by `--json` on stderr. */
export interface BflyErrorJson {
  code: string;
  category: ErrorCategory;
  message: string;
  hint?: string;
  data?: Record<string, unknown>;
}

/**
 * Base class of every error bfly raises on purpose.
 *
 * @example
 * throw new ValidationError('EMPTY_FILE', 'data.csv is empty', { hint: 'check the path' });
 */
export class BflyError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly hint?: string;
  readonly data: Record<string, unknown>;

  constructor(category: ErrorCategory, code: string, message: string, options: BflyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.category = category;
    this.code = code;
    this.hint = options.hint;
    this.data = options.data ?? {};
  }

  /** The error as a plain object (what `--json` prints). */
  toJSON(): BflyErrorJson {
    const out: BflyErrorJson = { code: this.code, category: this.category, message: this.message };
    if (this.hint !== undefined) out.hint = this.hint;
    if (Object.keys(this.data).length > 0) out.data = this.data;
    return out;
  }
}

/** Bad input or configuration from the user. */
export class ValidationError extends BflyError {
  constructor(code: string, message: string, options?: BflyErrorOptions) {
    super('validation', code, message, options);
  }
}

/** Something the user named does not exist. */
export class NotFoundError extends BflyError {
  constructor(code: string, message: string, options?: BflyErrorOptions) {
    super('not_found', code, message, options);
  }
}

/** I/O, locks, disk, store integrity. */
export class InfraError extends BflyError {
  constructor(code: string, message: string, options?: BflyErrorOptions) {
    super('infra', code, message, options);
  }
}

/** The workspace profile forbids the action. */
export class PolicyError extends BflyError {
  constructor(code: string, message: string, options?: BflyErrorOptions) {
    super('policy', code, message, options);
  }
}

/**
 * The store is not what bfly wrote: a sealed file changed, a link where a folder or file
 * belongs, a record that does not match its hash. Maps to exit code 10, like `fsck`'s findings.
 */
export class IntegrityError extends BflyError {
  constructor(code: string, message: string, options?: BflyErrorOptions) {
    super('integrity', code, message, options);
  }
}

/** The current directory is not inside a bfly workspace. */
export class NotAWorkspaceError extends BflyError {
  constructor(start: string) {
    super('not_a_workspace', 'NOT_A_WORKSPACE', `not a bfly workspace (run \`bfly init\`): no .butterfly/ in ${start} or any parent`, {
      hint: 'run `bfly init` here, or pass `-C <dir>` to point at a workspace',
      data: { start },
    });
  }
}

/** A stored object's bytes no longer match its hash. */
export class CorruptObjectError extends BflyError {
  constructor(hash: string, actual: string, path: string) {
    super('integrity', 'CORRUPT_OBJECT', `object ${hash} is corrupt: its bytes hash to ${actual}`, {
      hint: 'run `bfly fsck` to list every damaged object; restore the file from a backup or re-import the data',
      data: { hash, actual, path },
    });
  }
}

/** True when `err` is a {@link BflyError} (also across module copies). */
export function isBflyError(err: unknown): err is BflyError {
  return err instanceof BflyError || (typeof err === 'object' && err !== null && 'category' in err && 'code' in err && typeof (err as { toJSON?: unknown }).toJSON === 'function');
}
