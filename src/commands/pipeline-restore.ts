import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { listDraftRevisions, parseRevision } from '../store/draft-history.js';
import { getExperiment, restorePipeline } from '../store/experiments.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly pipeline restore <experiment> <rev>`: the draft becomes revision `rev` again (as a new revision). */
export async function pipelineRestoreCommand(name: string, rev: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  getExperiment(ws.root, name);
  const r = restorePipeline(ws.root, name, parseRevision(rev, listDraftRevisions(ws.root, name)));
  if (o.json) process.stdout.write(jsonLine({ schemaVersion: 1, experiment: name, restored: r.restored, revision: r.revision }));
  else process.stdout.write(`restored revision ${r.restored} of ${name}'s draft as revision ${r.revision.rev}\n`);
}
