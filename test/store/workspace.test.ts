import { mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NotAWorkspaceError, ValidationError } from '../../src/core/errors.js';
import { parseFlatYaml, readConfig } from '../../src/store/config-file.js';
import { LAYOUT_DIRS } from '../../src/store/layout.js';
import { type Migration, planMigrations } from '../../src/store/migrations.js';
import { findWorkspaceRoot, initWorkspace, migrateWorkspace, openWorkspace } from '../../src/store/workspace.js';
import { FORMAT_VERSION } from '../../src/core/version.js';
import { makeTempDir, snapshotTree } from '../helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

describe('initWorkspace', () => {
  it('Given an empty directory, When init runs, Then config.yaml and the whole layout exist', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const ws = await initWorkspace(join(t.dir, 'proj'), { name: 'My Project', profile: 'enterprise' });
    for (const d of LAYOUT_DIRS) expect(existsSync(join(ws.paths.dir, d)), d).toBe(true);
    const cfg = await readConfig(ws.root);
    expect(cfg).toMatchObject({ name: 'My Project', formatVersion: FORMAT_VERSION, profile: 'enterprise' });
    expect(cfg.id).toMatch(/^ws_[0-9a-f]{16}$/);
    expect(Number.isNaN(Date.parse(cfg.createdAt))).toBe(false);
  });

  it('refuses inside an existing workspace, also in a sub-folder', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    await initWorkspace(t.dir);
    await expect(initWorkspace(t.dir)).rejects.toThrow(ValidationError);
    mkdirSync(join(t.dir, 'sub'));
    await expect(initWorkspace(join(t.dir, 'sub'))).rejects.toThrow(/already inside a bfly workspace/);
  });
});

describe('openWorkspace', () => {
  it('walks up from a sub-folder like git', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    await initWorkspace(t.dir);
    mkdirSync(join(t.dir, 'a', 'b'), { recursive: true });
    expect(findWorkspaceRoot(join(t.dir, 'a', 'b'))).toBe(t.dir);
    expect((await openWorkspace(join(t.dir, 'a', 'b'))).root).toBe(t.dir);
  });

  it('outside any workspace says so', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    await expect(openWorkspace(t.dir)).rejects.toThrow(NotAWorkspaceError);
  });

  it('refuses a newer format, naming the bfly version that wrote it', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const ws = await initWorkspace(t.dir);
    const text = readFileSync(ws.paths.config, 'utf8').replace(`formatVersion: ${FORMAT_VERSION}`, 'formatVersion: 9').replace(/bflyVersion: .*/, 'bflyVersion: 7.1.0');
    writeFileSync(ws.paths.config, text);
    await expect(openWorkspace(t.dir)).rejects.toThrow(/format 9, written by bfly 7\.1\.0/);
  });

  it('refuses an older format without changing a byte; migrateWorkspace upgrades format 0: the missing folders and the profile key, keeping the rest', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const ws = await initWorkspace(t.dir, { name: 'old' });
    for (const d of ['cache', 'index', 'tmp', 'locks']) rmSync(join(ws.paths.dir, d), { recursive: true });
    rmSync(join(ws.paths.dir, 'audit.jsonl'));
    writeFileSync(ws.paths.config, `id: ${ws.config.id}\nname: old\nformatVersion: 0\ncreatedAt: "${ws.config.createdAt}"\n`);
    const before = snapshotTree(ws.paths.dir);
    await expect(openWorkspace(t.dir)).rejects.toMatchObject({ code: 'FORMAT_TOO_OLD', hint: expect.stringMatching(/`bfly migrate`/) });
    expect(snapshotTree(ws.paths.dir)).toEqual(before);
    const dry = await migrateWorkspace(t.dir, { dryRun: true });
    expect(dry).toMatchObject({ from: 0, to: FORMAT_VERSION, dryRun: true });
    expect(snapshotTree(ws.paths.dir)).toEqual(before);
    await migrateWorkspace(t.dir);
    const opened = await openWorkspace(t.dir);
    expect(opened.config).toMatchObject({ formatVersion: FORMAT_VERSION, profile: 'internal_fast', name: 'old', id: ws.config.id });
    for (const d of LAYOUT_DIRS) expect(existsSync(join(ws.paths.dir, d)), d).toBe(true);
    expect((await readConfig(t.dir)).formatVersion).toBe(FORMAT_VERSION);
  });

  it('applies a chain of migrations in order and refuses a gap', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const ws = await initWorkspace(t.dir);
    const seen: number[] = [];
    const registry: Migration[] = [FORMAT_VERSION, FORMAT_VERSION + 1].map((from) => ({ from, description: `${from}`, apply: (_root, cfg) => (seen.push(from), { ...cfg, [`step${from}`]: true }) }));
    await migrateWorkspace(ws.root, { formatVersion: FORMAT_VERSION + 2, migrations: registry });
    const opened = await openWorkspace(ws.root, { formatVersion: FORMAT_VERSION + 2 });
    expect(seen).toEqual([FORMAT_VERSION, FORMAT_VERSION + 1]);
    expect(opened.config.formatVersion).toBe(FORMAT_VERSION + 2);
    expect(planMigrations(0, FORMAT_VERSION + 2, registry)).toBeNull();
  });

  it('reads a hand-edited config with comments through the full YAML parser', async () => {
    const t = makeTempDir();
    cleanup = t.cleanup;
    const ws = await initWorkspace(t.dir);
    writeFileSync(ws.paths.config, readFileSync(ws.paths.config, 'utf8') + 'trustedHooks:\n  - abc # a comment\n');
    expect(parseFlatYaml(readFileSync(ws.paths.config, 'utf8'))).toBeNull();
    expect((await openWorkspace(t.dir)).config.trustedHooks).toEqual(['abc']);
  });
});
