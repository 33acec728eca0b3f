/**
 * The API's routes: one table, each route thin over the library function the CLI command uses,
 * with its zod schemas (the same contracts as `--json`). The table is what the app serves and
 * what the OpenAPI document (and docs/api.md) is generated from: there is no second copy.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { HttpBindings } from '@hono/node-server';
import { z } from 'zod';
import * as c from '../core/contracts/index.js';
import type { DatasetFormat } from '../core/dataset.js';
import { BflyError, ERROR_CATEGORIES, type ErrorCategory, ValidationError, NotFoundError, isBflyError } from '../core/errors.js';
import { validateName } from '../core/names.js';
import { pageRuns } from '../core/run-summary.js';
import { isFinalStatus } from '../core/run-manifest.js';
import { describeBlocks, describeModels } from '../core/describe-blocks.js';
import { experimentView, importedDatasetView } from '../core/views.js';
import { addCheckedHook, validationReport } from '../runner/hooks/check-hooks.js';
import { previewRun, workspaceStatus } from '../runner/run-experiment.js';
import { safeUnlink } from '../store/atomic.js';
import { getDataset, listDatasets } from '../store/datasets.js';
import { createExperiment, experimentDetail, formerNamesOf, listExperiments, pipelineDocument, withDraftLock, writeDraftLocked } from '../store/experiments.js';
import { fsck } from '../store/fsck.js';
import { gc } from '../store/gc.js';
import { listHooks, readConfigSync, removeHook, trustHook, untrustHook } from '../store/hooks.js';
import { importDataset } from '../store/import/import-dataset.js';
import { packageRoot } from '../store/package-root.js';
import { compareRunsView, findArtifact, listRunArtifacts, runLineage, runWithDir } from '../store/run-artifacts.js';
import { readRunFile, readVerifiedRun } from '../store/run-state.js';
import { resolveRunRef } from '../store/runs.js';
import { withSchemaVersion } from '../ui/json.js';
import { BFLY_VERSION } from '../core/version.js';
import { readJson, uploadToTemp } from './body.js';
import { HttpError, errorBody, statusOf } from './errors.js';
import { JsonlTail, POLL_MS, parseEventLine } from './events.js';
import type { Service } from './service-state.js';

/** What a route's handler gets. */
export interface RouteRequest {
  c: Context<{ Bindings: HttpBindings }>;
  svc: Service;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

/** One documented response of a route. */
export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
  /** A non-JSON content type (a download, a stream). */
  content?: string;
}

/** One route of the API. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI form: `/api/v1/runs/{ref}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  params?: Record<string, string>;
  query?: z.ZodObject;
  /** A JSON body (validated) or a raw body (streamed). */
  body?: { schema: z.ZodType; required?: boolean } | { raw: string };
  responses: Record<number, RouteResponse>;
  handle: (r: RouteRequest) => Promise<Response> | Response;
}

/** A JSON response: the value as `--json` prints it. */
function json(r: RouteRequest, value: unknown, status: 200 | 201 | 202 = 200): Response {
  return r.c.json(withSchemaVersion(value) as object, status);
}

// --- path parameters: the CLI's name rules, before any file is touched ---

function experimentParam(r: RouteRequest): string {
  return validateName(r.params.name, 'experiment name');
}

const REF_CHARS = /^[A-Za-z0-9@._ -]{1,300}$/;

function refParam(value: string, what: string): string {
  if (!REF_CHARS.test(value) || value.includes('..') || value.startsWith('.') || value.startsWith('-')) {
    throw new ValidationError('BAD_REF', `invalid ${what} ${JSON.stringify(value.slice(0, 100))}`, { hint: `a ${what} is a name, NAME@V, an id or an id prefix: no '/', '..' or control characters` });
  }
  return value;
}

function artifactParam(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (value.length === 0 || value.length > 255 || /[/\\\u0000-\u001f]/.test(value) || value.startsWith('.')) {
    throw new ValidationError('BAD_ARTIFACT_NAME', `invalid artifact name ${JSON.stringify(value.slice(0, 100))}`, { hint: 'an artifact name as `GET /api/v1/runs/{ref}/artifacts` lists it (no path)' });
  }
  return value;
}

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json',
  jsonl: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
  svg: 'image/svg+xml',
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  yaml: 'application/yaml',
};

