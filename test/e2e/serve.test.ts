// `bfly serve` through real HTTP: the built CLI started with execa on a free loopback port,
// stopped (SIGTERM) after each test, even on failure.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as contracts from '../../src/core/contracts/index.js';
import { bfly, makeCliWorkspace, REPO, snapshotTree } from '../helpers.js';
import { type Served, startServe, waitJob, httpRequest } from '../serve-client.js';

const PENGUINS = join(REPO, 'examples', 'data', 'penguins.csv');
const QUICK = readFileSync(join(REPO, 'examples', 'pipelines', 'quick.yaml'), 'utf8').replace(/\n {2}- \{id: explain.*\n/, '\n');
const FAST = readFileSync(join(REPO, 'test', 'fixtures', 'fast-pipeline.yaml'), 'utf8');
const SLOW = FAST.replace('cv: 3', 'cv: 10').replace('n_estimators: 20', 'n_estimators: 6000');

let dir: string;
let ws: string;
let cleanup: () => void;
const servers: Served[] = [];
const cli = (args: string[]) => bfly(['-C', ws, ...args]);

async function serve(args: string[] = []): Promise<Served> {
  const s = await startServe(ws, args);
  servers.push(s);
  return s;
}

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
  await cli(['dataset', 'import', PENGUINS, '--name', 'penguins']);
  for (const [name, text] of [['quick', QUICK], ['slow', SLOW]]) {
    writeFileSync(join(dir, `${name}.yaml`), text);
    const r = await cli(['experiment', 'create', name, '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, `${name}.yaml`)]);
    if (r.exitCode !== 0) throw new Error(r.stderr);
  }
}, 60_000);
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});
afterAll(() => cleanup());

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const runLocks = () => readdirSync(join(ws, '.butterfly', 'locks')).filter((f) => f.startsWith('run-'));

