/**
 * Draft history: every saved version of an experiment's draft pipeline is kept as an object
 * (`objects/`, content-addressed, write-once), listed in `experiments/<name>/history.jsonl` as
 * revision 1, 2, 3, … with when, how and by whom. Nothing a user saved is lost at the next save;
 * a run records the revision it snapshotted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { workspacePaths } from './layout.js';
import { currentUser } from './audit.js';
import { readObject, writeObject } from './objects.js';
import { appendNoFollow, entries } from './safe-fs.js';

export type { DraftRevision } from '../core/contracts/experiment.js';
import type { DraftRevision } from '../core/contracts/experiment.js';

/** `experiments/<name>/history.jsonl`. */
export function historyPath(root: string, experiment: string): string {
  return join(workspacePaths(root).experiments, experiment, 'history.jsonl');
}

/** Every revision of an experiment's draft, oldest first (lines that do not parse are skipped; fsck names them). */
export function listDraftRevisions(root: string, experiment: string): DraftRevision[] {
  let text: string;
  try {
    text = readFileSync(historyPath(root, experiment), 'utf8');
  } catch {
    return [];
  }
  const out: DraftRevision[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as DraftRevision;
      if (typeof r.rev === 'number' && typeof r.hash === 'string') out.push(r);
    } catch {
      /* a torn last line: fsck reports it */
    }
  }
  return out;
}

/** Revision 1 of a new experiment's draft (its object is written by the caller). */
export function firstRevision(text: string, action = 'experiment.create'): DraftRevision {
  return { rev: 1, hash: `sha256:${sha256Hex(text)}`, at: new Date().toISOString(), action, user: currentUser(), bytes: Buffer.byteLength(text) };
}

/**
 * Records a saved draft text as the next revision (the caller holds the experiment's draft
 * lock): its object first, then the history line. Saving the same text as the latest
 * revision records nothing and returns that revision.
 */
export function recordDraft(root: string, experiment: string, text: string, action: string): DraftRevision {
  const revisions = listDraftRevisions(root, experiment);
  const hash = `sha256:${sha256Hex(text)}`;
  const last = revisions.at(-1);
  if (last !== undefined && last.hash === hash) return last;
  writeObject(root, text);
  const r: DraftRevision = { rev: (last?.rev ?? 0) + 1, hash, at: new Date().toISOString(), action, user: currentUser(), bytes: Buffer.byteLength(text) };
  appendNoFollow(historyPath(root, experiment), JSON.stringify(r) + '\n');
  return r;
}

/** The latest revision whose text is `text`, or null (a draft edited by hand since its last save). */
export function revisionOf(root: string, experiment: string, text: string): DraftRevision | null {
  const hash = `sha256:${sha256Hex(text)}`;
  return listDraftRevisions(root, experiment).findLast((r) => r.hash === hash) ?? null;
}

/** The text of revision `rev` (from its object, re-hashed on read). */
export function readDraftRevision(root: string, experiment: string, rev: number): { revision: DraftRevision; text: string } {
  const revisions = listDraftRevisions(root, experiment);
  const revision = revisions.find((r) => r.rev === rev);
  if (revision === undefined) {
    throw new NotFoundError('NO_SUCH_REVISION', `experiment ${experiment} has no draft revision ${rev}`, { hint: revisions.length > 0 ? `revisions: 1 to ${revisions.at(-1)!.rev} (\`bfly pipeline history ${experiment}\`)` : 'it has no saved revisions yet', data: { experiment, rev } });
  }
  return { revision, text: readObject(root, revision.hash).toString('utf8') };
}

/** Parses a revision argument: `3`, `r3`, or `@latest`. */
export function parseRevision(text: string, revisions: readonly DraftRevision[]): number {
  if (text === '@latest' || text === 'latest') {
    if (revisions.length === 0) throw new NotFoundError('NO_SUCH_REVISION', 'there are no saved revisions', { hint: 'save the draft first (`bfly pipeline set` or `edit`)' });
    return revisions.at(-1)!.rev;
  }
  const m = /^r?(\d+)$/.exec(text);
  if (m === null) throw new ValidationError('BAD_REVISION', `${JSON.stringify(text)} is not a revision`, { hint: 'a revision is a number from `bfly pipeline history`, e.g. 3 (or r3, @latest)' });
  return Number(m[1]);
}

/** Every object hash any experiment's history names (gc keeps them), as hex. */
export function historyObjects(root: string): Set<string> {
  const out = new Set<string>();
  for (const e of entries(workspacePaths(root).experiments)) {
    if (e.kind !== 'dir') continue;
    // archived experiments (`experiment rm --archive`) keep their history too
    const names = e.name === '.archive' ? entries(e.path).filter((a) => a.kind === 'dir').map((a) => `.archive/${a.name}`) : [e.name];
    for (const name of names) for (const r of listDraftRevisions(root, name)) out.add(r.hash.slice('sha256:'.length));
  }
  return out;
}

/** One side of a {@link DraftDiff}. */
export interface DraftSide {
  label: string;
  /** The revision, when the side is one (null: the draft on disk, or a run's frozen pipeline). */
  rev: number | null;
  text: string;
}

/** What `bfly pipeline diff` compares. */
export interface DraftDiff {
  from: DraftSide;
  to: DraftSide;
  /** A unified diff, empty when the texts are the same. */
  diff: string;
}
