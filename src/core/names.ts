import { ValidationError } from './errors.js';

/** Longest name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 200;

/**
 * Checks a user-chosen name (dataset, experiment): 1..200 UTF-8 bytes, no `/`, `\`, `..`, `@`,
 * `:`, NUL or control characters, not starting with `.` or `-`, no spaces at either end.
 * Returns the name, or throws a ValidationError that says what is wrong.
 */
export function validateName(name: string, kind = 'name'): string {
  const fail = (why: string): never => {
    throw new ValidationError('BAD_NAME', `invalid ${kind} ${JSON.stringify(name)}: ${why}`, {
      hint: `choose a ${kind} made of letters, digits, spaces, '-', '_' and '.', e.g. \`penguins\``,
      data: { name },
    });
  };
  if (name.length === 0) fail('it is empty');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) fail('it contains a NUL or control character');
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > MAX_NAME_BYTES) fail(`it is ${bytes} bytes long; the limit is ${MAX_NAME_BYTES}`);
  if (name.includes('/') || name.includes('\\')) fail('it contains a path separator');
  if (name.includes('..')) fail("it contains '..'");
  if (name.includes('@')) fail("'@' is reserved for versions (NAME@2)");
  if (name.includes(':')) fail("':' is reserved");
  if (name.startsWith('.') || name.startsWith('-')) fail("it starts with '.' or '-'");
  if (name.trim() !== name) fail('it starts or ends with a space');
  return name;
}

/** A valid name derived from a file name (extension dropped, odd characters replaced), or null. */
export function nameFromFile(fileName: string): string | null {
  const base = fileName.replace(/\.(csv|tsv|tab|txt|json|jsonl|ndjson)$/i, '');
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f/\\@:]/g, '-').replace(/\.\.+/g, '.').replace(/^[.\-\s]+/, '').trim();
  const truncated = new TextEncoder().encode(cleaned).length > MAX_NAME_BYTES ? cleaned.slice(0, 60).trim() : cleaned;
  try {
    return validateName(truncated);
  } catch {
    return null;
  }
}
