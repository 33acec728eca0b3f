import { spawnSync } from 'node:child_process';
import { jsonLine } from '../ui/json.js';
import { mkdtempSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GlobalOptions } from '../cli.js';
import { InfraError } from '../core/errors.js';
import { editPipeline } from '../store/experiments.js';
import { checkOutputPath } from '../store/output-path.js';
import { openWorkspace } from '../store/workspace.js';
import { renderPipelineSummary, renderProblems } from '../ui/experiments.js';

function readAnswer(): string {
  const buf = Buffer.alloc(256);
  try {
    const n = readSync(0, buf, 0, buf.length, null);
    return buf.toString('utf8', 0, n).trim().toLowerCase();
  } catch {
    return 'n';
  }
}

/** `bfly pipeline edit <experiment>`: $VISUAL/$EDITOR on a copy; only a valid result is written. */
export async function pipelineEditCommand(name: string, o: GlobalOptions): Promise<void> {
  const ws = await openWorkspace(o.C ?? process.cwd());
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  // A private folder (0700, unpredictable name): no other user can plant a link where the copy goes.
  checkOutputPath(join(tmpdir(), 'bfly-edit'), { root: ws.root, what: 'the copy to edit (in $TMPDIR)' });
  const dir = mkdtempSync(join(tmpdir(), 'bfly-edit-'));
  const copy = join(dir, `${name.replace(/[^A-Za-z0-9_-]/g, '_')}.pipeline.yaml`);
  const p = editPipeline(ws.root, name, copy, {
    edit(path) {
      const r = spawnSync(`${editor} ${JSON.stringify(path)}`, { shell: true, stdio: 'inherit' });
      if (r.status !== 0) throw new InfraError('EDITOR_FAILED', `the editor (${editor}) exited with ${r.status ?? r.signal}; nothing was changed`, { hint: 'set $VISUAL or $EDITOR to a working editor; your edits are in ' + path });
    },
    retry(problems, path) {
      process.stderr.write(renderProblems(path, problems) + `the pipeline is not valid. Edit again? [Y/n] `);
      const answer = readAnswer();
      const again = answer === '' || answer === 'y' || answer === 'yes';
      if (!again) process.stderr.write(`\nnot saved; your edits are kept in ${path}\n`);
      return again;
    },
  });
  rmSync(dir, { recursive: true, force: true }); // saved or unchanged: nothing to keep
  if (o.json) process.stdout.write(jsonLine({ changed: p !== null, pipeline: p }));
  else process.stdout.write(p === null ? 'no changes\n' : `saved: ${renderPipelineSummary(name, p)}`);
}