describe('bfly serve', () => {
  it('the whole flow: upload, create, a bad draft (422 with lines), fix it, run, follow its events, download the model, compare, list with where', async () => {
    const s = await serve();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const record = join(ws, '.butterfly', 'serve.json');
    expect(statSync(record).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(record, 'utf8'))).toMatchObject({ url: s.url, port: s.port, pid: s.pid, token: s.token });

    const health = await s.api('GET', '/api/v1/health');
    expect(health.status).toBe(200);
    expect(contracts.health.parse(health.json())).toMatchObject({ ok: true, apiVersion: 'v1', workspace: { profile: 'internal_fast' } });

    // upload: 201, then the same bytes again: 200 existing
    const csv = readFileSync(join(REPO, 'node_modules', 'vega-datasets', 'data', 'cars.json'));
    const up = await s.api('POST', '/api/v1/datasets?name=cars', { body: csv, headers: { 'content-type': 'application/json' } });
    expect(up.status).toBe(201);
    expect(contracts.versioned(contracts.importedDataset).parse(up.json())).toMatchObject({ name: 'cars', created: true, existing: false, rows: 406 });
    const again = await s.api('POST', '/api/v1/datasets?name=cars', { body: csv });
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ existing: true, id: up.json().id });
    expect((await s.api('GET', '/api/v1/datasets/cars')).json().rows).toBe(406);
    expect(readdirSync(join(ws, '.butterfly', 'tmp')).filter((f) => f.includes('upload'))).toEqual([]);

    // create an experiment; GET it back
    const created = await s.api('POST', '/api/v1/experiments', { body: { name: 'mpg', dataset: 'cars', target: 'Origin' } });
    expect(created.status).toBe(201);
    expect(contracts.versioned(contracts.experimentView).parse(created.json())).toMatchObject({ name: 'mpg', task: 'classification' });
    expect((await s.api('GET', '/api/v1/experiments/mpg')).json()).toMatchObject({ name: 'mpg', pipeline: { valid: true } });

    // a draft with an error: 422 with each problem's line, nothing saved
    const doc = (await s.api('GET', '/api/v1/experiments/mpg/pipeline')).json();
    expect(contracts.versioned(contracts.pipelineDocument).parse(doc)).toMatchObject({ valid: true, revision: 1 });
    const draftBefore = readFileSync(join(ws, '.butterfly', 'experiments', 'mpg', 'pipeline.yaml'), 'utf8');
    const bad = FAST.replace('cv: 3', 'cv: 1').replace('{id: split, type: split', '{id: split, type: splitt');
    const put = await s.api('PUT', '/api/v1/experiments/mpg/pipeline', { body: { yaml: bad } });
    expect(put.status).toBe(422);
    const err = contracts.errorBody.parse(put.json()).error;
    expect(err.category).toBe('validation');
    const problems = err.data!.problems as Array<{ line: number; column: number; message: string; path: string }>;
    expect(problems.length).toBeGreaterThanOrEqual(2);
    expect(problems.every((p) => p.line > 1 && p.column >= 1 && p.message.length > 0)).toBe(true);
    expect(readFileSync(join(ws, '.butterfly', 'experiments', 'mpg', 'pipeline.yaml'), 'utf8')).toBe(draftBefore);
    // live validation of a text, without saving it
    const check = await s.api('POST', '/api/v1/experiments/mpg/pipeline/validate', { body: { yaml: bad } });
    expect(check.status).toBe(200);
    expect(check.json()).toMatchObject({ valid: false });
    expect(check.json().problems.map((p: { line: number }) => p.line)).toEqual(problems.map((p) => p.line));
    // fixed: saved as revision 2; an edit from a stale revision is a 409
    const fixed = await s.api('PUT', '/api/v1/experiments/mpg/pipeline', { body: { yaml: FAST, baseRevision: 1 } });
    expect(fixed.status).toBe(200);
    expect(fixed.json()).toMatchObject({ valid: true, revision: 2 });
    expect((await s.api('PUT', '/api/v1/experiments/mpg/pipeline', { body: { yaml: FAST.replace('seed: 42', 'seed: 43'), baseRevision: 1 } })).status).toBe(409);
    const preview = await s.api('POST', '/api/v1/experiments/mpg/pipeline/preview', { body: {} });
    expect(contracts.versioned(contracts.runPreview).parse(preview.json()).steps.every((st) => st.action === 'run')).toBe(true);

    // submit: 202 at once; follow the run's events to run_finished
    const t0 = Date.now();
    const sub = await s.api('POST', '/api/v1/experiments/mpg/runs', { body: { seed: 7 } });
    expect(sub.status).toBe(202);
    expect(Date.now() - t0).toBeLessThan(2000);
    const submitted = contracts.jobSubmitted.parse(sub.json());
    expect(submitted).toMatchObject({ deduplicated: false, job: { kind: 'run', experiment: 'mpg', status: 'queued' } });
    const running = await waitJob(s, submitted.job.id, (j) => j.runIds.length === 1);
    const runId = running.runIds[0];
    const stream = s.events(`/api/v1/runs/${runId}/events`);
    expect(await stream.status).toBe(200);
    await stream.ended;
    const names = stream.events.map((e) => e.event);
    expect(names[0]).toBe('run_created');
    expect(names).toContain('run_started');
    expect(names.at(-1)).toBe('run_finished');
    expect(stream.events.map((e) => Number(e.id))).toEqual(stream.events.map((_e, i) => i + 1));
    for (const e of stream.events) contracts.runEvent.parse(e.json());
    const done = await waitJob(s, submitted.job.id, (j) => j.status !== 'running');
    expect(contracts.job.parse(done)).toMatchObject({ status: 'succeeded', runIds: [runId], reused: false });

    // the run, and its model checked against run.json
    const run = contracts.runShow.parse((await s.api('GET', `/api/v1/runs/${runId}`)).json());
    expect(run).toMatchObject({ id: runId, status: 'succeeded', seed: 7 });
    const model = await s.api('GET', `/api/v1/runs/${runId}/artifacts/model.json`);
    expect(model.status).toBe(200);
    const listed = run.artifacts.find((a) => a.name === 'model.json')!;
    expect(sha(model.body)).toBe(listed.hash);
    expect(model.headers.etag).toBe(`"${listed.hash}"`);
    expect(model.headers['content-type']).toMatch(/^application\/json/);
    expect((await s.api('GET', `/api/v1/runs/${runId}/artifacts/model.json`, { headers: { 'if-none-match': `"${listed.hash}"` } })).status).toBe(304);
    const part = await s.api('GET', `/api/v1/runs/${runId}/artifacts/model.json`, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.body.equals(model.body.subarray(10, 20))).toBe(true);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${model.body.length}`);
    expect((await s.api('GET', `/api/v1/runs/${runId}/artifacts/model.json`, { headers: { range: `bytes=${model.body.length + 5}-` } })).status).toBe(416);
    const report = await s.api('GET', `/api/v1/runs/${runId}/artifacts/report.html`);
    expect(report.headers['content-security-policy']).toMatch(/sandbox/);
    const arts = (await s.api('GET', `/api/v1/runs/${runId}/artifacts`)).json();
    expect(arts.map((a: { name: string }) => a.name)).toContain('model.json');
    expect(contracts.versioned(contracts.lineage).parse((await s.api('GET', `/api/v1/runs/${runId}/lineage`)).json())).toMatchObject({ dataset: { name: 'cars' } });

    // predict: a table in, predictions streamed back (CSV, then JSON lines)
    const table = readFileSync(join(REPO, 'node_modules', 'vega-datasets', 'data', 'cars.json'));
    const pred = await s.api('POST', `/api/v1/runs/${runId}/predict`, { body: table });
    expect(pred.status).toBe(200);
    expect(pred.text().trim().split('\n')).toHaveLength(407);
    const predJ = await s.api('POST', `/api/v1/runs/${runId}/predict?format=jsonl`, { body: table });
    expect(predJ.text().trim().split('\n')).toHaveLength(406);
    const predBad = await s.api('POST', `/api/v1/runs/${runId}/predict`, { body: 'a,b\n1,2\n' });
    expect(predBad.status).toBe(400);
    expect(predBad.json().error.message).toMatch(/column/);

    // a second run; compare; list with where (a bad expression: 400 with the caret)
    const sub2 = contracts.jobSubmitted.parse((await s.api('POST', '/api/v1/experiments/mpg/runs', { body: { seed: 8 } })).json());
    const done2 = await waitJob(s, sub2.job.id, (j) => j.status === 'succeeded');
    const cmp = await s.api('GET', `/api/v1/compare?runs=${runId},${done2.runIds[0]}`);
    expect(cmp.status).toBe(200);
    const view = contracts.versioned(contracts.compareView).parse(cmp.json());
    expect(view.runs).toEqual([runId, done2.runIds[0]]);
    expect(view.rows.some((r) => r.key === 'seed')).toBe(true);
    const page = contracts.versioned(contracts.runPage).parse((await s.api('GET', `/api/v1/runs?where=${encodeURIComponent('experiment == "mpg" and seed == 8')}`)).json());
    expect(page.runs.map((r) => r.id)).toEqual([done2.runIds[0]]);
    expect(page.total).toBe(1);
    const badWhere = await s.api('GET', `/api/v1/runs?where=${encodeURIComponent('seed >')}`);
    expect(badWhere.status).toBe(400);
    expect(badWhere.json().error.message).toMatch(/\^/);
    // pages: newest first, continued by the cursor
    const p1 = (await s.api('GET', '/api/v1/runs?limit=1')).json();
    expect(p1.runs[0].id).toBe(done2.runIds[0]);
    const p2 = (await s.api('GET', `/api/v1/runs?limit=1&cursor=${p1.nextCursor}`)).json();
    expect(p2.runs[0].id).toBe(runId);
    expect((await s.api('GET', '/api/v1/runs?cursor=nonsense')).status).toBe(400);

    // the rest of the capabilities answer with their contracts
    expect(contracts.versioned(contracts.workspaceStatus).parse((await s.api('GET', '/api/v1/status')).json())).toBeTruthy();
    expect(contracts.versioned(contracts.blockCatalog).parse((await s.api('GET', '/api/v1/blocks')).json()).blocks.length).toBeGreaterThan(5);
    const fsck = contracts.versioned(contracts.fsckReport).parse((await s.api('POST', '/api/v1/fsck')).json());
    expect(fsck.ok).toBe(true);
    const gc = contracts.versioned(contracts.gcReport).parse((await s.api('POST', '/api/v1/gc', { body: {} })).json());
    expect(gc.dryRun).toBe(true);
    const hook = await s.api('POST', '/api/v1/experiments/mpg/hooks', { body: { type: 'after_evaluate', code: 'export default (ctx) => { ctx.log("hi"); };' } });
    expect(hook.status).toBe(201);
    expect((await s.api('GET', '/api/v1/hooks')).json().map((h: { experiment: string }) => h.experiment)).toContain('mpg');
    const badHook = await s.api('POST', '/api/v1/experiments/mpg/hooks', { body: { type: 'after_evaluate', code: 'export default (ctx => {' } });
    expect(badHook.status).toBe(400);
    expect(badHook.json().error.code).toBe('HOOK_INVALID');
    expect((await s.api('DELETE', `/api/v1/experiments/mpg/hooks/${hook.json().id}`)).status).toBe(200);

    // every API action is in the audit log as the API call that made it
    const audit = readFileSync(join(ws, '.butterfly', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.find((e) => e.action === 'pipeline.put')).toMatchObject({ command: 'api: PUT /api/v1/experiments/mpg/pipeline' });
    expect(audit.find((e) => e.action === 'job.submit')).toMatchObject({ command: 'api: POST /api/v1/experiments/mpg/runs', target: { job: submitted.job.id, kind: 'run' } });

    // the OpenAPI document covers every route
    const openapi = (await s.api('GET', '/api/v1/openapi.json')).json();
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/api/v1/runs/{ref}/artifacts/{name}', '/api/v1/events', '/api/v1/experiments/{name}/runs']));
    expect(openapi.components.schemas.RunSummary).toBeTruthy();

    // SIGTERM: exit 0, serve.json removed
    expect(await s.stop()).toBe(0);
    expect(existsSync(record)).toBe(false);
    expect(readdirSync(join(ws, '.butterfly', 'locks'))).toEqual([]);
  }, 240_000);

  it('two identical submissions at once: one execution, both answers name the same job', async () => {
    const s = await serve();
    const before = readdirSync(join(ws, '.butterfly', 'runs')).length;
    const [a, b] = await Promise.all([0, 1].map(() => s.api('POST', '/api/v1/experiments/quick/runs', { body: { seed: 101 } })));
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.json().job.id).toBe(b.json().job.id);
    expect([a.json().deduplicated, b.json().deduplicated].sort()).toEqual([false, true]);
    const done = await waitJob(s, a.json().job.id, (j) => j.status === 'succeeded');
    expect(done.runIds).toHaveLength(1);
    expect(readdirSync(join(ws, '.butterfly', 'runs')).length).toBe(before + 1);
    expect((await s.api('GET', '/api/v1/jobs')).json().filter((j: { executionKey: string }) => j.executionKey === done.executionKey)).toHaveLength(1);
    // once it ended, the same submission is a new job that returns the run (reused)
    const again = (await s.api('POST', '/api/v1/experiments/quick/runs', { body: { seed: 101 } })).json();
    expect(again.deduplicated).toBe(false);
    expect(await waitJob(s, again.job.id, (j) => j.status === 'succeeded')).toMatchObject({ reused: true, runIds: done.runIds });
  }, 120_000);

  it('a batch job: every grid point and seed a run in a worker, counted; compare by batch; a bad grid point queues nothing', async () => {
    const s = await serve();
    const before = (await s.api('GET', '/api/v1/jobs')).json().length;
    const bad = await s.api('POST', '/api/v1/experiments/quick/runs', { body: { grid: ['blocks.model_selection.config.cv=2,1'] } });
    expect(bad.status).toBe(422);
    expect(bad.json().error.message).toMatch(/grid point/);
    expect((await s.api('GET', '/api/v1/jobs')).json()).toHaveLength(before);
    const sub = await s.api('POST', '/api/v1/experiments/quick/runs', { body: { grid: ['blocks.model_selection.config.cv=2,3'], seeds: '11-12' } });
    expect(sub.status).toBe(202);
    const job = sub.json().job;
    expect(job).toMatchObject({ kind: 'batch', batch: expect.stringMatching(/\S/) });
    const done = await waitJob(s, job.id, (j) => j.status !== 'queued' && j.status !== 'running');
    expect(done).toMatchObject({ status: 'succeeded', counts: { succeeded: 4 } });
    expect(new Set(done.runIds).size).toBe(4);
    const view = (await s.api('GET', `/api/v1/compare?batch=${done.batch}`)).json();
    expect([...view.runs].sort()).toEqual([...done.runIds].sort());
    const listed = (await s.api('GET', `/api/v1/runs?where=${encodeURIComponent(`batch == "${done.batch}"`)}`)).json();
    expect(listed.total).toBe(4);
  }, 120_000);

  it('cancel a queued and a running job; SIGTERM with jobs queued, and a restart runs them', async () => {
    const s = await serve(['--jobs', '1']);
    const submit = async (seed: number) => (await s.api('POST', '/api/v1/experiments/slow/runs', { body: { seed } })).json().job.id as string;
    const a = await submit(201);
    const b = await submit(202);
    expect((await s.api('GET', `/api/v1/jobs/${b}`)).json().status).toBe('queued');
    const runA = (await waitJob(s, a, (j) => j.runIds.length === 1)).runIds[0];
    // the queued one never starts
    expect((await s.api('DELETE', `/api/v1/jobs/${b}`)).status).toBe(202);
    expect(await waitJob(s, b, (j) => j.status !== 'queued')).toMatchObject({ status: 'cancelled', runIds: [], startedAt: null });
    // the running one ends cancelled, its lock released
    expect((await s.api('DELETE', `/api/v1/jobs/${a}`)).status).toBe(202);
    expect(await waitJob(s, a, (j) => j.status !== 'running')).toMatchObject({ status: 'cancelled', runIds: [runA] });
    expect(JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', runA, 'run.json'), 'utf8')).status).toBe('cancelled');
    expect(runLocks()).toEqual([]);
    expect((await s.api('DELETE', '/api/v1/jobs/20990101-000000-abcdef')).status).toBe(404);

    // three more: one runs, two queue; SIGTERM cancels the running one and keeps the queue
    const c = await submit(203);
    const d = await submit(204);
    const e = await submit(205);
    await waitJob(s, c, (j) => j.runIds.length === 1);
    expect(await s.stop()).toBe(0);
    const onDisk = (id: string) => JSON.parse(readFileSync(join(ws, '.butterfly', 'jobs', `${id}.json`), 'utf8'));
    expect(onDisk(c).status).toBe('cancelled');
    expect([onDisk(d).status, onDisk(e).status]).toEqual(['queued', 'queued']);
    expect(runLocks()).toEqual([]);

    const s2 = await serve(['--jobs', '2']);
    const jobs = (await s2.api('GET', '/api/v1/jobs')).json();
    expect(jobs.map((j: { id: string }) => j.id)).toEqual(expect.arrayContaining([a, b, c, d, e]));
    for (const id of [d, e]) expect(await waitJob(s2, id, (j) => j.status !== 'queued' && j.status !== 'running', 180_000)).toMatchObject({ status: 'succeeded' });
  }, 300_000);

  it('kill -9 of the service during a run: fsck is clean, and the next start marks the job and its run interrupted', async () => {
    const s = await serve(['--jobs', '1']);
    const id = (await s.api('POST', '/api/v1/experiments/slow/runs', { body: { seed: 301 } })).json().job.id;
    const runId = (await waitJob(s, id, (j) => j.runIds.length === 1)).runIds[0];
    const workers = execFileSync('pgrep', ['-P', String(s.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    expect(workers.length).toBeGreaterThan(0);
    s.proc.kill('SIGKILL');
    await s.proc;
    // its worker notices at once and dies too (no run goes on for nobody)
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && workers.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
    expect(workers.filter(alive)).toEqual([]);
    const f = await cli(['fsck', '--json']);
    expect(f.json()).toMatchObject({ ok: true, problems: [] });
    expect(f.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', runId, 'run.json'), 'utf8')).status).toBe('interrupted');
    expect(existsSync(join(ws, '.butterfly', 'serve.json'))).toBe(false);

    const s2 = await serve();
    expect((await s2.api('GET', `/api/v1/jobs/${id}`)).json()).toMatchObject({ status: 'interrupted', error: { code: 'JOB_INTERRUPTED' } });
    expect((await s2.api('GET', `/api/v1/runs/${runId}`)).json().status).toBe('interrupted');
    expect(await s2.stop()).toBe(0);
    // a damaged job record: fsck names it, --repair removes it (history, not data)
    writeFileSync(join(ws, '.butterfly', 'jobs', `${id}.json`), '{"id": ');
    const bad = (await cli(['fsck', '--json'])).json();
    expect(bad.problems).toEqual([expect.objectContaining({ kind: 'bad_job_record', path: `.butterfly/jobs/${id}.json`, repairable: true })]);
    expect((await cli(['fsck', '--repair', '--json'])).json()).toMatchObject({ ok: true });
    expect(existsSync(join(ws, '.butterfly', 'jobs', `${id}.json`))).toBe(false);
  }, 120_000);

  it('a run started with the CLI appears on /api/v1/events within 1 s; Last-Event-ID replays what was missed, exactly', async () => {
    const s = await serve();
    const stream = s.events('/api/v1/events');
    expect(await stream.status).toBe(200);
    const r = cli(['run', 'quick', '--seed', '401', '--json']);
    const started = await stream.waitFor((e) => e.event === 'workspace_changed' && e.json().change.action === 'run.start');
    expect(started.at - Date.parse(started.json().change.at)).toBeLessThan(1000);
    const runId = started.json().change.target.run;
    await stream.waitFor((e) => e.event === 'run_event' && e.json().runId === runId && e.json().event.type === 'run_finished');
    expect((await r).exitCode).toBe(0);
    await stream.waitFor((e) => e.event === 'workspace_changed' && e.json().change.action === 'run.end');
    for (const e of stream.events) contracts.serviceEvent.parse(e.json());
    stream.close();
    // reconnect after the 3rd event: everything after it, nothing twice
    const ids = stream.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const again = s.events('/api/v1/events', { 'last-event-id': ids[2]! });
    await again.waitFor((e) => e.id === ids.at(-1));
    expect(again.events.map((e) => e.id)).toEqual(ids.slice(3));
    again.close();
    // an id this service never gave: a reset first
    const lost = s.events('/api/v1/events', { 'last-event-id': 'deadbeef-5' });
    expect((await lost.waitFor(() => true)).event).toBe('reset');
    lost.close();
  }, 120_000);

  it('security: token, Host, Origin, path parameters, body limits; failed requests change nothing', async () => {
    const s = await serve(['--max-upload', '20000']);
    const before = snapshotTree(join(ws, '.butterfly'));
    // no token, a wrong token (same length and not): 401 and nothing else said
    for (const headers of [{} as Record<string, string>, { authorization: `Bearer ${'0'.repeat(s.token.length)}` }, { authorization: 'Bearer x' }, { cookie: `bfly_${s.port}=nope` }]) {
      const r = await httpRequest(s.port, 'GET', '/api/v1/health', headers);
      expect(r.status).toBe(401);
      expect(r.json().error).toEqual({ code: 'UNAUTHORIZED', category: 'policy', message: 'unauthorized', hint: null });
    }
    // DNS rebinding: another Host is refused even with the token
    for (const host of ['evil.example', `evil.example:${s.port}`, '127.0.0.1:1', 'localhost']) {
      expect((await httpRequest(s.port, 'GET', '/api/v1/health', { ...s.auth, host })).status).toBe(403);
    }
    expect((await httpRequest(s.port, 'GET', '/api/v1/health', { ...s.auth, host: `localhost:${s.port}` })).status).toBe(200);
    // CSRF: a state-changing request from another origin, with a valid token
    const csrf = await s.api('POST', '/api/v1/experiments', { body: { name: 'x', dataset: 'penguins', target: 'Species' }, headers: { origin: 'http://evil.example' } });
    expect(csrf.status).toBe(403);
    expect((await s.api('POST', '/api/v1/gc', { body: { apply: true }, headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    // no CORS, ever
    const pre = await s.api('OPTIONS', '/api/v1/health', { headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
    expect(Object.keys(pre.headers).filter((h) => h.startsWith('access-control'))).toEqual([]);
    // path parameters: ../, absolute paths, encoded slashes
    const hostile = ['..', '..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', '..%2Fconfig.yaml', '.butterfly', 'a%00b', '%2E%2E'];
    for (const p of hostile) {
      for (const path of [`/api/v1/experiments/${p}`, `/api/v1/experiments/${p}/pipeline`, `/api/v1/datasets/${p}`, `/api/v1/runs/${p}`, `/api/v1/runs/${p}/artifacts`, `/api/v1/jobs/${p}`, `/api/v1/runs/@latest/artifacts/${p}`, `/api/v1/runs/@latest/artifacts/..%2Frun.json`]) {
        const r = await s.api('GET', path);
        expect([400, 404], `${path} -> ${r.status} ${r.text().slice(0, 200)}`).toContain(r.status);
        expect(r.text()).not.toMatch(/root:x:0|formatVersion/);
      }
    }
    expect((await s.api('GET', '/api/v1/runs/@latest/artifacts/run.json')).status).toBe(404);
    // bodies: over the upload limit (413), malformed, too deep, unknown keys, wrong type
    const big = Buffer.alloc(50_000, 'a,b\n1,2\n');
    const over = await s.api('POST', '/api/v1/datasets?name=big', { body: big });
    expect(over.status).toBe(413);
    expect(over.json().error.code).toBe('BODY_TOO_LARGE');
    expect((await s.api('POST', '/api/v1/experiments', { body: '{"name":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await s.api('POST', '/api/v1/experiments', { body: '['.repeat(100) + ']'.repeat(100), headers: { 'content-type': 'application/json' } })).json().error.code).toBe('JSON_TOO_DEEP');
    expect((await s.api('POST', '/api/v1/experiments/quick/runs', { body: { seed: 1, sneaky: true } })).status).toBe(400);
    expect((await s.api('POST', '/api/v1/experiments/quick/runs', { body: 'seed=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
    expect((await s.api('POST', '/api/v1/experiments/quick/runs', { body: { sets: ['blocks.nope.config.x=1'] } })).status).toBe(400);
    expect((await s.api('GET', '/api/v1/runs?limit=0')).status).toBe(400);
    expect((await s.api('GET', '/api/v1/nope')).status).toBe(404);
    expect((await s.api('GET', '/api/v1/experiments/nope')).status).toBe(404);
    // none of that changed a byte
    expect(snapshotTree(join(ws, '.butterfly'))).toEqual(before);
    // a second service on the same workspace is refused, naming the first
    const second = await bfly(['-C', ws, 'serve', '--port', '0', '--json']);
    expect(second.exitCode).toBe(9);
    expect(JSON.parse(second.stderr).error).toMatchObject({ code: 'SERVE_RUNNING', message: expect.stringContaining(s.url) });
    // the browser's way in: ?token= once, then an HttpOnly SameSite=Strict cookie
    const entry = await httpRequest(s.port, 'GET', `/?token=${s.token}`, {});
    expect(entry.status).toBe(303);
    const cookie = String(entry.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect((await httpRequest(s.port, 'GET', '/api/v1/health', { cookie: cookie.split(';')[0] })).status).toBe(200);
  }, 120_000);

  it('100 clients polling while a run executes: every answer 200', async () => {
    const s = await serve();
    const id = (await s.api('POST', '/api/v1/experiments/slow/runs', { body: { seed: 501 } })).json().job.id;
    const runId = (await waitJob(s, id, (j) => j.runIds.length === 1)).runIds[0];
    const statuses = new Map<number, number>();
    let requests = 0;
    let finished = false;
    const client = async () => {
      while (!finished) {
        for (const path of [`/api/v1/jobs/${id}`, `/api/v1/runs/${runId}`, '/api/v1/runs?limit=5']) {
          const r = await s.api('GET', path);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          requests++;
          if (path.includes('/jobs/') && r.json().status !== 'running') finished = true;
        }
      }
    };
    await Promise.all(Array.from({ length: 100 }, client));
    expect([...statuses.keys()]).toEqual([200]);
    expect(requests).toBeGreaterThan(300);
    expect((await s.api('GET', `/api/v1/jobs/${id}`)).json().status).toBe('succeeded');
  }, 180_000);
});