/** Parses a `Range: bytes=a-b` header against a size: [start, end] inclusive, null for none, 'bad' when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): [number, number] | null | 'bad' {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return 'bad';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'bad';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'bad';
  return [start, end];
}

const boolQuery = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

async function withUpload<T>(r: RouteRequest, label: string, fn: (path: string) => Promise<T>): Promise<T> {
  const path = await uploadToTemp(r.svc.root, r.c.env.incoming, r.svc.maxUpload, label, null);
  try {
    return await fn(path);
  } finally {
    safeUnlink(path);
  }
}

/** The extension that tells `bfly predict` the upload's format: `input`, else the Content-Type (else sniffed after upload). */
function inputExtension(input: string | undefined, type: string | undefined): string | undefined {
  if (input !== undefined) return input;
  const t = (type ?? '').toLowerCase();
  if (t.startsWith('application/json')) return 'json';
  if (t.startsWith('application/x-ndjson') || t.startsWith('application/jsonl')) return 'jsonl';
  if (t.startsWith('text/tab-separated-values')) return 'tsv';
  if (t.startsWith('text/csv')) return 'csv';
  return undefined;
}

/** Streams `bfly predict` of a worker process: the service never blocks on a large table. */
async function predictResponse(r: RouteRequest, runId: string, file: string, q: { format: 'csv' | 'jsonl'; proba: boolean; id?: string }): Promise<Response> {
  const args = [join(packageRoot(), 'bin', 'bfly.cjs'), '-C', r.svc.root, 'predict', runId, file, ...(q.format === 'jsonl' ? ['--json'] : []), ...(q.proba ? ['--proba'] : []), ...(q.id !== undefined ? ['--id', q.id] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BFLY_WORKER: 'service', BFLY_JSON_ERRORS: '1' } });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const first = await new Promise<Buffer | null>((resolve) => {
    child.stdout.once('data', (b: Buffer) => resolve(b));
    void exited.then(() => resolve(null));
  });
  if (first === null) {
    const code = await exited;
    if (code !== 0) {
      // the worker's error, as JSON on stderr (BFLY_JSON_ERRORS), its temp path not shown
      let e: { category?: string; code?: string; message?: string; hint?: string | null } | undefined;
      try {
        e = (JSON.parse(stderr.replaceAll(file, 'the uploaded table').trim().split('\n').at(-1) ?? '') as { error?: typeof e }).error;
      } catch {
        /* not JSON: a crash */
      }
      const category = (ERROR_CATEGORIES as readonly string[]).includes(e?.category ?? '') ? (e!.category as ErrorCategory) : 'unknown';
      const err = new BflyError(category, e?.code ?? 'PREDICT_FAILED', e?.message ?? `the prediction worker ended with ${code}: ${stderr.trim().slice(-500)}`, { hint: e?.hint ?? undefined });
      return r.c.json(errorBody(err), statusOf(err) as 400);
    }
  }
  child.stdout.pause();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first !== null) controller.enqueue(first);
      child.stdout.on('data', (b: Buffer) => controller.enqueue(b));
      child.stdout.on('end', () => {
        void exited.then((code) => (code === 0 ? controller.close() : controller.error(new Error(`prediction failed: ${stderr.trim().split('\n').at(-1) ?? code}`))));
      });
      child.stdout.resume();
    },
    cancel() {
      child.kill('SIGKILL');
    },
  });
  return new Response(stream, { status: 200, headers: { 'content-type': q.format === 'jsonl' ? 'application/x-ndjson' : 'text/csv; charset=utf-8' } });
}

/** `GET /runs/{ref}/events`: the run's events.jsonl from the start (or after `Last-Event-ID`), then live, ending after `run_finished`. */
function runEventsStream(r: RouteRequest, runId: string, dir: string): Response {
  const last = r.c.req.header('last-event-id');
  const skip = last !== undefined && /^\d{1,12}$/.test(last) ? Number(last) : 0;
  return streamSSE(r.c, async (stream) => {
    const tail = new JsonlTail(join(dir, 'events.jsonl'));
    let lastBeat = Date.now();
    let idleFinal = 0;
    while (!stream.aborted) {
      const first = tail.line;
      const lines = tail.read();
      let finished = false;
      for (let i = 0; i < lines.length; i++) {
        const n = first + i;
        const event = parseEventLine(lines[i]);
        if (event === null || n <= skip) {
          if (event?.type === 'run_finished') finished = true;
          continue;
        }
        await stream.writeSSE({ id: String(n), event: event.type, data: lines[i] });
        if (event.type === 'run_finished') finished = true;
      }
      if (finished) break;
      if (lines.length === 0) {
        // a run that ended without a final event (written by an old bfly): end once it is final
        try {
          if (isFinalStatus(readVerifiedRun(r.svc.root, runId).manifest.status) && ++idleFinal > 2) break;
        } catch {
          break;
        }
      }
      if (Date.now() - lastBeat >= r.svc.heartbeatMs) {
        await stream.write(': heartbeat\n\n');
        lastBeat = Date.now();
      }
      await stream.sleep(POLL_MS);
    }
  });
}

