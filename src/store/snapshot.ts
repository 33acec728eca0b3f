import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { sandboxVersion } from './sandbox-package.js';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { canonicalJson, hashJson, sha256Hex } from '../core/hash.js';
import type { Pipeline } from '../core/pipeline.js';
import { type PlannedBlock, type RunBinding, type RunManifest, executionKey, planBlocks } from '../core/run.js';
import { RUN_SCHEMA_VERSION } from '../core/run-manifest.js';
import { runData } from '../core/column-roles.js';
import { appendAudit } from './audit.js';
import { BFLY_VERSION } from '../core/version.js';
import { tempName, writeJsonAtomic } from './atomic.js';
import { isBflyError } from '../core/errors.js';
import { recordReusableRun, runKeyPath } from './run-keys.js';
import { verifyRunSeal } from './run-state.js';
import { assertRealDir, writeNewFile } from './safe-fs.js';
import { readHookFile } from './hook-file.js';
import { getDataset } from './datasets.js';
import { applyAssignments, getExperiment, pipelinePath } from './experiments.js';
import { currentHost } from './host.js';
import { workspacePaths } from './layout.js';
import { freshRunId, listRunIds } from './runs.js';
import { type HeldLock, acquireLock } from './lock.js';

/** Options of {@link planRun} and {@link snapshotRun}. */
export interface RunPlanOptions {
  /** Overrides the pipeline's seed. */
  seed?: number;
  /** `<path>=<value>` changes applied to the draft for this run only. */
  sets?: string[];
  /**
   * The compute backend the run will use (part of the execution key), or how to tell it from the
   * pipeline (with the frameworks of adapter models, recorded in run.json `env`).
   */
  backend: string | ((pipeline: Pipeline, root: string) => string | { backend: string; frameworks: RunFrameworks | null });
}

/** The Python side of a run with adapter models. */
export interface RunFrameworks {
  interpreter: string;
  versions: Record<string, string>;
}

/** A hook as frozen in a run. */
export interface SnapshotHook {
  /** `<block>.<kind>.<n>`, n counting that block's hooks of that kind. */
  id: string;
  block: string;
  type: 'before' | 'after' | 'override';
  hash: string;
  source: string;
  /** The source's exact bytes (what `hash` is the sha256 of, and what the run folder keeps). */
  bytes: Buffer;
  /** Where the source came from: a workspace file, or inline. */
  origin: string;
}

/** Everything that identifies a run, computed before anything is written. */
export interface RunPlan {
  experiment: string;
  pipeline: Pipeline;
  pipelineHash: string;
  hooks: SnapshotHook[];
  seed: number;
  dataset: { id: string; name: string; hash: string };
  binding: RunBinding;
  backend: string;
  /** The Python interpreter and framework versions of adapter models, when the pipeline has any. */
  frameworks?: RunFrameworks | null;
  executionKey: string;
  /** Every block with its cache key. */
  blocks: PlannedBlock[];
  /** The batch the run belongs to (recorded in run.json; not part of the execution key). */
  batch?: string | null;
  /** The draft revision the run starts from (recorded in run.json; not part of the key). */
  draftRevision?: number | null;
}

/**
 * Resolves what a run of `experiment` would execute: the draft with `sets` and `seed` applied
 * (in memory; the draft file is not touched), validated, with every hook's source read and
 * hashed, and the execution key. Writes nothing.
 */
