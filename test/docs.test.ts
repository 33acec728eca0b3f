// docs/pipeline.md is generated from the schemas: it must match what `npm run docs` writes now.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeBlocks, describeEnvelope, describeModels } from '../src/core/describe-blocks.js';
import { renderPipelineDoc } from '../src/ui/docs.js';
import { REPO } from './helpers.js';

describe('docs/pipeline.md', () => {
  it('is up to date with the schemas (run `npm run docs` after changing a block or model)', () => {
    const page = renderPipelineDoc(describeBlocks(), describeModels(), describeEnvelope());
    expect(readFileSync(join(REPO, 'docs', 'pipeline.md'), 'utf8')).toBe(page);
    for (const b of describeBlocks()) expect(page).toContain(`### \`${b.type}\``);
    for (const m of describeModels()) for (const f of m.fields) expect(page).toContain(`| \`${f.path}\` |`);
  });
});

describe('docs/openapi.json and docs/api.md', () => {
  it('are up to date with the routes and contracts (run `npm run docs` after changing either)', async () => {
    const { openApiDocument } = await import('../src/server/openapi.js');
    const { ROUTES } = await import('../src/server/routes.js');
    const { renderApiDoc } = await import('../src/ui/api-docs.js');
    const doc = openApiDocument();
    expect(JSON.parse(readFileSync(join(REPO, 'docs', 'openapi.json'), 'utf8'))).toEqual(doc);
    const page = renderApiDoc(doc);
    expect(readFileSync(join(REPO, 'docs', 'api.md'), 'utf8')).toBe(page);
    for (const r of ROUTES) expect(page).toContain(`### ${r.method} \`${r.path}\``);
    // every $ref resolves, and the error table is documented
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas;
    for (const ref of refs) expect(schemas, ref).toHaveProperty(ref.split('/').pop()!);
    expect(page).toMatch(/\| integrity \| 409 Conflict \|/);
  });
});
