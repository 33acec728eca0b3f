// Batches through BullMQ on a real redis-server (started here on a free loopback port with its
// own temp dir, stopped after): three workers as separate processes with distinct simulated host
// names on one workspace; a worker killed with -9 mid-run; a hook that throws (not retried);
// Redis killed and restarted mid-batch; bad input.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BFLY, bfly, makeCliWorkspace, REPO } from '../helpers.js';
import { haveRedis, startRedis, type TestRedis } from '../redis.js';
import { startServe, waitJob } from '../serve-client.js';

const QUICK = readFileSync(join(REPO, 'examples', 'pipelines', 'quick.yaml'), 'utf8').replace(/\n {2}- \{id: explain.*\n/, '\n');
const SLOW = readFileSync(join(REPO, 'test', 'fixtures', 'fast-pipeline.yaml'), 'utf8').replace('cv: 3', 'cv: 10').replace('n_estimators: 20', 'n_estimators: 400');
// Short leases so that a dead worker's locks lapse in seconds (production: 30 s).
const ENV = { BFLY_LOCK_LEASE_MS: '1500', BFLY_QUEUE_LOCK_MS: '2000' };

let dir: string;
let ws: string;
let cleanup: () => void;
let redis: TestRedis;
const run = (args: string[], env: Record<string, string> = {}) => bfly(['-C', ws, ...args], { env: { ...ENV, ...env } });
const ndjson = (s: string) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const runIds = () => readdirSync(join(ws, '.butterfly', 'runs')).sort();
const manifest = (id: string) => JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', id, 'run.json'), 'utf8'));
const batchRecord = (id: string) => JSON.parse(readFileSync(join(ws, '.butterfly', 'batches', `${id}.json`), 'utf8'));

interface W {
  name: string;
  host: string;
  proc: ChildProcess;
  events: Array<Record<string, unknown>>;
}
const workers: W[] = [];

function startWorker(name: string, host: string): Promise<W> {
  const proc = spawn(process.execPath, [BFLY, '-C', ws, 'worker', '--queue', redis.url, '--name', name, '--json'], { env: { ...process.env, ...ENV, BFLY_HOST: host, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const w: W = { name, host, proc, events: [] };
  let buf = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (c: string) => {
    buf += c;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() !== '') w.events.push(JSON.parse(line));
    }
  });
  proc.stderr!.resume();
  workers.push(w);
  return waitFor(() => w.events.some((e) => e.type === 'worker_started'), 15_000, `worker ${name} to start`).then(() => w);
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForAsync(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const stopped = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;

// Skipped (saying so) only outside CI: `.ci/run` installs redis-server, and CI fails without it.
const suite = haveRedis() || process.env.CI ? describe : describe.skip;
if (!haveRedis() && !process.env.CI) console.warn('queue tests skipped: redis-server is not installed (apt-get install redis-server)');

suite('bfly worker / run --queue / queue (BullMQ on a real Redis)', () => {
  beforeAll(async () => {
    ({ dir, ws, cleanup } = await makeCliWorkspace());
    redis = await startRedis(dir);
    await run(['dataset', 'import', join(REPO, 'examples', 'data', 'penguins.csv'), '--name', 'penguins']);
    for (const [name, text] of [['quick', QUICK], ['slow', SLOW], ['hooky', QUICK]]) {
      writeFileSync(join(dir, `${name}.yaml`), text);
      await run(['experiment', 'create', name, '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, `${name}.yaml`)]);
    }
    expect((await run(['hook', 'add', 'hooky', 'after_split', '--code', 'export default () => { throw new Error("boom <b>x</b>"); }'])).exitCode).toBe(0);
    await Promise.all([startWorker('w1', 'host-a'), startWorker('w2', 'host-b'), startWorker('w3', 'host-c')]);
  }, 90_000);

  afterAll(async () => {
    for (const w of workers) if (!stopped(w.proc)) w.proc.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 600)); // their run processes see the orphaning and end
    await redis?.stop();
    cleanup?.();
  });

  it('three workers on three hosts run a 4 x 3 grid with 2 seeds: 24 runs, each exactly once; fsck is clean; resubmitting makes none', async () => {
    const before = runIds();
    const r = await run(['run', 'quick', '--grid', 'blocks.model_selection.config.cv=2,3,4,5', '--grid', 'blocks.split.config.test_size=0.2,0.25,0.3', '--seeds', '1-2', '--queue', redis.url, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const events = ndjson(r.stdout);
    expect(events[0]).toMatchObject({ type: 'batch_submitted', runs: 24, enqueued: 24, reused: 0, inFlight: 0 });
    expect(events.some((e) => e.type === 'batch_run_event' && e.event.type === 'block_finished')).toBe(true);
    const end = events.at(-1);
    expect(end).toMatchObject({ type: 'batch_finished', counts: { succeeded: 24 }, cancelled: false });
    const made = runIds().filter((id) => !before.includes(id));
    expect(made).toHaveLength(24);
    const ms = made.map(manifest);
    expect(new Set(ms.map((m) => m.executionKey)).size).toBe(24);
    expect(ms.every((m) => m.status === 'succeeded' && m.batch === end.batch)).toBe(true);
    // every run says where it ran; the work was shared
    const hosts = new Set(ms.map((m) => m.env.host));
    expect([...hosts].every((h) => ['host-a', 'host-b', 'host-c'].includes(h))).toBe(true);
    expect(hosts.size).toBeGreaterThanOrEqual(2);
    expect(ms.every((m) => ['w1', 'w2', 'w3'].includes(m.env.worker))).toBe(true);
    const rec = batchRecord(end.batch);
    expect(rec.endedAt).not.toBeNull();
    expect(rec.runs.every((x: { status: string; host: string }) => x.status === 'succeeded' && x.host !== undefined)).toBe(true);
    const listed = await run(['runs', '--where', `batch == "${end.batch}" and host == "${ms[0].env.host}"`, '--json']);
    expect(listed.json().length).toBe(ms.filter((m) => m.env.host === ms[0].env.host).length);
    expect((await run(['show', made[0]])).stdout).toMatch(new RegExp(`ran on +${ms[0].env.host}, worker ${ms[0].env.worker}`));
    expect((await run(['runs', '--limit', '24'])).stdout).toMatch(/host\s*\n/);
    const fsck = await run(['fsck']);
    expect(fsck.exitCode, fsck.stdout + fsck.stderr).toBe(0);
    // again: everything is done already; nothing is enqueued, no run is made
    const again = await run(['run', 'quick', '--grid', 'blocks.model_selection.config.cv=2,3,4,5', '--grid', 'blocks.split.config.test_size=0.2,0.25,0.3', '--seeds', '1-2', '--queue', redis.url, '--json']);
    expect(again.exitCode).toBe(0);
    expect(ndjson(again.stdout)[0]).toMatchObject({ type: 'batch_submitted', runs: 24, enqueued: 0, reused: 24 });
    expect(ndjson(again.stdout).at(-1)).toMatchObject({ type: 'batch_finished', counts: { reused: 24 } });
    expect(runIds()).toHaveLength(before.length + 24);
    const status = (await run(['queue', 'status', '--queue', redis.url, '--json'])).json();
    expect(status.workers.map((w: { name: string }) => w.name).sort()).toEqual(['w1', 'w2', 'w3']);
    expect(status.counts).toMatchObject({ waiting: 0, active: 0, failed: 0 });
    expect(status.batches).toEqual([]);
  }, 180_000);

  it('a worker killed with -9 mid-run: another worker finishes its job, the dead run is interrupted, the new run takes finished blocks from the cache', async () => {
    const before = runIds();
    const sub = await run(['run', 'slow', '--queue', redis.url, '--detach', '--json']);
    expect(sub.exitCode, sub.stderr).toBe(0);
    const { batch } = JSON.parse(sub.stdout);
    const job = `${batch}.0`;
    // Wait until a worker is inside model_selection (split, features, preprocess are done and cached).
    await waitFor(() => workers.some((w) => w.events.some((e) => e.type === 'job_block' && e.job === job && e.block === 'model_selection')), 60_000, 'the slow run to reach model_selection');
    const victim = workers.find((w) => w.events.some((e) => e.type === 'job_block' && e.job === job))!;
    victim.proc.kill('SIGKILL');
    await waitFor(() => batchRecord(batch).endedAt !== null, 120_000, 'the batch to complete');
    const rec = batchRecord(batch);
    expect(rec.runs[0]).toMatchObject({ status: 'succeeded' });
    expect(rec.runs[0].host).not.toBe(victim.host);
    const made = runIds().filter((id) => !before.includes(id)).map(manifest);
    expect(made).toHaveLength(2);
    const dead = made.find((m) => m.env.host === victim.host)!;
    const ok = made.find((m) => m.env.host !== victim.host)!;
    // marked interrupted once its lock's lease lapsed (by the worker that finished the job)
    await waitFor(() => manifest(dead.id).status === 'interrupted', 15_000, 'the dead run to be marked interrupted');
    expect(manifest(dead.id).error).toMatchObject({ category: 'infra', code: 'RUN_INTERRUPTED' });
    expect(ok.status).toBe('succeeded');
    const cached = ok.blocks.filter((b: { cached: boolean }) => b.cached).map((b: { id: string }) => b.id);
    expect(cached).toEqual(expect.arrayContaining(['split', 'features', 'preprocess']));
    expect(ok.blocks.find((b: { id: string }) => b.id === 'model_selection').cached).toBe(false);
    // the replacement worker started it as the job's second attempt
    expect(workers.some((w) => w !== victim && w.events.some((e) => e.type === 'job_started' && e.job === job && e.attempt === 2))).toBe(true);
    expect((await run(['fsck'])).exitCode).toBe(0);
  }, 240_000);

  it('a hook that throws fails its job once, with user_code, and is not retried', async () => {
    const before = runIds();
    const r = await run(['run', 'hooky', '--queue', redis.url, '--json']);
    expect(r.exitCode).toBe(7);
    const end = ndjson(r.stdout).at(-1);
    expect(end).toMatchObject({ type: 'batch_finished', counts: { failed: 1 } });
    const finished = ndjson(r.stdout).find((e) => e.type === 'batch_run_finished');
    expect(finished.result.error).toMatchObject({ category: 'user_code', code: 'HOOK_FAILED' });
    await new Promise((res) => setTimeout(res, 3000)); // a retry (backoff 2 s) would have started by now
    const job = `${end.batch}.0`;
    const starts = workers.flatMap((w) => w.events.filter((e) => e.type === 'job_started' && e.job === job));
    expect(starts).toHaveLength(1);
    expect(runIds().filter((id) => !before.includes(id))).toHaveLength(1);
    expect(batchRecord(end.batch).runs[0]).toMatchObject({ status: 'failed', error: { category: 'user_code' } });
    const status = (await run(['queue', 'status', '--queue', redis.url, '--json'])).json();
    expect(status.counts.failed).toBe(1);
    // retry does not retry user code
    const retry = await run(['queue', 'retry', end.batch, '--queue', redis.url]);
    expect(retry.exitCode).toBe(0);
    expect(retry.stdout).toMatch(/0 run\(s\) queued again\n {2}not retried: .*user_code/);
  }, 120_000);

  it('Redis killed and restarted mid-batch: workers and the follower reconnect, the batch completes, nothing runs twice', async () => {
    const before = runIds();
    const follower = spawn(process.execPath, [BFLY, '-C', ws, 'run', 'quick', '--grid', 'blocks.model_selection.config.cv=2,3,4,5', '--seeds', '21-22', '--queue', redis.url, '--json'], { env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follower.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    follower.stderr!.resume();
    const exited = new Promise<number | null>((res) => follower.once('exit', (code) => res(code)));
    await waitFor(() => out.includes('"batch_run_finished"'), 60_000, 'a first run to finish');
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 150_000))]);
    if (code === 'timeout') follower.kill('SIGKILL');
    expect(code).toBe(0);
    const end = ndjson(out).at(-1);
    expect(end).toMatchObject({ type: 'batch_finished', counts: { succeeded: 8 } });
    const made = runIds().filter((id) => !before.includes(id)).map(manifest);
    // each grid point ran once: no two runs share an execution key
    expect(made.filter((m) => !m.reused)).toHaveLength(8);
    expect(new Set(made.map((m) => m.executionKey)).size).toBe(made.length);
    expect(made.every((m) => m.status === 'succeeded')).toBe(true);
    // the workers are still there, connected again
    const status = (await run(['queue', 'status', '--queue', redis.url, '--json'])).json();
    expect(status.workers.length).toBeGreaterThanOrEqual(2);
  }, 240_000);

  it('an infra failure (its run process killed) is retried after a backoff, and the retry succeeds', async () => {
    const sub = await run(['run', 'slow', '--seed', '5', '--queue', redis.url, '--detach', '--json']);
    const { batch } = JSON.parse(sub.stdout);
    const job = `${batch}.0`;
    await waitFor(() => workers.some((w) => w.events.some((e) => e.type === 'job_block' && e.job === job && e.block === 'model_selection')), 60_000, 'the run to reach model_selection');
    // the run process (not the worker): its pid is in its run lock
    const lock = readdirSync(join(ws, '.butterfly', 'locks')).find((f) => f.startsWith('run-'))!;
    process.kill(JSON.parse(readFileSync(join(ws, '.butterfly', 'locks', lock), 'utf8')).pid, 'SIGKILL');
    await waitFor(() => batchRecord(batch).endedAt !== null, 120_000, 'the batch to complete');
    expect(batchRecord(batch).runs[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
    const fin = workers.flatMap((w) => w.events.filter((e) => e.type === 'job_finished' && e.job === job));
    expect(fin).toHaveLength(2);
    expect(fin).toEqual(expect.arrayContaining([expect.objectContaining({ status: 'crashed', retry: true, error: expect.objectContaining({ category: 'infra', code: 'WORKER_DIED' }) }), expect.objectContaining({ status: 'succeeded' })]));
  }, 180_000);

  it('a job that kills its worker on every attempt is failed after its attempts, with that reason', async () => {
    const sub = await run(['run', 'slow', '--seed', '6', '--queue', redis.url, '--detach', '--attempts', '2', '--json']);
    const { batch } = JSON.parse(sub.stdout);
    const job = `${batch}.0`;
    for (let attempt = 1; attempt <= 2; attempt++) {
      await waitFor(() => workers.some((w) => !stopped(w.proc) && w.events.some((e) => e.type === 'job_started' && e.job === job && e.attempt === attempt)), 60_000, `attempt ${attempt} to start`);
      const w = workers.find((x) => !stopped(x.proc) && x.events.some((e) => e.type === 'job_started' && e.job === job && e.attempt === attempt))!;
      w.proc.kill('SIGKILL');
      await startWorker(`w${workers.length + 1}`, `host-${workers.length + 1}`);
    }
    await waitFor(() => batchRecord(batch).endedAt !== null, 60_000, 'the job to be failed');
    expect(batchRecord(batch).runs[0]).toMatchObject({ status: 'crashed', error: { category: 'infra', code: 'WORKER_DIED', message: expect.stringMatching(/started 2 times and each time its worker died/) } });
    const status = (await run(['queue', 'status', '--queue', redis.url, '--json'])).json();
    expect(status.counts.failed).toBeGreaterThanOrEqual(2);
    // transient: queue retry takes it again (and this time no one kills it)
    const retry = await run(['queue', 'retry', batch, '--queue', redis.url, '--json']);
    expect(retry.json()).toMatchObject({ retried: [0], notRetried: [] });
    await waitFor(() => batchRecord(batch).endedAt !== null, 120_000, 'the retried batch to complete');
    expect(batchRecord(batch).runs[0]).toMatchObject({ status: 'succeeded' });
  }, 240_000);

  it('bfly serve --queue: a job submitted over the API is dispatched to the workers and followed to its end', async () => {
    const s = await startServe(ws, ['--queue', redis.url], ENV);
    try {
      const sub = await s.api('POST', '/api/v1/experiments/quick/runs', { body: { grid: ['blocks.model_selection.config.cv=2,3'], seeds: [41] } });
      expect(sub.status).toBe(202);
      const { job } = sub.json();
      expect(job.batch).toMatch(/^b-/);
      const done = await waitJob(s, job.id, (j) => j.status === 'succeeded' || j.status === 'failed', 90_000);
      expect(done).toMatchObject({ status: 'succeeded', counts: { succeeded: 2 } });
      expect(done.runIds).toHaveLength(2);
      // the runs were made by the workers, not the service
      for (const id of done.runIds) expect(workers.map((w) => w.name)).toContain(manifest(id).env.worker);
      expect(batchRecord(job.batch).queue).toMatchObject({ url: redis.url });
    } finally {
      expect(await s.stop()).toBe(0);
    }
  }, 120_000);

  it('cancel drops what is queued; SIGINT drains a worker; bad input is refused with its own exit code', async () => {
    // no live worker takes jobs while we look: stop them all (first signal: drain and exit)
    for (const w of workers) if (!stopped(w.proc)) w.proc.kill('SIGINT');
    await waitFor(() => workers.every((w) => stopped(w.proc)), 20_000, 'the workers to stop');
    expect(workers.every((w) => w.proc.signalCode === 'SIGKILL' || w.proc.exitCode === 0)).toBe(true);
    expect(workers.find((w) => w.proc.exitCode === 0)!.events.at(-1)).toMatchObject({ type: 'worker_stopped' });
    const sub = await run(['run', 'quick', '--grid', 'blocks.model_selection.config.cv=2,3', '--seeds', '31', '--queue', redis.url, '--detach', '--json']);
    const { batch } = JSON.parse(sub.stdout);
    // a worker killed with -9 earlier is listed until its heartbeat (5 s) lapses
    let st = '';
    await waitForAsync(async () => /no worker is running/.test((st = (await run(['queue', 'status', '--queue', redis.url])).stdout)), 15_000, 'the killed workers\' heartbeats to lapse');
    expect(st).toMatch(/no worker is running/);
    expect(st).toContain(batch);
    const c = await run(['queue', 'cancel', batch, '--queue', redis.url, '--json']);
    expect(c.json()).toMatchObject({ batch, dropped: 2, stopping: 0 });
    expect(batchRecord(batch)).toMatchObject({ cancelled: true, runs: [{ status: 'skipped' }, { status: 'skipped' }] });
    expect(batchRecord(batch).endedAt).not.toBeNull();
    expect((await run(['queue', 'status', '--queue', redis.url, '--json'])).json().counts.waiting).toBe(0);
    // bad input
    const bad = await run(['run', 'quick', '--queue', 'http://127.0.0.1:1/0']);
    expect(bad.exitCode).toBe(4);
    expect(bad.stderr).toMatch(/--queue "http:\/\/127.0.0.1:1\/0" uses http, not redis\n {2}hint: give a Redis address/);
    const down = await run(['worker', '--queue', 'redis://127.0.0.1:1/0']);
    expect(down.exitCode).toBe(9);
    expect(down.stderr).toMatch(/cannot reach Redis at redis:\/\/127.0.0.1:1\/0.*\n {2}hint: start one/);
    expect((await run(['queue', 'status'])).stderr).toMatch(/no queue given\n {2}hint: pass --queue/);
    expect((await run(['run', 'quick', '--detach'])).exitCode).toBe(4);
    expect((await run(['worker', '--queue', redis.url, '--concurrency', '0'])).exitCode).toBe(4);
    expect((await run(['queue', 'cancel', 'b-nope', '--queue', redis.url])).exitCode).toBe(5);
    // a grid point that does not validate: nothing is recorded or enqueued
    const batchesBefore = readdirSync(join(ws, '.butterfly', 'batches')).length;
    const invalid = await run(['run', 'quick', '--grid', 'blocks.model_selection.config.cv=2,1', '--queue', redis.url]);
    expect(invalid.exitCode).toBe(4);
    expect(invalid.stderr).toMatch(/grid point model_selection.cv=1/);
    expect(readdirSync(join(ws, '.butterfly', 'batches')).length).toBe(batchesBefore);
  }, 120_000);
});
