// Generates the import benchmark CSV: 16 mixed columns, ~20% of rows with a quoted comma field.
import { closeSync, existsSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, prng } from './lib.js';

const CATS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
const CITIES = Array.from({ length: 50 }, (_, i) => `city_${i}`);
const LAST = ['Smith', 'Jones', 'Garcia', 'Miller', 'Davis', 'Lopez', 'Wilson', 'Anderson', 'Thomas', 'Moore', 'Martin', 'Lee'];
const FIRST = ['Ann', 'Bob', 'Chen', 'Dana', 'Eve', 'Femi', 'Gus', 'Hana', 'Ivan', 'Jo'];

/** Path of a CSV with `rows` rows (generated once, then reused). */
export function benchCsv(rows) {
  const path = join(DATA_DIR, `import-${rows}.csv`);
  if (existsSync(path)) return path;
  const rnd = prng(42);
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, 'id,ts,f1,f2,f3,f4,f5,f6,i1,i2,segment,city,active,customer,score,note\n');
  let lines = [];
  const t0 = Date.UTC(2020, 0, 1);
  for (let r = 1; r <= rows; r++) {
    const ts = new Date(t0 + Math.floor(rnd() * 1.5e11)).toISOString().slice(0, 19) + 'Z';
    const last = LAST[Math.floor(rnd() * LAST.length)];
    const first = FIRST[Math.floor(rnd() * FIRST.length)];
    const customer = rnd() < 0.2 ? `"${last}, ${first}"` : `${last} ${first}`;
    const score = rnd() < 0.1 ? '' : (rnd() * 100).toFixed(2);
    lines.push([
      r, ts,
      (rnd() * 1000).toFixed(3), (rnd() * 10 - 5).toFixed(4), (rnd() * 1e5).toFixed(1), rnd().toFixed(5), (rnd() * 50).toFixed(2), (rnd() * 3).toFixed(3),
      Math.floor(rnd() * 1000), Math.floor(rnd() * 20),
      CATS[Math.floor(rnd() * CATS.length)], CITIES[Math.floor(rnd() * CITIES.length)], rnd() < 0.5 ? 'true' : 'false',
      customer, score, `note ${Math.floor(rnd() * 1e6)} ${first.toLowerCase()}`,
    ].join(','));
    if (lines.length === 10000) {
      writeSync(fd, lines.join('\n') + '\n');
      lines = [];
    }
  }
  if (lines.length > 0) writeSync(fd, lines.join('\n') + '\n');
  closeSync(fd);
  renameSync(tmp, path);
  return path;
}

export function sizeMB(path) {
  return statSync(path).size / 1e6;
}
