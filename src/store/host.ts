/**
 * The name of this host as bfly records it (locks, temp names, `env.host` of runs, audit):
 * `BFLY_HOST` when set (containers whose hostname changes at every start, or several simulated
 * hosts on one machine in tests), else the OS hostname. Hosts sharing a workspace need distinct
 * names: a lock is judged by pid only on the host that wrote it, by its lease everywhere else.
 */
import { hostname } from 'node:os';

export function currentHost(): string {
  const env = process.env.BFLY_HOST;
  return env !== undefined && env.trim() !== '' ? env.trim() : hostname();
}
