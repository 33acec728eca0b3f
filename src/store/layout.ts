import { join } from 'node:path';

/** Name of the workspace directory. */
export const BFLY_DIR = '.butterfly';

/** The directories `bfly init` creates inside `.butterfly/`. */
export const LAYOUT_DIRS = ['objects', 'datasets', 'experiments', 'runs', 'batches', 'cache', 'index', 'locks', 'tmp'] as const;

/** Absolute paths of a workspace's parts, from its root (the directory holding `.butterfly/`). */
export interface WorkspacePaths {
  root: string;
  dir: string;
  config: string;
  objects: string;
  datasets: string;
  experiments: string;
  runs: string;
  batches: string;
  cache: string;
  index: string;
  locks: string;
  tmp: string;
}

/** The paths of the workspace rooted at `root`. */
export function workspacePaths(root: string): WorkspacePaths {
  const dir = join(root, BFLY_DIR);
  return {
    root,
    dir,
    config: join(dir, 'config.yaml'),
    objects: join(dir, 'objects'),
    datasets: join(dir, 'datasets'),
    experiments: join(dir, 'experiments'),
    runs: join(dir, 'runs'),
    batches: join(dir, 'batches'),
    cache: join(dir, 'cache'),
    index: join(dir, 'index'),
    locks: join(dir, 'locks'),
    tmp: join(dir, 'tmp'),
  };
}
