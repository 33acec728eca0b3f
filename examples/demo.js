#!/usr/bin/env node
// npm run demo: a tour of bfly in a fresh temporary workspace, driving the real CLI.
// Imports bundled example datasets (from the vega-datasets package), creates a classification
// and a regression experiment, runs them, shows dedupe and the block cache, and says where the
// report is.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'bfly.cjs');
const data = join(root, 'node_modules', 'vega-datasets', 'data');
const ws = mkdtempSync(join(tmpdir(), 'bfly-demo-'));
mkdirSync(join(ws, 'data'));
for (const f of ['penguins.json', 'seattle-weather.csv', 'cars.json']) copyFileSync(join(data, f), join(ws, 'data', f));

function step(title, args, { live = false } = {}) {
  const shown = args.map((a) => (/[\s[\]{}]/.test(a) ? `'${a}'` : a)).join(' ');
  process.stdout.write(`\n\x1b[1m# ${title}\x1b[0m\n$ bfly ${shown}\n`);
  // Runs draw their live progress on stderr (Ink on a terminal): let it through.
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: ws, encoding: 'utf8', stdio: ['ignore', 'pipe', live ? 'inherit' : 'pipe'] });
  process.stdout.write(r.stdout);
  if (r.status !== 0) {
    if (!live) process.stderr.write(r.stderr);
    process.exit(r.status ?? 1);
  }
  return r.stdout;
}

process.stdout.write(`bfly demo in ${ws}\n`);
step('Create a workspace', ['init', '--name', 'demo']);
step('Import a JSON table (hashed, typed, frozen)', ['dataset', 'import', 'data/penguins.json']);
step('Import a CSV table', ['dataset', 'import', 'data/seattle-weather.csv']);
step('And the cars table', ['dataset', 'import', 'data/cars.json']);
step('The same bytes again are recognised, nothing is written', ['dataset', 'import', 'data/penguins.json']);
step('List the datasets', ['dataset', 'list']);
step('Inspect one: types with reasons, missing values, statistics, histograms', ['dataset', 'show', 'penguins']);
step('An experiment: the task is decided from the target column, and why', ['experiment', 'create', 'penguins', '--dataset', 'penguins', '--target', 'Species']);
step('A regression experiment', ['experiment', 'create', 'cars', '--dataset', 'cars', '--target', 'Miles_per_Gallon']);
step('Check the draft pipeline: every problem would be listed with its line', ['pipeline', 'validate', 'penguins']);
step('Run it: snapshot, 5-fold CV of four models, train the best, evaluate, explain, report', ['run', 'penguins'], { live: true });
step('Run it again: same data, pipeline and seed, so the finished run is returned', ['run', 'penguins']);
step('What would a change re-run? (nothing runs)', ['run', 'penguins', '--dry-run', '--set', 'blocks.explain.config.n_repeats=10']);
step('Run with the change: the blocks before it come from the cache', ['run', 'penguins', '--set', 'blocks.explain.config.n_repeats=10'], { live: true });
step('The regression experiment', ['run', 'cars'], { live: true });
mkdirSync(join(ws, 'hooks'));
copyFileSync(join(root, 'examples', 'hooks', 'beak-ratio.js'), join(ws, 'hooks', 'beak-ratio.js'));
step('A feature-engineering hook (JavaScript, run in a sandbox)', ['hook', 'add', 'penguins', 'before_features', '--file', 'hooks/beak-ratio.js']);
step('Run again: the split comes from the cache, the rest runs with the new column', ['run', 'penguins'], { live: true });
process.stdout.write(`\n\x1b[1m# Scripts read --json: events as NDJSON, the run manifest last\x1b[0m\n$ bfly run penguins --json | tail -1 | jq '{id, status, reused, metrics}'\n`);
const j = spawnSync(process.execPath, [bin, 'run', 'penguins', '--json'], { cwd: ws, encoding: 'utf8' });
const latest = JSON.parse(j.stdout.trim().split('\n').at(-1));
process.stdout.write(JSON.stringify({ id: latest.id, status: latest.status, reused: latest.reused, metrics: latest.metrics }, null, 2) + '\n');
process.stdout.write(`\nOpen the report of run ${latest.id}:\n  ${ws}/.butterfly/runs/${latest.id}/artifacts/report.html\n  ${ws}/.butterfly/runs/${latest.id}/artifacts/report.ipynb\n`);
process.stdout.write(`\nThe workspace is in ${ws}/.butterfly (remove it when done).\n`);
