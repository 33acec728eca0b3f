/**
 * The run manifest (`run.json`) and its statuses, apart from the planning code in run.ts so
 * that reading a run's status (every command does, on open) loads no zod schemas.
 */
import type { PlannedBlock, RunBinding } from './run.js';

/** Statuses a run ends in: its folder is frozen then. */
export const FINAL_RUN_STATUSES = ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'] as const;

/** One block's entry in `run.json`. */
export interface RunBlock extends PlannedBlock {
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'skipped';
  durationMs: number | null;
  cached: boolean;
}

/** An artifact in `run.json`. */
export interface RunArtifact {
  name: string;
  type: string;
  /** Relative to the run folder. */
  path: string;
  hash: string;
  bytes: number;
  /** The block that wrote it. */
  block: string;
}

/** Why a run failed: the error category, where, and what to do. */
export interface RunError {
  category: string;
  code: string;
  block: string | null;
  hook: string | null;
  message: string;
  hint: string | null;
}

/** `runs/<id>/run.json` (and `bfly run --json`'s result). */
export interface RunManifest {
  id: string;
  experiment: string;
  status: 'created' | 'running' | (typeof FINAL_RUN_STATUSES)[number];
  reused: boolean;
  seed: number;
  dataset: { id: string; name: string; hash: string };
  binding: RunBinding;
  pipelineHash: string;
  hooks: Array<{ id: string; block: string; type: string; hash: string; origin: string }>;
  executionKey: string;
  env: { bfly: string; node: string; platform: string; backend: string };
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  blocks: RunBlock[];
  metrics: Record<string, number>;
  artifacts: RunArtifact[];
  error: RunError | null;
  /** Every file of the frozen folder but run.json, with its sha256 (set when the run ends). */
  files?: Array<{ path: string; hash: string; bytes: number }>;
}

/** True for a status a run ends in. */
export function isFinalStatus(status: string): boolean {
  return (FINAL_RUN_STATUSES as readonly string[]).includes(status);
}
