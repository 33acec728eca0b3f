/**
 * The bfly library API. The `bfly` CLI is one client of it; scripts are another.
 *
 * @example
 * import { initWorkspace, importDataset, listDatasets } from 'butterfly-ml';
 * const ws = await initWorkspace('./project');
 * const { dataset } = await importDataset(ws, 'penguins.csv');
 * console.log(dataset.rows, (await listDatasets(ws)).length);
 *
 * @packageDocumentation
 */
import type { DatasetManifest } from './core/dataset.js';
import * as datasets from './store/datasets.js';
import * as importer from './store/import/import-dataset.js';
import * as experiments from './store/experiments.js';
import { type InitOptions, type MigrationReport, type OpenOptions, type Workspace, initWorkspace, migrateWorkspace, openWorkspace } from './store/workspace.js';
import type { Pipeline } from './core/pipeline.js';
import type { ValidationResult } from './core/validate-pipeline.js';
import type { RunEvent } from './core/events.js';
import type { RunManifest } from './core/run.js';
import { readVerifiedRun } from './store/run-state.js';
import { resolveRunRef } from './store/runs.js';
import { ValidationError } from './core/errors.js';

export { initWorkspace, openWorkspace, migrateWorkspace };
export type { Workspace, InitOptions, OpenOptions, MigrationReport };
export type { ImportOptions, ImportResult } from './store/import/import-dataset.js';
export type { DatasetManifest, DatasetColumn, ColumnType, DatasetFormat, NumericStats, CategoryStats, BooleanStats, DatetimeStats } from './core/dataset.js';
export type { WorkspaceConfig, Profile } from './core/config.js';
export { BflyError, ValidationError, NotFoundError, InfraError, PolicyError, NotAWorkspaceError, CorruptObjectError, ERROR_CATEGORIES, type ErrorCategory } from './core/errors.js';
export { loadColumnar, loadColumn, type LoadedTable, type LoadedColumn } from './store/columnar.js';
export { loadDatasetColumns } from './store/dataset-columns.js';
export { readObject } from './store/objects.js';
export { BFLY_VERSION, FORMAT_VERSION } from './core/version.js';

async function rootOf(ws: Workspace | string): Promise<string> {
  return typeof ws === 'string' ? (await openWorkspace(ws)).root : ws.root;
}

/**
 * Imports a CSV/TSV/JSON/JSONL file into the workspace (see the README for type inference and
 * missing markers). `ws` is an open workspace or a path inside one.
 *
 * @example
 * const { dataset, created } = await importDataset(ws, 'data/cars.json', { name: 'cars' });
 */
export async function importDataset(ws: Workspace | string, file: string, options?: importer.ImportOptions): Promise<importer.ImportResult> {
  return importer.importDataset(await rootOf(ws), file, options);
}

/**
 * Every dataset of the workspace, sorted by name and version.
 *
 * @example
 * for (const d of await listDatasets(ws)) console.log(d.name, d.version, d.rows);
 */
export async function listDatasets(ws: Workspace | string): Promise<DatasetManifest[]> {
  return datasets.listDatasets(await rootOf(ws));
}

/**
 * One dataset by `NAME`, `NAME@V`, id or hash prefix.
 *
 * @example
 * const penguins = await getDataset(ws, 'penguins@latest');
 */
export async function getDataset(ws: Workspace | string, ref: string): Promise<DatasetManifest> {
  return datasets.getDataset(await rootOf(ws), ref);
}

export { datasetLabel } from './core/dataset.js';

export type { Experiment, ExperimentInfo, CreateExperimentOptions, Assignment } from './store/experiments.js';
export type { Pipeline, BlockSpec, HookSpec, BlockType } from './core/pipeline.js';
export type { PipelineProblem, ValidationResult, ValidationContext } from './core/validate-pipeline.js';
export type { Task } from './core/catalog.js';
export { BLOCKS, BLOCK_TYPES } from './core/pipeline.js';
export { METRICS, MODELS } from './core/catalog.js';
export { validatePipelineText } from './core/validate-pipeline.js';
export { describeBlocks, describeModels, type BlockDoc, type ModelDoc } from './core/describe-blocks.js';
export { decideTask } from './core/task.js';

