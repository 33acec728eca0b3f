import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { NotFoundError } from '../core/errors.js';
import { findRunByArtifact, runWithDir } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';
import { renderLineage } from '../ui/history.js';

/** `bfly lineage <run | artifact-hash> [--json]` */
export async function lineageCommand(ref: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  // Hex could be an artifact hash (prefix) or a run id prefix: artifacts are tried first.
  const hit = /^(sha256:)?[0-9a-f]{8,64}$/.test(ref) ? findRunByArtifact(ws.root, ref) : null;
  if (hit === null && ref.startsWith('sha256:')) throw new NotFoundError('ARTIFACT_NOT_FOUND', `no run has an artifact with hash ${ref}`, { hint: 'give a run (id, prefix, @latest) or an artifact hash from `bfly artifacts <run>`' });
  const run = hit?.run ?? runWithDir(ws.root, ref).run;
  const artifact = hit?.artifact.name ?? null;
  process.stdout.write(o.json ? jsonLine({ run: run.id, artifact, dataset: run.dataset, pipelineHash: run.pipelineHash, hooks: run.hooks, blocks: run.blocks.map((b) => ({ id: b.id, type: b.type, key: b.key, cached: b.cached, status: b.status })), artifacts: run.artifacts, executionKey: run.executionKey }) : renderLineage(run, artifact));
}
