// The README tutorial, pasted line by line as a newcomer would: its commands run in a new folder
// with `bfly` on the PATH (as `npm link` puts it), and each command's output must have the shape
// the README shows (ids, numbers, times and spacing aside; lines in any order, as parallel
// batch progress comes). A changed message, column, model or verdict fails it.
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain JS script (no types)
import { runTutorial, shape, tutorialSteps } from '../../scripts/tutorial.js';

type Step = { command: string; output: string[] };

/** Durations, ages and sizes change unit from run to run (958 ms / 1.1 s): one placeholder each. */
const loose = (line: string): string =>
  (shape(line) as string)
    .replace(/\bN ?(ms|s|m|h|d)\b/g, 'DUR')
    .replace(/\bN ?[KMGT]?i?B\b/g, 'SIZE')
    .replace(/\bSIZE\/s\b/g, 'RATE');

/** README lines the actual output lacks, and actual lines the README lacks (`…` cuts a line at that point). */
function mismatch(readme: string[], actual: string[]): { missing: string[]; extra: string[] } {
  const left = actual.map(loose);
  const missing: string[] = [];
  for (const line of readme) {
    const cut = line.indexOf('…');
    const want = cut < 0 ? loose(line) : loose(line.slice(0, cut));
    const k = left.findIndex((a) => (cut < 0 ? a === want : a.startsWith(want)));
    if (k < 0) missing.push(line);
    else left.splice(k, 1);
  }
  return { missing, extra: left };
}

describe('README tutorial', () => {
  const steps = tutorialSteps() as Step[];

  it('has the ten commands the README promises, with no literal run or batch id a reader cannot know', () => {
    expect(steps.filter((s) => s.command.startsWith('bfly '))).toHaveLength(11);
    for (const s of steps) expect(s.command).not.toMatch(/\d{8}-\d{9}-[0-9a-f]{6}|b-\d{8}-\d{6}/);
  });

  it('runs from a fresh folder, and every command prints what the README shows', () => {
    const outputs = runTutorial(steps.map((s) => s.command)) as string[][];
    const problems = steps.flatMap((s, i) => {
      const { missing, extra } = mismatch(s.output, outputs[i]);
      return missing.length + extra.length === 0 ? [] : [`$ ${s.command}\n  README lines not printed:\n    ${missing.join('\n    ')}\n  printed lines not in the README:\n    ${extra.join('\n    ')}`];
    });
    expect(problems.join('\n\n'), 'the tutorial is stale: run `node scripts/tutorial.js` and paste its session into README.md').toBe('');
  }, 300_000);

  it('the comparison notices a changed line', () => {
    expect(mismatch(['model: logistic_regression, cv accuracy 0.9964 ± 0.0073'], ['model: random_forest, cv accuracy 0.9 ± 0.01']).missing).toHaveLength(1);
    expect(mismatch(['took 958 ms', 'artifacts: a, b, …'], ['artifacts: a, b, c', 'took 1.1 s'])).toEqual({ missing: [], extra: [] });
  });
});