/** `GET /events`: the workspace's stream; reconnecting with `Last-Event-ID` replays what was missed. */
function workspaceEventsStream(r: RouteRequest): Response {
  const hub = r.svc.hub;
  return streamSSE(r.c, async (stream) => {
    const queue: Array<{ id: string; event: c.ServiceEvent }> = [];
    let wake: (() => void) | null = null;
    const unsubscribe = hub.subscribe((e) => {
      queue.push(e);
      wake?.();
    });
    stream.onAbort(() => {
      unsubscribe();
      wake?.();
    });
    try {
      const missed = hub.since(r.c.req.header('last-event-id'));
      if (missed.reset) {
        await stream.writeSSE({ id: hub.currentId(), event: 'reset', data: JSON.stringify({ schemaVersion: 1, type: 'reset', reason: 'the events since that id are no longer kept (or the service restarted)' }) });
      }
      queue.unshift(...missed.events);
      while (!stream.aborted) {
        while (queue.length > 0 && !stream.aborted) {
          const e = queue.shift()!;
          await stream.writeSSE({ id: e.id, event: e.event.type, data: JSON.stringify(withSchemaVersion(e.event)) });
        }
        if (stream.aborted) break;
        let timer: NodeJS.Timeout | undefined;
        const beat = await new Promise<boolean>((resolve) => {
          wake = () => resolve(false);
          timer = setTimeout(() => resolve(true), r.svc.heartbeatMs);
        });
        clearTimeout(timer);
        wake = null;
        if (beat && !stream.aborted) await stream.write(': heartbeat\n\n');
      }
    } finally {
      unsubscribe();
    }
  });
}

const runRefParam = { ref: 'a run: id, unique id prefix (4+ characters), `@latest` or `<experiment>@latest`' };
const nameParam = { name: 'the experiment’s name' };

