// npm run bench -- cluster: batches through BullMQ on a real redis-server (started here on a free
// loopback port, stopped after).
// 1. 16 CPU-bound runs (every block executed: --force --no-cache): 1 worker (concurrency 1) vs
//    2 workers (target >= 1.7x), and 2 workers vs local `--jobs 2` (the queue's overhead, target
//    <= 10%). Sampled round-robin; medians.
// 2. Dispatch latency, enqueue -> run started (BullMQ's own timestamps): 1,000 trivial jobs (an
//    already-done run: the worker answers from the workspace without a process), one at a time.
// 3. The costs the scaling model in the README is built on: Redis commands and CPU per run and per
//    idle worker-second (INFO commandstats), shared-filesystem metadata operations per run (strace
//    of a worker) and the time to update a big batch record; then where 100 and 1,000 workers saturate.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { setupBatchWorkspace } from './batch.js';
import { BFLY, fmt, table } from './lib.js';

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(dir) {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (c) => {
      out += c;
      if (out.includes('Ready to accept connections')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  proc.stdout.resume();
  return { port, url: `redis://127.0.0.1:${port}/0`, stop: () => new Promise((r) => (proc.exitCode !== null ? r() : (proc.once('exit', r), proc.kill('SIGTERM')))) };
}

/** A `bfly worker`, optionally under strace; resolves once it has started. */
function startWorker(dir, url, name, env = {}, wrap = []) {
  const args = [...wrap, process.execPath, BFLY, '-C', dir, 'worker', '--queue', url, '--name', name, '--json'];
  const proc = spawn(args[0], args.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c) => {
      out += c;
      if (out.includes('"worker_started"')) {
        proc.stdout.off('data', onData);
        proc.stdout.resume();
        // under strace, the worker is strace's child: it gets the signal, and strace ends with it
        const target = () => (wrap.length === 0 ? proc.pid : Number(spawnSync('pgrep', ['-P', String(proc.pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0]) || proc.pid);
        resolve({ proc, stop: () => new Promise((r) => (proc.exitCode !== null ? r() : (proc.once('exit', r), process.kill(target(), 'SIGINT')))) });
      }
    };
    proc.stdout.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`worker ${name} exited ${code}`)));
  });
}