/**
 * Creates an experiment: binds a dataset and a target column, decides the task (auto) and
 * writes a draft pipeline from a template.
 *
 * @example
 * const exp = await createExperiment(ws, { name: 'penguins', dataset: 'penguins', target: 'Species' });
 * console.log(exp.task, exp.taskReason); // classification, "Species is a category column (3 distinct values)"
 */
export async function createExperiment(ws: Workspace | string, options: experiments.CreateExperimentOptions): Promise<experiments.ExperimentInfo> {
  return experiments.createExperiment(await rootOf(ws), options);
}

/**
 * Every experiment of the workspace.
 *
 * @example
 * for (const e of await listExperiments(ws)) console.log(e.name, e.task, e.metric);
 */
export async function listExperiments(ws: Workspace | string): Promise<experiments.ExperimentInfo[]> {
  return experiments.listExperiments(await rootOf(ws));
}

/**
 * One experiment by name.
 *
 * @example
 * const e = await getExperiment(ws, 'penguins');
 */
export async function getExperiment(ws: Workspace | string, name: string): Promise<experiments.ExperimentInfo> {
  return experiments.getExperiment(await rootOf(ws), name);
}

/**
 * Validates an experiment's draft pipeline: every problem with line, column, path and hint.
 *
 * @example
 * const r = await validatePipeline(ws, 'penguins');
 * if (!r.valid) r.problems.forEach((p) => console.log(`${p.line}:${p.column} ${p.message}`));
 */
export async function validatePipeline(ws: Workspace | string, experiment: string): Promise<ValidationResult & { file: string }> {
  return experiments.validateExperimentPipeline(await rootOf(ws), experiment);
}

/**
 * The draft pipeline with every default filled in (throws a ValidationError listing every
 * problem when it is invalid).
 *
 * @example
 * const p = await readPipeline(ws, 'penguins');
 * console.log(p.seed, p.blocks.map((b) => b.type));
 */
export async function readPipeline(ws: Workspace | string, experiment: string): Promise<Pipeline> {
  return experiments.resolvePipeline(await rootOf(ws), experiment);
}

/**
 * Sets values in the draft pipeline (all or nothing; comments kept).
 *
 * @example
 * await setPipelineValues(ws, 'penguins', ['blocks.model_selection.config.cv=10']);
 */
export async function setPipelineValues(ws: Workspace | string, experiment: string, assignments: string[]): Promise<{ set: experiments.Assignment[]; pipeline: Pipeline }> {
  return experiments.setPipelineValues(await rootOf(ws), experiment, assignments);
}

/**
 * Replaces the draft pipeline with `yamlText`, only if it is valid.
 *
 * @example
 * await writePipeline(ws, 'penguins', fs.readFileSync('my-pipeline.yaml', 'utf8'));
 */
export async function writePipeline(ws: Workspace | string, experiment: string, yamlText: string): Promise<Pipeline> {
  return experiments.writePipeline(await rootOf(ws), experiment, yamlText);
}

export type { RunOptions, RunResult, RunPreview, PlanStep } from './runner/run-experiment.js';
export type { RunManifest, RunBlock, RunArtifact, RunError, RunBinding } from './core/run.js';
export type { RunEvent, RunStatus } from './core/events.js';
export { RUN_STATUSES, parseRunEvent } from './core/events.js';
export { loadModel, loadRunModel, runModelFile, type LoadedModel, type ModelArtifact } from './runner/model-artifact.js';
export { exportOnnx } from './runner/onnx-export.js';

