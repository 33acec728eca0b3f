// Child process of `npm run bench -- models`: fits gradient boosting on 1M x 20 generated rows
// so its peak RSS can be measured alone (by /usr/bin/time in the parent).
import { join } from 'node:path';
import { ROOT, prng } from './lib.js';

const n = Number(process.argv[2] ?? 1_000_000);
const d = 20;
const { trainModel } = await import(join(ROOT, 'dist', 'runner', 'models.js'));
const { MODELS } = await import(join(ROOT, 'dist', 'core', 'catalog.js'));
const r = prng(99);
const X = new Float64Array(n * d);
for (let i = 0; i < X.length; i++) X[i] = r() * 2 - 1;
const y = new Int32Array(n);
for (let i = 0; i < n; i++) y[i] = X[i * d] + X[i * d + 1] - X[i * d + 2] + (r() - 0.5) * 0.8 > 0 ? 1 : 0;
const t = performance.now();
const m = await trainModel('gradient_boosting', MODELS.gradient_boosting.params.parse({}), { rows: n, cols: d, data: X }, y, 2, 42);
process.stdout.write(JSON.stringify({ seconds: (performance.now() - t) / 1000, iterations: m.toJSON().iterations }) + '\n');
