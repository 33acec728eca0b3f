import type { parseDocument as ParseDocument } from 'yaml';
import { ValidationError } from './errors.js';

/**
 * Parses a small YAML file (a config, an experiment record) with limits, so that a hand-edited
 * or hostile file is a validation error and never a hang or a crash: at most `maxBytes`,
 * duplicate keys checked by the parser (fine at this size), aliases expanding to at most 100
 * nodes, nesting the parser can handle. The yaml library's `parseDocument` is passed in, so
 * that callers on the start-up path load it only when they need it.
 */
export function parseYamlText(text: string, file: string, parseDocument: typeof ParseDocument, maxBytes = 1 << 20): unknown {
  const fail = (why: string, hint = 'fix it by hand'): never => {
    throw new ValidationError('BAD_YAML', `${file}: ${why}`, { hint, data: { file } });
  };
  if (text.length > maxBytes) fail(`${text.length} characters; bfly reads at most ${maxBytes} here`);
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) fail(`not valid YAML: ${/call stack/i.test(doc.errors[0].message) ? 'nested too deeply' : doc.errors[0].message.split('\n')[0]}`);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return fail(`YAML aliases expand too much (${(err as Error).message.split('\n')[0]})`, 'write the values out instead of using &anchors and *aliases');
  }
}
