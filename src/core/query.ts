/**
 * The small expression language of `bfly runs --where` and the keys of `--sort`/`--columns`,
 * evaluated over run summaries. Pure: parsing and evaluation only.
 *
 *   expr    := or
 *   or      := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | '(' expr ')' | compare
 *   compare := value (('==' | '!=' | '<' | '<=' | '>' | '>=') value | 'not'? 'in' list)?
 *   list    := '[' value (',' value)* ']' | '(' value (',' value)* ')'
 *   value   := field | "string" | 'string' | number | true | false | null
 *
 * A bare field is true when it is set and not false/0/empty. Comparisons between values of
 * different types (or with a missing value) are false, except `==`/`!=` with null. A list field
 * (`batch`: every batch a run belongs to) `==` a value when it holds it (`== null` when empty).
 */
import { ValidationError } from './errors.js';
import { didYouMean } from './suggest.js';

/** Fields a query may name: exact names, and prefixes whose sub-paths are free. */
export const QUERY_FIELDS = ['id', 'experiment', 'status', 'dataset', 'seed', 'createdAt', 'startedAt', 'endedAt', 'durationMs', 'batch', 'reused', 'host', 'worker', 'target', 'task', 'metric', 'model', 'executionKey', 'pipelineHash', 'error'] as const;
const PREFIXES = ['metrics', 'params', 'dataset', 'binding', 'error'];

type Literal = string | number | boolean | null;
type Node =
  | { kind: 'lit'; value: Literal }
  | { kind: 'field'; path: string }
  | { kind: 'cmp'; op: string; left: Node; right: Node }
  | { kind: 'in'; negate: boolean; left: Node; list: Node[] }
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; arg: Node }
  | { kind: 'truthy'; arg: Node };

interface Token {
  type: 'ident' | 'string' | 'number' | 'op' | 'punct' | 'end';
  text: string;
  value?: string | number;
  col: number; // 1-based
}

function fail(src: string, what: string, col: number, flag: string): never {
  const caret = `  ${src}\n  ${' '.repeat(Math.max(0, col - 1))}^`;
  throw new ValidationError('BAD_QUERY', `bad ${flag} expression at column ${col}: ${what}\n${caret}`, {
    // `--where` on the command line, `where` as a query parameter of the service
    hint: flag.endsWith('where') ? `e.g. ${flag.startsWith('--') ? `${flag} ` : `${flag}=`}'metrics.accuracy > 0.9 and params.train.model == "gradient_boosting"'` : flag.endsWith('sort') ? `e.g. ${flag.startsWith('--') ? `${flag} ` : `${flag}=`}-metrics.accuracy,createdAt (a leading - sorts descending)` : 'e.g. --columns id,experiment,metrics.accuracy,params.train.model',
    data: { expression: src, column: col },
  });
}

function tokenize(src: string, flag: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const col = i + 1;
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j++];
      }
      if (j >= src.length) fail(src, 'this string is not closed', col, flag);
      out.push({ type: 'string', text: src.slice(i, j + 1), value: s, col });
      i = j + 1;
      continue;
    }
    const num = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(src.slice(i));
    if (num && (c !== '-' || out.length === 0 || out.at(-1)!.type === 'op' || out.at(-1)!.text === '(' || out.at(-1)!.text === ',' || out.at(-1)!.text === '[')) {
      out.push({ type: 'number', text: num[0], value: Number(num[0]), col });
      i += num[0].length;
      continue;
    }
    const op = /^(==|!=|<=|>=|<|>|=)/.exec(src.slice(i));
    if (op) {
      out.push({ type: 'op', text: op[0] === '=' ? '==' : op[0], col });
      i += op[0].length;
      continue;
    }
    if ('()[],'.includes(c)) {
      out.push({ type: 'punct', text: c, col });
      i++;
      continue;
    }
    const id = /^[A-Za-z_][\w.]*/.exec(src.slice(i));
    if (id) {
      out.push({ type: 'ident', text: id[0].replace(/[.-]+$/, ''), col });
      i += id[0].replace(/[.-]+$/, '').length;
      continue;
    }
    fail(src, `unexpected character ${JSON.stringify(c)}`, col, flag);
  }
  out.push({ type: 'end', text: 'the end', col: src.length + 1 });
  return out;
}

/** Checks that a field name is one a query can use; throws with a suggestion otherwise. */
export function checkField(path: string, src: string, col: number, flag: string): void {
  const head = path.split('.')[0];
  if (path.includes('.') ? PREFIXES.includes(head) : (QUERY_FIELDS as readonly string[]).includes(path)) return;
  if (!path.includes('.') && PREFIXES.includes(path)) fail(src, `${path} needs a name after it, e.g. ${path}.${head === 'metrics' ? 'accuracy' : head === 'params' ? 'train.model' : 'name'}`, col, flag);
  fail(src, `unknown field ${JSON.stringify(path)}${didYouMean(head, [...QUERY_FIELDS, ...PREFIXES.map((p) => `${p}.`)])} (fields: ${QUERY_FIELDS.join(', ')}, metrics.*, params.*)`, col, flag);
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);

