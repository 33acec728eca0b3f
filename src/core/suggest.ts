/** Levenshtein distance between two strings (case-insensitive). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  if (s === t) return 0;
  let prev = Array.from({ length: t.length + 1 }, (_, i) => i);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = cur;
  }
  return prev[t.length];
}

/**
 * The candidates closest to `name`, best first: those within a distance of about a third of the
 * name's length, or that contain it / are contained in it.
 *
 * @example
 * closestNames('specie', ['Species', 'Island']) // ['Species']
 */
export function closestNames(name: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.ceil(name.length / 3));
  const scored: Array<[string, number]> = [];
  for (const c of candidates) {
    const d = editDistance(name, c);
    const lname = name.toLowerCase();
    const lc = c.toLowerCase();
    if (d <= limit || (lname.length >= 3 && (lc.includes(lname) || lname.includes(lc)))) scored.push([c, d]);
  }
  scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]));
  return scored.slice(0, max).map(([c]) => c);
}

/** " (did you mean `x`?)" or "" — to append to a message. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const best = closestNames(name, candidates, 3);
  if (best.length === 0) return '';
  return ` (did you mean ${best.map((b) => `\`${b}\``).join(' or ')}?)`;
}
