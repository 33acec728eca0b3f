import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { fsck } from '../store/fsck.js';
import { openWorkspace } from '../store/workspace.js';
import { renderFsck } from '../ui/history.js';

/** `bfly fsck [--repair] [--json]`: exits 10 (integrity) when problems remain. */
export async function fsckCommand(o: GlobalOptions & { repair?: boolean }): Promise<'integrity' | null> {
  // a store whose own folders are links is reported, not refused: fsck is how the user finds out
  const ws = await openWorkspace(o.C ?? process.cwd(), { checkLayout: false });
  const report = await fsck(ws.root, { repair: o.repair });
  process.stdout.write(o.json ? jsonLine(report) : renderFsck(report));
  return report.ok ? null : 'integrity';
}
