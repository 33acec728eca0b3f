// The representative end-to-end path that `.ci/node-matrix.sh` runs on every supported Node
// (22, 24, 26 from the npm registry's node packages; 20 in the main suite): init, import, a run
// with a hook in the sandbox, predict, compare, fsck, and the service. With BFLY_MATRIX_OUT set,
// it writes what must be byte-identical across Node versions (model and prediction hashes,
// metrics), which the matrix script compares.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfly, makeCliWorkspace, REPO, VEGA } from '../helpers.js';
import { startServe } from '../serve-client.js';

const PIPELINE = readFileSync(join(REPO, 'test', 'fixtures', 'fast-pipeline.yaml'), 'utf8');
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let dir: string;
let ws: string;
let cleanup: () => void;
const run = (args: string[]) => bfly(['-C', ws, ...args]);
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
}, 60_000);
afterAll(() => cleanup());

describe(`the end-to-end path on Node ${process.version}`, () => {
  it('init, import, a run with a hook, predict, compare, fsck, serve', async () => {
    const v = (await bfly(['--version', '--json'])).json();
    expect(v).toMatchObject({ node: process.version, sandbox: { package: expect.stringMatching(/^isolated-vm/) } });
    expect((await run(['dataset', 'import', join(VEGA, 'penguins.json'), '--name', 'penguins'])).exitCode).toBe(0);
    writeFileSync(join(dir, 'p.yaml'), PIPELINE);
    expect((await run(['experiment', 'create', 'p', '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, 'p.yaml')])).exitCode).toBe(0);
    // a hook run in the sandbox whose result is a metric: the same on every Node
    expect((await run(['hook', 'add', 'p', 'after_split', '--code', "export default () => { bfly.metric('sandbox_check', Math.round(Math.sqrt(2) * 1e9) + [3, 1, 2].sort().join('').length); }"])).exitCode).toBe(0);

    const r1 = await run(['run', 'p', '--seed', '7', '--json']);
    expect(r1.exitCode, r1.stderr).toBe(0);
    const m1 = last(r1.stdout);
    expect(m1.metrics['hook.sandbox_check']).toBe(1414213565);
    expect(m1).toMatchObject({ status: 'succeeded', env: { node: process.version, sandbox: `isolated-vm@${v.sandbox.version}` } });
    const model = readFileSync(join(ws, '.butterfly', 'runs', m1.id, 'artifacts', 'model.json'));
    const m2 = last((await run(['run', 'p', '--seed', '8', '--json'])).stdout);
    expect(m2.status).toBe('succeeded');

    // the default template: every model family, the tfjs MLP (WebAssembly backend) among them
    expect((await run(['experiment', 'create', 'd', '--dataset', 'penguins', '--target', 'Species'])).exitCode).toBe(0);
    const md = last((await run(['run', 'd', '--seed', '3', '--json'])).stdout);
    expect(md.status).toBe('succeeded');
    const board = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', md.id, 'artifacts', 'leaderboard.json'), 'utf8'));
    expect(board.candidates.map((c: { model: string }) => c.model)).toContain('mlp');

    const pred = await run(['predict', m1.id, join(VEGA, 'penguins.json')]);
    expect(pred.exitCode, pred.stderr).toBe(0);
    expect(pred.stdout.trim().split('\n')).toHaveLength(345);
    const cmp = await run(['compare', m1.id, m2.id, '--json']);
    expect(cmp.json().runs).toEqual([m1.id, m2.id]);
    const f = await run(['fsck', '--json']);
    expect(f.json()).toMatchObject({ ok: true });

    const s = await startServe(ws);
    try {
      expect((await s.api('GET', '/api/v1/health')).json()).toMatchObject({ ok: true, apiVersion: 'v1' });
      const job = (await s.api('POST', '/api/v1/experiments/p/runs', { body: { seed: 7 } })).json().job;
      for (let i = 0; i < 600; i++) {
        const j = (await s.api('GET', `/api/v1/jobs/${job.id}`)).json();
        if (j.status === 'succeeded') {
          expect(j).toMatchObject({ reused: true, runIds: [m1.id] });
          break;
        }
        expect(['queued', 'running']).toContain(j.status);
        await new Promise((res) => setTimeout(res, 50));
      }
      expect((await s.api('GET', `/api/v1/runs/${m1.id}/artifacts/model.json`)).body.equals(model)).toBe(true);
    } finally {
      expect(await s.stop()).toBe(0);
    }

    if (process.env.BFLY_MATRIX_OUT) {
      // every artifact's hash, but those that record how long fitting took (the leaderboard's
      // fitSeconds and its search's seconds, shown in the reports): the leaderboard is compared without them
      const TIMED = ['leaderboard.json', 'report.html', 'report.ipynb'];
      const files = (id: string) => {
        const listed = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', id, 'run.json'), 'utf8')).artifacts as Array<{ name: string; hash: string }>;
        const board = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', id, 'artifacts', 'leaderboard.json'), 'utf8')) as { candidates: Array<{ fitSeconds?: number }>; search?: { seconds?: number } };
        for (const c of board.candidates) delete c.fitSeconds;
        delete board.search?.seconds; // and the search's own wall time
        return { ...Object.fromEntries(listed.filter((a) => !TIMED.includes(a.name)).map((a) => [a.name, a.hash])), 'leaderboard.json without fitSeconds': sha(JSON.stringify(board)) };
      };
      writeFileSync(process.env.BFLY_MATRIX_OUT, JSON.stringify({ node: process.version, sandbox: v.sandbox, executionKeys: [m1.executionKey, m2.executionKey, md.executionKey], metrics: [m1.metrics, m2.metrics, md.metrics], artifacts: [files(m1.id), files(m2.id), files(md.id)], predictions: sha(pred.stdout) }, null, 2));
    }
  }, 240_000);
});
