import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { PROFILES, type Profile, type WorkspaceConfig, parseWorkspaceConfig } from '../core/config.js';
import { validateName } from '../core/names.js';
import { NotFoundError, PolicyError, ValidationError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { BLOCK_TYPES } from '../core/pipeline.js';
import { didYouMean } from '../core/suggest.js';
import { parseFlatYaml, writeConfig } from './config-file.js';
import { getExperiment, listExperiments, pipelinePath, resolvePipeline, withDraftLock, writeDraftLocked } from './experiments.js';
import { workspacePaths } from './layout.js';
import { withLock } from './lock.js';
import { readHookFile } from './hook-file.js';
import { appendAudit } from './audit.js';
import type { SnapshotHook } from './snapshot.js';

/** The largest limits a hook entry may ask for, per profile. */
export const HOOK_LIMITS = { internal_fast: { timeoutMs: 600_000, memoryMb: 2048 }, enterprise: { timeoutMs: 60_000, memoryMb: 512 } } as const;

/** The workspace config, read synchronously (bfly writes it flat). */
export function readConfigSync(root: string): WorkspaceConfig {
  const file = workspacePaths(root).config;
  const text = readFileSync(file, 'utf8');
  const flat = parseFlatYaml(text);
  if (flat === null) throw new ValidationError('BAD_CONFIG', `${file} is not in the form bfly writes`, { hint: 'run any bfly command to rewrite it, or fix it by hand' });
  return parseWorkspaceConfig(flat, file);
}

function hashOf(source: string): string {
  return `sha256:${sha256Hex(source)}`;
}

/** A hook file named on the command line (relative to the current directory), read once, safely. */
function workspaceFile(root: string, file: string): { rel: string; source: string; hash: string } {
  const abs = resolve(file);
  const rel = relative(root, abs);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new ValidationError('HOOK_OUTSIDE', `${file} is outside the workspace`, { hint: 'hook files live inside the workspace' });
  const read = readHookFile(root, rel);
  return { rel: read.rel, source: read.source, hash: read.hash };
}

/**
 * Adds the sha256 of a hook file's current source to the workspace's trusted list (what the
 * `enterprise` profile runs). Editing the file later changes its hash: it must be trusted again.
 */
export function trustHook(root: string, file: string): { file: string; hash: string; added: boolean } {
  const { rel, hash } = workspaceFile(root, file);
  return withLock(root, 'workspace', { purpose: 'trusting a hook', waitMs: 5000 }, () => {
    const config = readConfigSync(root);
    const list = config.trustedHooks ?? [];
    if (list.includes(hash)) return { file: rel, hash, added: false };
    writeConfig(root, { ...config, trustedHooks: [...list, hash] });
    appendAudit(root, { action: 'hook.trust', target: { file: rel, hash } });
    return { file: rel, hash, added: true };
  });
}

/** Removes a hook file's current hash (or a given `sha256:` hash) from the trusted list. */
export function untrustHook(root: string, fileOrHash: string): { hash: string; removed: boolean } {
  const hash = /^sha256:[0-9a-f]{64}$/.test(fileOrHash) ? fileOrHash : workspaceFile(root, fileOrHash).hash;
  return withLock(root, 'workspace', { purpose: 'untrusting a hook', waitMs: 5000 }, () => {
    const config = readConfigSync(root);
    const list = config.trustedHooks ?? [];
    if (!list.includes(hash)) return { hash, removed: false };
    writeConfig(root, { ...config, trustedHooks: list.filter((h) => h !== hash) });
    appendAudit(root, { action: 'hook.untrust', target: { hash } });
    return { hash, removed: true };
  });
}

export type { HookInfo } from '../core/contracts/workspace.js';
import type { HookInfo } from '../core/contracts/workspace.js';

/** Every hook of every experiment's draft, with its current hash and whether it is trusted. */
export function listHooks(root: string): HookInfo[] {
  const trusted = new Set(readConfigSync(root).trustedHooks ?? []);
  const out: HookInfo[] = [];
  for (const e of listExperiments(root)) {
    let pipeline;
    try {
      pipeline = resolvePipeline(root, e.name);
    } catch {
      continue; // an invalid draft: `bfly pipeline validate` says why
    }
    for (const b of pipeline.blocks) {
      const counts: Record<string, number> = {};
      for (const h of b.hooks) {
        const n = (counts[h.kind] = (counts[h.kind] ?? -1) + 1);
        let hash: string | null = h.code === undefined ? null : hashOf(h.code);
        if (h.file !== undefined) {
          try {
            hash = readHookFile(root, h.file).hash;
          } catch {
            hash = null;
          }
        }
        out.push({ experiment: e.name, id: `${b.id}.${h.kind}.${n}`, block: b.id, type: `${h.kind}_${b.type}`, origin: h.file ?? 'inline', hash, trusted: hash !== null && trusted.has(hash) });
      }
    }
  }
  return out;
}

/**
 * Checks a run's hooks against the workspace profile before anything runs: `enterprise` runs
 * only files whose hash is trusted and refuses inline code; every profile caps the limits a hook
 * entry may ask for. Throws a `policy` error naming the hook and how to allow it.
 */
export function checkHookPolicy(root: string, hooks: readonly SnapshotHook[], limits: ReadonlyArray<{ timeoutMs?: number; memoryMb?: number }>): void {
  if (hooks.length === 0) return;
  const config = readConfigSync(root);
  const max = HOOK_LIMITS[config.profile];
  hooks.forEach((h, i) => {
    const l = limits[i] ?? {};
    if ((l.timeoutMs ?? 0) > max.timeoutMs || (l.memoryMb ?? 0) > max.memoryMb) {
      throw new PolicyError('HOOK_LIMIT', `hook ${h.id} asks for more than the ${config.profile} profile allows (at most ${max.timeoutMs} ms and ${max.memoryMb} MB)`, { hint: 'lower timeoutMs / memoryMb in the hook entry', data: { hook: h.id } });
    }
    if (config.profile !== 'enterprise') return;
    if (h.origin === 'inline') {
      throw new PolicyError('INLINE_HOOK', `hook ${h.id} is inline code, which the enterprise profile does not run`, { hint: 'move the code into a file in the workspace, then `bfly hook trust <file>`', data: { hook: h.id } });
    }
    if (!(config.trustedHooks ?? []).includes(h.hash)) {
      throw new PolicyError('UNTRUSTED_HOOK', `hook ${h.id} (${h.origin}, ${h.hash.slice(0, 19)}…) is not trusted in this enterprise workspace`, { hint: `review it, then \`bfly hook trust ${h.origin}\``, data: { hook: h.id, hash: h.hash } });
    }
  });
}

/** `before_preprocess` -> kind and stage; refuses anything else. */
function parseHookType(type: string): { kind: string; stage: string } {
  const m = /^(before|after|override)_([a-z_]+)$/.exec(type);
  if (m === null || !(BLOCK_TYPES as readonly string[]).includes(m[2])) {
    throw new ValidationError('BAD_HOOK_TYPE', `unknown hook type ${JSON.stringify(type)}`, { hint: `use before_<stage>, after_<stage> or override_<stage>; stages: ${BLOCK_TYPES.join(', ')}` });
  }
  return { kind: m[1], stage: m[2] };
}

/**
 * Adds a hook to the first block of its stage in an experiment's draft (comments kept), only if
 * the result is valid. Returns the new hook's id.
 */
export function addHook(root: string, experiment: string, type: string, source: { file?: string; code?: string }): string {
  const { kind, stage } = parseHookType(type);
  getExperiment(root, experiment);
  return withDraftLock(root, experiment, `adding a hook to ${experiment}`, () => addHookLocked(root, experiment, kind, stage, source));
}

function addHookLocked(root: string, experiment: string, kind: string, stage: string, source: { file?: string; code?: string }): string {
  const file = pipelinePath(root, experiment);
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const blocks = doc.get('blocks');
  if (!isSeq(blocks)) throw new ValidationError('INVALID_PIPELINE', `${file} has no blocks list`, { hint: 'fix it with `bfly pipeline edit`' });
  const index = blocks.items.findIndex((b) => isMap(b) && b.get('type') === stage);
  if (index === -1) throw new ValidationError('NO_SUCH_STAGE', `the pipeline of ${experiment} has no ${stage} block`, { hint: 'add the block first (`bfly pipeline edit`)' });
  const block = blocks.items[index];
  const entry = source.file !== undefined ? { type: `${kind}_${stage}`, file: relative(root, resolve(source.file)) } : { type: `${kind}_${stage}`, code: source.code };
  const existing = isMap(block) ? block.get('hooks') : undefined;
  if (isSeq(existing)) existing.add(doc.createNode(entry));
  else doc.setIn(['blocks', index, 'hooks'], doc.createNode([entry]));
  writeDraftLocked(root, experiment, doc.toString({ lineWidth: 0 }), 'hook.add', { type: `${kind}_${stage}`, file: source.file !== undefined ? relative(root, resolve(source.file)) : null });
  const blockId = isMap(block) ? String(block.get('id')) : stage;
  return listHooks(root).filter((h) => h.experiment === experiment && h.block === blockId && h.type === `${kind}_${stage}`).at(-1)!.id;
}

/** Removes hook `<block>.<kind>.<n>` from an experiment's draft. */
export function removeHook(root: string, experiment: string, hookId: string): void {
  getExperiment(root, experiment);
  withDraftLock(root, experiment, `removing hook ${hookId} from ${experiment}`, () => removeHookLocked(root, experiment, hookId));
}

function removeHookLocked(root: string, experiment: string, hookId: string): void {
  const hooks = listHooks(root).filter((h) => h.experiment === experiment);
  const target = hooks.find((h) => h.id === hookId);
  if (target === undefined) {
    throw new NotFoundError('HOOK_NOT_FOUND', `experiment ${experiment} has no hook ${JSON.stringify(hookId)}${didYouMean(hookId, hooks.map((h) => h.id))}`, { hint: hooks.length ? `hooks: ${hooks.map((h) => h.id).join(', ')}` : 'it has no hooks' });
  }
  const [blockId, kind, nText] = hookId.split('.');
  const file = pipelinePath(root, experiment);
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const blocks = doc.get('blocks');
  if (!isSeq(blocks)) throw new ValidationError('INVALID_PIPELINE', `${file} has no blocks list`);
  const index = blocks.items.findIndex((b) => isMap(b) && b.get('id') === blockId);
  const list = doc.getIn(['blocks', index, 'hooks']);
  if (!isSeq(list)) throw new NotFoundError('HOOK_NOT_FOUND', `no hooks in block ${blockId}`);
  let seen = -1;
  const at = list.items.findIndex((h) => isMap(h) && /^(before|after|override)/.exec(String(h.get('type')))?.[1] === kind && ++seen === Number(nText));
  list.items.splice(at, 1);
  if (list.items.length === 0) doc.deleteIn(['blocks', index, 'hooks']);
  writeDraftLocked(root, experiment, doc.toString({ lineWidth: 0 }), 'hook.remove', { hook: hookId });
}

/** Config keys `bfly config set` changes (trusted hooks go through `bfly hook trust`). */
export const CONFIG_SETTABLE = ['name', 'profile', 'frameworks.python', 'frameworks.allowed'] as const;

/**
 * `bfly config set <key>=<value>`: the workspace's name, or its profile. Going from `enterprise`
 * to `internal_fast` (which runs any hook, inline code too) needs `force`. Audited.
 */
export function setConfigValue(root: string, assignment: string, o: { force?: boolean } = {}): { key: string; from: unknown; to: unknown } {
  const eq = assignment.indexOf('=');
  const key = eq <= 0 ? assignment : assignment.slice(0, eq);
  if (eq <= 0 || !(CONFIG_SETTABLE as readonly string[]).includes(key)) {
    throw new ValidationError('BAD_CONFIG_KEY', `cannot set ${JSON.stringify(key)}${didYouMean(key, CONFIG_SETTABLE)}`, { hint: `settable: ${CONFIG_SETTABLE.join(', ')}, e.g. bfly config set profile=enterprise (trusted hooks: bfly hook trust)` });
  }
  const value = assignment.slice(eq + 1);
  return withLock(root, 'workspace', { purpose: `setting ${key}`, waitMs: 5000 }, () => {
    const config = readConfigSync(root);
    if (key.startsWith('frameworks.')) {
      const field = key.slice('frameworks.'.length) as 'python' | 'allowed';
      const fromFw = config.frameworks?.[field];
      if (field === 'allowed' && config.profile === 'enterprise' && o.force !== true) {
        throw new PolicyError('FRAMEWORKS_ALLOWED_LOCKED', 'in the enterprise profile, changing which framework classes may run is an administrator decision', { hint: `if that is what you want: bfly config set ${assignment} --force (it is recorded in the audit log)` });
      }
      const toFw = field === 'python' ? value : value.split(',').map((g) => g.trim()).filter((g) => g !== '');
      if (field === 'python' && value === '') throw new ValidationError('BAD_CONFIG_VALUE', 'frameworks.python needs the path of a Python interpreter', { hint: 'e.g. bfly config set frameworks.python=/usr/bin/python3' });
      if (JSON.stringify(fromFw) === JSON.stringify(toFw)) return { key, from: fromFw, to: fromFw };
      writeConfig(root, { ...config, frameworks: { ...config.frameworks, [field]: toFw } });
      appendAudit(root, { action: 'config.set', target: { key, from: fromFw ?? null, to: toFw, ...(o.force === true ? { forced: true } : {}) } });
      return { key, from: fromFw, to: toFw };
    }
    const from = config[key as 'name' | 'profile'];
    let next: WorkspaceConfig;
    if (key === 'name') next = { ...config, name: validateName(value, 'workspace name') };
    else {
      if (!(PROFILES as readonly string[]).includes(value)) throw new ValidationError('BAD_PROFILE', `unknown profile ${JSON.stringify(value)}`, { hint: `use one of: ${PROFILES.join(', ')}` });
      if (config.profile === 'enterprise' && value === 'internal_fast' && o.force !== true) {
        throw new PolicyError('PROFILE_DOWNGRADE', 'going from enterprise to internal_fast lets any hook file and inline code run, trusted or not', { hint: 'if that is what you want: bfly config set profile=internal_fast --force (it is recorded in the audit log)' });
      }
      next = { ...config, profile: value as Profile };
    }
    if (from === next[key as 'name' | 'profile']) return { key, from, to: from };
    writeConfig(root, next);
    appendAudit(root, { action: 'config.set', target: { key, from, to: next[key as 'name' | 'profile'], ...(o.force === true ? { forced: true } : {}) } });
    return { key, from, to: next[key as 'name' | 'profile'] };
  });
}
