/**
 * The JSON contracts built from domain values: what `--json` prints and the service returns,
 * from one function each (the shapes are the zod schemas in `contracts/`). Pure, no zod.
 */
import type { DatasetManifest, ImportedDataset } from './contracts/dataset.js';
import type { Experiment, ExperimentView } from './contracts/experiment.js';
import type { Lineage, RunManifest } from './contracts/run.js';

/** An experiment as `--json` prints it. */
export function experimentView(e: Experiment & { pipelinePath: string }): ExperimentView {
  return { name: e.name, dataset: { id: e.dataset.id, name: e.dataset.name, version: e.dataset.version, hash: e.dataset.hash }, target: e.target, task: e.task, taskReason: e.taskReason, metric: e.metric, ...(e.metricReason === undefined ? {} : { metricReason: e.metricReason }), template: e.template, pipelinePath: e.pipelinePath, createdAt: e.createdAt, description: e.description ?? null, formerNames: e.formerNames ?? [] };
}

/** An import's result: the dataset, and whether it was created now or already there. */
export function importedDatasetView(dataset: DatasetManifest, created: boolean): ImportedDataset {
  return { ...dataset, created, existing: !created };
}

/** Where a run (or one of its artifacts) came from. */
export function lineageView(run: RunManifest, artifact: string | null): Lineage {
  return { run: run.id, artifact, dataset: run.dataset, pipelineHash: run.pipelineHash, hooks: run.hooks, blocks: run.blocks.map((b) => ({ id: b.id, type: b.type, key: b.key, cached: b.cached, status: b.status })), artifacts: run.artifacts, executionKey: run.executionKey };
}
