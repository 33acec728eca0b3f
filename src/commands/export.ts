import type { GlobalOptions } from '../cli.js';
import { jsonLine } from '../ui/json.js';
import { exportRun } from '../store/run-artifacts.js';
import { openWorkspace } from '../store/workspace.js';

/** `bfly export <run> <dir> [--onnx]` */
export async function exportCommand(ref: string, dest: string, o: GlobalOptions & { onnx?: boolean }): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  // the ONNX graph is built before anything is written: a model it cannot express leaves no folder behind
  const onnx = o.onnx === true ? await (await import('../runner/onnx-export.js')).runOnnx(ws.root, ref) : null;
  const r = exportRun(ws.root, ref, dest, onnx === null ? [] : [{ path: 'model.onnx', data: onnx }]);
  process.stdout.write(o.json ? jsonLine({ ...r, dir: dest }) : `exported run ${r.run} to ${dest}: ${r.files.length} files, each checked against its sha256${onnx !== null ? ', and model.onnx' : ''}\n`);
}
