import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { RunArtifact, RunManifest } from '../core/run.js';
import { type VerifiedRun, readFrozenPipeline, readRunFile, readRunManifest, readVerifiedRun } from './run-state.js';
import { checkOutputPath, realTarget } from './output-path.js';
import { writeNewFile } from './safe-fs.js';
import { listRunIds, resolveRunRef } from './runs.js';
import type { Pipeline } from '../core/pipeline.js';
import type { DatasetManifest } from '../core/dataset.js';
import { getDataset } from './datasets.js';
import { compareReport, unifiedDiff } from '../core/compare.js';
import { lineageView } from '../core/views.js';
import type { ArtifactRow, Lineage } from '../core/contracts/run.js';
import type { CompareRow, CompareView } from '../core/contracts/compare.js';

/**
 * A run (by any reference) with its folder, read for use: run.json is checked against its seal
 * (a changed run is an IntegrityError, exit 10).
 */
export function runWithDir(root: string, ref: string): { run: RunManifest; dir: string; sealed: boolean } {
  const v = readVerifiedRun(root, resolveRunRef(root, ref));
  return { run: v.manifest, dir: v.dir, sealed: v.sealed };
}

/** One artifact of a run by name (with the closest names when unknown). */
export function findArtifact(run: RunManifest, name: string): RunArtifact {
  const a = run.artifacts.find((x) => x.name === name);
  if (a === undefined) {
    const names = run.artifacts.map((x) => x.name);
    throw new NotFoundError('ARTIFACT_NOT_FOUND', `run ${run.id} has no artifact ${JSON.stringify(name)}`, { hint: names.length ? `artifacts: ${names.join(', ')}` : 'this run wrote no artifacts', data: { run: run.id, name } });
  }
  return a;
}

/**
 * Copies a run's artifacts, its `run.json`, `pipeline.yaml` and hooks into `dest` (created;
 * must be empty or absent, and outside `.butterfly/`), verifying the run's seal and every file
 * against its recorded sha256 before it is written. A mismatch stops with an IntegrityError
 * naming the file. `extra` files (e.g. `model.onnx`, made from the run beforehand) are written
 * beside them.
 */
export function exportRun(root: string, ref: string, dest: string, extra: ReadonlyArray<{ path: string; data: Uint8Array }> = []): { run: string; files: string[] } {
  const v = readVerifiedRun(root, resolveRunRef(root, ref));
  const target = realTarget(dest);
  if (target.danglingLink !== null) {
    throw new ValidationError('EXPORT_DANGLING_LINK', `${dest} is a symbolic link to ${target.path}, which does not exist`, { hint: 'create that folder first, or export into another path' });
  }
  const real = checkOutputPath(dest, { root, what: 'the export folder' });
  if (target.exists && (!statSync(real).isDirectory() || readdirSync(real).length > 0)) throw new ValidationError('EXPORT_NOT_EMPTY', `${dest} exists and is not empty`, { hint: 'export into a new or empty folder' });
  const files = (v.manifest.files ?? []).filter((f) => f.path.startsWith('artifacts/') || f.path === 'pipeline.yaml' || f.path.startsWith('hooks/'));
  const data = files.map((f) => readRunFile(v, f.path));
  const manifest = readFileSync(join(v.dir, 'run.json'));
  mkdirSync(real, { recursive: true });
  files.forEach((f, i) => {
    mkdirSync(join(real, f.path, '..'), { recursive: true });
    writeNewFile(join(real, f.path), data[i]);
  });
  writeNewFile(join(real, 'run.json'), manifest);
  for (const e of extra) writeNewFile(join(real, e.path), e.data);
  return { run: v.manifest.id, files: [...files.map((f) => f.path), 'run.json', ...extra.map((e) => e.path)] };
}

/** Filters of {@link listRuns}. */
export interface RunFilter {
  experiment?: string;
  status?: string;
  limit?: number;
}