const cmd = (dir, args) => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BFLY, '-C', dir, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`bfly ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, stdout: r.stdout };
};

/** Redis's own account of its work so far: commands run and the CPU time it spent on them (µs). */
function redisStats(port) {
  const r = spawnSync('redis-cli', ['-p', String(port), 'INFO', 'commandstats'], { encoding: 'utf8' });
  let calls = 0;
  let usec = 0;
  for (const m of r.stdout.matchAll(/^cmdstat_(\w+):calls=(\d+),usec=(\d+)/gm)) {
    if (m[1] === 'info') continue;
    calls += Number(m[2]);
    usec += Number(m[3]);
  }
  return { calls, usec };
}
const statsSince = (port, a) => {
  const b = redisStats(port);
  return { calls: b.calls - a.calls, usec: b.usec - a.usec };
};

const say = (m) => process.stderr.write(`cluster: ${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

export async function benchCluster(args) {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    console.log('\ncluster: skipped: redis-server is not installed (apt-get install redis-server)');
    return;
  }
  const quick = args.includes('--quick');
  const runs = quick ? 8 : 16;
  const rounds = quick ? 1 : 2;
  const dir = mkdtempSync(join(tmpdir(), 'bfly-bench-cluster-'));
  const redis = await startRedis(dir);
  const live = [];
  try {
    say('setting up the workspace');
    setupBatchWorkspace(dir);
    const batch = (extra) => {
      const m = cmd(dir, ['run', 'e', '--seeds', `1-${runs}`, '--force', '--no-cache', '--json', ...extra]);
      const end = JSON.parse(m.stdout.trim().split('\n').at(-1));
      if (end.counts.succeeded !== runs) throw new Error(`batch ${extra.join(' ')}: ${JSON.stringify(end.counts)}`);
      return m.seconds;
    };
    batch(['--jobs', '2']); // warm the page cache and the V8 code cache
    const times = { local: [], one: [], two: [] };
    let soloRedis = null;
    let runSeconds = null;
    for (let i = 0; i < rounds; i++) {
      say(`round ${i + 1}: local --jobs 2`);
      times.local.push(batch(['--jobs', '2']));
      {
        say(`round ${i + 1}: 1 worker`);
        // threads pinned on both sides (as for OpenMP references): each run on one core
        const w = await startWorker(dir, redis.url, 'solo', { BFLY_THREADS: '1' });
        live.push(w);
        const c0 = redisStats(redis.port);
        const t = batch(['--queue', redis.url]);
        soloRedis ??= { ...statsSince(redis.port, c0), seconds: t };
        runSeconds ??= t / runs;
        times.one.push(t);
        await w.stop();
      }
      {
        say(`round ${i + 1}: 2 workers`);
        // two workers on this 2-core machine: one run per core, each run on one thread (as --jobs 2 does)
        const ws = await Promise.all(['a', 'b'].map((n) => startWorker(dir, redis.url, `pair-${n}`, { BFLY_THREADS: '1', BFLY_HOST: `host-${n}` })));
        live.push(...ws);
        times.two.push(batch(['--queue', redis.url]));
        await Promise.all(ws.map((w) => w.stop()));
      }
    }
    const local = median(times.local);
    const one = median(times.one);
    const two = median(times.two);

    say('dispatch latency');
    // 2. dispatch latency: 1,000 trivial jobs, one at a time, two idle workers
    const ws = await Promise.all(['a', 'b'].map((n) => startWorker(dir, redis.url, `lat-${n}`)));
    live.push(...ws);
    const latency = await dispatchLatency(dir, redis.url, quick ? 200 : 1000);
    await Promise.all(ws.map((w) => w.stop()));

    say('an idle worker\'s cost to Redis');
    // 3. a worker's standing cost (heartbeat, BullMQ's lock renewal and stalled checks): 2 idle workers, 5 s
    const idle = await Promise.all(['a', 'b'].map((n) => startWorker(dir, redis.url, `idle-${n}`)));
    live.push(...idle);
    await new Promise((r) => setTimeout(r, 1000));
    const i0 = redisStats(redis.port);
    await new Promise((r) => setTimeout(r, 5000));
    const idleCost = statsSince(redis.port, i0);
    await Promise.all(idle.map((w) => w.stop()));
    const perWorkerSecond = { calls: idleCost.calls / 10, usec: idleCost.usec / 10 };
    // a run's own cost: the solo phase less its worker's standing cost over that time (the follower's polling stays in)
    const perRun = { calls: (soloRedis.calls - perWorkerSecond.calls * soloRedis.seconds) / runs, usec: (soloRedis.usec - perWorkerSecond.usec * soloRedis.seconds) / runs };

    say('batch record updates');
    const recordMs = await batchRecordUpdateMs(dir);

    say('metadata operations (strace)');
    // 4. shared-filesystem metadata operations per run: a worker under strace runs 4 runs
    const fsOps = await metadataOpsPerRun(dir, redis.url);

    console.log(`\ncluster: ${runs} CPU-bound runs (20,000 rows, 3-fold CV of logistic regression and gradient boosting, every block executed), ${availableParallelism()} cores, medians of ${rounds} round(s), round-robin`);
    table(
      ['measure', 'bfly', 'target', 'ratio to target'],
      [
        ['local --jobs 2 (s)', fmt(local), '-', '-'],
        ['queue, 1 worker x concurrency 1 (s)', fmt(one), '-', '-'],
        ['queue, 2 workers x concurrency 1 (s)', fmt(two), '-', '-'],
        ['2 workers / 1 worker throughput', `${fmt(one / two)}x`, '>= 1.7x', `${fmt(one / two / 1.7)}x`],
        ['queue overhead: 2 workers vs --jobs 2', `${fmt((two / local - 1) * 100, 1)}%`, '<= 10%', `${fmt(two / local / 1.1)}x`],
        [`dispatch latency p50, enqueue -> active event (${latency.n} jobs)`, `${fmt(latency.p50, 2)} ms`, '<= 50 ms', `${fmt(latency.p50 / 50, 3)}x`],
        ['dispatch latency p95', `${fmt(latency.p95, 2)} ms`, '-', '-'],
        ['trivial job, enqueue -> done p50', `${fmt(latency.done50, 2)} ms`, '-', '-'],
        ['Redis per run: commands / CPU (µs)', `${fmt(perRun.calls, 0)} / ${fmt(perRun.usec, 0)}`, '-', '-'],
        ['Redis per idle worker per second: commands / CPU (µs)', `${fmt(perWorkerSecond.calls, 1)} / ${fmt(perWorkerSecond.usec, 0)}`, '-', '-'],
        ['shared-FS metadata ops per run (workspace paths)', fmt(fsOps.perRun, 0), '-', '-'],
        ['  of which opens / stats / renames+links / unlinks / mkdirs / other', fsOps.split, '-', '-'],
        ['batch record update (lock, read, write), 1,000 / 10,000 runs (ms)', `${fmt(recordMs[1000], 2)} / ${fmt(recordMs[10000], 2)}`, '-', '-'],
        ['mean CPU-bound run (s, 1 worker)', fmt(runSeconds), '-', '-'],
      ],
    );
    // 5. the scaling model (README "Scaling out"), from the figures above
    const NFS_OPS = 20_000; // assumed: a mid-range NFS v4 server's metadata operations per second (not measurable here)
    console.log(`\ncluster scaling model: N workers, runs of T s; Redis CPU = N x idle cost + N/T x run cost (one core); file server = N/T x ${fmt(fsOps.perRun, 0)} ops against an assumed ${NFS_OPS.toLocaleString('en-US')} ops/s; batch record = N/T x 2 updates (start, outcome) x update time of a 10,000-run record, under one lock`);
    const rows = [];
    for (const T of [runSeconds, 60]) {
      for (const N of [100, 1000]) {
        const rate = N / T;
        const redisCpu = (N * perWorkerSecond.usec + rate * perRun.usec) / 1e6;
        const fs = (rate * fsOps.perRun) / NFS_OPS;
        const lock = (rate * 2 * recordMs[10000]) / 1000;
        rows.push([`${N} workers, T = ${fmt(T, 1)} s`, fmt(rate, 1), `${fmt(redisCpu * 100, 1)}%`, `${fmt(fs * 100, 1)}%`, `${fmt(lock * 100, 1)}%`]);
      }
    }
    table(['workers, run length', 'runs/s', 'Redis (one core)', 'file server', 'batch-record lock'], rows);
    const sat = (T) => ({
      redis: 1 / (perWorkerSecond.usec / 1e6 + perRun.usec / 1e6 / T),
      fs: (NFS_OPS * T) / fsOps.perRun,
      lock: (T * 1000) / (2 * recordMs[10000]),
    });
    for (const T of [runSeconds, 60]) {
      const x = sat(T);
      console.log(`saturates at (T = ${fmt(T, 1)} s): Redis ${fmt(x.redis, 0)} workers, file server ${fmt(x.fs, 0)} workers, one 10,000-run batch's record ${fmt(x.lock, 0)} workers`);
    }
  } finally {
    for (const w of live) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Enqueues `n` jobs of an already-done run one at a time: from before `add` to BullMQ's `active` event, and to done. */
async function dispatchLatency(dir, url, n) {
  const { Queue, QueueEvents } = await import('bullmq');
  const { Redis } = await import('ioredis');
  const { workspaceQueueName } = await import('../dist/runner/queue.js');
  const name = await workspaceQueueName(dir);
  const run = JSON.parse(cmd(dir, ['show', 'e@latest', '--json']).stdout);
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection });
  const eventsConnection = new Redis(url, { maxRetriesPerRequest: null });
  const events = new QueueEvents(name, { connection: eventsConnection });
  await events.waitUntilReady();
  const started = [];
  const done = [];
  const activeAt = new Map();
  events.on('active', ({ jobId }) => activeAt.set(jobId, performance.now()));
  try {
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const job = await queue.add('e', { v: 1, batch: 'b-bench', experiment: 'e', index: i, label: '', seed: run.seed, sets: [], force: false, noCache: false, timeoutMs: null, executionKey: run.executionKey, attempts: 1 }, { jobId: `b-bench.${i}` });
      await job.waitUntilFinished(events, 10_000);
      const fin = performance.now();
      // the active event can trail the completed one on the stream: give it a moment
      for (let k = 0; k < 100 && !activeAt.has(job.id); k++) await new Promise((r) => setTimeout(r, 1));
      if (!activeAt.has(job.id)) throw new Error(`no active event for ${job.id}`);
      started.push(activeAt.get(job.id) - t);
      done.push(fin - t);
    }
  } finally {
    await events.close();
    await queue.close();
    connection.disconnect();
    eventsConnection.disconnect();
  }
  return { n, p50: median(started), p95: pct(started, 0.95), done50: median(done) };
}

