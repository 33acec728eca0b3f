import { indexRunFolders } from './run-index.js';
import { recoverInterruptedRuns } from './run-state.js';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { PROFILES, type Profile, type WorkspaceConfig, parseWorkspaceConfig } from '../core/config.js';
import { InfraError, NotAWorkspaceError, ValidationError } from '../core/errors.js';
import { nameFromFile, validateName } from '../core/names.js';
import { BFLY_VERSION, FORMAT_VERSION } from '../core/version.js';
import { readRawConfig, renderConfigYaml, writeConfig } from './config-file.js';
import { BFLY_DIR, LAYOUT_DIRS, type WorkspacePaths, workspacePaths } from './layout.js';
import { recoverDeadService } from './serve-record.js';
import { withLock } from './lock.js';
import { appendAudit } from './audit.js';
import { assertRealDir, lstatOrNull, symlinkError } from './safe-fs.js';
import { MIGRATIONS, type Migration, planMigrations } from './migrations.js';

/** An open workspace. */
export interface Workspace {
  root: string;
  paths: WorkspacePaths;
  config: WorkspaceConfig;
}

/** Options for {@link initWorkspace}. */
export interface InitOptions {
  /** Display name; defaults to the directory's name. */
  name?: string;
  profile?: Profile;
}

/**
 * Walks up from `start` to the nearest directory holding `.butterfly/`, like git. Returns the
 * root, or null outside any workspace.
 */
