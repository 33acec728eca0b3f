import type { GlobalOptions } from '../cli.js';
import { NotFoundError } from '../core/errors.js';
import { listRuns, runWithDir } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';
import { renderLineage } from '../ui/history.js';

/** `bfly lineage <run | artifact-hash> [--json]` */
export async function lineageCommand(ref: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  let runRef = ref;
  let artifact: string | null = null;
  if (/^(sha256:)?[0-9a-f]{8,64}$/.test(ref)) {
    // An artifact hash (or a prefix of one): which run made it? (Else it is a run id prefix.)
    const hex = ref.replace(/^sha256:/, '');
    const hit = listRuns(ws.root).find((r) => r.artifacts.some((a) => a.hash.slice(7).startsWith(hex)));
    if (hit !== undefined) {
      runRef = hit.id;
      artifact = hit.artifacts.find((a) => a.hash.slice(7).startsWith(hex))!.name;
    } else if (ref.startsWith('sha256:')) {
      throw new NotFoundError('ARTIFACT_NOT_FOUND', `no run has an artifact with hash ${ref}`, { hint: 'give a run (id, prefix, @latest) or an artifact hash from `bfly artifacts <run>`' });
    }
  }
  const { run } = runWithDir(ws.root, runRef);
  process.stdout.write(o.json ? JSON.stringify({ run: run.id, artifact, dataset: run.dataset, pipelineHash: run.pipelineHash, hooks: run.hooks, blocks: run.blocks.map((b) => ({ id: b.id, type: b.type, key: b.key, cached: b.cached, status: b.status })), artifacts: run.artifacts, executionKey: run.executionKey }) + '\n' : renderLineage(run, artifact));
}