/** Run manifests, newest first, filtered (a folder without a readable run.json is skipped). */
export function listRuns(root: string, f: RunFilter = {}): RunManifest[] {
  const ids = listRunIds(root);
  const out: RunManifest[] = [];
  for (let i = ids.length - 1; i >= 0 && out.length < (f.limit ?? Infinity); i--) {
    let m: RunManifest;
    try {
      m = readRunManifest(root, ids[i]);
    } catch {
      continue;
    }
    if ((f.experiment === undefined || m.experiment === f.experiment) && (f.status === undefined || m.status === f.status)) out.push(m);
  }
  return out;
}

/** A run's frozen pipeline (its `pipeline.json`, or `pipeline.yaml` for older runs), verified against the run's hashes. */
export function readRunPipeline(root: string, ref: string): { run: RunManifest; pipeline: Pipeline } {
  const v = readVerifiedRun(root, resolveRunRef(root, ref));
  return { run: v.manifest, pipeline: verifiedPipeline(v) };
}

function verifiedPipeline(v: VerifiedRun): Pipeline {
  if (!v.sealed) return readFrozenPipeline(v.dir) as Pipeline; // a live run: nothing sealed to check yet
  if ((v.manifest.files ?? []).some((f) => f.path === 'pipeline.json')) return JSON.parse(readRunFile(v, 'pipeline.json').toString('utf8')) as Pipeline;
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return parse(readRunFile(v, 'pipeline.yaml').toString('utf8')) as Pipeline;
}

/** The newest run with an artifact whose sha256 starts with `hexPrefix`, and that artifact; or null. */
export function findRunByArtifact(root: string, hexPrefix: string): { run: RunManifest; artifact: RunArtifact } | null {
  const hex = hexPrefix.replace(/^sha256:/, '');
  for (const run of listRuns(root)) {
    const artifact = run.artifacts.find((a) => a.hash.slice('sha256:'.length).startsWith(hex));
    if (artifact !== undefined) return { run: readVerifiedRun(root, run.id).manifest, artifact };
  }
  return null;
}

/** A run as `compare` needs it. */
export interface ComparedRun {
  manifest: RunManifest;
  pipeline: Pipeline;
  dataset: DatasetManifest | null;
  dir: string;
  /** The frozen source of hook `id` ('' when the run did not have it), verified. */
  hookSource(id: string): string;
}

/** Runs as `compare` needs them: manifest, frozen pipeline, dataset manifest (null if gone), folder; each verified. */
export function loadComparedRuns(root: string, refs: readonly string[]): ComparedRun[] {
  return refs.map((ref) => {
    const v = readVerifiedRun(root, resolveRunRef(root, ref));
    let dataset: DatasetManifest | null = null;
    try {
      dataset = getDataset(root, v.manifest.dataset.id);
    } catch {
      /* a dataset manifest that is gone only hides the schema comparison */
    }
    const hookSource = (id: string): string => {
      const path = `hooks/${id}.js`;
      if (!v.sealed) return '';
      return (v.manifest.files ?? []).some((f) => f.path === path) ? readRunFile(v, path).toString('utf8') : '';
    };
    return { manifest: v.manifest, pipeline: verifiedPipeline(v), dataset, dir: v.dir, hookSource };
  });
}

/** A run's artifacts with their files on this machine (`bfly artifacts --json`). */
export function listRunArtifacts(root: string, ref: string): { run: RunManifest; rows: ArtifactRow[] } {
  const { run, dir } = runWithDir(root, ref);
  return { run, rows: run.artifacts.map((a) => ({ ...a, file: `${dir}/${a.path}` })) };
}

/**
 * Where a run came from, by run reference or by the hash (or hash prefix, 8+ hex) of one of its
 * artifacts (`bfly lineage --json`).
 */
