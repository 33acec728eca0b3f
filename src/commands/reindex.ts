import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { reindexWorkspace } from '../store/run-index.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly reindex [--json]`: rebuilds the run index from the run folders. */
export async function reindexCommand(o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const t0 = performance.now();
  const r = await reindexWorkspace(ws.root);
  const ms = Math.round(performance.now() - t0);
  if (o.json) process.stdout.write(jsonLine({ ...r, ms }));
  else process.stdout.write(`indexed ${r.runs} runs in ${ms} ms${r.skipped.length > 0 ? `; skipped ${r.skipped.length} folder(s) without a readable run.json (see \`bfly fsck\`): ${r.skipped.join(', ')}` : ''}\n`);
}
