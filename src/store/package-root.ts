import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/** The installed bfly package's root (where templates/ lives), found from this module's path. */
export function packageRoot(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'butterfly-ml') return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the butterfly-ml package root');
    dir = up;
  }
}