/** The longest `--where` expression (its evaluation recurses once per `and`/`or`). */
export const MAX_QUERY_LENGTH = 10_000;
/** How deep parentheses and `not` may nest. */
export const MAX_QUERY_DEPTH = 64;

/** A parsed `--where` expression. */
export interface Query {
  source: string;
  /** The field paths it reads, as written. */
  fields: string[];
  test(doc: unknown): boolean;
}

/**
 * Parses a `--where` expression. Errors name the column and draw a caret under it.
 *
 * @example
 * parseQuery('metrics.roc_auc > 0.9 and not status in ["failed"]').test(summary)
 */
export function parseQuery(src: string, flag = '--where'): Query {
  if (src.length > MAX_QUERY_LENGTH) fail(src.slice(0, 80), `the expression is ${src.length} characters long; at most ${MAX_QUERY_LENGTH}`, 1, flag);
  const toks = tokenize(src, flag);
  const fields = new Set<string>();
  let depth = 0;
  let p = 0;
  const peek = (): Token => toks[p];
  const isWord = (t: Token, w: string): boolean => t.type === 'ident' && t.text.toLowerCase() === w;
  const expect = (text: string, what: string): void => {
    if (peek().text !== text) fail(src, `expected ${what}, found ${describe(peek())}`, peek().col, flag);
    p++;
  };
  const describe = (t: Token): string => (t.type === 'end' ? 'the end' : JSON.stringify(t.text));

  const value = (): Node => {
    const t = peek();
    if (t.type === 'string' || t.type === 'number') {
      p++;
      return { kind: 'lit', value: t.value! };
    }
    if (t.type === 'ident') {
      const w = t.text.toLowerCase();
      if (w === 'true' || w === 'false') {
        p++;
        return { kind: 'lit', value: w === 'true' };
      }
      if (w === 'null') {
        p++;
        return { kind: 'lit', value: null };
      }
      if (KEYWORDS.has(w)) fail(src, `expected a value, found the keyword ${JSON.stringify(t.text)}`, t.col, flag);
      checkField(t.text, src, t.col, flag);
      p++;
      fields.add(t.text);
      return { kind: 'field', path: t.text };
    }
    return fail(src, `expected a field or a value, found ${describe(t)}`, t.col, flag);
  };

  const list = (): Node[] => {
    const open = peek();
    if (open.text !== '[' && open.text !== '(') fail(src, `expected a list after "in", like ["a", "b"], found ${describe(open)}`, open.col, flag);
    p++;
    const close = open.text === '[' ? ']' : ')';
    const items: Node[] = [];
    if (peek().text !== close) {
      for (;;) {
        items.push(value());
        if (peek().text === ',') p++;
        else break;
      }
    }
    expect(close, `"${close}" or ","`);
    return items;
  };

  const compare = (): Node => {
    const left = value();
    const t = peek();
    if (t.type === 'op') {
      p++;
      return { kind: 'cmp', op: t.text, left, right: value() };
    }
    if (isWord(t, 'in')) {
      p++;
      return { kind: 'in', negate: false, left, list: list() };
    }
    if (isWord(t, 'not') && isWord(toks[p + 1], 'in')) {
      p += 2;
      return { kind: 'in', negate: true, left, list: list() };
    }
    if (left.kind === 'lit') fail(src, `expected a comparison after ${JSON.stringify(toks[p - 1].text)}`, t.col, flag);
    return { kind: 'truthy', arg: left };
  };

  const nest = <T>(t: Token, f: () => T): T => {
    if (++depth > MAX_QUERY_DEPTH) fail(src, `nested more than ${MAX_QUERY_DEPTH} levels deep (parentheses and "not")`, t.col, flag);
    try {
      return f();
    } finally {
      depth--;
    }
  };
  const unary = (): Node => {
    const t = peek();
    if (isWord(t, 'not')) {
      p++;
      return nest(t, () => ({ kind: 'not', arg: unary() }));
    }
    if (t.text === '(' && t.type === 'punct') {
      p++;
      return nest(t, () => {
        const e = or();
        expect(')', '")"');
        return e;
      });
    }
    return compare();
  };
  const and = (): Node => {
    let left = unary();
    while (isWord(peek(), 'and')) {
      p++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const or = (): Node => {
    let left = and();
    while (isWord(peek(), 'or')) {
      p++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };

  if (src.trim() === '') fail(src, 'the expression is empty', 1, flag);
  const ast = or();
  if (peek().type !== 'end') fail(src, `expected "and", "or" or the end, found ${describe(peek())}`, peek().col, flag);
  return { source: src, fields: [...fields], test: (doc) => truthy(evaluate(ast, doc)) };
}

/**
 * The path in a run summary a field names: `dataset` alone is the dataset's name, `batch` every
 * batch the run is in, `target`/`task`/`metric` the binding's; a metric's own dots (hook metrics:
 * hook.<name>) are kept in summaries as `·`.
 */
export function resolveFieldPath(path: string): string {
  if (path === 'dataset') return 'dataset.name';
  if (path === 'batch') return 'batches';
  if (path === 'target' || path === 'task' || path === 'metric') return `binding.${path}`;
  if (path.startsWith('metrics.')) return `metrics.${path.slice('metrics.'.length).replaceAll('.', '·')}`;
  return path;
}

const partsOf = new Map<string, string[]>();

/** The value at a field path of a run summary ({@link resolveFieldPath}). */
export function fieldValue(doc: unknown, path: string): unknown {
  let parts = partsOf.get(path);
  if (parts === undefined) {
    parts = resolveFieldPath(path).split('.');
    if (partsOf.size < 10_000) partsOf.set(path, parts);
  }
  let v: unknown = doc;
  for (const part of parts) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function truthy(v: unknown): boolean {
  return !(v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0));
}

function same(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  // A list field (batch: every batch a run belongs to) equals each value it holds.
  if (Array.isArray(a) && !Array.isArray(b) && (b === null || typeof b !== 'object')) return b === null ? a.length === 0 : a.includes(b);
  if (Array.isArray(b) && !Array.isArray(a) && (a === null || typeof a !== 'object')) return a === null ? b.length === 0 : b.includes(a);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

function evaluate(n: Node, doc: unknown): unknown {
  switch (n.kind) {
    case 'lit':
      return n.value;
    case 'field':
      return fieldValue(doc, n.path);
    case 'truthy':
      return truthy(evaluate(n.arg, doc));
    case 'not':
      return !truthy(evaluate(n.arg, doc));
    case 'and':
      return truthy(evaluate(n.left, doc)) && truthy(evaluate(n.right, doc));
    case 'or':
      return truthy(evaluate(n.left, doc)) || truthy(evaluate(n.right, doc));
    case 'in': {
      const v = evaluate(n.left, doc);
      const hit = n.list.some((x) => same(v, evaluate(x, doc)));
      return n.negate ? !hit : hit;
    }
    case 'cmp': {
      const a = evaluate(n.left, doc);
      const b = evaluate(n.right, doc);
      if (n.op === '==') return same(a, b);
      if (n.op === '!=') return !same(a, b);
      if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
      const x = a as number | string;
      const y = b as number | string;
      return n.op === '<' ? x < y : n.op === '<=' ? x <= y : n.op === '>' ? x > y : x >= y;
    }
  }
}

/** One `--sort` key: a field path, descending when written with a leading `-`. */
export interface SortKey {
  path: string;
  descending: boolean;
}

/** Parses `--sort -metrics.accuracy,createdAt`. */
export function parseSort(src: string, flag = '--sort'): SortKey[] {
  return src.split(',').map((raw, i, all) => {
    const s = raw.trim();
    const descending = s.startsWith('-');
    const path = s.replace(/^[-+]/, '');
    const col = all.slice(0, i).join(',').length + (i > 0 ? 1 : 0) + 1;
    if (!/^[A-Za-z_][\w.-]*$/.test(path)) fail(src, `expected a field like -metrics.accuracy, found ${JSON.stringify(s)}`, col, flag);
    checkField(path, src, col, flag);
    return { path, descending };
  });
}

/**
 * Sorts summaries by the keys (stable; missing values last whichever the direction; numbers
 * before strings).
 */
export function sortBy<T>(docs: T[], keys: readonly SortKey[], docOf: (item: T) => unknown = (d) => d): T[] {
  const cmp = (a: unknown, b: unknown): number => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'number') return -1;
    if (typeof b === 'number') return 1;
    return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  };
  return docs
    .map((d, i) => {
      const doc = docOf(d);
      return { d, keys: keys.map((k) => fieldValue(doc, k.path)), i };
    })
    .sort((x, y) => {
      for (let j = 0; j < keys.length; j++) {
        const k = keys[j];
        const a = x.keys[j];
        const b = y.keys[j];
        const am = a === undefined || a === null || (typeof a === 'number' && Number.isNaN(a));
        const bm = b === undefined || b === null || (typeof b === 'number' && Number.isNaN(b));
        if (am || bm) {
          if (am && bm) continue;
          return am ? 1 : -1;
        }
        const c = cmp(a, b);
        if (c !== 0) return k.descending ? -c : c;
      }
      return x.i - y.i;
    })
    .map((x) => x.d);
}
