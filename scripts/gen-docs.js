// npm run docs: writes docs/pipeline.md from the schemas, and the service's OpenAPI document
// (docs/openapi.json) with docs/api.md rendered from it (needs `npm run build` first).
import { writeFileSync, mkdirSync } from 'node:fs';
import { describeBlocks, describeEnvelope, describeModels } from '../dist/core/describe-blocks.js';
import { renderPipelineDoc } from '../dist/ui/docs.js';
import { renderApiDoc } from '../dist/ui/api-docs.js';
import { openApiDocument } from '../dist/server/openapi.js';

mkdirSync('docs', { recursive: true });
writeFileSync('docs/pipeline.md', renderPipelineDoc(describeBlocks(), describeModels(), describeEnvelope()));
const api = openApiDocument();
writeFileSync('docs/openapi.json', JSON.stringify(api, null, 2) + '\n');
writeFileSync('docs/api.md', renderApiDoc(api));
console.log('wrote docs/pipeline.md, docs/openapi.json, docs/api.md');
