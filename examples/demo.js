#!/usr/bin/env node
// npm run demo: a tour of bfly in a fresh temporary workspace, driving the real CLI.
// Imports the bundled example datasets (examples/data/), creates a classification and a
// regression experiment, runs them, shows dedupe and the block cache, adds a hook, compares the
// runs, runs a small batch over seeds, and says where the report is.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'bfly.cjs');
const data = join(root, 'examples', 'data');
const ws = mkdtempSync(join(tmpdir(), 'bfly-demo-'));
mkdirSync(join(ws, 'data'));
for (const f of ['penguins.csv', 'cars.csv']) copyFileSync(join(data, f), join(ws, 'data', f));

// Bold titles only on a terminal, and never with NO_COLOR (https://no-color.org).
const bold = process.stdout.isTTY && !process.env.NO_COLOR ? (s) => `\x1b[1m${s}\x1b[0m` : (s) => s;
let last = '';
function step(title, args, { live = false } = {}) {
  const shown = args.map((a) => (/[\s[\]{}]/.test(a) ? `'${a}'` : a)).join(' ');
  process.stdout.write(`\n${bold(`# ${title}`)}\n$ bfly ${shown}\n`);
  // Runs draw their live progress on stderr (Ink on a terminal): let it through.
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: ws, encoding: 'utf8', stdio: ['ignore', 'pipe', live ? 'inherit' : 'pipe'] });
  process.stdout.write(r.stdout);
  last = r.stdout;
  if (r.status !== 0) {
    if (!live) process.stderr.write(r.stderr);
    process.exit(r.status ?? 1);
  }
  return r.stdout;
}

process.stdout.write(`bfly demo in ${ws}\n`);
step('Create a workspace', ['init', '--name', 'demo']);
step('Import a CSV table (hashed, typed, frozen)', ['dataset', 'import', 'data/penguins.csv']);
step('And the cars table', ['dataset', 'import', 'data/cars.csv']);
step('The same bytes again are recognised, nothing is written', ['dataset', 'import', 'data/penguins.csv']);
step('List the datasets', ['dataset', 'list']);
step('Inspect one: types with reasons, missing values, statistics, histograms', ['dataset', 'show', 'penguins']);
step('An experiment: the task is decided from the target column, and why', ['experiment', 'create', 'penguins', '--dataset', 'penguins', '--target', 'Species']);
step('A regression experiment', ['experiment', 'create', 'cars', '--dataset', 'cars', '--target', 'Miles_per_Gallon']);
step('Check the draft pipeline: every problem would be listed with its line', ['pipeline', 'validate', 'penguins']);
step('Run it: snapshot, 5-fold CV of four models, train the best, evaluate, explain, report', ['run', 'penguins'], { live: true });
const first = /^run (\S+)/m.exec(last)?.[1] ?? 'penguins@latest';
step('Run it again: same data, pipeline and seed, so the finished run is returned', ['run', 'penguins']);
step('What would a change re-run? (nothing runs)', ['run', 'penguins', '--dry-run', '--set', 'blocks.explain.config.n_repeats=10']);
step('Run with the change: the blocks before it come from the cache', ['run', 'penguins', '--set', 'blocks.explain.config.n_repeats=10'], { live: true });
step('The regression experiment', ['run', 'cars'], { live: true });
mkdirSync(join(ws, 'hooks'));
copyFileSync(join(root, 'examples', 'hooks', 'beak-ratio.js'), join(ws, 'hooks', 'beak-ratio.js'));
step('A feature-engineering hook (JavaScript, run in a sandbox)', ['hook', 'add', 'penguins', 'before_features', '--file', 'hooks/beak-ratio.js']);
step('Run again: the split comes from the cache, the rest runs with the new column', ['run', 'penguins'], { live: true });
step('What changed between the last two runs of penguins, and is it more than seed noise?', ['compare', 'penguins@latest', first]);
step('A batch: the same pipeline over three seeds, on two worker processes', ['run', 'cars', '--seeds', '1-3', '--jobs', '2']);
const batch = /compare: bfly compare --batch (\S+)/.exec(last)?.[1];
if (batch) step('The batch side by side: the spread over seeds is the noise any change must beat', ['compare', '--batch', batch]);
step('Every run so far, newest first', ['runs', '--columns', 'id,experiment,status,duration,metric,value,seed,batch']);
step('Who changed what, and when: the audit log (hash-chained, append-only)', ['log', '--limit', '8']);
step('Prove the store is intact: every object and run file re-hashed', ['fsck']);
const latest = JSON.parse(spawnSync(process.execPath, [bin, 'show', 'penguins@latest', '--json'], { cwd: ws, encoding: 'utf8' }).stdout);
process.stdout.write(`\nOpen the report of run ${latest.id}:\n  ${ws}/.butterfly/runs/${latest.id}/artifacts/report.html\n  ${ws}/.butterfly/runs/${latest.id}/artifacts/report.ipynb\n`);
process.stdout.write(`\nThe workspace is in ${ws}/.butterfly (remove it when done).\n`);
