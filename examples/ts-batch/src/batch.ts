// A batch of runs from TypeScript, through the package's public API only:
//   npm install && npm run build && npm start -- [workspace-dir]
// Imports the example penguins table, runs a grid over two models with three seeds on two
// workers, lists the runs best first, compares the best two, and predicts with the best model.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BatchEvent, type RunSummary, compareRuns, createExperiment, importDataset, initWorkspace, listRuns, loadModel, openWorkspace, runBatch } from 'butterfly-ml';

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'bfly-ts-batch-'));

const ws = await initWorkspace(dir).catch(() => openWorkspace(dir));
await importDataset(ws, join(examples, 'data', 'penguins.csv'), { name: 'penguins' });
await createExperiment(ws, { name: 'penguins', dataset: 'penguins', target: 'Species', template: join(examples, 'pipelines', 'quick.yaml') }).catch(() => undefined);

const progress = (e: BatchEvent): void => {
  if (e.type === 'batch_run_finished') console.log(`  ${e.result.label} seed=${e.result.seed}: ${e.result.reused ? 'reused' : e.result.status}`);
};
const batch = await runBatch(ws, 'penguins', {
  grid: ['blocks.train.config.model=logistic_regression,gradient_boosting'],
  seeds: [1, 2, 3],
  jobs: 2,
  onEvent: progress,
});
console.log(`batch ${batch.batch}: ${batch.runs.length} runs`);

const runs: RunSummary[] = await listRuns(ws, { where: `batch == "${batch.batch}" and status == "succeeded"`, sort: '-metrics.accuracy' });
for (const r of runs) console.log(`${r.id}  ${String(r.params.train && (r.params.train as { model: string }).model)}  seed ${r.seed}  accuracy ${r.metrics.accuracy.toFixed(4)}`);

const [best, second] = runs;
const diff = await compareRuns(ws, [best.id, second.id]);
console.log('differs in:', diff.rows.filter((row) => row.differs).map((row) => row.key).join(', '));

const model = loadModel(join(ws.root, '.butterfly', 'runs', best.id, 'artifacts', 'model.json'));
const predicted = model.predict([{ 'Island': 'Biscoe', 'Beak Length (mm)': 47.5, 'Beak Depth (mm)': 15, 'Flipper Length (mm)': 218, 'Body Mass (g)': 4950, 'Sex': 'MALE' }]);
console.log('a 218 mm flipper on Biscoe is', predicted[0]);
