/**
 * Text that came from user code or user data, made safe to print on a terminal: control
 * characters (ESC and the rest of C0 and C1, DEL) and the Unicode bidirectional overrides are
 * written as visible escapes (`\x1b`, `\u202e`), so a hook's log line or a column name cannot
 * clear the screen, move the cursor, recolour the output or fake a "✔ succeeded" line. New
 * lines become `\n` too, unless `newlines` keeps them (multi-line messages).
 *
 * @example
 * printable('\x1b[2Jok\n✔ fake') // '\\x1b[2Jok\\n✔ fake'
 */
export function printable(s: string, o: { newlines?: boolean } = {}): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === '\n') return o.newlines === true ? c : '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
