/** Column types inferred on import. */
export const COLUMN_TYPES = ['number', 'integer', 'boolean', 'category', 'datetime', 'text'] as const;
/** One of {@link COLUMN_TYPES}. */
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** Input formats `bfly dataset import` reads. */
export const DATASET_FORMATS = ['csv', 'tsv', 'json', 'jsonl'] as const;
/** One of {@link DATASET_FORMATS}. */
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/** Statistics of a number/integer column. */
export interface NumericStats {
  count: number;
  missing: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  p5: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
  p95: number | null;
  /** 20 equal-width bins from min to max. */
  histogram: { min: number; max: number; counts: number[] } | null;
}

/** Statistics of a category/text column. */
export interface CategoryStats {
  count: number;
  missing: number;
  distinct: number;
  /** True when `distinct` is an estimate (very many distinct values). */
  distinctApprox?: boolean;
  top: Array<{ value: string; count: number }>;
  /** True when the top counts were taken over part of the rows only. */
  topApprox?: boolean;
}

/** Statistics of a boolean column. */
export interface BooleanStats {
  count: number;
  missing: number;
  true: number;
  false: number;
}

/** Statistics of a datetime column (ISO 8601, UTC). */
export interface DatetimeStats {
  count: number;
  missing: number;
  min: string | null;
  max: string | null;
}

/** One column of a dataset manifest. */
export interface DatasetColumn {
  name: string;
  type: ColumnType;
  /** Why the type was chosen, e.g. "3 distinct values in 344 rows". */
  reason: string;
  missing: number;
  distinct: number;
  distinctApprox?: boolean;
  stats: NumericStats | CategoryStats | BooleanStats | DatetimeStats;
}

/** `datasets/<id>.json`: what `bfly dataset show --json` prints. */
export interface DatasetManifest {
  /** The manifest's schema version ({@link DATASET_SCHEMA_VERSION}). */
  schemaVersion?: number;
  id: string;
  name: string;
  version: number;
  /** `sha256:<64 hex>` of the file's bytes. */
  hash: string;
  format: DatasetFormat;
  rows: number;
  bytes: number;
  columns: DatasetColumn[];
  importedAt: string;
  source: { path: string; name: string };
  /** Object hashes: the raw bytes, and one columnar object per column (in column order). */
  objects: { raw: string; columns: string[] };
  /** Missing markers recognised on import. */
  missingMarkers: string[];
  /** `sha256:` of the canonical JSON of every other field: a manifest is written once, sealed. */
  seal?: string;
}

/** The schema version of dataset manifests this bfly writes. */
export const DATASET_SCHEMA_VERSION = 1;

/** Missing-value markers (compared case-insensitively after trimming spaces); empty also counts. */
export const MISSING_MARKERS = ['', 'NA', 'N/A', 'null', 'NaN', '?'] as const;

/** `NAME` for version 1, `NAME@V` otherwise. */
export function datasetLabel(d: Pick<DatasetManifest, 'name' | 'version'>): string {
  return d.version === 1 ? d.name : `${d.name}@${d.version}`;
}
