/**
 * Batches of runs (`bfly run --grid/--seeds`): parsing the grid and seed specs, expanding them
 * into the cartesian product, and batch ids. Pure.
 */
import { ValidationError } from './errors.js';

/** One `--grid <path>=<v1>,<v2>,...` axis. */
export interface GridAxis {
  path: string;
  /** Each value as written (parsed later like a `--set` value). */
  values: string[];
}

/** One run of a batch: its place, its extra `--set` assignments, and its seed (or the pipeline's). */
export interface BatchRunSpec {
  index: number;
  sets: string[];
  seed: number | null;
  /** `path=value` of each grid axis, for display. */
  label: string;
}

/** Splits on commas outside brackets, braces and quotes. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = '';
  for (const c of s) {
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur.trim());
  return out;
}

/**
 * Parses `--grid blocks.train.config.model=logistic_regression,gradient_boosting` (values split
 * on top-level commas; `[1, 2]` stays one value).
 *
 * @example
 * parseGridAxis('blocks.model_selection.config.cv=3,5') // { path: 'blocks.model_selection.config.cv', values: ['3', '5'] }
 */
export function parseGridAxis(spec: string): GridAxis {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new ValidationError('BAD_GRID', `--grid ${JSON.stringify(spec)} is not <path>=<v1>,<v2>,...`, { hint: 'e.g. --grid blocks.model_selection.config.cv=3,5' });
  const path = spec.slice(0, eq).trim();
  const values = splitTopLevel(spec.slice(eq + 1));
  if (values.some((v) => v === '')) throw new ValidationError('BAD_GRID', `--grid ${path} has an empty value`, { hint: 'separate values with commas: --grid path=a,b,c' });
  if (new Set(values).size !== values.length) throw new ValidationError('BAD_GRID', `--grid ${path} repeats a value`, { hint: 'give each value once' });
  return { path, values };
}

/**
 * Parses `--seeds 1-5`, `--seeds 1,3,7` or a mix (`1-3,10`).
 *
 * @example
 * parseSeeds('1-3,10') // [1, 2, 3, 10]
 */
export function parseSeeds(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const bad = (): never => {
      throw new ValidationError('BAD_SEEDS', `--seeds ${JSON.stringify(spec)}: ${JSON.stringify(part)} is not a seed or a range`, { hint: 'e.g. --seeds 1-5 or --seeds 1,2,3 (whole numbers from 0 to 4294967295)' });
    };
    if (m === null) bad();
    const a = Number(m![1]);
    const b = m![2] === undefined ? a : Number(m![2]);
    if (b < a || b > 2 ** 32 - 1 || b - a > 10_000) bad();
    for (let s = a; s <= b; s++) if (!out.includes(s)) out.push(s);
  }
  return out;
}

/** The cartesian product of the grid axes and the seeds, in a stable order (seeds innermost). */
export function expandBatch(axes: readonly GridAxis[], seeds: readonly number[] | null): BatchRunSpec[] {
  const paths = axes.map((a) => a.path);
  if (new Set(paths).size !== paths.length) throw new ValidationError('BAD_GRID', 'two --grid options name the same path', { hint: 'list all values of a path in one --grid' });
  let combos: Array<Array<[string, string]>> = [[]];
  for (const a of axes) combos = combos.flatMap((c) => a.values.map((v) => [...c, [a.path, v] as [string, string]]));
  const seedList: Array<number | null> = seeds === null || seeds.length === 0 ? [null] : [...seeds];
  const out: BatchRunSpec[] = [];
  for (const c of combos) {
    for (const seed of seedList) {
      out.push({ index: out.length, sets: c.map(([p, v]) => `${p}=${v}`), seed, label: c.map(([p, v]) => `${p.replace(/^blocks\./, '').replace('.config.', '.')}=${v}`).join(' ') });
    }
  }
  if (out.length > 10_000) throw new ValidationError('BATCH_TOO_BIG', `the grid makes ${out.length} runs`, { hint: 'narrow the grid or the seeds (at most 10,000 runs per batch)' });
  return out;
}

/** A new batch id: `b-YYYYMMDD-HHMMSS-<4 hex>` (UTC). */
export function newBatchId(now: Date, randomHex: string): string {
  const d = now.toISOString().replace(/\D/g, '');
  return `b-${d.slice(0, 8)}-${d.slice(8, 14)}-${randomHex.slice(0, 4)}`;
}

/** A batch's runs counted by outcome (`reused` apart from the runs made). */
export function countBatchOutcomes(runs: ReadonlyArray<{ status: string; reused: boolean }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of runs) {
    const k = r.reused ? 'reused' : r.status;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}