export function findWorkspaceRoot(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (isDir(join(dir, BFLY_DIR))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Creates a workspace in `dir` (created if missing). Refuses inside an existing workspace.
 * The layout is built in a temp folder and renamed into place, so a crash never leaves half a
 * `.butterfly/`.
 *
 * @example
 * const ws = await initWorkspace('/data/project', { name: 'project' });
 */
export async function initWorkspace(dir: string, options: InitOptions = {}): Promise<Workspace> {
  const root = resolve(dir);
  const existing = findWorkspaceRoot(root);
  if (existing !== null) {
    throw new ValidationError('ALREADY_A_WORKSPACE', `${root} is already inside a bfly workspace (${join(existing, BFLY_DIR)})`, {
      hint: existing === root ? 'nothing to do: use it as it is' : 'run bfly init in a directory outside it, or use the existing workspace',
      data: { root: existing },
    });
  }
  const profile = options.profile ?? 'internal_fast';
  if (!PROFILES.includes(profile)) {
    throw new ValidationError('BAD_PROFILE', `unknown profile ${JSON.stringify(profile)}`, { hint: `use one of: ${PROFILES.join(', ')}` });
  }
  const name = options.name !== undefined ? validateName(options.name, 'workspace name') : (nameFromFile(basename(root)) ?? 'workspace');
  if (existsSync(root) && !isDir(root)) {
    throw new ValidationError('NOT_A_DIRECTORY', `${root} exists and is not a directory`, { hint: 'choose another path' });
  }
  try {
    mkdirSync(root, { recursive: true });
  } catch (err) {
    throw new InfraError('INIT_FAILED', `cannot create ${root}: ${(err as Error).message}`, { cause: err, hint: 'check the path and its permissions' });
  }
  const config: WorkspaceConfig = {
    id: `ws_${randomBytes(8).toString('hex')}`,
    name,
    formatVersion: FORMAT_VERSION,
    profile,
    createdAt: new Date().toISOString(),
    bflyVersion: BFLY_VERSION,
  };
  const staging = join(root, `${BFLY_DIR}.init-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(staging);
    for (const sub of LAYOUT_DIRS) mkdirSync(join(staging, sub));
    writeFileSync(join(staging, 'config.yaml'), renderConfigYaml(config));
    writeFileSync(join(staging, '.gitignore'), '# derived or transient: rebuilt by bfly\nindex/\ncache/\nlocks/\ntmp/\n');
    renameSync(staging, join(root, BFLY_DIR));
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (isDir(join(root, BFLY_DIR))) {
      throw new ValidationError('ALREADY_A_WORKSPACE', `${root} is already a bfly workspace`, { hint: 'nothing to do: use it as it is', data: { root } });
    }
    throw new InfraError('INIT_FAILED', `cannot create the workspace in ${root}: ${(err as Error).message}`, { cause: err, hint: 'check the directory permissions and free space' });
  }
  appendAudit(root, { action: 'workspace.init', target: { id: config.id, name: config.name, profile: config.profile, formatVersion: config.formatVersion } });
  return { root, paths: workspacePaths(root), config };
}

/**
 * Refuses a workspace whose own folders (objects/, runs/, cache/, …) or config.yaml are
 * symbolic links: every command writes or deletes under them, and bfly never does that through
 * a link. Throws an IntegrityError naming the first one.
 */
export function checkLayout(root: string): void {
  const p = workspacePaths(root);
  for (const sub of LAYOUT_DIRS) assertRealDir(join(p.dir, sub), root);
  const st = lstatOrNull(p.config);
  if (st !== null && st.isSymbolicLink()) throw symlinkError(p.config, root);
}

/** What {@link migrateWorkspace} did (or, with `dryRun`, would do). */
export interface MigrationReport {
  root: string;
  from: number;
  to: number;
  dryRun: boolean;
  steps: Array<{ from: number; to: number; description: string }>;
}

/**
 * `bfly migrate`: upgrades an older workspace to this bfly's format by the registered, tested
 * migrations (additive: they add files and keys, seal what was unsealed, never delete), under
 * the workspace lock, recorded in the audit log. With `dryRun` it only says what it would do.
 */
export async function migrateWorkspace(start: string, o: { dryRun?: boolean; migrations?: readonly Migration[]; formatVersion?: number } = {}): Promise<MigrationReport> {
  const root = findWorkspaceRoot(start);
  if (root === null) throw new NotAWorkspaceError(resolve(start));
  const current = o.formatVersion ?? FORMAT_VERSION;
  const raw = (await readRawConfig(root)) as Record<string, unknown>;
  const from = typeof raw?.formatVersion === 'number' ? raw.formatVersion : current;
  const steps = from < current ? planMigrations(from, current, o.migrations ?? MIGRATIONS) : [];
  if (steps === null) throw new ValidationError('NO_MIGRATION', `no migration from workspace format ${from} to ${current}`, { hint: 'use the bfly version that created this workspace to export its data' });
  const report: MigrationReport = { root, from, to: Math.max(from, current), dryRun: o.dryRun === true, steps: steps.map((s) => ({ from: s.from, to: s.from + 1, description: s.description })) };
  if (o.dryRun === true || steps.length === 0) {
    if (from > current) await openWorkspace(root, { formatVersion: current }); // refuses, naming the newer bfly
    return report;
  }
  await openWorkspace(root, { migrate: true, migrations: o.migrations, formatVersion: current });
  // the index is derived: rebuilt from the run folders as this format writes it
  const { rebuildRunIndex } = await import('./run-index.js');
  await rebuildRunIndex(root);
  return report;
}

/** Options for {@link openWorkspace}. */
export interface OpenOptions {
  /** Check that the store's own folders are real folders (default true; fsck reports instead). */
  checkLayout?: boolean;
  /** Migrate an older format in place (only `bfly migrate` does; default: refuse it). */
  migrate?: boolean;
  /** The migration registry (tests pass their own). */
  migrations?: readonly Migration[];
  /** The format this bfly writes (tests pass their own). */
  formatVersion?: number;
}

/**
 * Opens the workspace containing `start` (walking up like git). An older format is migrated
 * under the workspace lock; a newer one is refused with the bfly version that wrote it.
 *
 * @example
 * const ws = await openWorkspace(process.cwd());
 * console.log(ws.config.name);
 */
export async function openWorkspace(start: string, options: OpenOptions = {}): Promise<Workspace> {
  const root = findWorkspaceRoot(start);
  if (root === null) throw new NotAWorkspaceError(resolve(start));
  const paths = workspacePaths(root);
  let layoutOk = true;
  try {
    checkLayout(root);
  } catch (err) {
    if (options.checkLayout !== false) throw err;
    layoutOk = false; // fsck reports it; nothing below may write through a link
  }
  const current = options.formatVersion ?? FORMAT_VERSION;
  let raw = (await readRawConfig(root)) as Record<string, unknown>;
  const version = raw !== null && typeof raw === 'object' ? raw.formatVersion : undefined;
  if (typeof version === 'number' && version > current) {
    const writer = typeof raw.bflyVersion === 'string' ? `bfly ${raw.bflyVersion}` : 'a newer bfly';
    throw new ValidationError('FORMAT_TOO_NEW', `this workspace uses format ${version}, written by ${writer}; this bfly (${BFLY_VERSION}) reads format ${current} and older`, {
      hint: `upgrade bfly to ${typeof raw.bflyVersion === 'string' ? `${raw.bflyVersion} or later` : 'the latest version'} (npm install -g butterfly-ml@latest)`,
      data: { formatVersion: version, supported: current },
    });
  }
  if (typeof version === 'number' && version < current) {
    // Nothing changes a workspace unasked: only `bfly migrate` (options.migrate) upgrades it.
    if (options.migrate !== true) {
      throw new ValidationError('FORMAT_TOO_OLD', `this workspace uses format ${version}; this bfly (${BFLY_VERSION}) reads and writes format ${current}`, {
        hint: 'upgrade it with `bfly migrate` (`bfly migrate --dry-run` shows what it would change); nothing was changed',
        data: { formatVersion: version, current },
      });
    }
    const steps = planMigrations(version, current, options.migrations ?? MIGRATIONS);
    if (steps === null) {
      throw new ValidationError('NO_MIGRATION', `no migration from workspace format ${version} to ${current}`, { hint: 'use the bfly version that created this workspace to export its data' });
    }
    raw = withLock(root, 'workspace', { purpose: 'migrating the workspace format', waitMs: 5000 }, () => {
      let cfg = raw;
      for (const step of steps) {
        cfg = { ...step.apply(root, cfg), formatVersion: step.from + 1, bflyVersion: BFLY_VERSION };
        writeConfig(root, parseWorkspaceConfig(cfg, paths.config));
      }
      return cfg;
    });
    appendAudit(root, { action: 'workspace.migrate', target: { from: version, to: current, steps: steps.map((s) => s.description) } });
  }
  const config = parseWorkspaceConfig(raw, paths.config);
  // A run whose process died is marked `interrupted` by the next command that opens the workspace.
  if (!layoutOk) return { root, paths, config };
  const marked = recoverInterruptedRuns(root);
  if (marked.length > 0) indexRunFolders(root, marked);
  recoverDeadService(root);
  return { root, paths, config };
}
