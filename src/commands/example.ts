import type { GlobalOptions } from '../cli.js';
import { listExamples, writeExample } from '../store/examples.js';
import { fmtBytes, renderTable } from '../ui/format.js';
import { jsonLine } from '../ui/json.js';

/** `bfly example [name] [--force]`: lists the bundled tables, or writes one into the current folder. */
export async function exampleCommand(name: string | undefined, o: GlobalOptions & { force?: boolean }): Promise<void> {
  const dir = o.C ?? process.cwd();
  if (name === undefined) {
    const all = listExamples();
    process.stdout.write(o.json ? jsonLine(all) : `${renderTable(['example', 'rows', 'size'], all.map((e) => [e.name, e.rows.toLocaleString('en-US'), fmtBytes(e.bytes)]), ['left', 'right', 'right'])}write one here with: bfly example <name>\n`);
    return;
  }
  const r = writeExample(name, dir, { force: o.force });
  process.stdout.write(o.json ? jsonLine(r) : `wrote ${r.file} (${r.rows.toLocaleString('en-US')} rows, ${fmtBytes(r.bytes)}) to ${dir}\nnext: bfly dataset import ${r.file}\n`);
}
