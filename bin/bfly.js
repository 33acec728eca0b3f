#!/usr/bin/env node
// Entry point of the `bfly` command. `--version` answers without loading anything else.
const argv = process.argv;
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  const { BFLY_VERSION } = await import('../dist/core/version.js');
  process.stdout.write(BFLY_VERSION + '\n');
} else {
  const { main } = await import('../dist/cli.js');
  process.exitCode = await main(argv);
}
