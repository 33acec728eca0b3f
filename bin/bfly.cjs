#!/usr/bin/env node
'use strict';
// Entry point of the `bfly` command (CommonJS: it starts faster than an ES module).
// `--version` answers without loading anything else.
const argv = process.argv;
// NO_COLOR (https://no-color.org): no colour anywhere, the live view included (its colour
// library reads FORCE_COLOR).
if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  process.stdout.write(require('../package.json').version + '\n');
} else if (argv.length === 4 && argv.includes('--json') && (argv.includes('--version') || argv.includes('-V'))) {
  // what this install runs on: bfly, Node, and the hook sandbox chosen for this Node (or null)
  import('../dist/store/sandbox-package.js').then((m) => {
    const p = m.sandboxPackage();
    process.stdout.write(JSON.stringify({ schemaVersion: 1, version: require('../package.json').version, node: process.version, abi: process.versions.modules, sandbox: p === null ? null : { package: p.name, version: p.version }, testedNodes: m.TESTED_NODES }) + '\n');
  });
} else {
  require('../dist/cli/cli.cjs')
    .main(argv)
    .then((code) => {
      // Exit now rather than wait for the event loop to empty: a loaded framework (tfjs' wasm
      // backend) keeps handles that cost ~20 ms to tear down. Output is flushed first.
      let pending = 0;
      const done = () => {
        if (--pending <= 0) process.exit(code);
      };
      for (const s of [process.stdout, process.stderr]) {
        if (s.writableLength > 0) {
          pending++;
          s.once('drain', done);
        }
      }
      if (pending === 0) process.exit(code);
    });
}
