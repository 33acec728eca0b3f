/**
 * Text as numbers: tokens (lower-cased words, word n-grams, optional character n-grams within
 * words), counted per row, kept by a vocabulary learnt from the training rows (or hashed into
 * a fixed number of buckets), weighted by TF-IDF and scaled to unit length per row, as
 * scikit-learn's `TfidfVectorizer` (smooth idf: ln((1 + n) / (1 + df)) + 1).
 */

/** Options of a `text` feature step (defaults filled in). */
export interface TextOptions {
  /** Word n-gram lengths, e.g. [1, 2] for words and pairs of words. */
  ngram_range: [number, number];
  /** Character n-gram lengths within words, or null for none. */
  char_ngrams: [number, number] | null;
  /** `vocabulary`: the `max_features` most frequent tokens of the training rows; `hashing`: tokens hashed into `max_features` buckets. */
  method: 'vocabulary' | 'hashing';
  max_features: number;
  /** Fewest training rows a token must appear in (a count, or a share of rows when below 1). */
  min_df: number;
  /** Weight tokens by inverse document frequency (else plain counts, still scaled per row). */
  tfidf: boolean;
}

/** What a text step learnt from one column's training rows (JSON, kept in the model artifact). */
export interface FittedText {
  column: string;
  /** The kept tokens, in output order (null when hashing). */
  terms: string[] | null;
  /** Inverse document frequency of each output feature. */
  idf: number[];
  /** Names of the output features: `column:token` or `column#bucket`. */
  features: string[];
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** The tokens of one text: word n-grams, then character n-grams of each word (marked `#`). */
export function tokens(text: string, o: Pick<TextOptions, 'ngram_range' | 'char_ngrams'>): string[] {
  const words = text.toLowerCase().match(WORD) ?? [];
  const out: string[] = [];
  const [lo, hi] = o.ngram_range;
  for (let n = lo; n <= hi; n++) for (let i = 0; i + n <= words.length; i++) out.push(n === 1 ? words[i] : words.slice(i, i + n).join(' '));
  if (o.char_ngrams !== null) {
    const [clo, chi] = o.char_ngrams;
    for (const w of words) {
      const padded = ` ${w} `;
      for (let n = clo; n <= chi; n++) for (let i = 0; i + n <= padded.length; i++) out.push(`#${padded.slice(i, i + n)}`);
    }
  }
  return out;
}

/** FNV-1a of a token, folded into `buckets`. */
function bucketOf(token: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % buckets;
}

/**
 * Learns a column's vocabulary (tokens in at least `min_df` rows, the `max_features` in most
 * rows, ties by token) and idf from training texts only; missing texts count as empty.
 *
 * @example
 * const fit = fitText('Title', ['the cat', 'a dog'], { ...options, min_df: 1 });
 */
export function fitText(column: string, texts: ReadonlyArray<string | null>, o: TextOptions): FittedText {
  const n = texts.length;
  const minRows = o.min_df < 1 ? Math.ceil(o.min_df * n) : o.min_df;
  if (o.method === 'hashing') {
    const df = new Float64Array(o.max_features);
    for (const t of texts) for (const b of new Set((t === null ? [] : tokens(t, o)).map((k) => bucketOf(k, o.max_features)))) df[b]++;
    return { column, terms: null, idf: Array.from(df, (d) => (o.tfidf ? Math.log((1 + n) / (1 + d)) + 1 : 1)), features: Array.from(df, (_, b) => `${column}#${b}`) };
  }
  const df = new Map<string, number>();
  for (const t of texts) if (t !== null) for (const k of new Set(tokens(t, o))) df.set(k, (df.get(k) ?? 0) + 1);
  const kept = [...df.entries()]
    .filter(([, d]) => d >= minRows)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, o.max_features);
  if (kept.length === 0) {
    throw new RangeError(`text: no token of ${JSON.stringify(column)} appears in ${minRows} or more of the ${n} training rows (min_df); lower min_df, or drop the column`);
  }
  return { column, terms: kept.map(([k]) => k), idf: kept.map(([, d]) => (o.tfidf ? Math.log((1 + n) / (1 + d)) + 1 : 1)), features: kept.map(([k]) => `${column}:${k}`) };
}

/**
 * The features of texts under a fitted vocabulary: one Float64Array per output feature,
 * each row's counts weighted by idf and scaled to unit length (a row with no known token is all
 * zeros; unseen tokens are ignored).
 */
export function transformText(fit: FittedText, texts: ReadonlyArray<string | null>, o: TextOptions): Float64Array[] {
  const k = fit.idf.length;
  const out = Array.from({ length: k }, () => new Float64Array(texts.length));
  const index = fit.terms === null ? null : new Map(fit.terms.map((t, j) => [t, j]));
  const row = new Float64Array(k);
  texts.forEach((t, i) => {
    if (t === null) return;
    const touched: number[] = [];
    for (const tok of tokens(t, o)) {
      const j = index === null ? bucketOf(tok, k) : index.get(tok);
      if (j === undefined) continue;
      if (row[j] === 0) touched.push(j);
      row[j]++;
    }
    let norm = 0;
    for (const j of touched) {
      row[j] *= fit.idf[j];
      norm += row[j] * row[j];
    }
    norm = Math.sqrt(norm);
    for (const j of touched) {
      out[j][i] = row[j] / norm;
      row[j] = 0;
    }
  });
  return out;
}
