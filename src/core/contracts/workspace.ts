/**
 * Workspace contracts: status, fsck, gc, hooks, the block catalog, the service's health and its
 * error body. One source for the types, the OpenAPI document and docs/api.md.
 */
import { z } from 'zod';
import { ERROR_CATEGORIES } from '../errors.js';
import { PROFILES } from '../config.js';

export const experimentStatus = z.object({
  name: z.string(),
  latest: z.string().nullable().describe('its newest run'),
  latestStatus: z.string().nullable(),
  upToDate: z.string().nullable().describe('the succeeded run `bfly run` would return, if any'),
  wouldRun: z.array(z.object({ block: z.string(), reason: z.string() })).describe('blocks `bfly run` would execute (the report aside), and why'),
  problem: z.string().nullable().describe('why the draft cannot run, when it cannot'),
});
/** One experiment in the workspace status. */
export type ExperimentStatus = z.infer<typeof experimentStatus>;

export const workspaceStatus = z
  .object({
    workspace: z.string().describe('the workspace name'),
    root: z.string(),
    profile: z.enum(PROFILES),
    datasets: z.number().int(),
    runs: z.number().int(),
    experiments: z.array(experimentStatus),
  })
  .meta({ id: 'Status', description: 'The workspace, and per experiment what `bfly run` would do now: `bfly status --json`.' });
/** `bfly status --json`. */
export type WorkspaceStatus = z.infer<typeof workspaceStatus>;

export const fsckProblem = z
  .object({
    kind: z.enum([
      'corrupt_object',
      'stray_object',
      'missing_object',
      'bad_dataset',
      'dataset_changed',
      'audit_broken',
      'bad_run',
      'run_unsealed',
      'run_manifest_changed',
      'run_file_changed',
      'run_file_missing',
      'run_file_unexpected',
      'half_deleted_run',
      'symlink',
      'temp_leftover',
      'stale_lock',
      'index_drift',
      'cache_broken',
      'bad_batch_record',
      'bad_job_record',
    ]),
    path: z.string().describe('relative to the workspace root'),
    message: z.string(),
    repairable: z.boolean().describe('true when `--repair` fixes it (derived data, or what a dead process left)'),
  })
  .meta({ id: 'FsckProblem', description: 'One problem fsck found.' });
/** One problem fsck found. */
export type FsckProblem = z.infer<typeof fsckProblem>;

export const fsckReport = z
  .object({
    ok: z.boolean(),
    problems: z.array(fsckProblem),
    checked: z.object({ objects: z.number().int(), datasets: z.number().int(), runs: z.number().int(), runFiles: z.number().int(), cacheEntries: z.number().int(), bytesHashed: z.number().int() }),
    seconds: z.number().describe('the whole check'),
    hashSeconds: z.number().describe('time spent reading and hashing files'),
    hashMBps: z.number().describe('bytes hashed per second of hashSeconds, in MB/s'),
    objectsMBps: z.number().describe('the same for the objects alone, in MB/s'),
    repaired: z.array(z.string()).describe('what repair did'),
  })
  .meta({ id: 'FsckReport', description: 'Every object, dataset, run and cache entry checked: `bfly fsck --json`.' });
/** What fsck returns. */
export type FsckReport = z.infer<typeof fsckReport>;

export const gcReport = z
  .object({
    dryRun: z.boolean(),
    runs: z.array(z.object({ id: z.string(), status: z.string(), endedAt: z.string().nullable(), bytes: z.number().int() })),
    objects: z.object({ count: z.number().int(), bytes: z.number().int() }),
    cacheBlobs: z.object({ count: z.number().int(), bytes: z.number().int() }),
    cacheEntries: z.number().int(),
    runKeys: z.number().int(),
    tempFiles: z.number().int(),
    halfDeleted: z.number().int().describe('runs whose removal an earlier gc began and a crash interrupted, finished now'),
    skipped: z.array(z.object({ path: z.string(), why: z.string() })).describe('links and special files inside `.butterfly/`: never followed, never removed'),
    freedBytes: z.number().int(),
  })
  .meta({ id: 'GcReport', description: 'What gc removed (or, dry, would remove): `bfly gc --json`.' });
/** What gc returns. */
export type GcReport = z.infer<typeof gcReport>;

export const hookInfo = z
  .object({
    experiment: z.string(),
    id: z.string(),
    block: z.string(),
    type: z.string(),
    origin: z.string().describe('the hook file, or `inline`'),
    hash: z.string().nullable().describe('sha256 of its current source; null when the file is missing'),
    trusted: z.boolean().describe('whether the enterprise profile would run it'),
  })
  .meta({ id: 'HookInfo', description: 'A hook of an experiment’s draft: `bfly hook list --json`.' });