export function planRun(root: string, experiment: string, o: RunPlanOptions): RunPlan {
  const exp = getExperiment(root, experiment);
  const text = readFileSync(pipelinePath(root, experiment), 'utf8');
  const { pipeline: resolved } = applyAssignments(root, experiment, text, o.sets ?? []);
  const pipeline: Pipeline = { ...resolved, seed: o.seed ?? resolved.seed };
  const dataset = getDataset(root, exp.dataset.id);
  const hooks: SnapshotHook[] = [];
  for (const block of pipeline.blocks) {
    const counts: Record<string, number> = {};
    for (const h of block.hooks) {
      const n = (counts[h.kind] = (counts[h.kind] ?? -1) + 1);
      // read once: these exact bytes are hashed, frozen into the run and run
      const read = h.file !== undefined ? readHookFile(root, h.file) : { bytes: Buffer.from(h.code!, 'utf8'), source: h.code! };
      hooks.push({ id: `${block.id}.${h.kind}.${n}`, block: block.id, type: h.kind, hash: `sha256:${sha256Hex(read.bytes)}`, source: read.source, bytes: read.bytes, origin: h.file ?? 'inline' });
    }
  }
  const pipelineHash = `sha256:${hashJson(pipeline)}`;
  const binding: RunBinding = { target: exp.target, task: exp.task, metric: exp.metric };
  const chosen = typeof o.backend === 'function' ? o.backend(pipeline, root) : o.backend;
  const backend = typeof chosen === 'string' ? chosen : chosen.backend;
  const frameworks = typeof chosen === 'string' ? null : chosen.frameworks;
  return {
    frameworks,
    experiment,
    pipeline,
    pipelineHash,
    hooks,
    seed: pipeline.seed,
    dataset: { id: dataset.id, name: dataset.name, hash: dataset.hash },
    binding,
    backend,
    blocks: planBlocks(pipeline, { datasetHash: dataset.hash, hooks: hookHashesByBlock(hooks), bflyVersion: BFLY_VERSION, backend, binding }),
    executionKey: executionKey({ datasetHash: dataset.hash, pipelineHash, hookHashes: hooks.map((h) => h.hash), seed: pipeline.seed, bflyVersion: BFLY_VERSION, backend, binding }),
  };
}

function hookHashesByBlock(hooks: SnapshotHook[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const h of hooks) (out[h.block] ??= []).push(h.hash);
  return out;
}

function succeededWithKey(root: string, id: string, key: string, experiment: string | undefined): boolean {
  try {
    const run = JSON.parse(readFileSync(join(workspacePaths(root).runs, id, 'run.json'), 'utf8')) as { executionKey?: string; status?: string; experiment?: string };
    // only a sealed, intact run is returned in place of running
    return run.executionKey === key && run.status === 'succeeded' && (experiment === undefined || run.experiment === experiment) && verifyRunSeal(root, id) === 'sealed';
  } catch {
    return false; // unreadable, or changed after it ended: not reusable
  }
}

/**
 * The newest succeeded run of `experiment` with this execution key, or null. Looked up in
 * `cache/run-keys/` (and checked against the run's own run.json); when that index is missing
 * altogether (a cleared cache), the runs are scanned and the index rebuilt for the answer.
 */
export function findReusableRun(root: string, key: string, experiment?: string): string | null {
  if (experiment !== undefined) {
    try {
      const hit = JSON.parse(readFileSync(runKeyPath(root, key, experiment), 'utf8')) as { id?: string };
      if (typeof hit.id === 'string' && succeededWithKey(root, hit.id, key, experiment)) return hit.id;
    } catch {
      /* not indexed */
    }
    if (existsSync(join(workspacePaths(root).cache, 'run-keys'))) return null;
  }
  const ids = listRunIds(root);
  for (let i = ids.length - 1; i >= 0; i--) {
    if (succeededWithKey(root, ids[i], key, experiment)) {
      if (experiment !== undefined) recordReusableRun(root, { id: ids[i], experiment, executionKey: key });
      return ids[i];
    }
  }
  return null;
}

/** A snapshotted run: its folder, its initial manifest, and the run lock it holds. */
export interface CreatedRun {
  id: string;
  dir: string;
  manifest: RunManifest;
  /** `locks/run-<id>.lock`: held while the run is alive; a dead holder marks it interrupted. */
  lock: HeldLock;
}

