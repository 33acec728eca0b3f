// The README tutorial, run as written: its `$ ` commands in a fresh folder, with `bfly` on the
// PATH as `npm link` puts it there. `node scripts/tutorial.js` prints the session in the README's
// form (to paste after a change); test/e2e/tutorial.test.ts runs it and compares the outputs'
// shape with the README's, so the tutorial cannot go stale.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the README says the session ran (the real folder is a temporary one). */
export const SHOWN_DIR = '/tmp/tut';

/** The tutorial's console block: each `$ ` command with the output printed under it. */
export function tutorialSteps(readme = readFileSync(join(ROOT, 'README.md'), 'utf8')) {
  const start = readme.indexOf('## Tutorial');
  const open = readme.indexOf('```console\n', start);
  const close = readme.indexOf('\n```', open + 1);
  if (start < 0 || open < 0 || close < 0) throw new Error('README.md has no tutorial console block');
  const steps = [];
  for (const line of readme.slice(open + '```console\n'.length, close).split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), output: [] });
    else if (steps.length > 0) steps.at(-1).output.push(line);
  }
  for (const s of steps) while (s.output.length > 0 && s.output.at(-1) === '') s.output.pop();
  return steps;
}

/**
 * Runs the commands one after another in one shell (so `cd` carries over), stdout and stderr
 * together as a terminal shows them, in a new temporary folder; returns each command's output
 * with that folder written as {@link SHOWN_DIR}.
 */
export function runTutorial(commands) {
  const base = mkdtempSync(join(tmpdir(), 'bfly-tutorial-'));
  try {
    const bin = join(base, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'bfly'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'bfly.cjs')}" "$@"\n`);
    chmodSync(join(bin, 'bfly'), 0o755);
    const work = join(base, 'tut');
    mkdirSync(work);
    const marker = `@@bfly-tutorial-${process.pid}@@`;
    const script = commands.map((c, i) => `echo "${marker} ${i}"\n${c} 2>&1`).join('\n');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1', COLUMNS: '200' };
    delete env.FORCE_COLOR;
    const r = spawnSync('/bin/bash', ['-e', '-c', script], { cwd: work, env, encoding: 'utf8', maxBuffer: 1 << 26 });
    const text = r.stdout.split(work).join(SHOWN_DIR);
    const outputs = text.split(new RegExp(`^${marker} \\d+\\n`, 'm')).slice(1).map((o) => o.replace(/\n+$/, '').split('\n').filter((l, k, all) => !(all.length === 1 && l === '')));
    if (r.status !== 0 || outputs.length !== commands.length) {
      throw new Error(`the tutorial stopped at command ${outputs.length} (${commands[outputs.length - 1]}), exit ${r.status}:\n${text.slice(-3000)}\n${r.stderr}`);
    }
    return outputs;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/**
 * A line's shape: run and batch ids, hashes, numbers, times and ages reduced to placeholders
 * and spacing collapsed, so a rerun (other ids, other timings) gives the same shape and a
 * changed message, column or model does not.
 */
export function shape(line) {
  return line
    .replace(/\b\d{8}-\d{9}-[0-9a-f]{6}\b/g, 'RUN')
    .replace(/\bb-\d{8}-\d{6}-[0-9a-f]{4}\b/g, 'BATCH')
    .replace(/\b[0-9a-f]{12,64}\b/g, 'HASH')
    .replace(/\b[0-9a-f]{6}\b/g, 'ID')
    .replace(/\d+(\.\d+)?(e[-+]?\d+)?/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const steps = tutorialSteps();
  const outputs = runTutorial(steps.map((s) => s.command));
  const lines = [];
  steps.forEach((s, i) => {
    lines.push(`$ ${s.command}`, ...outputs[i], '');
  });
  process.stdout.write(lines.join('\n').replace(/\n+$/, '\n'));
}