/** Every route of the API, in the order docs/api.md lists them. */
export const ROUTES: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/health',
    tag: 'service',
    summary: 'The service is up',
    responses: { 200: { description: 'the version and the workspace', schema: c.health } },
    handle: (r) => {
      const config = readConfigSync(r.svc.root);
      return r.c.json({ ok: true, version: BFLY_VERSION, apiVersion: c.API_VERSION, workspace: { id: config.id, name: config.name, profile: config.profile } });
    },
  },
  {
    method: 'GET',
    path: '/api/v1/openapi.json',
    tag: 'service',
    summary: 'This API as an OpenAPI 3.1 document',
    responses: { 200: { description: 'generated from the same zod schemas the routes use', content: 'application/json' } },
    handle: async (r) => r.c.json((await import('./openapi.js')).openApiDocument() as object),
  },
  {
    method: 'GET',
    path: '/api/v1/datasets',
    tag: 'datasets',
    summary: 'Every dataset (`bfly dataset list --json`)',
    responses: { 200: { description: 'sorted by name and version', schema: z.array(c.versioned(c.datasetManifest)) } },
    handle: (r) => json(r, listDatasets(r.svc.root)),
  },
  {
    method: 'POST',
    path: '/api/v1/datasets',
    tag: 'datasets',
    summary: 'Import a table sent as the raw body (`bfly dataset import`)',
    description: 'The body is the file’s bytes (CSV, TSV, JSON or JSONL), streamed to `.butterfly/tmp/` and imported from there: never buffered whole. Larger than the service’s `--max-upload` (default 2 GiB): 413, nothing kept.',
    query: z.strictObject({ name: z.string().max(400).describe('the dataset name'), format: c.datasetFormat.optional().describe('default: from the content') }),
    body: { raw: 'text/csv, text/tab-separated-values, application/json, application/x-ndjson or application/octet-stream: the file' },
    responses: { 201: { description: 'imported: the new dataset (or new version)', schema: c.versioned(c.importedDataset) }, 200: { description: 'these bytes were already imported: that dataset, `"existing": true`', schema: c.versioned(c.importedDataset) }, 413: { description: 'larger than --max-upload', schema: c.errorBody } },
    handle: async (r) => {
      const q = r.query as { name: string; format?: DatasetFormat };
      validateName(q.name, 'dataset name');
      const result = await withUpload(r, 'upload', (path) => importDataset(r.svc.root, path, { name: q.name, format: q.format }));
      return json(r, importedDatasetView(result.dataset, result.created), result.created ? 201 : 200);
    },
  },
  {
    method: 'GET',
    path: '/api/v1/datasets/{ref}',
    tag: 'datasets',
    summary: 'One dataset with its schema and statistics (`bfly dataset show --json`)',
    params: { ref: '`NAME`, `NAME@V`, an id or a hash prefix' },
    responses: { 200: { description: 'the dataset', schema: c.versioned(c.datasetManifest) } },
    handle: (r) => json(r, getDataset(r.svc.root, refParam(r.params.ref, 'dataset reference'))),
  },
  {
    method: 'GET',
    path: '/api/v1/experiments',
    tag: 'experiments',
    summary: 'Every experiment (`bfly experiment list --json`)',
    responses: { 200: { description: 'the experiments', schema: z.array(c.versioned(c.experimentView)) } },
    handle: (r) => json(r, listExperiments(r.svc.root).map(experimentView)),
  },
  {
    method: 'POST',
    path: '/api/v1/experiments',
    tag: 'experiments',
    summary: 'Create an experiment (`bfly experiment create`)',
    body: { schema: c.createExperimentRequest, required: true },
    responses: { 201: { description: 'created, with its draft pipeline from the template', schema: c.versioned(c.experimentView) } },
    handle: (r) => {
      const b = r.body as z.infer<typeof c.createExperimentRequest>;
      return json(r, experimentView(createExperiment(r.svc.root, b)), 201);
    },
  },
  {
    method: 'GET',
    path: '/api/v1/experiments/{name}',
    tag: 'experiments',
    summary: 'One experiment and whether its draft is valid (`bfly experiment show --json`)',
    params: nameParam,
    responses: { 200: { description: 'the experiment', schema: c.versioned(c.experimentDetail) } },
    handle: (r) => json(r, experimentDetail(r.svc.root, experimentParam(r))),
  },
  {
    method: 'GET',
    path: '/api/v1/experiments/{name}/pipeline',
    tag: 'pipelines',
    summary: 'The draft pipeline: its YAML text, parsed, its problems and revision',
    params: nameParam,
    responses: { 200: { description: 'the draft', schema: c.versioned(c.pipelineDocument) } },
    handle: (r) => json(r, pipelineDocument(r.svc.root, experimentParam(r))),
  },
  {
    method: 'PUT',
    path: '/api/v1/experiments/{name}/pipeline',
    tag: 'pipelines',
    summary: 'Save a new draft text (validated first: nothing is saved when it is invalid)',
    description: 'Invalid: 422 with every problem (`error.data.problems`: path, line, column, message, hint). With `baseRevision`, a draft saved by someone else since that revision is a 409.',
    params: nameParam,
    body: { schema: c.pipelineText, required: true },
    responses: { 200: { description: 'saved (a new revision; unchanged text adds none)', schema: c.versioned(c.pipelineDocument) }, 409: { description: 'the draft changed since `baseRevision`', schema: c.errorBody }, 422: { description: 'not valid: every problem with its line', schema: c.errorBody } },
    handle: (r) => {
      const name = experimentParam(r);
      const b = r.body as z.infer<typeof c.pipelineText>;
      withDraftLock(r.svc.root, name, 'saving the draft over the API', () => {
        if (b.baseRevision !== undefined && b.baseRevision !== null) {
          const current = pipelineDocument(r.svc.root, name).revision;
          if (current !== b.baseRevision) throw new HttpError(409, 'integrity', 'DRAFT_CHANGED', `the draft of ${name} was saved since revision ${b.baseRevision} (it is now ${current ?? 'edited by hand'})`, 'reload it (GET …/pipeline), apply your change again, then save');
        }
        if (pipelineDocument(r.svc.root, name).yaml !== b.yaml) writeDraftLocked(r.svc.root, name, b.yaml, 'pipeline.put');
      });
      return json(r, pipelineDocument(r.svc.root, name));
    },
  },
  {
    method: 'POST',
    path: '/api/v1/experiments/{name}/pipeline/validate',
    tag: 'pipelines',
    summary: 'Check the draft in full, hooks compiled (`bfly pipeline validate --json`); or check a text without saving it',
    params: nameParam,
    body: { schema: c.pipelineText.pick({ yaml: true }).partial() },
    responses: { 200: { description: 'valid or not, with every problem (an invalid draft is an answer here, not an error)', schema: c.versioned(c.validationReport) } },
    handle: async (r) => {
      const b = r.body as { yaml?: string };
      const { pipeline: _p, ...report } = await validationReport(r.svc.root, experimentParam(r), b.yaml);
      return json(r, report);
    },
  },
  {
    method: 'POST',
    path: '/api/v1/experiments/{name}/pipeline/preview',
    tag: 'pipelines',
    summary: 'What a run would do: each block run or from the cache, and why (`bfly run --dry-run --json`)',
    params: nameParam,
    body: { schema: c.previewRequest },
    responses: { 200: { description: 'the plan', schema: c.versioned(c.runPreview) } },
    handle: (r) => json(r, previewRun(r.svc.root, experimentParam(r), r.body as z.infer<typeof c.previewRequest>)),
  },
  {
    method: 'GET',
    path: '/api/v1/blocks',
    tag: 'pipelines',
    summary: 'The catalog of block types and models (`bfly blocks --json`)',
    responses: { 200: { description: 'every block and model with its config fields', schema: c.versioned(c.blockCatalog) } },
    handle: (r) => json(r, { blocks: describeBlocks(), models: describeModels() }),
  },
  {
    method: 'POST',
    path: '/api/v1/experiments/{name}/runs',
    tag: 'jobs',
    summary: 'Submit a run, or a batch with `grid`/`seeds`: 202 with its job at once',
    description: 'Validated and planned first (every grid point): a bad request is a 400/422 and nothing is queued. The same execution key submitted while a job with it is queued or running returns that job (`deduplicated: true`).',
    params: nameParam,
    body: { schema: c.runRequest },
    responses: { 202: { description: 'queued (or the identical job in flight)', schema: c.jobSubmitted } },
    handle: (r) => {
      const s = r.svc.jobs.submit(experimentParam(r), r.body as c.RunRequest);
      return json(r, { schemaVersion: 1, ...s }, 202);
    },
  },
  {
    method: 'GET',
    path: '/api/v1/jobs',
    tag: 'jobs',
    summary: 'Every job of this service (kept across restarts), newest first',
    responses: { 200: { description: 'the jobs', schema: z.array(c.job) } },
    handle: (r) => json(r, r.svc.jobs.list()),
  },
  {
    method: 'GET',
    path: '/api/v1/jobs/{id}',
    tag: 'jobs',
    summary: 'One job',
    params: { id: 'the job id' },
    responses: { 200: { description: 'the job', schema: c.job } },
    handle: (r) => json(r, r.svc.jobs.get(r.params.id)),
  },
  {
    method: 'DELETE',
    path: '/api/v1/jobs/{id}',
    tag: 'jobs',
    summary: 'Cancel a job: a queued one never starts; a running one’s runs end `cancelled`',
    description: 'Answers at once with the job as it is; its end arrives as a `job_changed` event (or poll `GET /api/v1/jobs/{id}`). Cancelling an ended job changes nothing.',
    params: { id: 'the job id' },
    responses: { 202: { description: 'cancelling', schema: c.job } },
    handle: (r) => json(r, r.svc.jobs.cancel(r.params.id), 202),
  },
  {
    method: 'GET',
    path: '/api/v1/runs',
    tag: 'runs',
    summary: 'A page of runs (`bfly runs --json`), filtered with the `--where` language and sorted',
    description: 'A bad `where` is a 400 whose message shows the caret at the position. Pages continue with `cursor` = the previous page’s `nextCursor` (with the same query).',
    query: z.strictObject({
      where: z.string().max(10_000).optional().describe('e.g. `metrics.accuracy > 0.9 and status == "succeeded"`'),
      sort: z.string().max(1000).optional().describe('e.g. `-metrics.accuracy,createdAt`'),
      limit: z.coerce.number().int().min(1).max(1000).default(50),
      cursor: z.string().max(2000).optional(),
      experiment: z.string().max(400).optional(),
      status: c.runStatus.optional(),
    }),
    responses: { 200: { description: 'the page', schema: c.versioned(c.runPage) } },
    handle: async (r) => {
      const q = r.query as { where?: string; sort?: string; limit: number; cursor?: string; experiment?: string; status?: string };
      const listing = await r.svc.runListing();
      const formerNames = q.experiment === undefined ? undefined : formerNamesOf(r.svc.root, q.experiment);
      return json(r, pageRuns(listing.ids, listing.summary, { ...q, formerNames, flags: { where: 'where', sort: 'sort' } }, listing.select));
    },
  },
  {
    method: 'GET',
    path: '/api/v1/runs/{ref}',
    tag: 'runs',
    summary: 'One run: its manifest, checked against its seal (`bfly show --json`)',
    params: runRefParam,
    responses: { 200: { description: 'the run', schema: c.runShow }, 409: { description: 'the run changed after it ended (its seal no longer matches)', schema: c.errorBody } },
    handle: (r) => {
      const { run, dir } = runWithDir(r.svc.root, refParam(r.params.ref, 'run reference'));
      return json(r, { ...run, dir });
    },
  },
  {
    method: 'GET',
    path: '/api/v1/runs/{ref}/events',
    tag: 'runs',
    summary: 'The run’s events as Server-Sent Events: from the start, then live, ending after `run_finished`',
    description: 'Each event’s `id` is its line in events.jsonl: reconnect with `Last-Event-ID` to get only what came after. Event names are the run event types; `data` is the event’s JSON (contract RunEvent).',
    params: runRefParam,
    responses: { 200: { description: 'an SSE stream of RunEvent', content: 'text/event-stream' } },
    handle: (r) => {
      const id = resolveRunRef(r.svc.root, refParam(r.params.ref, 'run reference'));
      const { dir } = readVerifiedRun(r.svc.root, id);
      return runEventsStream(r, id, dir);
    },
  },
  {
    method: 'GET',
    path: '/api/v1/runs/{ref}/artifacts',
    tag: 'runs',
    summary: 'The run’s artifacts (`bfly artifacts --json`)',
    params: runRefParam,
    responses: { 200: { description: 'each with its sha256, size and file', schema: z.array(c.versioned(c.artifactRow)) } },
    handle: (r) => json(r, listRunArtifacts(r.svc.root, refParam(r.params.ref, 'run reference')).rows),
  },
  {
    method: 'GET',
    path: '/api/v1/runs/{ref}/artifacts/{name}',
    tag: 'runs',
    summary: 'Download one artifact, verified against the sha256 sealed in run.json',
    description: '`ETag` is the artifact’s sha256 (`If-None-Match` answers 304); `Range: bytes=a-b` answers 206. Content type by file kind; HTML is served sandboxed (CSP).',
    params: { ...runRefParam, name: 'the artifact’s name (`model.json`, `report.html`, …)' },
    responses: { 200: { description: 'the file', content: 'application/octet-stream' }, 206: { description: 'the range asked for', content: 'application/octet-stream' }, 304: { description: 'unchanged (If-None-Match)' }, 416: { description: 'the range is outside the file', schema: c.errorBody } },
    handle: (r) => {
      const id = resolveRunRef(r.svc.root, refParam(r.params.ref, 'run reference'));
      const v = readVerifiedRun(r.svc.root, id);
      const a = findArtifact(v.manifest, artifactParam(r.params.name));
      const etag = `"${a.hash}"`;
      const headers: Record<string, string> = { etag, 'cache-control': 'private, max-age=0, must-revalidate', 'accept-ranges': 'bytes', 'content-type': CONTENT_TYPES[a.path.split('.').pop() ?? ''] ?? 'application/octet-stream' };
      if (headers['content-type'].startsWith('text/html') || headers['content-type'].startsWith('image/svg')) headers['content-security-policy'] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'";
      if (r.c.req.header('if-none-match') === etag) return new Response(null, { status: 304, headers });
      const data = readRunFile(v, a.path);
      const range = parseRange(r.c.req.header('range'), data.length);
      if (range === 'bad') return r.c.json(errorBody(new HttpError(416, 'validation', 'BAD_RANGE', `the range ${JSON.stringify(r.c.req.header('range'))} is not within the ${data.length} bytes of ${a.name}`, 'ask for bytes=<start>-<end> within the file')), 416, { 'content-range': `bytes */${data.length}` });
      if (range === null) return new Response(new Uint8Array(data), { status: 200, headers: { ...headers, 'content-length': String(data.length) } });
      const [start, end] = range;
      return new Response(new Uint8Array(data.subarray(start, end + 1)), { status: 206, headers: { ...headers, 'content-range': `bytes ${start}-${end}/${data.length}`, 'content-length': String(end - start + 1) } });
    },
  },
  {
    method: 'GET',
    path: '/api/v1/runs/{ref}/lineage',
    tag: 'runs',
    summary: 'Where the run came from: dataset, pipeline, hooks, code (`bfly lineage --json`)',
    params: runRefParam,
    responses: { 200: { description: 'the lineage', schema: c.versioned(c.lineage) } },
    handle: (r) => json(r, runLineage(r.svc.root, refParam(r.params.ref, 'run reference')).lineage),
  },
  {
    method: 'POST',
    path: '/api/v1/runs/{ref}/predict',
    tag: 'runs',
    summary: 'Predict a table sent as the raw body with the run’s model; predictions stream back',
    description: 'The body is a CSV/TSV/JSON/JSONL table with the training columns (extra ones ignored). Predicted in a worker process and streamed back as it goes: CSV, or JSON lines with `format=jsonl`.',
    params: runRefParam,
    query: z.strictObject({ input: c.datasetFormat.optional().describe('the body’s format (default: from Content-Type, else the first byte: `[` JSON, `{` JSON lines, else CSV)'), format: z.enum(['csv', 'jsonl']).default('csv'), proba: boolQuery.default(false).describe('add a probability column per class'), id: z.string().max(10_000).optional().describe('a column copied to the output to identify rows') }),
    body: { raw: 'the table (CSV, TSV, JSON or JSONL)' },
    responses: { 200: { description: 'the predictions', content: 'text/csv or application/x-ndjson' } },
    handle: async (r) => {
      const id = resolveRunRef(r.svc.root, refParam(r.params.ref, 'run reference'));
      const q = r.query as { format: 'csv' | 'jsonl'; proba: boolean; id?: string; input?: 'csv' | 'tsv' | 'json' | 'jsonl' };
      const path = await uploadToTemp(r.svc.root, r.c.env.incoming, r.svc.maxUpload, 'predict', inputExtension(q.input, r.c.req.header('content-type')));
      let keep = false;
      try {
        const res = await predictResponse(r, id, path, q);
        keep = res.body !== null && res.status === 200;
        if (keep) {
          // the file is read by the worker as it streams; removed when the response ends
          const body = res.body!.pipeThrough(
            new TransformStream<Uint8Array, Uint8Array>({
              flush: () => safeUnlink(path),
            }),
          );
          r.c.env.outgoing.once('close', () => safeUnlink(path));
          return new Response(body, { status: 200, headers: res.headers });
        }
        return res;
      } finally {
        if (!keep) safeUnlink(path);
      }
    },
  },
  {
    method: 'GET',
    path: '/api/v1/compare',
    tag: 'runs',
    summary: 'How runs differ: only what differs, seed groups and noise verdicts (`bfly compare --json`)',
    query: z.strictObject({ runs: z.string().max(100_000).optional().describe('run references, comma-separated'), batch: z.string().max(200).optional().describe('add the runs of this batch'), all: boolQuery.optional().describe('every row, not only those that differ'), hooks: boolQuery.optional().describe('diffs of the hooks’ sources') }),
    responses: { 200: { description: 'the comparison', schema: c.versioned(c.compareView) } },
    handle: async (r) => {
      const q = r.query as { runs?: string; batch?: string; all?: boolean; hooks?: boolean };
      const refs = (q.runs ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => refParam(s, 'run reference'));
      const { view } = await compareRunsView(r.svc.root, refs, { all: q.all, hooks: q.hooks, batch: q.batch === undefined ? undefined : refParam(q.batch, 'batch id') });
      return json(r, view);
    },
  },
  {
    method: 'GET',
    path: '/api/v1/status',
    tag: 'service',
    summary: 'The workspace, and per experiment what a run would do now (`bfly status --json`)',
    responses: { 200: { description: 'the status', schema: c.versioned(c.workspaceStatus) } },
    handle: async (r) => json(r, await workspaceStatus(r.svc.root, readConfigSync(r.svc.root), await r.svc.runListing())),
  },
  {
    method: 'GET',
    path: '/api/v1/hooks',
    tag: 'hooks',
    summary: 'Every hook of every draft, with its hash and whether it is trusted (`bfly hook list --json`)',
    responses: { 200: { description: 'the hooks', schema: z.array(c.versioned(c.hookInfo)) } },
    handle: (r) => json(r, listHooks(r.svc.root)),
  },
  {
    method: 'POST',
    path: '/api/v1/experiments/{name}/hooks',
    tag: 'hooks',
    summary: 'Add a hook to a draft, compiled in the sandbox first (`bfly hook add`)',
    params: nameParam,
    body: { schema: c.hookAddRequest, required: true },
    responses: { 201: { description: 'added', schema: c.versioned(c.hookAdded) } },
    handle: async (r) => {
      const b = r.body as z.infer<typeof c.hookAddRequest>;
      return json(r, await addCheckedHook(r.svc.root, experimentParam(r), b.type, { file: b.file, code: b.code }), 201);
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/experiments/{name}/hooks/{id}',
    tag: 'hooks',
    summary: 'Remove a hook from a draft (`bfly hook rm`)',
    params: { ...nameParam, id: 'the hook id, `<block>.<kind>.<n>`' },
    responses: { 200: { description: 'removed', schema: c.versioned(c.hookRemoved) } },
    handle: (r) => {
      const name = experimentParam(r);
      const id = refParam(r.params.id, 'hook id');
      removeHook(r.svc.root, name, id);
      return json(r, { experiment: name, removed: id });
    },
  },
  {
    method: 'POST',
    path: '/api/v1/hooks/trust',
    tag: 'hooks',
    summary: 'Trust a hook file’s current source (what the `enterprise` profile runs) (`bfly hook trust`)',
    body: { schema: c.hookTrustRequest, required: true },
    responses: { 200: { description: 'trusted', schema: c.versioned(c.hookTrusted) } },
    handle: (r) => json(r, trustHook(r.svc.root, (r.body as { file: string }).file)),
  },
  {
    method: 'POST',
    path: '/api/v1/hooks/untrust',
    tag: 'hooks',
    summary: 'Stop trusting a hook file (or a `sha256:` hash) (`bfly hook untrust`)',
    body: { schema: c.hookTrustRequest, required: true },
    responses: { 200: { description: 'untrusted', schema: c.versioned(c.hookUntrusted) } },
    handle: (r) => json(r, untrustHook(r.svc.root, (r.body as { file: string }).file)),
  },
  {
    method: 'POST',
    path: '/api/v1/fsck',
    tag: 'service',
    summary: 'Check every hash, seal and record of the workspace (`bfly fsck --json`)',
    body: { schema: c.fsckRequest },
    responses: { 200: { description: 'the report (problems are an answer here, not an error)', schema: c.versioned(c.fsckReport) } },
    handle: async (r) => json(r, await fsck(r.svc.root, { repair: (r.body as { repair?: boolean }).repair })),
  },
  {
    method: 'POST',
    path: '/api/v1/gc',
    tag: 'service',
    summary: 'Collect garbage: a dry run unless `{"apply": true}` (`bfly gc --json`)',
    body: { schema: c.gcRequest },
    responses: { 200: { description: 'what was (or would be) removed', schema: c.versioned(c.gcReport) } },
    handle: async (r) => {
      const b = r.body as z.infer<typeof c.gcRequest>;
      return json(r, await gc(r.svc.root, { dryRun: b.apply !== true, keepFailedDays: b.keepFailedDays }));
    },
  },
  {
    method: 'GET',
    path: '/api/v1/events',
    tag: 'events',
    summary: 'Everything in the workspace as Server-Sent Events: job changes, run events, workspace changes (also by the CLI)',
    description: 'Event names: `job_changed`, `run_event`, `workspace_changed`, `reset`; `data` is a ServiceEvent. Changes by any bfly process are seen within a second. Reconnect with `Last-Event-ID` to get what was missed (the last 10,000 events are kept), or a `reset` when that is no longer possible. A `: heartbeat` comment every 15 s.',
    responses: { 200: { description: 'an SSE stream of ServiceEvent', content: 'text/event-stream', schema: c.serviceEvent } },
    handle: (r) => workspaceEventsStream(r),
  },
];