/** The time to update one run of a batch record of 1,000 and of 10,000 runs (lock, read, write): medians of 30. */
async function batchRecordUpdateMs(dir) {
  const { updateBatchRecord, writeBatchRecord } = await import('../dist/store/batches.js');
  const out = {};
  for (const n of [1000, 10_000]) {
    const id = `b-20260101-000000-${n === 1000 ? 'aaaa' : 'bbbb'}`;
    const runs = Array.from({ length: n }, (_, i) => ({ index: i, label: `model_selection.cv=${i % 7} seed=${i}`, seed: i, sets: [`blocks.model_selection.config.cv=${i % 7}`], executionKey: `sha256:${'0'.repeat(64)}`, status: 'queued', reused: false, runId: null, job: `${id}.${i}` }));
    writeBatchRecord(dir, { id, experiment: 'e', createdAt: new Date().toISOString(), endedAt: null, grid: [], seeds: null, cancelled: false, runs, queue: { url: 'redis://127.0.0.1:1/0', name: 'q', attempts: 3, force: false, noCache: false, sets: [], timeoutMs: null } });
    const ts = [];
    for (let k = 0; k < 30; k++) {
      const t = performance.now();
      updateBatchRecord(dir, id, (r) => Object.assign(r.runs[k], { status: 'running', host: 'h', worker: 'w', attempts: 1 }));
      ts.push(performance.now() - t);
    }
    out[n] = median(ts);
  }
  return out;
}

