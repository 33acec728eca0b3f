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
