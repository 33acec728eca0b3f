import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { isRunId, newRunId } from '../core/run-manifest.js';
import { didYouMean } from '../core/suggest.js';
import { workspacePaths } from './layout.js';
import { parseFlatYaml } from './config-file.js';

/** Name prefix of a run folder being deleted (`runs/.deleting-<id>-…`): never read as a run. */
export const DELETING_PREFIX = '.deleting-';

/** Every run id of the workspace, oldest first (real folders only: a link is never a run). */
export function listRunIds(root: string): string[] {
  try {
    return readdirSync(workspacePaths(root).runs, { withFileTypes: true })
      .filter((e) => e.isDirectory() && isRunId(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** A fresh run id (not checked for use: the caller reserves it with the run's lock). */
export function freshRunId(now = new Date()): string {
  return newRunId(now, randomBytes(3).toString('hex'));
}

function experimentOf(root: string, id: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(workspacePaths(root).runs, id, 'run.json'), 'utf8')) as { experiment?: string }).experiment ?? null;
  } catch {
    return null;
  }
}

/**
 * Finds a run by its id, a unique id prefix (at least 4 characters), `@latest` (the newest run)
 * or `<experiment>@latest` (that experiment's newest). Ambiguous prefixes list the candidates.
 *
 * @example
 * resolveRunRef(root, 'penguins@latest')
 */
export function resolveRunRef(root: string, ref: string): string {
  // a whole id needs no listing (a workspace may hold 100,000 runs)
  if (isRunId(ref) && existsSync(join(workspacePaths(root).runs, ref))) return ref;
  const ids = listRunIds(root);
  const none = (what: string): never => {
    throw new NotFoundError('RUN_NOT_FOUND', what, { hint: ids.length === 0 ? 'run an experiment with `bfly run <experiment>`' : 'list runs with `bfly runs`', data: { ref } });
  };
  if (ref === '@latest') return ids.at(-1) ?? none('there are no runs yet');
  if (ref.endsWith('@latest')) {
    const exp = ref.slice(0, -'@latest'.length);
    const names = new Set([exp, ...formerNamesOf(root, exp)]);
    for (let i = ids.length - 1; i >= 0; i--) if (names.has(experimentOf(root, ids[i]) ?? '')) return ids[i];
    const experiments = [...new Set(ids.map((id) => experimentOf(root, id)).filter((e): e is string => e !== null))];
    return none(`experiment ${JSON.stringify(exp)} has no runs${didYouMean(exp, experiments)}`);
  }
  if (ids.includes(ref)) return ref;
  if (ref.length < 4) {
    throw new ValidationError('REF_TOO_SHORT', `run reference ${JSON.stringify(ref)} is too short`, { hint: 'give at least 4 characters of the id, or use @latest / <experiment>@latest' });
  }
  const matches = ids.filter((id) => id.startsWith(ref));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new ValidationError('AMBIGUOUS_REF', `${ref} matches ${matches.length} runs`, { hint: `use more characters: ${matches.slice(-5).join(', ')}${matches.length > 5 ? ', …' : ''}`, data: { ref, candidates: matches } });
  }
  return none(`no run ${JSON.stringify(ref)}`);
}

/** The earlier names of experiment `name` (from its experiment.yaml; none when unknown). */
function formerNamesOf(root: string, name: string): string[] {
  if (name.includes('/') || name.includes('..')) return [];
  try {
    const record = parseFlatYaml(readFileSync(join(workspacePaths(root).experiments, name, 'experiment.yaml'), 'utf8'));
    const names = record?.formerNames;
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}