/**
 * Freezes a plan into a new run folder before any block runs. The folder is built in `tmp/` and
 * renamed into `runs/` whole, so a run folder never lacks its run.json, whatever the crash
 * point: `pipeline.yaml` (the resolved pipeline), `pipeline.json` (its canonical JSON, whose
 * sha256 is the run's pipelineHash), `hooks/<id>.js` (each hook's exact source) and `run.json`
 * (status `created`, hashes, execution key, environment). The run's lock, taken first, reserves
 * its id.
 */
export function snapshotRun(root: string, plan: RunPlan, now = new Date()): CreatedRun {
  const p = workspacePaths(root);
  if (!assertRealDir(p.runs, root)) mkdirSync(p.runs, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const id = freshRunId(now);
    const dir = join(p.runs, id);
    let lock: HeldLock;
    try {
      lock = acquireLock(root, `run-${id}`, { purpose: `running ${plan.experiment} (run ${id})`, long: true });
    } catch (err) {
      if (attempt < 20 && isBflyError(err) && err.code === 'LOCKED') continue; // another process took this id
      throw err;
    }
    if (existsSync(dir)) {
      lock.release();
      continue;
    }
    const staging = join(p.tmp, tempName(`run-${id}`));
    try {
      mkdirSync(staging);
      writeNewFile(join(staging, 'pipeline.yaml'), `# frozen snapshot of experiment ${plan.experiment}'s pipeline for run ${id}\n${stringify(plan.pipeline, { lineWidth: 0 })}`);
      // The exact bytes behind pipelineHash (canonical JSON): fsck checks it, tools read it fast.
      writeNewFile(join(staging, 'pipeline.json'), canonicalJson(plan.pipeline));
      if (plan.hooks.length > 0) {
        mkdirSync(join(staging, 'hooks'));
        for (const h of plan.hooks) writeNewFile(join(staging, 'hooks', `${h.id}.js`), h.bytes);
      }
      const dataset = getDataset(root, plan.dataset.id);
      const manifest: RunManifest = {
        schemaVersion: RUN_SCHEMA_VERSION,
        id,
        experiment: plan.experiment,
        status: 'created',
        reused: false,
        seed: plan.seed,
        batch: plan.batch ?? null,
        draftRevision: plan.draftRevision ?? null,
        dataset: plan.dataset,
        binding: plan.binding,
        data: runData(dataset.columns, dataset.rows, plan.binding.target, plan.pipeline),
        pipelineHash: plan.pipelineHash,
        hooks: plan.hooks.map((h) => ({ id: h.id, block: h.block, type: h.type, hash: h.hash, origin: h.origin })),
        executionKey: plan.executionKey,
        env: { bfly: BFLY_VERSION, node: process.version, platform: `${process.platform}-${process.arch}`, backend: plan.backend, host: currentHost(), ...(process.env.BFLY_WORKER_NAME ? { worker: process.env.BFLY_WORKER_NAME } : {}), ...(plan.hooks.length > 0 ? { sandbox: sandboxVersion() } : {}), ...(plan.frameworks ? { frameworks: plan.frameworks } : {}) },
        createdAt: now.toISOString(),
        startedAt: null,
        endedAt: null,
        durationMs: null,
        blocks: plan.blocks.map((b) => ({ ...b, status: 'pending', durationMs: null, cached: false })),
        metrics: {},
        artifacts: [],
        error: null,
      };
      writeJsonAtomic(join(staging, 'run.json'), manifest, { tmpDir: p.tmp });
      try {
        renameSync(staging, dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code === 'ENOTEMPTY' || code === 'EEXIST') && attempt < 20) {
          rmSync(staging, { recursive: true, force: true });
          lock.release();
          continue;
        }
        throw err;
      }
      appendAudit(root, { action: 'run.start', target: { run: id, experiment: plan.experiment, executionKey: plan.executionKey, draftRevision: plan.draftRevision ?? null, batch: plan.batch ?? null, seed: plan.seed } });
      return { id, dir, manifest, lock };
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      lock.release();
      throw err;
    }
  }
}
