// npm run bench [-- <suite> ...]: runs the named suites (default: all). Builds nothing: run
// `npm run build` first (npm ci does).
import { benchImport } from './import.js';
import { benchModels } from './models.js';
import { benchRun } from './run.js';
import { benchHooks } from './hooks.js';
import { benchHistory } from './history.js';
import { benchBatch } from './batch.js';
import { benchServe } from './serve.js';
import { benchNode } from './node.js';
import { benchQuality } from './quality.js';
import { benchFrameworks } from './frameworks.js';
import { benchCluster } from './cluster.js';
import { benchPredict } from './predict.js';
import { benchWide } from './wide.js';
import { benchUi } from './ui.js';
import { benchAutoml } from './automl.js';

const SUITES = { import: benchImport, models: benchModels, run: benchRun, hooks: benchHooks, history: benchHistory, batch: benchBatch, serve: benchServe, node: benchNode, quality: benchQuality, frameworks: benchFrameworks, cluster: benchCluster, predict: benchPredict, wide: benchWide, ui: benchUi, automl: benchAutoml };
const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('--'));
const chosen = names.length > 0 ? names : Object.keys(SUITES);
for (const name of chosen) {
  const suite = SUITES[name];
  if (!suite) {
    console.error(`unknown bench suite ${JSON.stringify(name)}; suites: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  await suite(args);
}
