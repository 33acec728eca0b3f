import { Document, isCollection, isMap, isNode, isPair, isScalar, isSeq, parseDocument, type Node } from 'yaml';

/** A value rendered on one line (maps and lists in flow style, `{a: 1}`, `[64, 64]`). */
function inline(value: unknown): string {
  const d = new Document();
  d.contents = d.createNode(value, { flow: typeof value === 'object' && value !== null });
  return d.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd();
}

/** A value rendered as YAML lines for key `key` (block style below it), indented by `indent`. */
function blockLines(key: string, value: unknown, indent: string): string {
  const d = new Document();
  d.contents = d.createNode({ [key]: value }, { flow: false });
  const text = d.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd();
  return text
    .split('\n')
    .map((l) => indent + l)
    .join('\n');
}

const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;
const lineEnd = (text: string, at: number): number => {
  const i = text.indexOf('\n', at);
  return i === -1 ? text.length : i;
};

/** The end of a node's last line of content (its value, not trailing comments or blank lines). */
function contentEnd(text: string, node: Node): number {
  return lineEnd(text, Math.max(node.range![0], node.range![1] - 1));
}

/**
 * Sets `path` to `value` in a YAML text, changing only what the assignment needs: an existing
 * value is replaced where it stands (maps and lists written inline, `{a: 1}`), a missing key of
 * a block map is added as new lines after the map's last entry, an item past the end of a block
 * list is appended as a new `- ` line; every other line is kept byte for byte. Where no such
 * local edit applies (a flow collection gaining a key, a null parent), the document is set and
 * re-serialised, keeping comments. The text must parse; `path` must be valid for it (string
 * keys into maps, indices into lists, at most the next index).
 *
 * @example
 * setYamlPath('a: {x: 1}\nb: [1, 2]\n', ['b', 1], 3) // 'a: {x: 1}\nb: [1, 3]\n'
 */
export function setYamlPath(text: string, path: ReadonlyArray<string | number>, value: unknown): string {
  const doc = parseDocument(text);
  // The deepest node on the path that exists.
  let parent: unknown = doc.contents;
  let depth = 0;
  let exists = false;
  for (; depth < path.length; depth++) {
    if (!isCollection(parent)) break;
    const next = (parent as { get(k: unknown, keep: true): unknown }).get(path[depth], true);
    if (next === undefined) break;
    if (depth === path.length - 1) {
      exists = true;
      const node = isNode(next) ? next : null;
      if (node?.range && !(isScalar(node) && node.value === null && node.range[0] === node.range[1])) {
        const [start, valueEnd] = node.range;
        if (isScalar(node) || (isCollection(node) && node.flow === true)) return `${text.slice(0, start)}${inline(value)}${text.slice(valueEnd)}`;
        // A block collection: its lines give way to the inline value, right after its key
        // (on the next line when a comment ends the key's line).
        const head = text.slice(0, start);
        const trimmed = head.trimEnd();
        const keyLine = trimmed.slice(lineStart(trimmed, trimmed.length));
        return `${keyLine.includes('#') ? head : `${trimmed} `}${inline(value)}${text.slice(contentEnd(text, node))}`;
      }
      break;
    }
    parent = next;
  }
  if (!exists && isCollection(parent) && parent.flow === true && parent.range) {
    // A flow collection gaining a key or an item: only that collection is written again.
    const sub = new Document(parent.toJSON());
    sub.setIn(path.slice(depth), value);
    return `${text.slice(0, parent.range[0])}${inline(sub.toJSON())}${text.slice(parent.range[1])}`;
  }
  const rest = path.slice(depth + 1);
  if (!exists && depth < path.length && rest.every((k) => typeof k === 'string') && isMap(parent) && parent.flow !== true && parent.items.length > 0 && parent.range) {
    // A new key in a block map: new lines after its last entry, at its indentation.
    const first = parent.items[0];
    const keyStart = isPair(first) && isNode(first.key) && first.key.range ? first.key.range[0] : parent.range[0];
    const indent = ' '.repeat(keyStart - lineStart(text, keyStart));
    const last = parent.items[parent.items.length - 1];
    const lastNode = isPair(last) ? ((isNode(last.value) && last.value.range ? last.value : last.key) as Node) : null;
    if (lastNode?.range) {
      const at = contentEnd(text, lastNode);
      const nested = rest.reduceRight<unknown>((v, k) => ({ [k]: v }), value);
      return `${text.slice(0, at)}\n${blockLines(String(path[depth]), nested, indent)}${text.slice(at)}`;
    }
  }
  if (!exists && depth === path.length - 1 && isSeq(parent) && parent.flow !== true && parent.items.length > 0 && path[depth] === parent.items.length) {
    // An item past the end of a block list: a new `- ` line like the last one.
    const last = parent.items[parent.items.length - 1] as Node;
    if (last.range) {
      const ls = lineStart(text, last.range[0]);
      const dash = text.slice(ls, last.range[0]);
      const indent = dash.slice(0, dash.indexOf('-'));
      if (/^ *- *$/.test(dash)) {
        const at = contentEnd(text, last);
        return `${text.slice(0, at)}\n${indent}- ${inline(value)}${text.slice(at)}`;
      }
    }
  }
  doc.setIn(path, doc.createNode(value, { flow: typeof value === 'object' && value !== null }));
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
