import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../core/hash.js';
import { writeJsonAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';
import { assertRealDir } from './safe-fs.js';

/** `cache/run-keys/<sha256(experiment, key)>.json`: which succeeded run has an execution key. */
export function runKeyPath(root: string, key: string, experiment: string): string {
  return join(workspacePaths(root).cache, 'run-keys', `${sha256Hex(`${experiment}\0${key}`)}.json`);
}

/**
 * Remembers a succeeded run under its execution key (`cache/run-keys/`), so that a run with the
 * same key is found without reading every run. Derived data: losing it only costs a scan, and
 * a hit is always checked against the run's own sealed run.json.
 */
export function recordReusableRun(root: string, run: { id: string; experiment: string; executionKey: string }): void {
  const path = runKeyPath(root, run.executionKey, run.experiment);
  const dir = join(path, '..');
  if (!assertRealDir(dir, root)) mkdirSync(dir, { recursive: true });
  writeJsonAtomic(path, { id: run.id, experiment: run.experiment, executionKey: run.executionKey }, { tmpDir: workspacePaths(root).tmp, durable: false });
}
