import { ValidationError } from './errors.js';

/** Workspace profiles: how strictly user code is allowed to run. */
export const PROFILES = ['internal_fast', 'enterprise'] as const;
/** One of {@link PROFILES}. */
export type Profile = (typeof PROFILES)[number];

/** `.butterfly/config.yaml`. */
export interface WorkspaceConfig {
  /** Random id, `ws_` + 16 hex. */
  id: string;
  name: string;
  formatVersion: number;
  profile: Profile;
  createdAt: string;
  /** The bfly version that last wrote this file (named when a newer format is refused). */
  bflyVersion: string;
  /** sha256 hashes of hook sources the `enterprise` profile allows. */
  trustedHooks?: string[];
  /** Framework adapters: the Python interpreter, and (enterprise profile) the model classes allowed to run. */
  frameworks?: { python?: string; allowed?: string[] };
}

/**
 * Checks a parsed config.yaml object. Deliberately hand-written (no zod) because every command
 * reads this file on start-up, and loading zod costs ~100 ms there.
 */
export function parseWorkspaceConfig(value: unknown, file = 'config.yaml'): WorkspaceConfig {
  const bad = (what: string): never => {
    throw new ValidationError('BAD_CONFIG', `${file}: ${what}`, { hint: 'fix the file by hand, or run `bfly init` in a new directory', data: { file } });
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) bad('is not a mapping of keys to values');
  const v = value as Record<string, unknown>;
  const str = (key: string): string => (typeof v[key] === 'string' && (v[key] as string).length > 0 ? (v[key] as string) : bad(`\`${key}\` must be a non-empty string`));
  if (typeof v.formatVersion !== 'number' || !Number.isInteger(v.formatVersion) || v.formatVersion < 0) bad('`formatVersion` must be a whole number');
  const profile = v.profile === undefined ? 'internal_fast' : v.profile;
  if (!PROFILES.includes(profile as Profile)) bad(`\`profile\` must be one of ${PROFILES.join(', ')}, not ${JSON.stringify(profile)}`);
  const trusted = v.trustedHooks;
  if (trusted !== undefined && (!Array.isArray(trusted) || trusted.some((h) => typeof h !== 'string'))) bad('`trustedHooks` must be a list of sha256 hashes');
  const fw = v.frameworks;
  if (fw !== undefined && (fw === null || typeof fw !== 'object' || Array.isArray(fw))) bad('`frameworks` must be a mapping (python, allowed)');
  const f = (fw ?? {}) as Record<string, unknown>;
  if (f.python !== undefined && (typeof f.python !== 'string' || f.python === '')) bad('`frameworks.python` must be the path of a Python interpreter');
  if (f.allowed !== undefined && (!Array.isArray(f.allowed) || f.allowed.some((g) => typeof g !== 'string'))) bad('`frameworks.allowed` must be a list of patterns such as sklearn.*');
  return {
    id: str('id'),
    name: str('name'),
    formatVersion: v.formatVersion as number,
    profile: profile as Profile,
    createdAt: str('createdAt'),
    bflyVersion: typeof v.bflyVersion === 'string' ? v.bflyVersion : 'unknown',
    ...(trusted === undefined ? {} : { trustedHooks: trusted as string[] }),
    ...(fw === undefined ? {} : { frameworks: { ...(f.python !== undefined ? { python: f.python as string } : {}), ...(f.allowed !== undefined ? { allowed: f.allowed as string[] } : {}) } }),
  };
}
