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
import { type InitOptions, type OpenOptions, type Workspace, initWorkspace, openWorkspace } from './store/workspace.js';

export { initWorkspace, openWorkspace };
export type { Workspace, InitOptions, OpenOptions };
export type { ImportOptions, ImportResult } from './store/import/import-dataset.js';
export type { DatasetManifest, DatasetColumn, ColumnType, DatasetFormat, NumericStats, CategoryStats, BooleanStats, DatetimeStats } from './core/dataset.js';
export type { WorkspaceConfig, Profile } from './core/config.js';
export { BflyError, ValidationError, NotFoundError, InfraError, PolicyError, NotAWorkspaceError, CorruptObjectError, ERROR_CATEGORIES, type ErrorCategory } from './core/errors.js';
export { loadColumnar, type LoadedTable, type LoadedColumn } from './store/columnar.js';
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

/** `NAME` or `NAME@V` for a dataset. */
export const datasetLabel = datasets.datasetLabel;