/** Parses a route's query and body with its schemas; a mismatch is a 400 naming the field. */
export async function parseRequest(route: Route, r: RouteRequest): Promise<void> {
  const url = new URL(r.c.req.url);
  const raw: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (k in raw) throw new HttpError(400, 'validation', 'BAD_QUERY', `query parameter ${JSON.stringify(k)} is given twice`, 'give each once');
    raw[k] = v;
  }
  if (route.query !== undefined) r.query = parsed(route.query, raw, 'query');
  else if (Object.keys(raw).length > 0) throw new HttpError(400, 'validation', 'BAD_QUERY', `this route takes no query parameters (got ${Object.keys(raw).map((k) => JSON.stringify(k)).join(', ')})`, 'see GET /api/v1/openapi.json');
  if (route.body !== undefined && 'schema' in route.body) {
    const type = r.c.req.header('content-type') ?? '';
    const declared = r.c.req.header('content-length');
    const hasBody = (declared !== undefined && declared !== '0') || r.c.req.header('transfer-encoding') !== undefined;
    if (hasBody && !/^application\/json\b/i.test(type)) throw new HttpError(415, 'validation', 'UNSUPPORTED_MEDIA_TYPE', `the body must be JSON (Content-Type: application/json), not ${JSON.stringify(type)}`, 'send the body as JSON');
    const body = await readJson(r.c.env.incoming);
    if (route.body.required && !hasBody) throw new HttpError(400, 'validation', 'BODY_REQUIRED', 'this route needs a JSON body', 'see GET /api/v1/openapi.json');
    r.body = parsed(route.body.schema, body, 'body');
  }
}

function parsed(schema: z.ZodType, value: unknown, where: string): Record<string, unknown> {
  const res = schema.safeParse(value);
  if (res.success) return res.data as Record<string, unknown>;
  const issue = res.error.issues[0];
  const path = issue.path.length > 0 ? issue.path.join('.') : where;
  throw new HttpError(400, 'validation', where === 'query' ? 'BAD_QUERY' : 'BAD_BODY', `${where} ${path}: ${issue.message}`, 'see GET /api/v1/openapi.json for this route');
}

/** A route answers its errors as the Error contract, with the status of the table. */
export function errorResponse(err: unknown): Response {
  const status = statusOf(err);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (status === 413) headers.connection = 'close';
  if (!isBflyError(err) && process.env.BFLY_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
  return new Response(JSON.stringify(errorBody(err)), { status, headers });
}

/** Not one of the routes. */
export function noRoute(method: string, path: string): Response {
  return errorResponse(new NotFoundError('NO_ROUTE', `no route ${method} ${path.slice(0, 200)}`, { hint: 'the routes are listed by GET /api/v1/openapi.json' }));
}
