/**
 * Which isolated-vm the hook sandbox uses on the running Node. isolated-vm is native code built
 * for one Node ABI at a time: 5.0.4 for Node 20, 6.x (prebuilt for 22 and 24) and 7.x (24 and
 * 26). All three are optional dependencies (`isolated-vm`, `isolated-vm-6`, `isolated-vm-7`);
 * npm installs those whose `engines` fit the Node that runs `npm ci`. Only one may be loaded in a
 * process (two copies of the addon abort V8), so the one that fits is chosen before any is
 * loaded: by its prebuilt binary for this ABI, else (5.0.4, built at install) by Node 20.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The packages, newest first. */
export const SANDBOX_PACKAGES = [
  { name: 'isolated-vm-7', nodes: '24, 26' },
  { name: 'isolated-vm-6', nodes: '22, 24' },
  { name: 'isolated-vm', nodes: '20' },
] as const;

/** The Node major versions bfly is tested on. */
export const TESTED_NODES = [20, 22, 24, 26] as const;

/** The sandbox package for this Node: its name (to require), version and folder; null when none fits. */
export interface SandboxPackage {
  name: string;
  version: string;
  dir: string;
}

let chosen: SandboxPackage | null | undefined;

export function sandboxPackage(): SandboxPackage | null {
  if (chosen !== undefined) return chosen;
  const req = createRequire(import.meta.url);
  const abi = process.versions.modules;
  chosen = null;
  for (const p of SANDBOX_PACKAGES) {
    let dir: string;
    try {
      dir = dirname(req.resolve(`${p.name}/package.json`));
    } catch {
      continue;
    }
    const prebuilt = existsSync(join(dir, 'prebuilds', `${process.platform}-${process.arch}`, `isolated-vm.abi${abi}.glibc.node`)) || existsSync(join(dir, 'prebuilds', `${process.platform}-${process.arch}`, `isolated-vm.abi${abi}.node`));
    const built = p.name === 'isolated-vm' && Number(process.versions.node.split('.')[0]) === 20;
    if (!prebuilt && !built) continue;
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    chosen = { name: p.name, version, dir };
    break;
  }
  return chosen;
}

/** `isolated-vm@6.2.0`, or null without a sandbox. */
export function sandboxVersion(): string | null {
  const p = sandboxPackage();
  return p === null ? null : `isolated-vm@${p.version}`;
}
