/**
 * The OpenAPI 3.1 document of the API, generated from the route table and its zod schemas
 * (zod 4's JSON Schema output): named contracts become `components/schemas`, referenced by
 * `$ref`. docs/api.md is generated from this document (scripts/gen-docs.js).
 */
import { z } from 'zod';
import { API_VERSION } from '../core/contracts/service.js';
import { errorBody } from '../core/contracts/workspace.js';
import { BFLY_VERSION } from '../core/version.js';
import { HTTP_STATUS } from './errors.js';
import { ROUTES } from './routes.js';

type Json = Record<string, unknown>;

/** Rewrites `#/$defs/X` to `#/components/schemas/X`, drops `$schema` and `additionalProperties: false` (shapes only grow). */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean);
  if (v === null || typeof v !== 'object') return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v as Json)) {
    if (k === '$schema' || k === '$defs' || (k === 'id' && typeof x === 'string')) continue;
    if (k === 'additionalProperties' && x === false) continue;
    if (k === '$ref' && typeof x === 'string') out[k] = x.replace('#/$defs/', '#/components/schemas/');
    else out[k] = clean(x);
  }
  return out;
}

/** The JSON Schema of one schema, its named parts moved into `components`. */
function schemaOf(schema: z.ZodType, components: Json, io: 'input' | 'output'): unknown {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  for (const [id, def] of Object.entries((js.$defs as Json | undefined) ?? {})) components[id] ??= clean(def);
  const id = z.globalRegistry.get(schema)?.id;
  if (typeof id === 'string') {
    components[id] ??= clean(js);
    return { $ref: `#/components/schemas/${id}` };
  }
  return clean(js);
}

function statusText(status: number): string {
  return { 200: 'OK', 201: 'Created', 202: 'Accepted', 206: 'Partial Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 422: 'Unprocessable Content', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? '';
}

let cached: Json | null = null;

/** The document (built once per process). */
export function openApiDocument(): Json {
  if (cached !== null) return cached;
  const components: Json = {};
  const paths: Json = {};
  const errorRef = schemaOf(errorBody, components, 'output');
  for (const route of ROUTES) {
    const op: Json = { tags: [route.tag], summary: route.summary, operationId: `${route.method.toLowerCase()}${route.path.replace('/api/v1', '').replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(\w)?/g, (_m, ch: string | undefined) => (ch ?? '').toUpperCase())}` };
    if (route.description) op.description = route.description;
    const parameters: Json[] = [];
    for (const [name, description] of Object.entries(route.params ?? {})) parameters.push({ name, in: 'path', required: true, description, schema: { type: 'string' } });
    if (route.query) {
      const q = schemaOf(route.query, components, 'input') as { properties?: Json; required?: string[] };
      for (const [name, s] of Object.entries(q.properties ?? {})) {
        const { description, ...schema } = s as Json;
        parameters.push({ name, in: 'query', required: (q.required ?? []).includes(name) && !('default' in schema), ...(description ? { description } : {}), schema });
      }
    }
    if (parameters.length > 0) op.parameters = parameters;
    if (route.body) {
      op.requestBody =
        'raw' in route.body
          ? { required: true, description: route.body.raw, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } }
          : { required: route.body.required === true, content: { 'application/json': { schema: schemaOf(route.body.schema, components, 'input') } } };
    }
    const responses: Json = {};
    for (const [status, res] of Object.entries(route.responses)) {
      const content = res.content !== undefined ? { [res.content]: res.schema ? { schema: schemaOf(res.schema, components, 'output') } : {} } : res.schema ? { 'application/json': { schema: schemaOf(res.schema, components, 'output') } } : undefined;
      responses[status] = { description: res.description, ...(content ? { content } : {}) };
    }
    responses.default = { description: 'an error: its status from the category table (see info.description)', content: { 'application/json': { schema: errorRef } } };
    op.responses = responses;
    const key = route.path;
    paths[key] = { ...((paths[key] as Json | undefined) ?? {}), [route.method.toLowerCase()]: op };
  }
  const table = Object.entries(HTTP_STATUS)
    .map(([category, status]) => `| ${category} | ${status} ${statusText(status)} |`)
    .join('\n');
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'bfly service API',
      version: `${API_VERSION} (bfly ${BFLY_VERSION})`,
      description: [
        'The local service of bfly (`bfly serve`): the same operations and JSON contracts as the CLI’s `--json`.',
        '',
        'Every request needs the token `bfly serve` prints: `Authorization: Bearer <token>` (a browser may instead open `/?token=<token>` once, which sets an HttpOnly SameSite=Strict cookie). Missing or wrong: 401. The `Host` header must be the service’s own (else 403), and a state-changing request from another `Origin` is refused (403). No CORS headers are sent.',
        '',
        'Every error body is the `Error` contract: `{schemaVersion, error: {code, category, message, hint, data?}}`. Its status comes from its category:',
        '',
        '| category | status |',
        '| --- | --- |',
        table,
        '',
        'A `validation` error about content that was read and is invalid (a draft pipeline with problems, each with its line) is 422 instead of 400. Errors of the HTTP layer: 401 (token), 403 (Host, Origin), 404 (no such route), 413 (a body over its limit), 415 (a JSON route sent something else), 416 (a range outside a file). A failed *run* is not an HTTP error: it is its job’s state.',
      ].join('\n'),
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: { schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => (a < b ? -1 : 1))), securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the token `bfly serve` prints (also in `.butterfly/serve.json`, mode 0600)' } } },
  };
  return cached;
}
