import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker less than the cores: on a 2-core machine one file at a time,
    // while most files wait on bfly child processes (measured: 1,355 s serial, 986 s with two)
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // isolated-vm (the hook sandbox) wants Node without its startup snapshot.
    execArgv: ['--no-node-snapshot'],
  },
});
