import { readFileSync } from 'node:fs';
import { parseWorkspaceConfig, type WorkspaceConfig } from '../core/config.js';
import { InfraError } from '../core/errors.js';
import { parseYamlText } from '../core/yaml-text.js';
import { writeFileAtomic } from './atomic.js';
import { workspacePaths } from './layout.js';

const SIMPLE_LINE = /^([A-Za-z][A-Za-z0-9_]*):[ \t]*(.*?)[ \t]*$/;
const BARE = /^[A-Za-z0-9_.:+-]+$/;

/**
 * Parses the flat `key: value` YAML that bfly itself writes (values are JSON scalars/arrays or
 * bare words). Returns null for anything else so the caller can fall back to the full YAML
 * parser: that keeps the `yaml` module (~60 ms to load) off the start-up path.
 */
export function parseFlatYaml(text: string): Record<string, unknown> | null {
  const out: Record<string, unknown> = Object.create(null);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    const m = SIMPLE_LINE.exec(line);
    if (m === null) return null;
    const [, key, value] = m;
    if (key in out) return null;
    if (value.startsWith('"') || value.startsWith('[') || value.startsWith('{')) {
      try {
        out[key] = JSON.parse(value);
      } catch {
        return null;
      }
    } else if (BARE.test(value)) {
      out[key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value === 'true' ? true : value === 'false' ? false : value;
    } else {
      return null;
    }
  }
  return out;
}

/** Renders a config as the flat YAML {@link parseFlatYaml} reads back. */
export function renderConfigYaml(config: WorkspaceConfig): string {
  return renderFlatYaml('bfly workspace: edit with care; `bfly fsck` checks it', config as unknown as Record<string, unknown>);
}

/**
 * Renders a mapping as flat YAML that {@link parseFlatYaml} reads back: bare words where they
 * are unambiguous, JSON (valid YAML flow style) for everything else.
 */
export function renderFlatYaml(comment: string, record: Record<string, unknown>): string {
  const lines = [`# ${comment}`];
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    lines.push(`${key}: ${typeof value === 'string' && BARE.test(value) && !/^-?\d/.test(value) && value !== 'true' && value !== 'false' ? value : JSON.stringify(value)}`);
  }
  return lines.join('\n') + '\n';
}

/** Reads the raw (unvalidated) config mapping of the workspace at `root`. */
export async function readRawConfig(root: string): Promise<unknown> {
  const file = workspacePaths(root).config;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InfraError('CONFIG_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`, { cause: err, hint: 'a workspace needs .butterfly/config.yaml; restore it or run `bfly init` elsewhere' });
  }
  const flat = parseFlatYaml(text);
  if (flat !== null) return flat;
  const { parseDocument } = await import('yaml');
  return parseYamlText(text, file, parseDocument, 1 << 20);
}

/** Reads and checks the workspace config (no migration). */
export async function readConfig(root: string): Promise<WorkspaceConfig> {
  return parseWorkspaceConfig(await readRawConfig(root), workspacePaths(root).config);
}

/** Writes the workspace config atomically. */
export function writeConfig(root: string, config: WorkspaceConfig): void {
  const paths = workspacePaths(root);
  writeFileAtomic(paths.config, renderConfigYaml(config), { tmpDir: paths.tmp });
}
