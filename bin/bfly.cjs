#!/usr/bin/env node
'use strict';
// Entry point of the `bfly` command (CommonJS: it starts faster than an ES module).
// `--version` answers without loading anything else.
const argv = process.argv;
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  process.stdout.write(require('../package.json').version + '\n');
} else {
  require('../dist/cli/cli.cjs')
    .main(argv)
    .then((code) => {
      process.exitCode = code;
    });
}
