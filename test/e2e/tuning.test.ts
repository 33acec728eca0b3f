// Tuning through the built CLI (issue #23): search spaces validated at their lines, tpe within a
// trials budget (replayed exactly), a time budget that bounds the model_selection block, a budget
// too small to finish anything, and the proof that the search never reads the test rows.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BFLY, bfly, makeCliWorkspace, REPO } from '../helpers.js';

const pipeline = (selection: string, split = '{test_size: 0.25}') => `apiVersion: bfly/v1
seed: 42
blocks:
  - {id: split, type: split, config: ${split}}
  - {id: features, type: features}
  - {id: preprocess, type: preprocess}
  - id: model_selection
    type: model_selection
    config:
${selection
  .trim()
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
  - {id: train, type: train}
  - {id: evaluate, type: evaluate}
  - {id: report, type: report}
`;

const TPE = pipeline(`
cv: 3
strategy: tpe
budget: {trials: 16}
candidates:
  - {model: knn, search: default}
  - {model: gradient_boosting, params: {max_iter: 30}, search: {learning_rate: {type: float, low: 0.01, high: 0.5, log: true}, max_leaf_nodes: {type: int, low: 4, high: 32}}}
`);
const SLOW = pipeline(`
cv: 3
candidates:
  - {model: logistic_regression}
  - {model: gradient_boosting, params: {early_stopping: false, learning_rate: 0.01}, search: {max_iter: {type: int, low: 200, high: 3000, log: true}, min_samples_leaf: {type: int, low: 2, high: 40}}}
`);
const ONLY_SLOW = pipeline(`
cv: 3
candidates:
  - {model: gradient_boosting, params: {early_stopping: false}, search: {max_iter: {type: int, low: 20000, high: 30000}}}
`);
const LEAK = pipeline(
  `
cv: 4
strategy: random
candidates:
  - {model: knn, search: default, trials: 12}
  - {model: linear_regression, search: default, trials: 6}
`,
  '{test_size: 0.25, stratify: false}',
);
const RESUME = pipeline(`
cv: 3
strategy: tpe
budget: {trials: 30}
candidates:
  - {model: gradient_boosting, params: {max_iter: 150, early_stopping: false}, search: {learning_rate: {type: float, low: 0.01, high: 0.5, log: true}, max_leaf_nodes: {type: int, low: 4, high: 32}}}
  - {model: random_forest, params: {n_estimators: 60}, search: {min_samples_leaf: {type: int, low: 1, high: 20}}}
`);
const ENSEMBLE = `apiVersion: bfly/v1
seed: 42
blocks:
  - {id: split, type: split, config: {test_size: 0.25}}
  - {id: features, type: features}
  - {id: preprocess, type: preprocess}
  - id: model_selection
    type: model_selection
    config:
      cv: 5
      ensemble: {method: greedy, size: 10}
      candidates:
        - {model: linear_regression}
        - {model: knn}
        - {model: gradient_boosting}
  - {id: train, type: train}
  - {id: evaluate, type: evaluate}
  - {id: explain, type: explain}
  - {id: report, type: report}
`;

