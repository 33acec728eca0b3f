// npm run docs: writes docs/pipeline.md from the schemas (needs `npm run build` first).
import { writeFileSync, mkdirSync } from 'node:fs';
import { describeBlocks, describeEnvelope, describeModels } from '../dist/core/describe-blocks.js';
import { renderPipelineDoc } from '../dist/ui/docs.js';

mkdirSync('docs', { recursive: true });
writeFileSync('docs/pipeline.md', renderPipelineDoc(describeBlocks(), describeModels(), describeEnvelope()));
console.log('wrote docs/pipeline.md');
