/**
 * The version of every `--json` output's shape. Within a major version of bfly shapes only grow
 * (new keys); see docs/compatibility.md.
 */
export const JSON_SCHEMA_VERSION = 1;

function versioned(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return 'schemaVersion' in v ? v : { schemaVersion: JSON_SCHEMA_VERSION, ...v };
}

/**
 * One `--json` line: the value with `schemaVersion` first (in each element, for a list), then a
 * newline. A value that carries its own `schemaVersion` (a run.json, a dataset manifest) keeps it.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(withSchemaVersion(value)) + '\n';
}

/** The value as `--json` prints it (and the service returns it): `schemaVersion` in each object. */
export function withSchemaVersion(value: unknown): unknown {
  return Array.isArray(value) ? value.map(versioned) : versioned(value);
}
