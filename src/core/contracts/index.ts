/**
 * Every JSON contract of bfly in one place: the zod schemas of what `--json` prints and what
 * the service (`bfly serve`) returns. The TypeScript types are inferred from them, the OpenAPI
 * document (`GET /api/v1/openapi.json`) and docs/api.md are generated from them, and the tests
 * parse the CLI's and the API's outputs with them. Loads zod: runtime code that only needs the
 * types imports them with `import type`.
 */
import { z } from 'zod';

export * from './dataset.js';
export * from './experiment.js';
export * from './run.js';
export * from './compare.js';
export * from './workspace.js';
export * from './service.js';
export { runEvent } from '../events.js';
export { pipelineSpec } from '../pipeline.js';

/**
 * An output as printed or served: the shape with its `schemaVersion` (docs/compatibility.md).
 * An intersection, so that the shape keeps its own name in the OpenAPI document.
 */
export function versioned<T extends z.ZodType>(shape: T): z.ZodIntersection<z.ZodObject<{ schemaVersion: z.ZodNumber }>, T> {
  return z.intersection(z.object({ schemaVersion: z.number().int().describe('the version of this shape (docs/compatibility.md)') }), shape);
}
