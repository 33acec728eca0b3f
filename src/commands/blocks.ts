import type { GlobalOptions } from '../cli.js';
import { describeBlocks, describeModels } from '../core/describe-blocks.js';
import { renderBlocks } from '../ui/experiments.js';

/** `bfly blocks`: every block type's config schema, defaults and doc, and the models. */
export async function blocksCommand(o: GlobalOptions): Promise<void> {
  const blocks = describeBlocks();
  const models = describeModels();
  process.stdout.write(o.json ? JSON.stringify({ blocks, models }) + '\n' : renderBlocks(blocks, models));
}
