/**
 * Run contracts: the manifest (`runs/<id>/run.json`, `bfly show --json`, `GET /api/v1/runs/{ref}`),
 * the summary the index keeps (`bfly runs --json`, `GET /api/v1/runs`), a dry run's plan,
 * artifacts and lineage. One source for the types, the OpenAPI document and docs/api.md; import
 * the types with `import type` from runtime code (reading a run's status must not load zod).
 */
import { z } from 'zod';
import { RUN_STATUSES } from '../events.js';

export const runStatus = z.enum(RUN_STATUSES).meta({ id: 'RunStatus', description: 'created → running → succeeded | failed | cancelled | timed_out; interrupted: its process died' });

export const runBinding = z.object({ target: z.string(), task: z.string(), metric: z.string() }).meta({ id: 'RunBinding', description: 'What the run predicts and how it is scored.' });
/** What a run predicts and how it is scored. */
export type RunBinding = z.infer<typeof runBinding>;

export const plannedBlock = z.object({
  id: z.string(),
  type: z.string(),
  key: z.string().describe('cache key: hash of the block type, config, hooks, seed, version, backend, binding and input slots'),
  configHash: z.string(),
  hookHashes: z.array(z.string()),
  inputs: z.record(z.string(), z.string()).describe('hash of each slot the block reads'),
});
/** A block of a run plan. */
export type PlannedBlock = z.infer<typeof plannedBlock>;

export const runBlock = plannedBlock
  .extend({
    status: z.enum(['pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted', 'skipped']),
    durationMs: z.number().nullable(),
    cached: z.boolean().describe('its outputs came from the block cache'),
  })
  .meta({ id: 'RunBlock', description: 'One block’s entry in run.json.' });
/** One block's entry in `run.json`. */
export type RunBlock = z.infer<typeof runBlock>;

export const runArtifact = z
  .object({
    name: z.string(),
    type: z.string(),
    path: z.string().describe('relative to the run folder'),
    hash: z.string(),
    bytes: z.number().int(),
    block: z.string().describe('the block that wrote it'),
  })
  .meta({ id: 'RunArtifact', description: 'An artifact in run.json.' });
/** An artifact in `run.json`. */
export type RunArtifact = z.infer<typeof runArtifact>;

export const runError = z
  .object({ category: z.string(), code: z.string(), block: z.string().nullable(), hook: z.string().nullable(), message: z.string(), hint: z.string().nullable() })
  .meta({ id: 'RunError', description: 'Why a run failed: the error category, where, and what to do.' });
/** Why a run failed: the error category, where, and what to do. */
export type RunError = z.infer<typeof runError>;
export const COLUMN_USES = ['target', 'numeric', 'category', 'text', 'date', 'dropped'] as const;

export const columnRole = z
  .object({
    name: z.string(),
    type: z.string().describe("the dataset's column type"),
    use: z.enum(COLUMN_USES).describe('how the run uses the column'),
    reason: z.string().describe('why, in words, e.g. "identifier-like: a different value in each of 3,201 rows"'),
  })
  .meta({ id: 'ColumnRole', description: 'How a run uses one column of its dataset, and why.' });
/** How a run uses one column of its dataset. */
export type ColumnRole = z.infer<typeof columnRole>;

export const runData = z
  .object({
    rows: z.number().int().describe("the dataset's rows"),
    trainRows: z.number().int().nullable().describe('rows in the training split (null until the split ran)'),
    testRows: z.number().int().nullable().describe('rows in the test split (null until the split ran)'),
    droppedRows: z.object({ missingTarget: z.number().int().describe('rows without a target value, left out') }),
    columns: z.array(columnRole),
  })
  .meta({ id: 'RunData', description: 'What data a run used: every column with its role and reason, and the row counts.' });
/** What data a run used. */
export type RunData = z.infer<typeof runData>;

export const trainedModel = z
  .object({
    candidate: z.string().nullable().describe("the winning candidate's id (`id:` in the pipeline, else `<model>-<n>`); null when the model was not a candidate (named in train, or chosen by a hook)"),
    label: z.string().describe('the model and the params that set it apart from its siblings, e.g. `knn (n_neighbors=15)`'),
    model: z.string(),
    params: z.record(z.string(), z.unknown()).describe('every hyper-parameter, defaults filled in'),
    cv: z.object({ metric: z.string(), mean: z.number().nullable(), std: z.number().nullable() }).nullable().describe('its cross-validated score; null when it was not cross-validated'),
  })
  .meta({ id: 'TrainedModel', description: 'The model a run trained: the winner of model selection, or the model its train block names.' });
/** The model a run trained. */
export type TrainedModel = z.infer<typeof trainedModel>;

