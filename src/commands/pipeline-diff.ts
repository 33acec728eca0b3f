import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { diffPipeline, getExperiment } from '../store/experiments.js';
import { listDraftRevisions, parseRevision } from '../store/draft-history.js';
import { listRuns } from '../store/run-artifacts.js';
import { readRunFile, readVerifiedRun } from '../store/run-state.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly pipeline diff <experiment> [revA] [revB] [--json]` (default: the draft against its latest run's). */
export async function pipelineDiffCommand(name: string, revs: string[], o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  getExperiment(ws.root, name);
  const revisions = listDraftRevisions(ws.root, name);
  const [a, b] = revs.map((r) => parseRevision(r, revisions));
  let latest = null;
  if (a === undefined) {
    const run = listRuns(ws.root, { experiment: name, limit: 1 })[0];
    if (run !== undefined) {
      const v = readVerifiedRun(ws.root, run.id);
      latest = { id: run.id, draftRevision: v.manifest.draftRevision, frozenYaml: v.sealed ? readRunFile(v, 'pipeline.yaml').toString('utf8') : '' };
    }
  }
  const d = diffPipeline(ws.root, name, a, b, latest);
  if (o.json) process.stdout.write(jsonLine({ schemaVersion: 1, experiment: name, from: { label: d.from.label, rev: d.from.rev }, to: { label: d.to.label, rev: d.to.rev }, same: d.diff === '', diff: d.diff }));
  else process.stdout.write(d.diff === '' ? `no differences: ${d.from.label} and ${d.to.label} are the same\n` : d.diff);
}
