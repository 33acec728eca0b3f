// npm run bench -- serve: the service (`bfly serve`) on a workspace of 10,000 runs, against the
// CLI commands that answer the same questions, measured in the same run:
// - GET /api/v1/runs?limit=50 and GET /api/v1/runs/{id}: p50/p99 over sequential requests, vs
//   the wall time of `bfly runs --json` and `bfly show <id> --json`;
// - GET /api/v1/runs/{id} at 500 requests/s for 10 s (autocannon): p99, errors;
// - job submit -> its first event on /api/v1/events, and -> the run's first event;
// - 50 SSE subscribers on one running run: every one gets every event, in order;
// - the service's RSS when idle.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { BFLY, ROOT, fmt, interleavedMedians, measure, table } from './lib.js';
import { makeWorkspace } from './history.js';

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function get(port, token, path, method = 'GET', body) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** SSE events of a path, as they come: `onEvent({id, event, data, at})`; returns {close, ended}. */
function subscribe(port, token, path, onEvent) {
  let close;
  const ended = new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${token}` }, agent: false }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const f = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':') && l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
          if (f.data !== undefined) onEvent({ id: f.id, event: f.event, data: f.data, at: performance.now() });
        }
      });
      res.on('close', resolve);
    });
    req.on('error', resolve);
    req.end();
    close = () => req.destroy();
  });
  return { close, ended };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function rssMB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startServe(dir) {
  const child = spawn(process.execPath, ['--no-node-snapshot', BFLY, '-C', dir, 'serve', '--port', '0', '--json', '--jobs', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
    });
    child.on('exit', (code) => reject(new Error(`bfly serve exited ${code}`)));
  });
  return { child, ...JSON.parse(line) };
}

export async function benchServe() {
  const t0 = performance.now();
  const { dir, real } = makeWorkspace(10_000, { big: false });
  console.log(`generated 10,000 runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const quick = readFileSync(join(ROOT, 'examples', 'pipelines', 'quick.yaml'), 'utf8').replace(/\n {2}- \{id: explain.*\n/, '\n');
  writeFileSync(join(dir, 'quick.yaml'), quick);
  measure(process.execPath, [BFLY, '-C', dir, 'experiment', 'create', 'quick', '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, 'quick.yaml')]);
  measure(process.execPath, [BFLY, '-C', dir, 'runs', '--json']); // the index is built once, as any first listing does
  const s = await startServe(dir);
  const rows = [];
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const idleStart = rssMB(s.child.pid);
    const cold = (await get(s.port, s.token, '/api/v1/runs?limit=50')).ms;
    const ids = JSON.parse((await get(s.port, s.token, '/api/v1/runs?limit=1000')).body).runs.map((r) => r.id);

    // latency of single requests, vs the CLI
    const listMs = [];
    const showMs = [];
    for (let i = 0; i < 300; i++) {
      const a = await get(s.port, s.token, '/api/v1/runs?limit=50');
      const b = await get(s.port, s.token, `/api/v1/runs/${ids[(i * 7) % ids.length]}`);
      if (a.status !== 200 || b.status !== 200) throw new Error(`status ${a.status}/${b.status}`);
      listMs.push(a.ms);
      showMs.push(b.ms);
    }
    const [node, cliRuns, cliShow] = interleavedMedians(
      [
        [process.execPath, ['-e', '0']],
        [process.execPath, [BFLY, '-C', dir, 'runs', '--json']],
        [process.execPath, [BFLY, '-C', dir, 'show', real, '--json']],
      ],
      7,
    );
    rows.push(
      ['GET /api/v1/runs?limit=50 (10,000 runs)', `p50 ${fmt(pct(listMs, 50), 1)} ms, p99 ${fmt(pct(listMs, 99), 1)} ms (first ${fmt(cold, 0)} ms)`, `\`bfly runs --json\` ${fmt(cliRuns * 1000, 0)} ms`, `${fmt(pct(listMs, 99) / (cliRuns * 1000), 3)}x`, '<= 0.2x'],
      ['GET /api/v1/runs/{id}', `p50 ${fmt(pct(showMs, 50), 1)} ms, p99 ${fmt(pct(showMs, 99), 1)} ms`, `\`bfly show --json\` ${fmt(cliShow * 1000, 0)} ms`, `${fmt(pct(showMs, 99) / (cliShow * 1000), 3)}x`, '<= 0.2x and p99 <= 100 ms'],
    );

    // sustained load
    process.stderr.write(`rss after the latency runs: ${fmt(rssMB(s.child.pid), 0)} MB\n`);
    const load = await autocannon({ url: `http://127.0.0.1:${s.port}/api/v1/runs/${ids[17]}`, connections: 10, duration: 10, overallRate: 500, headers: { authorization: `Bearer ${s.token}` } });
    const errors = load.errors + load.timeouts + load.non2xx;
    rows.push(['GET /api/v1/runs/{id} at 500 req/s for 10 s (autocannon, 10 connections)', `${Math.round(load.requests.average)} req/s, p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms, ${errors} errors`, '-', `p99 ${fmt(load.latency.p99 / 50, 2)}x of 50 ms`, 'p99 <= 50 ms, 0 errors']);

    process.stderr.write(`rss after autocannon: ${fmt(rssMB(s.child.pid), 0)} MB\n`);
    // submit -> first event
    const toJob = [];
    const toRun = [];
    for (let i = 0; i < 10; i++) {
      let start = 0;
      let jobId = null;
      let firstJob = null;
      const runEvents = [];
      let runId = null;
      let done;
      const finished = new Promise((r) => (done = r));
      const sub = subscribe(s.port, s.token, '/api/v1/events', (e) => {
        const v = JSON.parse(e.data);
        if (v.type === 'job_changed' && (jobId === null || v.job.id === jobId)) {
          firstJob ??= e.at;
          if (v.job.runIds.length > 0) runId = v.job.runIds[0];
          if (['succeeded', 'failed', 'cancelled', 'interrupted', 'timed_out'].includes(v.job.status)) done();
        }
        if (v.type === 'run_event') runEvents.push({ runId: v.runId, at: e.at });
      });
      await new Promise((r) => setTimeout(r, 100));
      start = performance.now();
      const res = await get(s.port, s.token, '/api/v1/experiments/quick/runs', 'POST', JSON.stringify({ seed: 1000 + i }));
      jobId = JSON.parse(res.body).job.id;
      await finished;
      sub.close();
      toJob.push(firstJob - start);
      toRun.push(runEvents.find((x) => x.runId === runId).at - start);
    }
    rows.push(['job submit -> its first event on /api/v1/events', `p50 ${fmt(pct(toJob, 50), 1)} ms (max ${fmt(Math.max(...toJob), 1)})`, '-', `${fmt(pct(toJob, 50) / 300, 3)}x of 300 ms`, 'p50 <= 300 ms']);
    rows.push(['job submit -> the run’s first event (worker started, run created)', `p50 ${fmt(pct(toRun, 50), 0)} ms`, '-', '-', '-']);

    // 50 subscribers on one running run
    const res = await get(s.port, s.token, '/api/v1/experiments/quick/runs', 'POST', JSON.stringify({ seed: 2000 }));
    const jobId = JSON.parse(res.body).job.id;
    let runId = null;
    while (runId === null) {
      const j = JSON.parse((await get(s.port, s.token, `/api/v1/jobs/${jobId}`)).body);
      runId = j.runIds[0] ?? null;
      if (runId === null) await new Promise((r) => setTimeout(r, 10));
    }
    const got = Array.from({ length: 50 }, () => []);
    const subs = got.map((list) => subscribe(s.port, s.token, `/api/v1/runs/${runId}/events`, (e) => list.push(Number(e.id))));
    await Promise.all(subs.map((x) => x.ended));
    const lines = readFileSync(join(dir, '.butterfly', 'runs', runId, 'events.jsonl'), 'utf8').trim().split('\n').length;
    const complete = got.filter((l) => l.length === lines && l.every((id, i) => id === i + 1)).length;
    rows.push(['50 SSE subscribers on one running run', `${complete}/50 got all ${lines} events in order`, '-', `${50 - complete} lost`, 'no event lost']);

    process.stderr.write(`rss after the load: ${fmt(rssMB(s.child.pid), 0)} MB\n`);
    await new Promise((r) => setTimeout(r, 45_000));
    const idleAfter = rssMB(s.child.pid);
    rows.push(['idle RSS of the service', `${fmt(idleStart, 0)} MB at start, ${fmt(idleAfter, 0)} MB idle 45 s after the load`, '-', `${fmt(Math.max(idleStart, idleAfter) / 120, 2)}x of 120 MB`, '<= 120 MB']);
    rows.push(['  `node -e 0` (reference)', `${fmt(node * 1000, 0)} ms`, '-', '-', '-']);
  } finally {
    s.child.kill('SIGTERM');
    await new Promise((r) => s.child.on('exit', r));
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('\nserve (ratio: the service against the CLI command or the target; <= 1 of the target meets it)');
  table(['measure', 'service', 'CLI', 'ratio', 'target'], rows);
}