/** A worker under strace runs 4 runs; the file-metadata calls on workspace paths, per run. */
async function metadataOpsPerRun(dir, url) {
  const log = join(dir, 'strace.log');
  const calls = 'openat,open,newfstatat,statx,stat,lstat,access,faccessat,faccessat2,readlink,rename,renameat,renameat2,link,linkat,unlink,unlinkat,mkdir,mkdirat,rmdir,utimensat,symlink,chmod,fchmodat';
  if (spawnSync('strace', ['-V']).status !== 0) return { perRun: null, split: 'strace not installed' };
  const w = await startWorker(dir, url, 'traced', {}, ['strace', '-f', '-qq', '-e', `trace=${calls}`, '-o', log]);
  try {
    const m = cmd(dir, ['run', 'e', '--seeds', '101-104', '--queue', url, '--json']);
    const end = JSON.parse(m.stdout.trim().split('\n').at(-1));
    if (end.counts.succeeded !== 4) throw new Error(`traced batch: ${JSON.stringify(end.counts)}`);
  } finally {
    await w.stop();
  }
  const counts = { open: 0, stat: 0, rename: 0, unlink: 0, mkdir: 0, other: 0 };
  let total = 0;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (!line.includes(dir)) continue;
    const call = /^\d+\s+(\w+)\(/.exec(line)?.[1];
    if (call === undefined) continue;
    total++;
    if (call.startsWith('open')) counts.open++;
    else if (/stat|access|readlink/.test(call)) counts.stat++;
    else if (/rename|link/.test(call) && !call.startsWith('unlink')) counts.rename++;
    else if (call.startsWith('unlink') || call === 'rmdir') counts.unlink++;
    else if (call.startsWith('mkdir')) counts.mkdir++;
    else counts.other++;
  }
  return { perRun: total / 4, split: Object.values(counts).map((c) => fmt(c / 4, 0)).join(' / ') };
}
