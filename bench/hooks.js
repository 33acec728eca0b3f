// npm run bench -- hooks: the sandbox's fixed cost (isolate create + dispose, and a whole
// trivial hook call) and what an identity before_preprocess hook adds on a 1M x 20 numeric frame
// (tables copied into the isolate and, when returned, back out and checked).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { ROOT, fmt, table } from './lib.js';

const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchHooks(args) {
  const quick = args.includes('--quick');
  const { callHook, closeHookHost } = await dist('runner/hooks/sandbox.js');
  const { slotToView, viewToSlot } = await dist('runner/hooks/views.js');
  const ivm = createRequire(join(ROOT, 'package.json'))('isolated-vm');
  const rows = [];
  const reps = quick ? 20 : 100;

  const bare = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const iso = new ivm.Isolate({ memoryLimit: 128 });
    await iso.createContext();
    iso.dispose();
    bare.push(performance.now() - t0);
  }
  rows.push(['isolate + context create and dispose (median)', fmt(median(bare)) + ' ms', '10 ms', fmt(median(bare) / 10) + 'x', `${reps} times`]);
  const base = { filename: 'bench.js', input: {}, seed: 1, now: 0, memoryMb: 128, timeoutMs: 10_000, capabilities: { log() {}, metric() {} } };
  // hooks run in a separate host process, started on a run's first hook call
  const t0 = performance.now();
  await callHook({ ...base, source: 'export default () => 1' });
  rows.push(['first call of a run: starts the hook host process', fmt(performance.now() - t0) + ' ms', '', '', 'once per run with hooks']);
  const trivial = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await callHook({ ...base, source: 'export default () => 1' });
    trivial.push(performance.now() - t0);
  }
  rows.push(['a whole trivial hook call (median)', fmt(median(trivial)) + ' ms', '', '', 'isolate, prelude, module compile, call, dispose']);

  // 1M rows in all: the training part (800k) and the test part (200k).
  const n = quick ? 100_000 : 1_000_000;
  const d = 20;
  const nTrain = Math.round(n * 0.8);
  const makePart = (rowsN) => {
    const columns = Array.from({ length: d }, (_, j) => ({ kind: 'numeric', name: `x${j}`, values: Float64Array.from({ length: rowsN }, (_, i) => Math.sin(i * (j + 1))) }));
    return { raw: { rows: rowsN, columns, index: null }, y: Float64Array.from({ length: rowsN }, (_, i) => i % 7), rows: Int32Array.from({ length: rowsN }, (_, i) => i), stages: [], classes: [], inputs: columns.map((c) => ({ name: c.name, type: 'number' })) };
  };
  const parts = { train: makePart(nTrain), test: makePart(n - nTrain) };
  for (const [label, source] of [
    ['identity hook (returns nothing)', 'export default () => undefined'],
    ['hook returning its inputs unchanged', 'export default (ctx) => ({ inputs: ctx.inputs })'],
  ]) {
    const times = [];
    for (let r = 0; r < (quick ? 2 : 3); r++) {
      const t0 = performance.now();
      const input = { inputs: { train: slotToView('train', parts.train, 'y'), test: slotToView('test', parts.test, 'y') } };
      const out = await callHook({ ...base, memoryMb: 2048, source, input, transfer: true });
      if (out?.inputs) for (const s of ['train', 'test']) viewToSlot(s, out.inputs[s], parts[s], 'bench', { classes: [], task: 'regression' });
      times.push(performance.now() - t0);
    }
    rows.push([`${label}, ${n.toLocaleString()} rows x ${d} (train + test)`, fmt(median(times), 0) + ' ms', '100 ms', fmt(median(times) / 100) + 'x', `${fmt((n * d * 8) / 1e6, 0)} MB of columns`]);
  }
  closeHookHost();
  console.log('\n## hooks (npm run bench -- hooks)\n');
  table(['measure', 'bfly', 'target', 'ratio', 'notes'], rows);
}
