import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptObjectError, NotFoundError, ValidationError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import type { RunArtifact, RunManifest } from '../core/run.js';
import { workspacePaths } from './layout.js';
import { readFrozenPipeline, readRunManifest } from './run-state.js';
import { listRunIds, resolveRunRef } from './runs.js';
import type { Pipeline } from '../core/pipeline.js';
import type { DatasetManifest } from '../core/dataset.js';
import { getDataset } from './datasets.js';

/** A run (by any reference) with its folder. */
export function runWithDir(root: string, ref: string): { run: RunManifest; dir: string } {
  const id = resolveRunRef(root, ref);
  return { run: readRunManifest(root, id), dir: join(workspacePaths(root).runs, id) };
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
 * must be empty or absent), verifying every file against the run's recorded sha256 as it copies.
 * A mismatch stops with a CorruptObjectError naming the file.
 */
export function exportRun(root: string, ref: string, dest: string): { run: string; files: string[] } {
  const { run, dir } = runWithDir(root, ref);
  if (existsSync(dest) && (!statSync(dest).isDirectory() || readdirSync(dest).length > 0)) throw new ValidationError('EXPORT_NOT_EMPTY', `${dest} exists and is not empty`, { hint: 'export into a new or empty folder' });
  const files = (run.files ?? []).filter((f) => f.path.startsWith('artifacts/') || f.path === 'pipeline.yaml' || f.path.startsWith('hooks/'));
  for (const f of files) {
    const data = readFileSync(join(dir, f.path));
    const actual = `sha256:${sha256Hex(data)}`;
    if (actual !== f.hash) throw new CorruptObjectError(f.hash, actual, join(dir, f.path));
    mkdirSync(join(dest, f.path, '..'), { recursive: true });
    copyFileSync(join(dir, f.path), join(dest, f.path));
  }
  copyFileSync(join(dir, 'run.json'), join(dest, 'run.json'));
  return { run: run.id, files: [...files.map((f) => f.path), 'run.json'] };
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

/** A run's frozen pipeline (its `pipeline.yaml`, parsed). */
export function readRunPipeline(root: string, ref: string): { run: RunManifest; pipeline: Pipeline } {
  const { run, dir } = runWithDir(root, ref);
  return { run, pipeline: readFrozenPipeline(dir) as Pipeline };
}

/** The newest run with an artifact whose sha256 starts with `hexPrefix`, and that artifact; or null. */
export function findRunByArtifact(root: string, hexPrefix: string): { run: RunManifest; artifact: RunArtifact } | null {
  const hex = hexPrefix.replace(/^sha256:/, '');
  for (const run of listRuns(root)) {
    const artifact = run.artifacts.find((a) => a.hash.slice('sha256:'.length).startsWith(hex));
    if (artifact !== undefined) return { run, artifact };
  }
  return null;
}

/** Runs as `compare` needs them: manifest, frozen pipeline, dataset manifest (null if gone), folder. */
export function loadComparedRuns(root: string, refs: readonly string[]): Array<{ manifest: RunManifest; pipeline: Pipeline; dataset: DatasetManifest | null; dir: string }> {
  return refs.map((ref) => {
    const { run, pipeline } = readRunPipeline(root, ref);
    let dataset: DatasetManifest | null = null;
    try {
      dataset = getDataset(root, run.dataset.id);
    } catch {
      /* a dataset manifest that is gone only hides the schema comparison */
    }
    return { manifest: run, pipeline, dataset, dir: join(workspacePaths(root).runs, run.id) };
  });
}

/** The frozen source of hook `id` in a run folder ('' when the run did not have it). */
export function readRunHookSource(runDir: string, id: string): string {
  try {
    return readFileSync(join(runDir, 'hooks', `${id}.js`), 'utf8');
  } catch {
    return '';
  }
}
