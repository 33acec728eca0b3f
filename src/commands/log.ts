import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { ValidationError } from '../core/errors.js';
import { printable } from '../core/printable.js';
import { readAudit } from '../store/audit.js';
import { openWorkspace } from '../store/workspace.js';
import { renderTable } from '../ui/format.js';

/** `--since`: an ISO date or time, or a duration back from now (`30m`, `12h`, `7d`). */
function parseSince(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (m !== null) return Date.now() - Number(m[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }[m[2] as 's']!;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new ValidationError('BAD_SINCE', `--since must be a date (2026-12-01, 2026-12-01T10:00Z) or a duration (30m, 12h, 7d), not ${JSON.stringify(text)}`, { hint: 'e.g. --since 24h' });
  return t;
}

function summary(target: Record<string, unknown>): string {
  return Object.entries(target)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (v.startsWith('sha256:') ? v.slice(7, 19) : v) : JSON.stringify(v)}`)
    .join(' ');
}

/** `bfly log [--since …] [--experiment E] [--limit N] [--json]`: the audit log, newest last. */
export async function logCommand(o: GlobalOptions & { since?: string; experiment?: string; limit?: string }): Promise<void> {
  const since = o.since === undefined ? null : parseSince(o.since);
  const limit = o.limit === undefined ? undefined : Number(o.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new ValidationError('BAD_LIMIT', `--limit must be a whole number above 0, not ${JSON.stringify(o.limit)}`, { hint: 'e.g. --limit 20' });
  const ws = await openWorkspace(o.C ?? process.cwd());
  const { entries, problems } = readAudit(ws.root);
  let shown = entries.filter((e) => (since === null || Date.parse(e.at) >= since) && (o.experiment === undefined || e.target.experiment === o.experiment));
  if (limit !== undefined) shown = shown.slice(-limit);
  for (const p of problems) process.stderr.write(`warning: audit.jsonl line ${p.line}: ${p.message} (run \`bfly fsck\`)\n`);
  if (o.json) {
    process.stdout.write(jsonLine(shown));
    return;
  }
  if (shown.length === 0) {
    process.stdout.write('no audit entries match\n');
    return;
  }
  process.stdout.write(renderTable(['#', 'at', 'who', 'action', 'what', 'outcome'], shown.map((e) => [String(e.seq), e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), `${e.user}@${e.host}`, e.action, printable(summary(e.target)).slice(0, 160), e.outcome]), ['right']));
}
