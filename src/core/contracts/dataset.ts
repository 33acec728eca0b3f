/**
 * Dataset contracts: the manifest (`datasets/<id>.json`, `bfly dataset show --json`,
 * `GET /api/v1/datasets/{ref}`) and an import's result. The zod schemas are the one source of
 * these shapes: the TypeScript types, the OpenAPI document and docs/api.md come from them.
 * Import these types with `import type` from runtime code: the schemas load zod.
 */
import { z } from 'zod';
import { COLUMN_TYPES, DATASET_FORMATS } from '../dataset.js';

export const columnType = z.enum(COLUMN_TYPES).meta({ id: 'ColumnType' });

const counts = { count: z.number().int().describe('rows with a value'), missing: z.number().int().describe('rows without one') };

export const numericStats = z
  .object({
    ...counts,
    mean: z.number().nullable(),
    std: z.number().nullable(),
    min: z.number().nullable(),
    max: z.number().nullable(),
    p5: z.number().nullable(),
    p25: z.number().nullable(),
    p50: z.number().nullable(),
    p75: z.number().nullable(),
    p95: z.number().nullable(),
    histogram: z.object({ min: z.number(), max: z.number(), counts: z.array(z.number().int()) }).nullable().describe('20 equal-width bins from min to max'),
  })
  .meta({ id: 'NumericStats', description: 'Statistics of a number or integer column.' });
/** Statistics of a number/integer column. */
export type NumericStats = z.infer<typeof numericStats>;

export const categoryStats = z
  .object({
    ...counts,
    distinct: z.number().int(),
    distinctApprox: z.boolean().optional().describe('true when `distinct` is an estimate (very many distinct values)'),
    top: z.array(z.object({ value: z.string(), count: z.number().int() })),
    topApprox: z.boolean().optional().describe('true when the top counts were taken over part of the rows only'),
  })
  .meta({ id: 'CategoryStats', description: 'Statistics of a category or text column.' });
/** Statistics of a category/text column. */
export type CategoryStats = z.infer<typeof categoryStats>;

export const booleanStats = z.object({ ...counts, true: z.number().int(), false: z.number().int() }).meta({ id: 'BooleanStats', description: 'Statistics of a boolean column.' });
/** Statistics of a boolean column. */
export type BooleanStats = z.infer<typeof booleanStats>;

export const datetimeStats = z.object({ ...counts, min: z.string().nullable(), max: z.string().nullable() }).meta({ id: 'DatetimeStats', description: 'Statistics of a datetime column (ISO 8601, UTC).' });
/** Statistics of a datetime column (ISO 8601, UTC). */
export type DatetimeStats = z.infer<typeof datetimeStats>;

export const datasetColumn = z
  .object({
    name: z.string(),
    type: columnType,
    reason: z.string().describe('why the type was chosen, e.g. "3 distinct values in 344 rows"'),
    missing: z.number().int(),
    distinct: z.number().int(),
    distinctApprox: z.boolean().optional(),
    format: z.string().optional().describe('datetime columns: how the dates are written, e.g. `ISO 8601`, `MMM DD YYYY`, `DD/MM/YYYY` (the day order decided from the data)'),
    stats: z.union([numericStats, categoryStats, booleanStats, datetimeStats]),
  })
  .meta({ id: 'DatasetColumn', description: 'One column of a dataset manifest.' });
/** One column of a dataset manifest. */
export type DatasetColumn = z.infer<typeof datasetColumn>;

export const datasetFormat = z.enum(DATASET_FORMATS).meta({ id: 'DatasetFormat' });

export const datasetManifest = z
  .object({
    schemaVersion: z.number().int().optional().describe('the manifest schema version (absent in manifests of format-1 workspaces)'),
    id: z.string(),
    name: z.string(),
    version: z.number().int().describe('1 for the first import under this name, then 2, 3, …'),
    hash: z.string().describe('`sha256:<64 hex>` of the file’s bytes'),
    format: datasetFormat,
    rows: z.number().int(),
    bytes: z.number().int(),
    columns: z.array(datasetColumn),
    importedAt: z.string(),
    source: z.object({ path: z.string(), name: z.string() }),
    objects: z.object({ raw: z.string(), columns: z.array(z.string()) }).describe('object hashes: the raw bytes, and the columnar object of each column, in column order (from format 3, small columns share a group object: the same hash for several columns)'),
    missingMarkers: z.array(z.string()).describe('missing-value markers recognised on import'),
    seal: z.string().optional().describe('`sha256:` of the manifest text as written, without its seal line: a manifest is written once, sealed'),
  })
  .meta({ id: 'DatasetManifest', description: '`datasets/<id>.json`: what `bfly dataset show --json` prints.' });
/** `datasets/<id>.json`: what `bfly dataset show --json` prints. */
export type DatasetManifest = z.infer<typeof datasetManifest>;

export const importedDataset = datasetManifest
  .extend({
    created: z.boolean().describe('false when the same bytes were already imported (nothing was written)'),
    existing: z.boolean().describe('true when the same bytes were already imported: the dataset returned is that one'),
  })
  .meta({ id: 'ImportedDataset', description: 'What `bfly dataset import --json` prints and `POST /api/v1/datasets` returns.' });
/** What `bfly dataset import --json` prints. */
export type ImportedDataset = z.infer<typeof importedDataset>;