describe('tuning through the CLI', () => {
  let dir: string;
  let ws: string;
  let cleanup: () => void;
  const run = (args: string[]) => bfly(['-C', ws, ...args]);
  const art = (id: string, name: string) => readFileSync(join(ws, '.butterfly', 'runs', id, 'artifacts', name), 'utf8');
  const trials = (id: string) =>
    art(id, 'trials.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { n: number; candidate: string; searched: Record<string, unknown>; score: number | null; foldScores: number[]; status: string; seconds: number; startS: number });
  const runOk = async (args: string[]) => {
    const r = await run(['run', ...args, '-q']);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout.trim().split(/\s+/)[0];
  };
  const blockMs = (id: string, block: string) =>
    readFileSync(join(ws, '.butterfly', 'runs', id, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; block?: string; durationMs?: number })
      .find((e) => e.type === 'block_finished' && e.block === block)!.durationMs!;

  beforeAll(async () => {
    ({ dir, ws, cleanup } = await makeCliWorkspace());
    for (const [name, text] of Object.entries({ tpe: TPE, slow: SLOW, onlyslow: ONLY_SLOW, leak: LEAK, ensemble: ENSEMBLE, resume: RESUME })) writeFileSync(join(dir, `${name}.yaml`), text);
    expect((await run(['dataset', 'import', join(REPO, 'examples', 'data', 'penguins.csv'), '--name', 'penguins'])).exitCode).toBe(0);
    expect((await run(['dataset', 'import', join(REPO, 'examples', 'data', 'cars.csv'), '--name', 'cars'])).exitCode).toBe(0);
    for (const name of ['tpe', 'slow', 'onlyslow', 'resume']) expect((await run(['experiment', 'create', name, '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, `${name}.yaml`)])).exitCode).toBe(0);
    for (const name of ['leak', 'ensemble']) expect((await run(['experiment', 'create', name, '--dataset', 'cars', '--target', 'Miles_per_Gallon', '--template', join(dir, `${name}.yaml`)])).exitCode).toBe(0);
  }, 60_000);
  afterAll(() => cleanup?.());

  it('a bad space is refused at its lines with what to do, and the draft is left as it was', async () => {
    const file = join(ws, '.butterfly', 'experiments', 'tpe', 'pipeline.yaml');
    const before = readFileSync(file, 'utf8');
    const r = await run(['pipeline', 'set', 'tpe', 'blocks.model_selection.config.candidates.0.search={n_neighbors: {type: int, low: 0, high: 3}, nope: {type: choice, values: [1]}, weights: {type: float, low: 2, high: 1}}', 'blocks.model_selection.config.strategy=grid']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/pipeline\.yaml:\d+:\d+: blocks\.model_selection\.config\.candidates\[0\]\.search\.n_neighbors\.type: the grid strategy tries lists of values, but n_neighbors is an int range/);
    expect(r.stderr).toMatch(/search\.n_neighbors\.low: 0 is not a valid n_neighbors for knn/);
    expect(r.stderr).toMatch(/search\.nope: knn has no param `nope`/);
    expect(r.stderr).toMatch(/search\.weights\.high: low must be below high/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    const bad = await run(['run', 'tpe', '--time-budget', '5x']);
    expect(bad.exitCode).toBe(4);
    expect(bad.stderr).toContain('--time-budget must be a duration such as 60s');
    const blocks = await run(['blocks']);
    expect(blocks.stdout).toContain('search: default — n_neighbors: int [1, 50] log; weights: uniform | distance');
  });

  it('tpe within a trials budget: every trial in trials.jsonl, the leaderboard, the report and its plot; a second run replays it exactly', async () => {
    const id = await runOk(['tpe']);
    const t = trials(id);
    expect(t.length).toBe(16);
    expect(t.map((x) => x.candidate).slice(0, 4)).toEqual(['knn-1', 'gradient_boosting-1', 'knn-1', 'gradient_boosting-1']);
    expect(t.every((x) => x.status === 'complete' && x.foldScores.length === 3)).toBe(true);
    expect(new Set(t.map((x) => JSON.stringify(x.searched))).size).toBe(16);
    const board = JSON.parse(art(id, 'leaderboard.json'));
    expect(board.search).toMatchObject({ strategy: 'tpe', trials: 16, complete: 16, ended: 'trials', budget: { trials: 16 } });
    expect(board.trials).toBeUndefined(); // trials.jsonl has them
    for (const c of board.candidates) {
      const mine = t.filter((x) => x.candidate === c.id);
      expect(c.trials).toBe(mine.length);
      expect(c.metrics.accuracy.mean).toBe(Math.max(...mine.map((x) => x.score!)));
    }
    const show = JSON.parse((await run(['show', id, '--json'])).stdout);
    expect(show.selection.params).toEqual(board.candidates[0].params);
    const html = art(id, 'report.html');
    expect(html).toContain('The search (tpe) ran 16 trials');
    expect(art(id, 'trials.svg')).toMatch(/<path|<circle/);
    expect(JSON.parse(art(id, 'trials.vl.json')).data.values.length).toBe(16);
    // the runner-up is kept beside the best (keep_models, default 3: here both candidates)
    const winner = board.candidates[0].id;
    const second = board.candidates[1].id;
    expect(JSON.parse(art(id, 'model.json')).model.candidate).toBe(winner);
    expect(JSON.parse(art(id, `model-${second}.json`)).model).toMatchObject({ candidate: second, params: board.candidates[1].params });
    const data = join(REPO, 'examples', 'data', 'penguins.csv');
    const byDefault = await run(['predict', id, data]);
    const byWinner = await run(['predict', id, data, '--model', winner]);
    const bySecond = await run(['predict', id, data, '--model', second]);
    expect(byWinner.exitCode).toBe(0);
    expect(byWinner.stdout).toBe(byDefault.stdout);
    expect(bySecond.exitCode, bySecond.stderr).toBe(0);
    expect(bySecond.stdout.trim().split('\n').length).toBe(byDefault.stdout.trim().split('\n').length);
    const none = await run(['predict', id, data, '--model', 'nope-1']);
    expect(none.exitCode).toBe(5);
    expect(none.stderr).toContain(`has no model of candidate "nope-1"`);
    expect(none.stderr).toContain(`its models: ${winner}, ${second}`);
    const again = await runOk(['tpe', '--force']);
    expect(again).not.toBe(id);
    const strip = (xs: ReturnType<typeof trials>) => xs.map(({ candidate, searched, score, foldScores }) => ({ candidate, searched, score, foldScores }));
    expect(strip(trials(again))).toEqual(strip(t));
  }, 120_000);

  it('trials fitted on two workers give the run of one; a run killed (kill -9) in its search resumes its finished trials from the block cache, with the same result', async () => {
    const strip = (xs: ReturnType<typeof trials>) => xs.map(({ n, candidate, searched, score, foldScores, status }) => ({ n, candidate, searched, score, foldScores, status }));
    const board = (id: string) => (JSON.parse(art(id, 'leaderboard.json')) as { candidates: Array<Record<string, unknown>> }).candidates.map(({ fitSeconds: _f, ...c }) => c);
    // the reference: one worker, no cache read or written
    // (--force: a run of the same execution key is not returned; --workers is not part of the key)
    const one = await runOk(['resume', '--seed', '7', '--workers', '1', '--no-cache', '--force']);
    const two = await runOk(['resume', '--seed', '7', '--workers', '2', '--no-cache', '--force']);
    expect(trials(one)).toHaveLength(30);
    expect(strip(trials(two))).toEqual(strip(trials(one)));
    expect(board(two)).toEqual(board(one));
    expect(art(two, 'model.json')).toBe(art(one, 'model.json'));
    // killed once a few trials are kept in the cache
    const parts = () => {
      const root = join(ws, '.butterfly', 'cache', 'entries');
      if (!existsSync(root)) return 0;
      return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json') && JSON.parse(readFileSync(join(root, f), 'utf8')).type === 'model_selection/part').length;
    };
    // (earlier tests' searches left parts of their own: only this run's count)
    const before = parts();
    const child = spawn(process.execPath, [BFLY, '-C', ws, 'run', 'resume', '--seed', '7', '--workers', '2', '--force', '-q'], { stdio: 'ignore', detached: true });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let kept = 0;
    for (let i = 0; i < 600 && (kept = parts() - before) < 3; i++) await new Promise((r) => setTimeout(r, 50));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    expect(kept).toBeGreaterThanOrEqual(3);
    // killed in the search, not after it: the block never finished (else the next run would take it whole)
    const killed = readdirSync(join(ws, '.butterfly', 'runs')).sort().at(-1)!;
    expect(killed).not.toBe(two);
    expect(readFileSync(join(ws, '.butterfly', 'runs', killed, 'events.jsonl'), 'utf8')).not.toMatch(/"type":"block_finished","block":"model_selection"/);
    const resumed = await runOk(['resume', '--seed', '7', '--force']);
    const t = trials(resumed) as Array<ReturnType<typeof trials>[number] & { cached?: boolean }>;
    expect(t.filter((x) => x.cached).length).toBeGreaterThanOrEqual(kept);
    expect(strip(t)).toEqual(strip(trials(one)));
    expect(board(resumed)).toEqual(board(one));
    expect(art(resumed, 'model.json')).toBe(art(one, 'model.json'));
    const events = readFileSync(join(ws, '.butterfly', 'runs', resumed, 'events.jsonl'), 'utf8');
    expect(events).toMatch(/\d+ finished trials taken from the cache/);
    // bad values are refused before anything runs
    const zero = await run(['run', 'resume', '--workers', '0']);
    expect(zero.exitCode).toBe(4);
    expect(zero.stderr).toContain('--workers must be a whole number from 1 to 64, not "0"');
    const batch = await run(['run', 'resume', '--workers', '2', '--seeds', '1-2']);
    expect(batch.exitCode).toBe(4);
    expect(batch.stderr).toContain('--workers applies to one run');
  }, 240_000);

  it('--time-budget bounds the model_selection block: it ends near the budget, stops what runs at the end, and says how many trials ran', async () => {
    const id = await runOk(['slow', '--time-budget', '4s']);
    const ms = blockMs(id, 'model_selection');
    expect(ms).toBeLessThan(4000 * 1.25);
    const board = JSON.parse(art(id, 'leaderboard.json'));
    expect(board.search).toMatchObject({ ended: 'time', budget: { time_s: 4 } });
    const t = trials(id);
    expect(board.search.trials).toBe(t.length);
    // it used its budget (the space has more than it can try): it ended at the budget, or when
    // what was left could not hold the next trial. That is judged by its candidate's last trial,
    // whose folds' times include waiting in the pool behind another trial's (two at most here),
    // or by what a fit stopped for the budget projected (the trial is then "stopped"). On a
    // loaded machine one trial can take a second or more.
    const longest = Math.max(...t.map((x: { seconds: number }) => x.seconds)) * 1000;
    const stopped = t.some((x: { status: string }) => x.status === 'stopped');
    const seen = `model_selection ${ms} ms; trials ${JSON.stringify(t.map((x: { status: string; seconds: number }) => [x.status, x.seconds]))}`;
    expect(ms + 2 * longest > 4000 * 0.95 || stopped, seen).toBe(true);
    expect(readFileSync(join(ws, '.butterfly', 'runs', id, 'pipeline.yaml'), 'utf8')).toMatch(/time_s: 4/);
  }, 120_000);

  it('a budget too small to finish one trial fails the run as policy (exit 6), saying how to fix it', async () => {
    const r = await run(['run', 'onlyslow', '--time-budget', '0.5s']);
    expect(r.exitCode).toBe(6);
    expect(r.stderr).toContain('the time budget of 0.5 s ended before any trial finished');
    expect(r.stderr).toContain('raise the budget');
  }, 60_000);

  it('the auto template searches every model family within the budget, cheapest first; a regression gets the linear family of its task', async () => {
    expect((await run(['experiment', 'create', 'auto_cars', '--dataset', 'cars', '--target', 'Miles_per_Gallon', '--template', 'auto'])).exitCode).toBe(0);
    const draft = readFileSync(join(ws, '.butterfly', 'experiments', 'auto_cars', 'pipeline.yaml'), 'utf8');
    expect(draft).toContain('{model: linear_regression, search: default}');
    expect(draft).not.toContain('logistic_regression, search');
    expect(draft).toMatch(/budget: \{time_s: 60\}/);
    // (12 s: under a loaded CI machine's other test files each family still gets its first trial)
    const id = await runOk(['auto_cars', '--time-budget', '12s']);
    const board = JSON.parse(art(id, 'leaderboard.json'));
    expect(board.search).toMatchObject({ strategy: 'tpe', budget: { time_s: 12 } });
    expect(blockMs(id, 'model_selection')).toBeLessThan(12000 * 1.25);
    const t = trials(id);
    // each family's first trial, in the template's order (cheapest first), before any second one
    expect(t.slice(0, 6).map((x) => x.candidate)).toEqual(['linear_regression-1', 'knn-1', 'decision_tree-1', 'gradient_boosting-1', 'random_forest-1', 'mlp-1']);
    expect(board.candidates.length).toBe(6);
    expect(t.length).toBeGreaterThan(6); // and searched on (how far depends on the machine's load)
  }, 120_000);

  it('honest evaluation: the search never reads the test rows (changing them changes nothing in it); changing one training row does', async () => {
    const a = await runOk(['leak']);
    const csv = readFileSync(join(REPO, 'examples', 'data', 'cars.csv'), 'utf8').trimEnd().split('\n');
    const testRows = art(a, 'predictions.csv')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[0]));
    expect(testRows.length).toBeGreaterThan(50);
    // the leak, planted: the test rows' targets become absurd
    const planted = (rows: number[]) => {
      const out = [...csv];
      for (const r of rows) {
        const cells = out[r + 1].split(',');
        cells[1] = '1000';
        out[r + 1] = cells.join(',');
      }
      return out.join('\n') + '\n';
    };
    const mpgOf = (line: string) => line.split(',')[1];
    const testSet = new Set(testRows);
    const trainRow = csv.slice(1).findIndex((l, i) => !testSet.has(i) && mpgOf(l) !== '');
    expect(trainRow).toBeGreaterThanOrEqual(0);
    writeFileSync(join(dir, 'cars-test-changed.csv'), planted(testRows));
    writeFileSync(join(dir, 'cars-train-changed.csv'), planted([trainRow]));
    for (const name of ['test', 'train']) {
      expect((await run(['dataset', 'import', join(dir, `cars-${name}-changed.csv`), '--name', `cars_${name}`])).exitCode).toBe(0);
      expect((await run(['experiment', 'create', `leak_${name}`, '--dataset', `cars_${name}`, '--target', 'Miles_per_Gallon', '--template', join(dir, 'leak.yaml')])).exitCode).toBe(0);
    }
    const b = await runOk(['leak_test']);
    const c = await runOk(['leak_train']);
    const strip = (id: string) => trials(id).map(({ candidate, searched, score }) => ({ candidate, searched, score }));
    // the same split (the same rows are held out), so the same training rows: the same search
    expect(art(b, 'predictions.csv').split('\n').map((l) => l.split(',')[0])).toEqual(art(a, 'predictions.csv').split('\n').map((l) => l.split(',')[0]));
    expect(strip(b)).toEqual(strip(a));
    // while evaluate, which does read them, sees the change
    const rmse = (id: string) => JSON.parse(art(id, 'metrics.json')).values.rmse as number;
    expect(rmse(b)).toBeGreaterThan(10 * rmse(a));
    // and the comparison can see a leak: one changed training row changes the search's scores
    expect(strip(c)).not.toEqual(strip(a));
  }, 180_000);

  it("a greedy ensemble of the candidates' out-of-fold predictions: on the leaderboard, trained, evaluated, explained, saved, used by bfly predict, exported the same way twice", async () => {
    const id = await runOk(['ensemble']);
    const board = JSON.parse(art(id, 'leaderboard.json'));
    const [top, ...rest] = board.candidates;
    expect(top.id).toBe('ensemble');
    expect(top.label).toMatch(/^ensemble of [a-z_]+-1×\d+(, [a-z_]+-1×\d+)+$/);
    const members = top.params.members as Array<{ candidate: string; weight: number }>;
    expect(members.length).toBeGreaterThan(1);
    expect(members.reduce((a, m) => a + m.weight, 0)).toBeCloseTo(1, 12);
    expect(top.params.picks).toBeLessThanOrEqual(10);
    // its out-of-fold rmse is below every single candidate's, per fold as they are
    for (const e of rest) expect(top.metrics.rmse.mean).toBeLessThan(e.metrics.rmse.mean);
    expect(top.folds.length).toBe(5);
    const model = JSON.parse(art(id, 'model.json'));
    expect(model.model).toMatchObject({ name: 'ensemble', candidate: 'ensemble', fitted: { kind: 'ensemble', method: 'greedy' } });
    expect(model.model.fitted.members.map((m: { candidate: string }) => m.candidate)).toEqual(members.map((m) => m.candidate));
    // evaluated and explained like any model
    expect(JSON.parse(art(id, 'metrics.json')).values.rmse).toBeGreaterThan(0);
    expect(JSON.parse(art(id, 'explain.json')).importance.length).toBeGreaterThan(0);
    expect(art(id, 'report.html')).toContain('ensemble of');
    // bfly predict gives the run's own predictions of the test rows
    const rows = art(id, 'predictions.csv')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const p = await run(['predict', id, join(REPO, 'examples', 'data', 'cars.csv'), '--json']);
    expect(p.exitCode, p.stderr).toBe(0);
    const predicted = p.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).prediction as number);
    for (const [row, , value] of rows) expect(predicted[Number(row)]).toBe(Number(value));
    // the runners-up are kept too, and differ
    const second = rest[0].id;
    const p2 = await run(['predict', id, join(REPO, 'examples', 'data', 'cars.csv'), '--json', '--model', second]);
    expect(p2.exitCode, p2.stderr).toBe(0);
    expect(p2.stdout).not.toBe(p.stdout);
    // a second run trains the same ensemble, byte for byte
    const again = await runOk(['ensemble', '--force', '--no-cache']);
    expect(art(again, 'model.json')).toBe(art(id, 'model.json'));
  }, 180_000);

  it('an ensemble of fewer than two candidates, or a candidate that takes its id, is refused at its line', async () => {
    const file = join(ws, '.butterfly', 'experiments', 'ensemble', 'pipeline.yaml');
    const before = readFileSync(file, 'utf8');
    const one = await run(['pipeline', 'set', 'ensemble', 'blocks.model_selection.config.candidates=[{model: knn}]']);
    expect(one.exitCode).toBe(4);
    expect(one.stderr).toMatch(/pipeline\.yaml:\d+:\d+: blocks\.model_selection\.config\.ensemble: an ensemble needs two candidates or more, but this block has one/);
    expect(one.stderr).toContain('or remove `ensemble`');
    const taken = await run(['pipeline', 'set', 'ensemble', 'blocks.model_selection.config.candidates.1.id=ensemble']);
    expect(taken.exitCode).toBe(4);
    expect(taken.stderr).toMatch(/candidates\[1\]\.id: the id `ensemble` is the ensemble's own/);
    const size = await run(['pipeline', 'set', 'ensemble', 'blocks.model_selection.config.ensemble.size=0']);
    expect(size.exitCode).toBe(4);
    expect(size.stderr).toMatch(/ensemble\.size: /);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
