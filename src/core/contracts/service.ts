/**
 * Contracts of the local service (`bfly serve`): health, jobs (asynchronous runs and batches)
 * and the events it streams. One source for the types, the OpenAPI document and docs/api.md.
 */
import { z } from 'zod';
import { PROFILES } from '../config.js';
import { runEvent } from '../events.js';
import { runError } from './run.js';

/** The version of the HTTP API (its paths are under `/api/v1`). */
export const API_VERSION = 'v1';

export const health = z
  .object({
    ok: z.literal(true),
    version: z.string().describe('the bfly version'),
    apiVersion: z.literal(API_VERSION),
    workspace: z.object({ id: z.string(), name: z.string(), profile: z.enum(PROFILES) }),
  })
  .meta({ id: 'Health', description: 'The service is up, over this workspace.' });
/** `GET /api/v1/health`. */
export type Health = z.infer<typeof health>;

export const JOB_STATUSES = ['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'] as const;
/** Statuses a job ends in. */
export const FINAL_JOB_STATUSES = ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'] as const;
export const jobStatus = z.enum(JOB_STATUSES).meta({ id: 'JobStatus', description: 'pending → queued → running → succeeded | failed | cancelled | timed_out; interrupted: the service (or the job’s worker) died while it ran' });
/** One of {@link JOB_STATUSES}. */
export type JobStatus = z.infer<typeof jobStatus>;

const setValue = z.string().max(4096).regex(/^[^=]+=/, 'a `<path>=<value>` change, as `bfly run --set`');

export const runRequest = z
  .strictObject({
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional().describe('overrides the pipeline’s seed (a single run)'),
    sets: z.array(setValue).max(100).optional().describe('`<path>=<value>` changes to the draft for this run only, as `bfly run --set`'),
    force: z.boolean().optional().describe('run even when a succeeded run has the same execution key'),
    noCache: z.boolean().optional().describe('execute every block; do not reuse (or store) block outputs'),
    grid: z.array(z.string().max(4096).regex(/^[^=]+=/, 'a `<path>=<v1>,<v2>` axis, as `bfly run --grid`')).max(20).optional().describe('a batch: every combination of these axes, as `bfly run --grid`'),
    seeds: z.union([z.string().max(200), z.array(z.number().int().min(0).max(2 ** 32 - 1)).max(1000)]).optional().describe('a batch over these seeds: `1-5`, `1,2,3` or a list'),
    timeout: z.string().max(40).optional().describe('a time limit for each run, e.g. `10m` (as `bfly run --timeout`)'),
  })
  .meta({ id: 'RunRequest', description: 'What to run: the body of `POST /api/v1/experiments/{name}/runs`.' });
/** The body of a run submission. */
export type RunRequest = z.infer<typeof runRequest>;

export const job = z
  .object({
    schemaVersion: z.number().int(),
    id: z.string(),
    kind: z.enum(['run', 'batch']),
    experiment: z.string(),
    request: runRequest,
    status: jobStatus,
    executionKey: z.string().nullable().describe('a run job: the execution key planned at submission (identical submissions in flight share the job)'),
    runIds: z.array(z.string()).describe('the runs it made or returned (a batch: one per combination, as they start)'),
    reused: z.boolean().describe('a run job: true when an earlier succeeded run was returned instead of executing'),
    batch: z.string().nullable().describe('a batch job: its batch id (`bfly runs --where \'batch == "<id>"\'`)'),
    counts: z.record(z.string(), z.number().int()).describe('a batch job: runs per outcome'),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    error: runError.nullable().describe('why it did not succeed'),
  })
  .meta({ id: 'Job', description: 'A submitted run or batch, executed asynchronously by the service.' });
/** A job of the service. */
export type Job = z.infer<typeof job>;

export const jobSubmitted = z
  .object({ schemaVersion: z.number().int(), job, deduplicated: z.boolean().describe('true when an identical job (same execution key) was already queued or running: this is that job') })
  .meta({ id: 'JobSubmitted', description: 'The answer to a run submission (202).' });
