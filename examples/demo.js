#!/usr/bin/env node
// npm run demo: a tour of bfly in a fresh temporary workspace, driving the real CLI.
// Imports two bundled example datasets (from the vega-datasets package) and shows them.
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

function step(title, args) {
  const shown = args.join(' ');
  process.stdout.write(`\n\x1b[1m# ${title}\x1b[0m\n$ bfly ${shown}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: ws, encoding: 'utf8' });
  process.stdout.write(r.stdout);
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(r.status ?? 1);
  }
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
step('Change the draft pipeline (typed by its schema; comments kept)', ['pipeline', 'set', 'penguins', 'blocks.model_selection.config.cv=10']);
step('Check it: every problem would be listed with its line', ['pipeline', 'validate', 'penguins']);
process.stdout.write(`\nThe workspace is in ${ws}/.butterfly (remove it when done).\n`);
