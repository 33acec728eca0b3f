import type { GlobalOptions } from '../cli.js';
import type { ErrorCategory } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import { previewRun, runExperiment } from '../runner/run-experiment.js';
import { spawn } from 'node:child_process';
import { resolvePipeline } from '../store/experiments.js';
import { openWorkspace } from '../store/workspace.js';
import { plainEventLine, renderPreview, renderRunResult } from '../ui/run.js';

/** Options of `bfly run`. */
export interface RunCommandOptions extends GlobalOptions {
  seed?: number;
  set?: string[];
  force?: boolean;
  cache?: boolean;
  dryRun?: boolean;
  quiet?: boolean;
}

function draftHasHooks(root: string, experiment: string): boolean {
  try {
    return resolvePipeline(root, experiment).blocks.some((b) => b.hooks.length > 0);
  } catch {
    return false; // the real run reports why the draft is invalid
  }
}

function rerunWithoutSnapshot(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
    // Ctrl-C reaches the child too (same process group): it cancels the run; we wait for it.
    const ignore = (): void => {};
    process.on('SIGINT', ignore);
    process.on('SIGTERM', () => child.kill('SIGTERM'));
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

/** `bfly run <experiment>`: returns the category of a failed run (its exit code), or 'cancelled'. */
export async function runCommand(experiment: string, o: RunCommandOptions): Promise<ErrorCategory | 'cancelled' | undefined> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  if (!o.dryRun && !process.execArgv.includes('--no-node-snapshot') && draftHasHooks(ws.root, experiment)) {
    // isolated-vm (the hook sandbox) needs Node started with --no-node-snapshot: run again so.
    process.exit(await rerunWithoutSnapshot());
  }
  const options = { seed: o.seed, sets: o.set ?? [], force: o.force === true, noCache: o.cache === false };
  if (o.dryRun) {
    const preview = previewRun(ws.root, experiment, options);
    process.stdout.write(o.json ? JSON.stringify(preview) + '\n' : renderPreview(preview));
    return undefined;
  }
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    // First Ctrl-C cancels cleanly (at the next fold, tree or block); a second one exits now.
    if (++signals > 1) process.exit(130);
    if (!o.json && !o.quiet) process.stderr.write('\ncancelling… (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let onEvent: ((e: RunEvent) => void) | undefined;
  let finish = async (): Promise<void> => {};
  if (o.json) {
    onEvent = (e) => process.stdout.write(JSON.stringify(e) + '\n');
  } else if (!o.quiet && process.stderr.isTTY && !process.env.CI) {
    const { renderRunLive } = await import('../ui/run-ink.js');
    const live = renderRunLive(process.stderr);
    onEvent = live.onEvent;
    finish = live.done;
  } else if (!o.quiet) {
    onEvent = (e) => {
      const line = plainEventLine(e);
      if (line !== null) process.stderr.write(line + '\n');
    };
  }
  try {
    const { run } = await runExperiment(ws.root, experiment, { ...options, signal: controller.signal, onEvent });
    await finish();
    if (o.json) process.stdout.write(JSON.stringify(run) + '\n');
    else if (o.quiet) process.stdout.write(`${run.id} ${run.status}\n`);
    else (run.status === 'succeeded' ? process.stdout : process.stderr).write(renderRunResult(run));
    if (run.status === 'succeeded') return undefined;
    if (run.status === 'cancelled') return 'cancelled';
    return (run.error?.category as ErrorCategory | undefined) ?? 'unknown';
  } finally {
    await finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
