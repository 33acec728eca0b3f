/**
 * A duration as people write it: `90s`, `10m`, `1h30m`, `2.5h`, `500ms`, or a number of
 * seconds. Returns milliseconds, or null when it is not a duration.
 *
 * @example
 * parseDuration('1h30m') // 5400000
 */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value * 1000 : null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) > 0 ? Number(text) * 1000 : null;
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy;
  let ms = 0;
  let at = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    ms += Number(m[1]) * { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as 's'];
    at = re.lastIndex;
  }
  return at === text.length && at > 0 && ms > 0 ? ms : null;
}

/** Milliseconds as the shortest duration text (`90 s`, `10 min`, `1 h 30 min`). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${+(ms / 1000).toFixed(1)} s`;
  const min = Math.round(ms / 60_000);
  return min < 120 ? `${min} min` : `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`;
}