/** The answer to a run submission. */
export type JobSubmitted = z.infer<typeof jobSubmitted>;

export const workspaceChange = z
  .object({
    seq: z.number().int().describe('the audit log entry this change is'),
    at: z.string(),
    user: z.string(),
    command: z.string(),
    action: z.string().describe('dataset.import, experiment.create, pipeline.set, run.start, run.end, gc, …'),
    target: z.record(z.string(), z.unknown()),
    outcome: z.string(),
  })
  .meta({ id: 'WorkspaceChange', description: 'A change to the workspace, by the service or by any other bfly process (from the audit log).' });

/** Everything `GET /api/v1/events` streams; each is one SSE event named by its `type`. */
export const serviceEvent = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('job_changed'), job }),
    z.object({ type: z.literal('run_event'), runId: z.string(), event: runEvent }),
    z.object({ type: z.literal('workspace_changed'), change: workspaceChange }),
    z.object({ type: z.literal('reset'), reason: z.string().describe('events since the given Last-Event-ID are no longer kept: refetch what you show') }),
  ])
  .meta({ id: 'ServiceEvent', description: 'One event of `GET /api/v1/events`.' });
/** One event of the service's stream. */
export type ServiceEvent = z.infer<typeof serviceEvent>;

// Request bodies of the API (strict: an unknown key is a 400 naming it).

export const createExperimentRequest = z
  .strictObject({
    name: z.string().max(400),
    dataset: z.string().max(400).describe('NAME, NAME@V, id or hash prefix'),
    target: z.string().max(10_000),
    task: z.enum(['classification', 'regression', 'auto']).optional().describe('default: auto (decided from the target column)'),
    metric: z.string().max(100).optional(),
    template: z.string().max(100).optional().describe('a template name (`classification`, `regression`, …); default: by task'),
  })
  .meta({ id: 'CreateExperimentRequest', description: 'The body of `POST /api/v1/experiments` (the options of `bfly experiment create`).' });

export const pipelineText = z
  .strictObject({
    yaml: z.string().max(1024 * 1024).describe('the whole draft pipeline, as YAML text'),
    baseRevision: z.number().int().nullable().optional().describe('PUT only: the revision this text was edited from; another save since then is a 409 (nothing is lost)'),
  })
  .meta({ id: 'PipelineText', description: 'A draft pipeline text: the body of `PUT …/pipeline` and (optional) `POST …/pipeline/validate`.' });

export const previewRequest = runRequest
  .pick({ seed: true, sets: true, force: true, noCache: true })
  .meta({ id: 'PreviewRequest', description: 'The body of `POST …/pipeline/preview`: what `bfly run --dry-run` takes.' });

export const hookAddRequest = z
  .strictObject({
    type: z.string().max(100).describe('`<before|after|override>_<stage>`'),
    file: z.string().max(4096).optional().describe('a hook file, relative to the workspace root'),
    code: z.string().max(256 * 1024).optional().describe('inline JavaScript'),
  })
  .meta({ id: 'HookAddRequest', description: 'The body of `POST /api/v1/experiments/{name}/hooks` (exactly one of file or code).' });

export const hookTrustRequest = z
  .strictObject({ file: z.string().max(4096).describe('untrust also takes a `sha256:` hash') })
  .meta({ id: 'HookTrustRequest', description: 'The body of `POST /api/v1/hooks/trust` and `…/untrust`.' });

export const fsckRequest = z.strictObject({ repair: z.boolean().optional() }).meta({ id: 'FsckRequest', description: 'The body of `POST /api/v1/fsck`.' });

export const gcRequest = z
  .strictObject({ apply: z.boolean().optional().describe('delete for real (default: a dry run that only reports)'), keepFailedDays: z.number().int().min(0).max(100_000).optional() })
  .meta({ id: 'GcRequest', description: 'The body of `POST /api/v1/gc`.' });

export const hookRemoved = z.object({ experiment: z.string(), removed: z.string() }).meta({ id: 'HookRemoved', description: 'A hook removed from a draft: `bfly hook rm --json`.' });
