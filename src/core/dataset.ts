/** Column types inferred on import. */
export const COLUMN_TYPES = ['number', 'integer', 'boolean', 'category', 'datetime', 'text'] as const;
/** One of {@link COLUMN_TYPES}. */
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** Input formats `bfly dataset import` reads. */
export const DATASET_FORMATS = ['csv', 'tsv', 'json', 'jsonl'] as const;
/** One of {@link DATASET_FORMATS}. */
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export type { NumericStats, CategoryStats, BooleanStats, DatetimeStats, DatasetColumn, DatasetManifest, ImportedDataset } from './contracts/dataset.js';
import type { DatasetManifest } from './contracts/dataset.js';

/** The schema version of dataset manifests this bfly writes. */
export const DATASET_SCHEMA_VERSION = 1;

/** Missing-value markers (compared case-insensitively after trimming spaces); empty also counts. */
export const MISSING_MARKERS = ['', 'NA', 'N/A', 'null', 'NaN', '?'] as const;

/** `NAME` for version 1, `NAME@V` otherwise. */
export function datasetLabel(d: Pick<DatasetManifest, 'name' | 'version'>): string {
  return d.version === 1 ? d.name : `${d.name}@${d.version}`;
}