/**
 * Runs an experiment (what `bfly run` does): validates the draft with `sets`/`seed` applied,
 * returns the succeeded run with the same execution key unless `force`, else snapshots and
 * executes it. `onEvent` receives every event as it happens; `signal` cancels. Resolves with
 * the run whatever its outcome (check `run.status`); rejects only when no run could start.
 *
 * @example
 * const { run, reused } = await runExperiment(ws, 'penguins', { seed: 7, onEvent: (e) => e.type === 'block_finished' && console.log(e.block, e.durationMs) });
 * console.log(run.status, run.metrics.accuracy, reused);
 */
export async function runExperiment(ws: Workspace | string, experiment: string, options: import('./runner/run-experiment.js').RunOptions = {}): Promise<import('./runner/run-experiment.js').RunResult> {
  const { runExperiment: run } = await import('./runner/run-experiment.js');
  return run(await rootOf(ws), experiment, options);
}

/**
 * The events of `runExperiment` as an async iterator; the last value returned is the result.
 *
 * @example
 * const it = runExperimentEvents(ws, 'penguins');
 * for await (const e of it) if (e.type === 'block_progress') console.log(e.block, e.done, e.total);
 */
export async function* runExperimentEvents(ws: Workspace | string, experiment: string, options: Omit<import('./runner/run-experiment.js').RunOptions, 'onEvent'> = {}): AsyncGenerator<RunEvent, import('./runner/run-experiment.js').RunResult> {
  const queue: RunEvent[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  const result = runExperiment(ws, experiment, {
    ...options,
    onEvent: (e) => {
      queue.push(e);
      wake?.();
    },
  }).finally(() => {
    done = true;
    wake?.();
  });
  for (;;) {
    while (queue.length > 0) yield queue.shift()!;
    if (done) return await result;
    await new Promise<void>((r) => (wake = r));
    wake = null;
  }
}

/**
 * What a run would do without doing it (`bfly run --dry-run`): per block, cached or run and why.
 *
 * @example
 * const p = await previewRun(ws, 'penguins', { sets: ['blocks.model_selection.config.cv=3'] });
 */
export async function previewRun(ws: Workspace | string, experiment: string, options: Pick<import('./runner/run-experiment.js').RunOptions, 'seed' | 'sets' | 'noCache' | 'force'> = {}): Promise<import('./runner/run-experiment.js').RunPreview> {
  const { previewRun: preview } = await import('./runner/run-experiment.js');
  return preview(await rootOf(ws), experiment, options);
}

/**
 * The `sets` that bound every `model_selection` block of the experiment's draft to a time
 * budget in seconds (what `bfly run --time-budget` adds); pass them to runExperiment or runBatch.
 *
 * @example
 * await runExperiment(ws, 'penguins', { sets: await timeBudgetSets(ws, 'penguins', 60) });
 */
export async function timeBudgetSets(ws: Workspace | string, experiment: string, seconds: number): Promise<string[]> {
  return experiments.timeBudgetSets(await rootOf(ws), experiment, seconds);
}

/**
 * A run's manifest by id, unique id prefix, `@latest` or `<experiment>@latest`.
 *
 * @example
 * const run = await getRun(ws, 'penguins@latest');
 */
export async function getRun(ws: Workspace | string, ref: string): Promise<RunManifest> {
  const root = await rootOf(ws);
  // checked against its seal, like every read of a run for use
  return readVerifiedRun(root, resolveRunRef(root, ref)).manifest;
}

export type { RunSummary, RunSelection } from './core/run-summary.js';
export type { CompareRow, CompareReport, SeedGroup, NoiseVerdict } from './core/compare.js';
export type { BatchOptions, BatchResult, BatchRunResult, BatchEvent } from './runner/batch.js';
export type { BatchRunSpec, GridAxis } from './core/batch.js';
export type { FsckReport, FsckProblem } from './store/fsck.js';
export type { GcReport } from './store/gc.js';

/**
 * Runs an experiment over a grid of config values and seeds (what `bfly run --grid/--seeds`
 * does): every combination is a normal run (reused when one with the same execution key
 * succeeded before), executed by up to `jobs` worker processes; one failing run does not stop
 * the others. Each run records the batch id.
 *
 * @example
 * const b = await runBatch(ws, 'penguins', {
 *   grid: ['blocks.model_selection.config.cv=3,5', 'blocks.split.config.test_size=0.2,0.3'],
 *   seeds: [1, 2, 3],
 *   jobs: 2,
 *   onEvent: (e) => e.type === 'batch_run_finished' && console.log(e.result.label, e.result.status),
 * });
 * const best = b.runs.filter((r) => r.status === 'succeeded').sort((x, y) => y.metrics.accuracy - x.metrics.accuracy)[0];
 */
export async function runBatch(ws: Workspace | string, experiment: string, options: import('./runner/batch.js').BatchOptions = {}): Promise<import('./runner/batch.js').BatchResult> {
  const { runBatch: batch } = await import('./runner/batch.js');
  return batch(await rootOf(ws), experiment, options);
}

/**
 * Run summaries (what `bfly runs --json` prints), newest first: filtered by experiment, status
 * and a `where` expression, sorted by `sort` keys, at most `limit`. Served from the run index,
 * which is checked against the run folders (and rebuilt if it is missing or damaged).
 *
 * @example
 * const top = await listRuns(ws, { where: 'metrics.accuracy > 0.9 and status == "succeeded"', sort: '-metrics.accuracy', limit: 5 });
 * for (const r of top) console.log(r.id, r.metrics.accuracy, r.params.train);
 */
export async function listRuns(ws: Workspace | string, selection: import('./core/run-summary.js').RunSelection = {}): Promise<import('./core/run-summary.js').RunSummary[]> {
  const { listRunSummaries } = await import('./store/run-index.js');
  const listing = await listRunSummaries(await rootOf(ws));
  return listing.select(selection).map(listing.summary);
}

/**
 * Compares runs (what `bfly compare --json` prints): every compared value with whether the runs
 * differ (metrics with deltas from the first run and whether that is better), the groups of runs
 * that differ only in seed, and per metric whether the differences are within seed noise.
 *
 * @example
 * const c = await compareRuns(ws, ['penguins@latest', '20261122-0528']);
 * c.rows.filter((r) => r.differs).forEach((r) => console.log(r.section, r.key, r.values));
 * c.noise.forEach((v) => console.log(v.metric, v.verdict));
 */
export async function compareRuns(ws: Workspace | string, refs: string[]): Promise<import('./core/compare.js').CompareReport> {
  const root = await rootOf(ws);
  if (refs.length < 2) throw new ValidationError('COMPARE_ONE', 'compare needs at least two runs', { hint: 'pass two or more run references' });
  const [{ loadComparedRuns }, compare] = await Promise.all([import('./store/run-artifacts.js'), import('./core/compare.js')]);
  return compare.compareReport(loadComparedRuns(root, refs));
}

/**
 * Verifies the store (what `bfly fsck` does); `repair` rebuilds derived data only.
 *
 * @example
 * const report = await fsck(ws);
 * if (!report.ok) report.problems.forEach((p) => console.log(p.kind, p.path, p.message));
 */
export async function fsck(ws: Workspace | string, options: { repair?: boolean } = {}): Promise<import('./store/fsck.js').FsckReport> {
  const { fsck: check } = await import('./store/fsck.js');
  return check(await rootOf(ws), options);
}

/**
 * Removes what nothing references (what `bfly gc` does).
 *
 * @example
 * const r = await gc(ws, { dryRun: true, keepFailedDays: 30 });
 * console.log(r.freedBytes);
 */
export async function gc(ws: Workspace | string, options: { dryRun?: boolean; keepFailedDays?: number } = {}): Promise<import('./store/gc.js').GcReport> {
  const { gc: collect } = await import('./store/gc.js');
  return collect(await rootOf(ws), options);
}

/**
 * Rebuilds the run index from the run folders (what `bfly reindex` does).
 *
 * @example
 * await reindex(ws);
 */
export async function reindex(ws: Workspace | string): Promise<{ runs: number; skipped: string[] }> {
  const { reindexWorkspace } = await import('./store/run-index.js');
  return reindexWorkspace(await rootOf(ws));
}

export type { AuditEntry, AuditRead } from './store/audit.js';
export type { DraftRevision, DraftDiff } from './store/draft-history.js';

/**
 * The audit log, checked: every entry (oldest first) and each break of its hash chain.
 *
 * @example
 * const { entries, problems } = await readAuditLog(ws);
 */
export async function readAuditLog(ws: Workspace | string): Promise<import('./store/audit.js').AuditRead> {
  const { readAudit } = await import('./store/audit.js');
  return readAudit(await rootOf(ws));
}

/** Every saved revision of an experiment's draft (what `bfly pipeline history` lists). */
export async function draftHistory(ws: Workspace | string, experiment: string): Promise<import('./store/draft-history.js').DraftRevision[]> {
  const root = await rootOf(ws);
  experiments.getExperiment(root, experiment);
  const { listDraftRevisions } = await import('./store/draft-history.js');
  return listDraftRevisions(root, experiment);
}

/** Restores revision `rev` of an experiment's draft as a new revision (`bfly pipeline restore`). */
export async function restorePipeline(ws: Workspace | string, experiment: string, rev: number): Promise<{ revision: import('./store/draft-history.js').DraftRevision; restored: number; pipeline: Pipeline }> {
  return experiments.restorePipeline(await rootOf(ws), experiment, rev);
}

/** Changes an experiment's metric or description, e.g. `['metric=f1_macro']` (`bfly experiment set`). */
export async function setExperiment(ws: Workspace | string, experiment: string, assignments: string[]): Promise<{ experiment: experiments.ExperimentInfo; changed: Record<string, { from: unknown; to: unknown }> }> {
  return experiments.setExperiment(await rootOf(ws), experiment, assignments);
}

/** Renames an experiment (`bfly experiment rename`). */
export async function renameExperiment(ws: Workspace | string, from: string, to: string): Promise<experiments.ExperimentInfo> {
  return experiments.renameExperiment(await rootOf(ws), from, to);
}

/** Sets the workspace's `name` or `profile` (`bfly config set`; leaving enterprise needs `force`). */
export async function setConfigValue(ws: Workspace | string, assignment: string, options: { force?: boolean } = {}): Promise<{ key: string; from: unknown; to: unknown }> {
  const { setConfigValue: set } = await import('./store/hooks.js');
  return set(await rootOf(ws), assignment, options);
}

export type { ServerOptions, RunningServer } from './server/server.js';
/**
 * Starts the local service (what `bfly serve` runs) over the workspace containing `ws`: the
 * HTTP API under `/api/v1` with live events, on 127.0.0.1 and a free port unless told. The web
 * framework loads only when this is called.
 *
 * @example
 * const s = await createServer('./project', { jobs: 2 });
 * const res = await fetch(`${s.url}/api/v1/runs?limit=5`, { headers: { authorization: `Bearer ${s.token}` } });
 * await s.close();
 */
export async function createServer(ws: Workspace | string, options?: import('./server/server.js').ServerOptions): Promise<import('./server/server.js').RunningServer> {
  const { createServer: start } = await import('./server/server.js');
  return start(await rootOf(ws), options);
}

/** The example tables bundled with bfly (`bfly example`). */
export async function listExamples(): Promise<import('./store/examples.js').ExampleTable[]> {
  return (await import('./store/examples.js')).listExamples();
}

/** Writes bundled example table `name` as `<name>.csv` into `dir` (`bfly example <name>`); never overwrites unless `force`. */
export async function writeExample(name: string, dir: string, o: { force?: boolean } = {}): Promise<import('./store/examples.js').ExampleWritten> {
  return (await import('./store/examples.js')).writeExample(name, dir, o);
}
