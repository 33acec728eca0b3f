import { copyFileSync, constants, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { packageRoot } from './package-root.js';

import type { ExampleTable, ExampleWritten } from '../core/contracts/workspace.js';
export type { ExampleTable, ExampleWritten } from '../core/contracts/workspace.js';

function examplesDir(): string {
  return join(packageRoot(), 'examples', 'data');
}

/** The example tables bundled with bfly (`examples/data/*.csv`), by name. */
export function listExamples(): ExampleTable[] {
  const dir = examplesDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      return { name: f.slice(0, -4), file: f, rows: text.split('\n').filter((l) => l !== '').length - 1, bytes: statSync(join(dir, f)).size };
    });
}

/**
 * Writes bundled example table `name` as `<name>.csv` into `dir` (no workspace needed), for
 * `bfly dataset import` to read. An existing file is never overwritten unless `force`.
 *
 * @example
 * writeExample('penguins', process.cwd()) // { name: 'penguins', path: '/home/me/penguins.csv', … }
 */
export function writeExample(name: string, dir: string, o: { force?: boolean } = {}): ExampleWritten {
  const all = listExamples();
  const ex = all.find((e) => e.name === name);
  if (ex === undefined) {
    throw new NotFoundError('UNKNOWN_EXAMPLE', `no example table ${JSON.stringify(name)}${didYouMean(name, all.map((e) => e.name))}`, { hint: `examples: ${all.map((e) => e.name).join(', ')} (\`bfly example\` lists them)` });
  }
  const target = resolve(dir, ex.file);
  if (!o.force && existsSync(target)) {
    throw new ValidationError('FILE_EXISTS', `${target} already exists`, { hint: 'import that file as it is, remove it, or pass --force to overwrite it' });
  }
  copyFileSync(join(examplesDir(), ex.file), target, o.force ? 0 : constants.COPYFILE_EXCL);
  return { ...ex, path: target };
}
