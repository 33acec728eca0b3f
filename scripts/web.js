// Builds the web UI (`bfly ui`, `bfly serve`) into dist/web/: web/src/main.tsx bundled by esbuild
// for browsers as ES modules with code splitting (vega and vega-lite are a chunk of their own,
// loaded only by the views that draw plots), content-hashed file names under dist/web/assets/
// (served as immutable), and dist/web/index.html naming the entry's script and stylesheet. No CDN:
// every asset is a file here. dist/web/manifest.json lists the files the first view loads.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const out = 'dist/web';
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });
const result = await build({
  entryPoints: { app: 'web/src/main.tsx' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  outdir: `${out}/assets`,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  minify: !process.env.BFLY_NO_MINIFY,
  sourcemap: 'linked',
  sourcesContent: false,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.entries(result.metafile.outputs);
const [entryFile, entry] = outputs.find(([, o]) => o.entryPoint === 'web/src/main.tsx');
const initial = [basename(entryFile), ...entry.imports.filter((i) => i.kind === 'import-statement').map((i) => basename(i.path))];
const css = entry.cssBundle === undefined ? null : basename(entry.cssBundle);
const favicon = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M16 16C10 4 2 6 4 14s8 4 12 2c-4 4-10 10-4 12s4-8 4-12c0 4 2 14 4 12s6-8-4-12c4 2 10 6 12-2s-10-10-12 2z" fill="#7c5cff"/></svg>';
writeFileSync(`${out}/assets/favicon.svg`, favicon);
writeFileSync(
  `${out}/index.html`,
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>bfly</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
${css === null ? '' : `<link rel="stylesheet" href="/assets/${css}">\n`}<script type="module" src="/assets/${basename(entryFile)}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The bfly UI needs JavaScript. The same data is in the API under /api/v1 and in the CLI (bfly runs, bfly show).</noscript>
</body>
</html>
`,
);
writeFileSync(`${out}/manifest.json`, JSON.stringify({ entry: basename(entryFile), initial, css }, null, 1) + '\n');
