import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { readFileSync } from 'node:fs';
import { sha256Hex } from '../core/hash.js';
import { getExperiment, pipelinePath } from '../store/experiments.js';
import { listDraftRevisions } from '../store/draft-history.js';
import { listRuns } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';
import { renderTable } from '../ui/format.js';

/** `bfly pipeline history <experiment> [--json]`: every saved revision of the draft, and the runs that used each. */
export async function pipelineHistoryCommand(name: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  getExperiment(ws.root, name);
  const revisions = listDraftRevisions(ws.root, name);
  const current = `sha256:${sha256Hex(readFileSync(pipelinePath(ws.root, name), 'utf8'))}`;
  const runs = listRuns(ws.root, { experiment: name });
  const rows = revisions.map((r) => ({ ...r, current: r.hash === current && r.rev === revisions.at(-1)?.rev, runs: runs.filter((x) => x.draftRevision === r.rev).map((x) => x.id) }));
  if (o.json) {
    process.stdout.write(jsonLine({ schemaVersion: 1, experiment: name, edited: rows.at(-1)?.hash !== current, revisions: rows }));
    return;
  }
  process.stdout.write(renderTable(['rev', 'saved', 'how', 'by', 'size', 'sha256', 'runs'], rows.map((r) => [`${r.rev}${r.current ? ' *' : ''}`, r.at, r.action, r.user, `${r.bytes} B`, r.hash.slice(7, 19), r.runs.length === 0 ? '' : r.runs.length === 1 ? r.runs[0] : `${r.runs.length} runs`]), ['right']));
  if (rows.at(-1)?.hash !== current) process.stdout.write(`the draft on disk has been edited since revision ${rows.at(-1)?.rev ?? '-'}: the next run (or save) records it as a new revision\n`);
  else process.stdout.write('* the draft on disk\n');
}
