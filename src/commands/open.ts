import { spawn, spawnSync } from 'node:child_process';
import { jsonLine } from '../ui/json.js';
import { join } from 'node:path';
import type { GlobalOptions } from '../cli.js';
import { findArtifact } from '../store/run-artifacts.js';
import { readRunFile, readVerifiedRun } from '../store/run-state.js';
import { resolveRunRef } from '../store/runs.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly open <run> [artifact]`: prints the path; on a terminal with a system opener, opens it. */
export async function openCommand(ref: string, artifact: string | undefined, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const v = readVerifiedRun(ws.root, resolveRunRef(ws.root, ref));
  const run = v.manifest;
  const name = artifact ?? (run.artifacts.some((a) => a.name === 'report.html') ? 'report.html' : undefined);
  let path = v.dir;
  if (name !== undefined) {
    const a = findArtifact(run, name);
    readRunFile(v, a.path); // what is opened is what the run sealed
    path = join(v.dir, a.path);
  }
  process.stdout.write(o.json ? jsonLine({ run: run.id, path }) : `${path}\n`);
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? null : 'xdg-open';
  if (!o.json && process.stdout.isTTY && opener !== null && spawnSync('sh', ['-c', `command -v ${opener}`], { stdio: 'ignore' }).status === 0) {
    spawn(opener, [path], { detached: true, stdio: 'ignore' }).unref();
  }
}