export function runLineage(root: string, ref: string): { run: RunManifest; lineage: Lineage } {
  // Hex could be an artifact hash (prefix) or a run id prefix: artifacts are tried first.
  const hit = /^(sha256:)?[0-9a-f]{8,64}$/.test(ref) ? findRunByArtifact(root, ref) : null;
  if (hit === null && ref.startsWith('sha256:')) throw new NotFoundError('ARTIFACT_NOT_FOUND', `no run has an artifact with hash ${ref}`, { hint: 'give a run (id, prefix, @latest) or an artifact hash from `bfly artifacts <run>`' });
  const run = hit?.run ?? runWithDir(root, ref).run;
  return { run, lineage: lineageView(run, hit?.artifact.name ?? null) };
}

/** Options of {@link compareRunsView}. */
export interface CompareOptions {
  /** Every row, not only those that differ. */
  all?: boolean;
  /** Unified diffs of the hooks' sources. */
  hooks?: boolean;
  /** Add the runs of this batch. */
  batch?: string;
}

/**
 * How runs differ (`bfly compare --json`): by default only the rows that differ, the seed groups
 * and the noise verdicts; with `hooks`, the hooks' source diffs. Also returns what the human
 * rendering needs.
 */
export async function compareRunsView(root: string, refs: readonly string[], o: CompareOptions = {}): Promise<{ view: CompareView; runs: ComparedRun[]; rows: CompareRow[] }> {
  let all = [...refs];
  if (o.batch !== undefined) {
    const { listRunSummaries } = await import('./run-index.js');
    const listing = await listRunSummaries(root);
    // `@latest`: the newest batch (ids sort by creation time)
    const batch = o.batch === '@latest' ? listing.ids.flatMap((id) => listing.summary(id).batches).sort().at(-1) ?? '@latest' : o.batch;
    const members = listing.ids.filter((id) => listing.summary(id).batches.includes(batch));
    if (members.length === 0) throw new NotFoundError('BATCH_NOT_FOUND', `no runs of batch ${JSON.stringify(o.batch)}`, { hint: "list batches with bfly runs --columns id,batch --where 'batch'" });
    // In the batch's own order (grid point, then seed), not in the order its workers happened to start them.
    const { readBatchRecords } = await import('./batches.js');
    const record = readBatchRecords(root).records.find((r) => r.id === batch);
    if (record !== undefined) {
      const position = new Map(record.runs.flatMap((r) => (r.runId === null ? [] : [[r.runId, r.index] as const])));
      members.sort((a, b) => (position.get(a) ?? Infinity) - (position.get(b) ?? Infinity) || (a < b ? -1 : 1));
    }
    all = [...all, ...members];
  }
  if (all.length < 2) throw new ValidationError('COMPARE_ONE', 'compare needs at least two runs', { hint: 'e.g. bfly compare penguins@latest 20261122-0528, or --batch <id>' });
  if (all.length > MAX_COMPARED) throw new ValidationError('COMPARE_TOO_MANY', `compare takes at most ${MAX_COMPARED} runs, not ${all.length}`, { hint: 'narrow the selection, e.g. with `bfly runs --where …`' });
  const runs = loadComparedRuns(root, all);
  const report = compareReport(runs);
  const ids = report.runs;
  const hookDiffs: Array<{ hook: string; diff: string }> = [];
  if (o.hooks) {
    const hookIds = [...new Set(runs.flatMap((r) => r.manifest.hooks.map((h) => h.id)))];
    for (const id of hookIds) {
      for (let i = 1; i < runs.length; i++) {
        const diff = unifiedDiff(runs[0].hookSource(id), runs[i].hookSource(id), `${ids[0]}/hooks/${id}.js`, `${ids[i]}/hooks/${id}.js`);
        if (diff !== '') hookDiffs.push({ hook: id, diff });
      }
    }
  }
  const shown = o.all ? report.rows : report.rows.filter((r) => r.differs);
  return { view: { runs: ids, rows: shown, groups: report.groups, noise: report.noise, ...(o.hooks ? { hookDiffs } : {}) }, runs, rows: report.rows };
}

/** The most runs one compare reads (each is verified and its pipeline parsed). */
export const MAX_COMPARED = 5000;
