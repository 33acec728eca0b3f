import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { describeBlocks, describeModels } from '../core/describe-blocks.js';
import { renderBlocks } from '../ui/experiments.js';

/** `bfly blocks`: every block type's config schema, defaults and doc, and the models. */
export async function blocksCommand(o: GlobalOptions): Promise<void> {
  const blocks = describeBlocks();
  const models = describeModels();
  process.stdout.write(o.json ? jsonLine({ blocks, models }) : renderBlocks(blocks, models));
}