/** A hook of an experiment's draft, as `bfly hook list` shows it. */
export type HookInfo = z.infer<typeof hookInfo>;

export const hookAdded = z.object({ experiment: z.string(), id: z.string(), type: z.string() }).meta({ id: 'HookAdded', description: 'A hook added to a draft: `bfly hook add --json`.' });
/** `bfly hook add --json`. */
export type HookAdded = z.infer<typeof hookAdded>;

export const hookTrusted = z.object({ file: z.string(), hash: z.string(), added: z.boolean() }).meta({ id: 'HookTrusted', description: '`bfly hook trust --json`.' });
/** `bfly hook trust --json`. */
export type HookTrusted = z.infer<typeof hookTrusted>;

export const hookUntrusted = z.object({ hash: z.string(), removed: z.boolean() }).meta({ id: 'HookUntrusted', description: '`bfly hook untrust --json`.' });
/** `bfly hook untrust --json`. */
export type HookUntrusted = z.infer<typeof hookUntrusted>;

export const fieldDoc = z.object({
  path: z.string(),
  type: z.string(),
  default: z.unknown().optional(),
  defaultByTask: z.record(z.string(), z.unknown()).optional().describe('the default per task, when it depends on the task'),
  doc: z.string().optional(),
});
/** A config field of a block or model. */
export type FieldDoc = z.infer<typeof fieldDoc>;

export const blockDoc = z
  .object({
    type: z.string(),
    doc: z.string(),
    reads: z.array(z.string()),
    writes: z.array(z.string()),
    single: z.boolean(),
    fields: z.array(fieldDoc),
    defaults: z.record(z.string(), z.unknown()),
    jsonSchema: z.unknown(),
  })
  .meta({ id: 'BlockDoc', description: 'A block type: its config fields, defaults and JSON Schema.' });
/** What `bfly blocks --json` prints for a block type. */
export type BlockDoc = z.infer<typeof blockDoc>;

export const modelDoc = z.object({ model: z.string(), tasks: z.array(z.string()), doc: z.string(), fields: z.array(fieldDoc), defaults: z.record(z.string(), z.unknown()).describe("the defaults of the model's first task"), defaultsByTask: z.record(z.string(), z.record(z.string(), z.unknown())).describe('the defaults for each task the model serves'), space: z.record(z.string(), z.record(z.string(), z.unknown())).optional().describe('what `search: default` explores: param → {type: float|int, low, high, log?} or {type: choice, values}') }).meta({ id: 'ModelDoc', description: 'A model type: its tasks and hyperparameters.' });
/** What `bfly blocks --json` prints for a model type. */
export type ModelDoc = z.infer<typeof modelDoc>;

export const blockCatalog = z.object({ blocks: z.array(blockDoc), models: z.array(modelDoc) }).meta({ id: 'BlockCatalog', description: 'Every block type and model: `bfly blocks --json`.' });
/** `bfly blocks --json`. */
export type BlockCatalog = z.infer<typeof blockCatalog>;

export const errorCategory = z.enum([...ERROR_CATEGORIES]).meta({ id: 'ErrorCategory' });

export const errorBody = z
  .object({
    schemaVersion: z.number().int(),
    error: z.object({
      code: z.string().describe('a stable code, e.g. RUN_NOT_FOUND'),
      category: errorCategory,
      message: z.string(),
      hint: z.string().nullable().describe('what to do next'),
      data: z.record(z.string(), z.unknown()).optional().describe('structured details, e.g. `problems` of an invalid pipeline'),
    }),
  })
  .meta({ id: 'Error', description: 'Every error: the same as `--json` prints on stderr.' });
/** An error as `--json` prints it and the API returns it. */
export type ErrorBody = z.infer<typeof errorBody>;

export const exampleTable = z
  .object({ name: z.string(), file: z.string().describe('its file name, `<name>.csv`'), rows: z.number().int(), bytes: z.number().int() })
  .meta({ id: 'ExampleTable', description: 'A table bundled with bfly: `bfly example --json` lists them.' });
/** A bundled example table. */
export type ExampleTable = z.infer<typeof exampleTable>;

export const exampleWritten = exampleTable.extend({ path: z.string().describe('where it was written') }).meta({ id: 'ExampleWritten', description: '`bfly example <name> --json`: the table written into the current folder.' });
/** `bfly example <name> --json`. */
export type ExampleWritten = z.infer<typeof exampleWritten>;
