/**
 * Experiment and pipeline contracts: what `bfly experiment … --json` and `bfly pipeline … --json`
 * print, and what `/api/v1/experiments…` returns. One source for the types, the OpenAPI document
 * and docs/api.md; import the types with `import type` from runtime code.
 */
import { z } from 'zod';
import { TASKS } from '../metrics-info.js';
import { pipelineSpec } from '../pipeline.js';

/** What an experiment is stored as (`experiments/<name>/experiment.yaml`). */
export const experimentRecord = z.object({
  name: z.string(),
  dataset: z.object({ id: z.string(), name: z.string(), version: z.number().int(), hash: z.string() }),
  target: z.string(),
  task: z.enum(TASKS),
  taskReason: z.string().describe('why the task was chosen'),
  metric: z.string(),
  metricReason: z.string().optional().describe('why the metric was chosen (absent for experiments made before bfly recorded it)'),
  template: z.string().describe('the template the draft started from'),
  createdAt: z.string(),
  description: z.string().optional().describe('free text (`bfly experiment set <exp> description=…`)'),
  formerNames: z.array(z.string()).optional().describe('names it had before `bfly experiment rename` (its earlier runs carry those)'),
});
/** An experiment as stored. */
export type Experiment = z.infer<typeof experimentRecord>;

/** The `--json` shape of an experiment (`experiment create`, `experiment list`). */
export const experimentView = experimentRecord
  .extend({
    pipelinePath: z.string().describe('where its draft pipeline is'),
    description: z.string().nullable(),
    formerNames: z.array(z.string()),
  })
  .meta({ id: 'Experiment', description: 'An experiment: its dataset, target, task, metric, and where its draft is.' });
/** The `--json` shape of an experiment. */
export type ExperimentView = z.infer<typeof experimentView>;

/** `bfly experiment show --json`: the experiment and whether its draft is valid. */
export const experimentDetail = experimentView
  .extend({
    pipeline: z.object({ valid: z.boolean(), problems: z.number().int().describe('how many problems the draft has'), blocks: z.array(z.string()).describe('block ids, in order') }),
  })
  .meta({ id: 'ExperimentDetail', description: 'An experiment and a summary of its draft.' });
/** `bfly experiment show --json`. */
export type ExperimentDetail = z.infer<typeof experimentDetail>;

/** One problem found in a pipeline file. */
export const pipelineProblem = z
  .object({
    path: z.string().describe('dotted path, blocks named by id where possible: `blocks.model_selection.config.cv`'),
    line: z.number().int(),
    column: z.number().int(),
    message: z.string(),
    hint: z.string().optional(),
    file: z.string().optional().describe('the file `line` and `column` refer to, when not the pipeline file (a hook’s source)'),
  })
  .meta({ id: 'PipelineProblem', description: 'One problem found in a pipeline (or in one of its hook files), with its line and column.' });
/** One problem found in a pipeline file. */
export type PipelineProblem = z.infer<typeof pipelineProblem>;

/** `bfly pipeline validate --json`. */
export const validationReport = z
  .object({
    valid: z.boolean(),
    file: z.string().describe('the draft file checked'),
    problems: z.array(pipelineProblem.extend({ hint: z.string().nullable() })),
  })
  .meta({ id: 'ValidationReport', description: 'Whether a draft is valid (schema, columns, hook files, hooks compiled in the sandbox), and every problem.' });
/** `bfly pipeline validate --json`. */
export type ValidationReport = z.infer<typeof validationReport>;

/** The draft of an experiment as the API serves it. */
export const pipelineDocument = z
  .object({
    experiment: z.string(),
    yaml: z.string().describe('the draft file’s text, as saved (comments kept)'),
    pipeline: pipelineSpec.nullable().describe('the draft parsed, with every default filled in; null when it is not valid'),
    valid: z.boolean(),
    problems: z.array(pipelineProblem),
    revision: z.number().int().nullable().describe('the draft history revision this text is (`bfly pipeline history`); null when the file was edited by hand since the last save'),
  })
  .meta({ id: 'PipelineDocument', description: 'An experiment’s draft pipeline: its text, parsed, and the revision it is.' });
/** The draft as `GET /api/v1/experiments/{name}/pipeline` returns it. */
export type PipelineDocument = z.infer<typeof pipelineDocument>;

/** One saved revision of a draft (`experiments/<name>/history.jsonl`). */
export const draftRevision = z.object({
  rev: z.number().int(),
  hash: z.string().describe('`sha256:` of the draft text: its object in `objects/`'),
  at: z.string(),
  action: z.string().describe('how it was saved: experiment.create, pipeline.set, pipeline.edit, pipeline.restore, pipeline.put, hook.add, hook.remove, pipeline.hand_edit, migrate'),
  user: z.string(),
  bytes: z.number().int(),
});
/** One saved revision of a draft. */
export type DraftRevision = z.infer<typeof draftRevision>;
