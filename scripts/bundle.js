// Bundles the CLI into CommonJS files under dist/cli/: cli.cjs (commander + wiring) and one
// bundle per command, loaded lazily. Measured here: the ESM loader alone adds ~15 ms to a
// ~130 ms start, and resolving a module graph (plus commander's ESM->CJS interop) ~50 ms more;
// `bfly dataset list --json` must stay within 1.5x of `node -e 0`. The library (dist/index.js
// and its .d.ts) is still compiled file by file by tsc, as ESM.
import { build } from 'esbuild';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

const commands = readdirSync('src/commands').filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));

/** `./commands/x.js` (as written in src/cli.ts) -> the separate bundle `./commands/x.cjs`. */
const lazyCommands = {
  name: 'lazy-commands',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/.*\.js$/ }, (args) => ({ path: args.path.replace(/\.js$/, '.cjs'), external: true }));
  },
};

/**
 * Ink and React are ESM and heavy: the Ink view stays a separate ES module (compiled by tsc to
 * dist/ui/), loaded with a real dynamic import() only when a run is drawn on a terminal.
 */
const inkView = {
  name: 'ink-view',
  setup(b) {
    b.onResolve({ filter: /\/ui\/(run|batch)-ink\.js$/ }, (args) => ({ path: `../../ui/${args.path.split('/').pop()}`, external: true }));
  },
};

/**
 * Loads a command bundle with the V8 code cache made for it (`<file>.v8-<V8 version>.cache`):
 * compiling the 700 KB `run` bundle costs ~30 ms more without it. The cache is per V8 version,
 * so one made by another Node is never offered to this one; when there is none for this Node (or
 * V8 rejects it), the bundle compiles normally and a cache for this Node is written beside it
 * (best effort: an install may be read-only).
 */
const LOADER = `function __bflyRequire(file) {
  if (require.cache[file]) return require.cache[file].exports;
  // only the bundles prepared for it (their import() calls routed to __bflyImport) load this way
  if (!__BFLY_CACHED.includes(require('node:path').basename(file))) return require(file);
  const fs = require('node:fs');
  const Module = require('node:module');
  const vm = require('node:vm');
  const path = require('node:path');
  const cacheFile = file + '.v8-' + process.versions.v8 + '.cache';
  let cachedData;
  try { cachedData = fs.readFileSync(cacheFile); } catch {}
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  require.cache[file] = mod;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  if (cachedData === undefined || script.cachedDataRejected) {
    try {
      const tmp = cacheFile + '.' + process.pid + '.tmp';
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {}
  }
  return mod.exports;
}
// Code compiled by vm.Script cannot call import() itself: the bundle's import() calls (tfjs, the
// Ink view) come here, to this normally loaded file, with the importing file for relative paths.
globalThis.__bflyImport = (specifier, from) =>
  import(specifier.startsWith('.') ? require('node:url').pathToFileURL(require('node:path').resolve(require('node:path').dirname(from), specifier)).href : specifier);`;

/**
 * Routes the bundle's import() calls through the loader's `__bflyImport`, compiles and runs the
 * bundle's top level once, then saves V8's code cache beside it.
 */
function writeCodeCache(file) {
  const require = createRequire(join(process.cwd(), file));
  const text = readFileSync(file, 'utf8');
  const routed = text.replace(/\bimport\(/g, 'globalThis.__bflyImport(__filename,');
  const count = (routed.match(/__bflyImport\(__filename,/g) ?? []).length;
  if (count < 2) throw new Error(`bundle.js: expected the tfjs and Ink import() calls in ${file}, found ${count}`);
  // (specifier, from) order: swap the arguments the simple rewrite produced.
  const fixed = routed.replace(/globalThis\.__bflyImport\(__filename,/g, '((s) => globalThis.__bflyImport(s, __filename))(');
  writeFileSync(file, fixed);
  const script = new vm.Script(Module.wrap(fixed), { filename: join(process.cwd(), file) });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, require, mod, file, dirname(file));
  writeFileSync(`${file}.v8-${process.versions.v8}.cache`, script.createCachedData());
}

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Heavy optional modules stay outside the bundles and load only where used.
  external: ['isolated-vm', 'koffi', '@tensorflow/*', 'ink', 'react', 'vega', 'vega-lite', 'nedb-promises'],
  logLevel: 'warning',
  // CommonJS has no import.meta: give modules that locate files a file URL of their own bundle.
  define: { 'import.meta.url': '__bflyModuleUrl' },
  banner: { js: "const __bflyModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
};

await build({ ...common, entryPoints: { cli: 'src/cli.ts' }, outdir: 'dist/cli', outExtension: { '.js': '.cjs' }, plugins: [lazyCommands] });
// esbuild keeps `import()` of an external file; for a CommonJS command bundle that means Node's
// ESM loader, which first scans the whole file with cjs-module-lexer (~90 ms for `run`).
// `require()` loads it directly, still lazily.
const cliFile = 'dist/cli/cli.cjs';
const cliText = readFileSync(cliFile, 'utf8');
const lazyRequire = cliText.replace(/\bimport\("(\.\/commands\/[\w-]+\.cjs)"\)/g, 'Promise.resolve().then(() => __bflyRequire(require.resolve("$1")))');
if (lazyRequire === cliText) throw new Error('bundle.js: no lazy command import found in cli.cjs');
const selfContained = ['run'];
writeFileSync(cliFile, `const __BFLY_CACHED = ${JSON.stringify(selfContained.map((c) => `${c}.cjs`))};\n${LOADER}\n${lazyRequire}`);
// Command bundles hold our code only: npm packages (yaml, zod, ...) load from node_modules when
// a code path needs them, instead of being parsed on every start.
// `bfly run` always needs zod and yaml: bundled in and minified (tree-shaken from their ES
// modules) it starts ~50 ms faster than loading them from node_modules.
await build({ ...common, packages: 'external', entryPoints: Object.fromEntries(commands.filter((c) => !selfContained.includes(c)).map((c) => [c, `src/commands/${c}.ts`])), outdir: 'dist/cli/commands', outExtension: { '.js': '.cjs' }, plugins: [inkView] });
await build({ ...common, minify: !process.env.BFLY_NO_MINIFY, mainFields: ['module', 'main'], entryPoints: Object.fromEntries(selfContained.map((c) => [c, `src/commands/${c}.ts`])), outdir: 'dist/cli/commands', outExtension: { '.js': '.cjs' }, plugins: [inkView] });
// The import and forest workers run in their own threads, the hook host in its own process:
// one self-contained file each.
await build({ ...common, entryPoints: { 'import-worker': 'src/store/import/worker.ts', 'forest-worker': 'src/runner/forest-worker.ts', 'trial-worker': 'src/runner/trial-worker.ts', 'hook-host': 'src/runner/hooks/host.ts', 'python-host': 'src/runner/adapters/python-host.ts' }, outdir: 'dist/cli', outExtension: { '.js': '.cjs' } });
// The big run bundle gets a V8 code cache (see LOADER).
for (const c of selfContained) writeCodeCache(`dist/cli/commands/${c}.cjs`);
