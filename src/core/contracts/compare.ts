/** Compare contracts: `bfly compare --json` and `GET /api/v1/compare`. */
import { z } from 'zod';

export const compareRow = z
  .object({
    section: z.enum(['run', 'data', 'params', 'hooks', 'metrics', 'timing']),
    key: z.string(),
    values: z.array(z.union([z.string(), z.number(), z.null()])).describe('one value per run, in the order of `runs`'),
    differs: z.boolean().describe('true when the runs disagree'),
    deltas: z.array(z.object({ delta: z.number(), better: z.boolean().nullable() }).nullable()).optional().describe('metrics: the change from the first run, and whether it is an improvement'),
  })
  .meta({ id: 'CompareRow', description: 'One compared quantity across runs.' });
/** One compared quantity across runs. */
export type CompareRow = z.infer<typeof compareRow>;

export const seedGroup = z.object({ runs: z.array(z.string()), seeds: z.array(z.number().int()) }).meta({ id: 'SeedGroup', description: 'Runs that differ in nothing but the seed.' });
/** Runs that differ in nothing but the seed. */
export type SeedGroup = z.infer<typeof seedGroup>;

export const noiseVerdict = z
  .object({
    metric: z.string(),
    groups: z.array(z.object({ mean: z.number(), std: z.number(), n: z.number().int() })),
    verdict: z.enum(['seed_only', 'within_noise', 'beyond_noise']).describe('seed_only: all runs are one group; within_noise / beyond_noise: the group means compared with the seed spread'),
  })
  .meta({ id: 'NoiseVerdict', description: 'A metric across seed groups: per group mean ± std, and whether the gap is within seed noise.' });
/** A metric across seed groups. */
export type NoiseVerdict = z.infer<typeof noiseVerdict>;

export const compareReport = z.object({ runs: z.array(z.string()), rows: z.array(compareRow), groups: z.array(seedGroup), noise: z.array(noiseVerdict) });
/** What the library's compareRuns returns: every row. */
export type CompareReport = z.infer<typeof compareReport>;

export const compareView = z
  .object({
    runs: z.array(z.string()),
    rows: z.array(compareRow).describe('only the rows that differ, unless all rows were asked for'),
    groups: z.array(seedGroup),
    noise: z.array(noiseVerdict),
    hookDiffs: z.array(z.object({ hook: z.string(), diff: z.string().describe('a unified diff of the hook’s source, first run against another') })).optional().describe('with `hooks`: how the hooks’ sources differ'),
  })
  .meta({ id: 'Compare', description: 'How runs differ: `bfly compare --json`.' });
/** `bfly compare --json`. */
export type CompareView = z.infer<typeof compareView>;
