/** One searched hyper-parameter: a float or int range (optionally on a log scale), or a list of values. */
export type SearchDim = { type: 'float'; low: number; high: number; log?: boolean } | { type: 'int'; low: number; high: number; log?: boolean } | { type: 'choice'; values: readonly unknown[] };

/** A candidate's search space: param name → its dimension (the samplers are in src/ml/search.ts). */
export type SearchSpace = Record<string, SearchDim>;
