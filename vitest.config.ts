import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // isolated-vm (the hook sandbox) wants Node without its startup snapshot.
    execArgv: ['--no-node-snapshot'],
  },
});