export const runManifest = z
  .object({
    schemaVersion: z.number().int().optional().describe('the run.json schema version; absent in runs of format 1'),
    id: z.string(),
    experiment: z.string(),
    status: runStatus,
    reused: z.boolean().describe('true when an earlier succeeded run with the same execution key was returned'),
    seed: z.number().int(),
    batch: z.string().nullable().optional().describe('the batch (`bfly run --grid/--seeds`) this run belongs to'),
    draftRevision: z.number().int().nullable().optional().describe('the revision of the experiment’s draft the run snapshotted'),
    dataset: z.object({ id: z.string(), name: z.string(), hash: z.string() }),
    binding: runBinding,
    selection: trainedModel.nullable().optional().describe('the model the run trained and why (absent in runs made before bfly recorded it; null until known)'),
    data: runData.optional().describe('every column with its role, and the row counts (absent in runs made before bfly recorded them)'),
    pipelineHash: z.string(),
    hooks: z.array(z.object({ id: z.string(), block: z.string(), type: z.string(), hash: z.string(), origin: z.string() })),
    executionKey: z.string(),
    env: z.object({ bfly: z.string(), node: z.string(), platform: z.string(), backend: z.string(), host: z.string().optional().describe('the host that ran it (`BFLY_HOST`, else the hostname); absent in runs made before bfly recorded it'), worker: z.string().optional().describe('the queue worker (`bfly worker --name`) that ran it; absent when none did'), sandbox: z.string().nullable().optional().describe('the hook sandbox (`isolated-vm@6.2.0`) of a run with hooks; null when none was installed'), frameworks: z.object({ interpreter: z.string().describe('the Python interpreter the adapter ran'), versions: z.record(z.string(), z.string()).describe('python, numpy, sklearn, xgboost versions (part of the execution key through `backend`)') }).optional().describe('a run with framework adapter models (sklearn:…, xgboost:…)') }),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    blocks: z.array(runBlock),
    metrics: z.record(z.string(), z.number()),
    artifacts: z.array(runArtifact),
    error: runError.nullable(),
    files: z.array(z.object({ path: z.string(), hash: z.string(), bytes: z.number().int() })).optional().describe('every file of the frozen folder but run.json, with its sha256 (set when the run ends)'),
  })
  .meta({ id: 'RunManifest', description: '`runs/<id>/run.json`, and `bfly run --json`’s result.' });
/** `runs/<id>/run.json` (and `bfly run --json`'s result). */
export type RunManifest = z.infer<typeof runManifest>;

export const runShow = runManifest.extend({ dir: z.string().describe('the run folder') }).meta({ id: 'RunShow', description: 'A run’s manifest and its folder: `bfly show --json`.' });
/** `bfly show --json`. */
export type RunShow = z.infer<typeof runShow>;

export const runSummary = z
  .object({
    schemaVersion: z.number().int(),
    id: z.string(),
    experiment: z.string(),
    status: runStatus,
    reused: z.boolean(),
    seed: z.number().int(),
    batch: z.string().nullable().describe('the batch that created the run, or null'),
    batches: z.array(z.string()).describe('every batch the run belongs to: the one that created it and later ones that reused it'),
    host: z.string().nullable().optional().describe('the host that ran it (`env.host`); null when not recorded'),
    worker: z.string().nullable().optional().describe('the queue worker that ran it (`env.worker`); null when none'),
    dataset: z.object({ id: z.string(), name: z.string(), hash: z.string() }),
    binding: runBinding,
    pipelineHash: z.string(),
    executionKey: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    metrics: z.record(z.string(), z.number()),
    params: z.record(z.string(), z.unknown()).describe('each block’s config by block id (`params.train.model`), plus `params.seed`'),
    hooks: z.array(z.string()),
    model: z.boolean().describe('true when the run wrote a model'),
    selection: z.object({ candidate: z.string().nullable(), label: z.string(), model: z.string() }).nullable().optional().describe('the model the run trained (see TrainedModel); absent for runs indexed before bfly recorded it'),
    error: z.object({ category: z.string(), code: z.string(), block: z.string().nullable(), message: z.string() }).nullable(),
  })
  .meta({ id: 'RunSummary', description: 'One run as listed, filtered and sorted by `bfly runs`.' });
/** One run as listed, filtered and sorted by `bfly runs`. */
export type RunSummary = z.infer<typeof runSummary>;

export const runPage = z
  .object({
    runs: z.array(runSummary),
    total: z.number().int().describe('runs matching the query'),
    nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last'),
  })
  .meta({ id: 'RunPage', description: 'A page of runs, newest first unless sorted.' });
/** A page of runs. */
export type RunPage = z.infer<typeof runPage>;

export const planStep = z.object({
  id: z.string(),
  type: z.string(),
  key: z.string(),
  action: z.enum(['run', 'cached']).describe('cached: outputs come from the block cache; run: it executes'),
  reason: z.string().describe('why it runs: which hash changed compared with the experiment’s latest run, or why not cached'),
});
/** One block of a dry-run plan. */
export type PlanStep = z.infer<typeof planStep>;

export const runPreview = z
  .object({
    experiment: z.string(),
    executionKey: z.string(),
    seed: z.number().int(),
    backend: z.string(),
    upToDate: z.string().nullable().describe('a succeeded run with the same key: a real run would return it (unless forced)'),
    comparedWith: z.string().nullable().describe('the run the reasons compare with'),
    steps: z.array(planStep),
  })
  .meta({ id: 'RunPreview', description: 'What a run would do, without doing it: `bfly run --dry-run --json`.' });
/** What `bfly run --dry-run` prints. */
export type RunPreview = z.infer<typeof runPreview>;

export const artifactRow = runArtifact.extend({ file: z.string().describe('the artifact’s file on this machine') }).meta({ id: 'ArtifactRow', description: 'An artifact of a run: `bfly artifacts --json`.' });
/** `bfly artifacts --json` (one row). */
export type ArtifactRow = z.infer<typeof artifactRow>;

export const lineage = z
  .object({
    run: z.string(),
    artifact: z.string().nullable().describe('the artifact asked about, when the lineage was asked from an artifact hash'),
    dataset: z.object({ id: z.string(), name: z.string(), hash: z.string() }),
    pipelineHash: z.string(),
    hooks: runManifest.shape.hooks,
    blocks: z.array(z.object({ id: z.string(), type: z.string(), key: z.string(), cached: z.boolean(), status: runBlock.shape.status })),
    artifacts: z.array(runArtifact),
    executionKey: z.string(),
  })
  .meta({ id: 'Lineage', description: 'Where a run (or an artifact) came from: dataset, pipeline, hooks, blocks with their keys.' });
/** `bfly lineage --json`. */
export type Lineage = z.infer<typeof lineage>;
