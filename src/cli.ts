import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { BflyError, ErrorCategory } from './core/errors.js';
import type { PipelineProblem } from './core/validate-pipeline.js';
import { renderProblems } from './ui/experiments.js';
import { BFLY_VERSION } from './core/version.js';
import { printable } from './core/printable.js';

/**
 * Exit codes: the ONE place errors become process exit codes. Documented in the README.
 */
export const EXIT_CODES: Record<ErrorCategory | 'ok' | 'usage' | 'cancelled' | 'timed_out', number> = {
  ok: 0,
  unknown: 1,
  usage: 2,
  not_a_workspace: 3,
  validation: 4,
  not_found: 5,
  policy: 6,
  user_code: 7,
  framework: 8,
  infra: 9,
  integrity: 10,
  timed_out: 124,
  cancelled: 130,
};

/** Options every command accepts. */
export interface GlobalOptions {
  /** Run as if started in this directory (like git -C). */
  C?: string;
  json?: boolean;
}

let jsonMode = false;
/** Set by an action that printed its own result but must still exit non-zero (e.g. validate). */
let actionCategory: ErrorCategory | 'cancelled' | 'timed_out' | undefined;

function isBfly(err: unknown): err is BflyError {
  return typeof err === 'object' && err !== null && 'category' in err && 'code' in err && typeof (err as { toJSON?: unknown }).toJSON === 'function';
}

/** Prints an error (human or JSON on stderr) and returns its exit code. */
export function reportError(err: unknown): number {
  if (isBfly(err)) {
    if (jsonMode) {
      const { code, category, message, hint } = err.toJSON();
      process.stderr.write(JSON.stringify({ schemaVersion: 1, error: { code, category, message, hint: hint ?? null, ...(err.data && Object.keys(err.data).length ? { data: err.data } : {}) } }) + '\n');
    } else {
      process.stderr.write(`bfly: error: ${printable(err.message, { newlines: true })}\n${err.hint ? `  hint: ${printable(err.hint, { newlines: true })}\n` : ''}`);
      const { problems, file } = err.data as { problems?: PipelineProblem[]; file?: string };
      if (Array.isArray(problems) && problems.length > 1) process.stderr.write(renderProblems(file ?? 'pipeline.yaml', problems));
    }
    return EXIT_CODES[err.category] ?? EXIT_CODES.unknown;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  if (jsonMode) {
    process.stderr.write(JSON.stringify({ schemaVersion: 1, error: { code: 'INTERNAL', category: 'unknown', message: e.message, hint: 'this is a bug in bfly: please report it with the command you ran' } }) + '\n');
  } else {
    process.stderr.write(`bfly: internal error: ${printable(e.message, { newlines: true })}\n  hint: this is a bug in bfly; please report it with the command you ran${process.env.BFLY_DEBUG ? '' : ' (set BFLY_DEBUG=1 for the stack)'}\n`);
    if (process.env.BFLY_DEBUG) process.stderr.write(`${e.stack}\n`);
  }
  return EXIT_CODES.unknown;
}

function common(cmd: Command): Command {
  return cmd.option('--json', 'print the result as JSON on stdout (errors as JSON on stderr)');
}

/** Merges the program's global options with the command's own. */
function opts<T>(cmd: Command): T & GlobalOptions {
  const merged = cmd.optsWithGlobals() as T & GlobalOptions;
  jsonMode = merged.json === true || process.env.BFLY_JSON_ERRORS === '1';
  return merged;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 2 ** 32 - 1) throw new InvalidArgumentError('the seed is a whole number from 0 to 4294967295');
  return n;
}

/** Builds the commander program; each action imports its command module lazily. */
export function buildProgram(): Command {
  const program = new Command('bfly')
    .description('Reproducible machine learning on tabular data, from the terminal.')
    .version(BFLY_VERSION, '-V, --version', 'print the bfly version')
    .option('-C <dir>', 'run as if bfly was started in <dir>')
    .showSuggestionAfterError(true)
    .exitOverride();

  common(
    program
      .command('init [dir]')
      .description('create a .butterfly/ workspace in dir (default: the current directory)')
      .option('--name <name>', 'workspace name (default: the directory name)')
      .addOption(new Option('--profile <profile>', 'which hooks may run').choices(['internal_fast', 'enterprise']).default('internal_fast')),
  ).action(async (dir: string | undefined, _o, cmd: Command) => {
    const { initCommand } = await import('./commands/init.js');
    await initCommand(dir, opts(cmd));
  });

  const dataset = program.command('dataset').description('import, list and inspect datasets');
  common(
    dataset
      .command('import <file>')
      .description('hash, parse and freeze a CSV/TSV/JSON/JSONL file')
      .option('--name <name>', 'dataset name (default: the file name)')
      .addOption(new Option('--format <format>', 'input format (default: from the extension, then the content)').choices(['csv', 'tsv', 'json', 'jsonl']))
      .option('--max-bytes <size>', 'refuse a source larger than this, e.g. 64GiB (default: none for a file, 16GiB for a pipe or device)'),
  ).action(async (file: string, _o, cmd: Command) => {
    const { datasetImportCommand } = await import('./commands/dataset-import.js');
    actionCategory = (await datasetImportCommand(file, opts(cmd))) ?? undefined;
  });
  common(dataset.command('list').alias('ls').description('list the datasets')).action(async (_o, cmd: Command) => {
    const { datasetListCommand } = await import('./commands/dataset-list.js');
    await datasetListCommand(opts(cmd));
  });
  common(dataset.command('show <dataset>').description('show a dataset: NAME, NAME@V or a hash prefix')).action(async (ref: string, _o, cmd: Command) => {
    const { datasetShowCommand } = await import('./commands/dataset-show.js');
    await datasetShowCommand(ref, opts(cmd));
  });

  const experiment = program.command('experiment').description('create and inspect experiments (a dataset, a target and a draft pipeline)');
  common(
    experiment
      .command('create <name>')
      .description('bind a dataset and a target to a new draft pipeline')
      .requiredOption('--dataset <ref>', 'dataset: NAME, NAME@V or a hash prefix')
      .requiredOption('--target <column>', 'the column to predict')
      .addOption(new Option('--task <task>', 'auto decides from the target column').choices(['auto', 'classification', 'regression']).default('auto'))
      .option('--metric <metric>', 'metric to optimise, or auto (the default: rmse; accuracy, or balanced_accuracy when the largest class has 3x the rows of the smallest)', 'auto')
      .option('--template <template>', 'pipeline template: classification, regression, auto (every model family searched by TPE within a time budget) or a YAML file (default: the task)'),
  ).action(async (name: string, _o, cmd: Command) => {
    const { experimentCreateCommand } = await import('./commands/experiment-create.js');
    await experimentCreateCommand(name, opts(cmd));
  });
  common(experiment.command('list').alias('ls').description('list the experiments')).action(async (_o, cmd: Command) => {
    const { experimentListCommand } = await import('./commands/experiment-list.js');
    await experimentListCommand(opts(cmd));
  });
  common(experiment.command('show <name>').description('show an experiment and whether its pipeline is valid')).action(async (name: string, _o, cmd: Command) => {
    const { experimentShowCommand } = await import('./commands/experiment-show.js');
    await experimentShowCommand(name, opts(cmd));
  });

  common(experiment.command('set <name> <assignments...>').description('change the metric or description, e.g. metric=f1_macro description="baseline"')).action(async (name: string, assignments: string[], _o, cmd: Command) => {
    const { experimentSetCommand } = await import('./commands/experiment-change.js');
    await experimentSetCommand(name, assignments, opts(cmd));
  });
  common(experiment.command('rename <name> <new-name>').description('rename an experiment; its earlier runs are listed under both names')).action(async (name: string, to: string, _o, cmd: Command) => {
    const { experimentRenameCommand } = await import('./commands/experiment-change.js');
    await experimentRenameCommand(name, to, opts(cmd));
  });
  common(experiment.command('rm <name>').description('remove an experiment without runs; --archive moves one with runs aside, keeping them readable').option('--archive', 'move it to experiments/.archive/ (needed when it has runs)')).action(async (name: string, _o, cmd: Command) => {
    const { experimentRmCommand } = await import('./commands/experiment-change.js');
    await experimentRmCommand(name, opts(cmd));
  });

  const config = program.command('config').description("read and change the workspace's name and profile");
  common(config.command('get [key]').description('print the workspace config, or one key')).action(async (key: string | undefined, _o, cmd: Command) => {
    const { configGetCommand } = await import('./commands/config.js');
    await configGetCommand(key, opts(cmd));
  });
  common(config.command('set <assignment>').description('set name=… or profile=internal_fast|enterprise (enterprise -> internal_fast needs --force)').option('--force', 'allow leaving the enterprise profile')).action(async (assignment: string, _o, cmd: Command) => {
    const { configSetCommand } = await import('./commands/config.js');
    await configSetCommand(assignment, opts(cmd));
  });

  const pipeline = program.command('pipeline').description("read, check and change an experiment's draft pipeline");
  common(pipeline.command('validate <experiment>').description('report every problem with file:line:column and a fix')).action(async (name: string, _o, cmd: Command) => {
    const { pipelineValidateCommand } = await import('./commands/pipeline-validate.js');
    actionCategory = (await pipelineValidateCommand(name, opts(cmd))) ?? undefined;
  });
  common(pipeline.command('show <experiment>').description('print the draft pipeline').option('--resolved', 'with every default filled in')).action(async (name: string, _o, cmd: Command) => {
    const { pipelineShowCommand } = await import('./commands/pipeline-show.js');
    await pipelineShowCommand(name, opts(cmd));
  });
  common(pipeline.command('edit <experiment>').description('open the draft in $VISUAL/$EDITOR; only a valid result is saved')).action(async (name: string, _o, cmd: Command) => {
    const { pipelineEditCommand } = await import('./commands/pipeline-edit.js');
    await pipelineEditCommand(name, opts(cmd));
  });
  common(pipeline.command('history <experiment>').description('every saved revision of the draft: when, how, by whom, and the runs that used it')).action(async (name: string, _o, cmd: Command) => {
    const { pipelineHistoryCommand } = await import('./commands/pipeline-history.js');
    await pipelineHistoryCommand(name, opts(cmd));
  });
  common(pipeline.command('diff <experiment> [revisions...]').description('a unified diff: the draft against its latest run (default), a revision against the draft, or two revisions')).action(async (name: string, revs: string[], _o, cmd: Command) => {
    const { pipelineDiffCommand } = await import('./commands/pipeline-diff.js');
    await pipelineDiffCommand(name, revs, opts(cmd));
  });
  common(pipeline.command('restore <experiment> <revision>').description('make an earlier revision the draft again (saved as a new revision)')).action(async (name: string, rev: string, _o, cmd: Command) => {
    const { pipelineRestoreCommand } = await import('./commands/pipeline-restore.js');
    await pipelineRestoreCommand(name, rev, opts(cmd));
  });
  common(pipeline.command('set <experiment> <assignments...>').description('set values, e.g. blocks.model_selection.config.cv=10 (every line not set is kept as it was)'))
    .addHelpText(
      'after',
      [
        '',
        'A path names a block by id or index, then config fields; list items by index, as a.b[1] or a.b.1',
        '(the next index appends). A value is YAML: numbers, true/false, [lists], {maps}; quote the whole',
        'assignment for the shell.',
        '',
        'Examples:',
        '  bfly pipeline set penguins blocks.model_selection.config.cv=10',
        "  bfly pipeline set penguins 'blocks.model_selection.config.candidates[1].params.n_neighbors=15'",
        "  bfly pipeline set penguins 'blocks.model_selection.config.candidates.2={model: knn, params: {weights: distance}}'",
        '  bfly pipeline set penguins blocks.split.config.test_size=0.25 seed=7',
      ].join('\n'),
    )
    .action(async (name: string, assignments: string[], _o, cmd: Command) => {
    const { pipelineSetCommand } = await import('./commands/pipeline-set.js');
    await pipelineSetCommand(name, assignments, opts(cmd));
  });
  common(
    program
      .command('run <experiment>')
      .description('snapshot the draft pipeline and execute it (or return the up-to-date run); --grid/--seeds run a batch')
      .option('--seed <n>', 'seed for this run (default: the pipeline\'s)', parseSeed)
      .option('--set <path=value>', 'change the pipeline for this run only (repeatable)', collect, [])
      .option('--force', 'run even if a succeeded run has the same execution key')
      .option('--no-cache', 'execute every block; do not reuse or store block outputs')
      .option('--dry-run', 'print which blocks would run or come from cache, and why; run nothing')
      .option('--no-wait', 'when an identical run (same execution key) is executing, fail naming it instead of waiting for its result')
      .option('--time-budget <duration>', 'bound the model search (model_selection) to this wall time, e.g. 60s, 5m: no trial starts after it, a running one is stopped')
      .option('--timeout <duration>', 'stop the run (status timed_out, exit 124) when it takes longer, e.g. 90s, 10m, 1h30m')
      .option('--workers <n>', "threads the model search fits folds on (default: BFLY_WORKERS, else the cores up to 4); the results are the same with any number")
      .option('-q, --quiet', 'print only the run id and status')
      .option('--grid <path=v1,v2>', 'run every value (repeatable: the cartesian product), e.g. blocks.model_selection.config.cv=3,5', collect, [])
      .option('--seeds <list>', 'run each grid point once per seed, e.g. 1-5 or 1,2,7')
      .option('--jobs <n>', 'worker processes for a batch (default: the number of cores)')
      .option('--queue <redis-url>', 'dispatch the runs to `bfly worker`s through Redis, e.g. redis://10.0.0.5:6379/0 (see "Scaling out")')
      .option('--detach', 'with --queue: print the batch id and return; follow it with `bfly queue status`')
      .option('--attempts <n>', 'with --queue: attempts of a run that fails for a transient (infra) reason (default 3)')
      .addOption(new Option('--batch-id <id>', 'record this batch id in run.json (used by batch workers)').hideHelp()),
  ).action(async (name: string, _o, cmd: Command) => {
    const { runCommand } = await import('./commands/run.js');
    actionCategory = (await runCommand(name, opts(cmd))) ?? undefined;
  });
  common(
    program
      .command('predict <run> <file>')
      .description("apply a run's model (with its preprocessing) to a CSV/TSV/JSON/JSONL file")
      .option('--out <file>', 'write the predictions here (.csv, or .jsonl) instead of stdout')
      .option('--proba', 'add one probability column per class')
      .option('--id <column>', 'copy this input column to the output')
      .option('--model <candidate>', "predict with another candidate's model the run kept (train's keep_models), e.g. knn-1"),
  ).action(async (ref: string, file: string, _o, cmd: Command) => {
    const { predictCommand } = await import('./commands/predict.js');
    await predictCommand(ref, file, opts(cmd));
  });
  common(
    program
      .command('runs')
      .description('list runs, newest first, with the experiment metric and the params that differ')
      .option('--experiment <name>', 'only this experiment')
      .option('--status <status>', 'only runs with this status')
      .option('--where <expr>', 'filter, e.g. \'metrics.accuracy > 0.9 and params.train.model == "gradient_boosting"\'')
      .option('--sort <keys>', 'sort keys, comma-separated; a leading - sorts descending, e.g. -metrics.accuracy')
      .option('--limit <n>', 'at most n runs (the table shows the newest 50 unless given)')
      .option('--columns <list>', 'columns to show, e.g. id,experiment,metrics.accuracy,params.train.model'),
  ).action(async (_o, cmd: Command) => {
    const { runsCommand } = await import('./commands/runs.js');
    await runsCommand(opts(cmd));
  });
  common(program.command('show <run>').description('one run: manifest, metrics, blocks and timings, hooks, artifacts, error (id, prefix, @latest, <exp>@latest)')).action(async (ref: string, _o, cmd: Command) => {
    const { showCommand } = await import('./commands/show.js');
    await showCommand(ref, opts(cmd));
  });
  common(program.command('compare [runs...]').description('runs side by side, only what differs: params, data, hooks, metrics with deltas and seed-noise verdicts, durations').option('--batch <id>', 'compare every run of a batch (bfly run --grid/--seeds); @latest: the newest batch').option('--all', 'show every value, not only the differences').option('--hooks', 'unified diff of hook sources that changed')).action(async (refs: string[], _o, cmd: Command) => {
    const { compareCommand } = await import('./commands/compare.js');
    await compareCommand(refs, opts(cmd));
  });
  common(program.command('lineage <run-or-artifact-hash>').description('dataset → pipeline → hooks → blocks → artifacts with hashes; from an artifact hash, the run that made it')).action(async (ref: string, _o, cmd: Command) => {
    const { lineageCommand } = await import('./commands/lineage.js');
    await lineageCommand(ref, opts(cmd));
  });
  common(program.command('status').description('the workspace, and per experiment whether the draft differs from its latest run and which blocks would re-run')).action(async (_o, cmd: Command) => {
    const { statusCommand } = await import('./commands/status.js');
    await statusCommand(opts(cmd));
  });
  common(program.command('artifacts <run>').description("list a run's artifacts")).action(async (ref: string, _o, cmd: Command) => {
    const { artifactsCommand } = await import('./commands/artifacts.js');
    await artifactsCommand(ref, opts(cmd));
  });
  common(
    program
      .command('export <run> <dir>')
      .description("copy a run's artifacts, model, pipeline, hooks and manifest out, checking every hash")
      .option('--onnx', 'also write model.onnx: the fitted chain and the model as one ONNX graph (onnxruntime, other languages)'),
  ).action(async (ref: string, dir: string, o: { onnx?: boolean }, cmd: Command) => {
    const { exportCommand } = await import('./commands/export.js');
    await exportCommand(ref, dir, { ...opts(cmd), onnx: o.onnx });
  });
  common(
    program
      .command('example [name]')
      .description('list the example tables bundled with bfly, or write one (NAME.csv) into the current folder')
      .option('--force', 'overwrite the file if it exists'),
  ).action(async (name: string | undefined, o: { force?: boolean }, cmd: Command) => {
    const { exampleCommand } = await import('./commands/example.js');
    await exampleCommand(name, { ...opts(cmd), force: o.force });
  });
  common(program.command('open <run> [artifact]').description("print the path of a run's artifact (default: report.html); open it on a desktop")).action(async (ref: string, artifact: string | undefined, _o, cmd: Command) => {
    const { openCommand } = await import('./commands/open.js');
    await openCommand(ref, artifact, opts(cmd));
  });
  const hook = program.command('hook').description('add, remove, list and trust user hooks (JavaScript run in a sandbox)');
  common(
    hook
      .command('add <experiment> <type>')
      .description('attach a hook to the draft: <type> is before_<stage>, after_<stage> or override_<stage>')
      .option('--file <file>', 'a JavaScript file in the workspace')
      .option('--code <code>', 'inline JavaScript'),
  ).action(async (name: string, type: string, _o, cmd: Command) => {
    const { hookAddCommand } = await import('./commands/hook-add.js');
    await hookAddCommand(name, type, opts(cmd));
  });
  common(hook.command('rm <experiment> <hook-id>').description('remove a hook (ids as in `bfly hook list`, e.g. preprocess.before.0)')).action(async (name: string, id: string, _o, cmd: Command) => {
    const { hookRmCommand } = await import('./commands/hook-rm.js');
    await hookRmCommand(name, id, opts(cmd));
  });
  common(hook.command('list').alias('ls').description("every hook of every experiment's draft, with its sha256")).action(async (_o, cmd: Command) => {
    const { hookListCommand } = await import('./commands/hook-list.js');
    await hookListCommand(opts(cmd));
  });
  common(hook.command('trust <file>').description("allow a hook file's current source under the enterprise profile")).action(async (file: string, _o, cmd: Command) => {
    const { hookTrustCommand } = await import('./commands/hook-trust.js');
    await hookTrustCommand(file, true, opts(cmd));
  });
  common(hook.command('untrust <file-or-hash>').description('remove a hook from the trusted list')).action(async (file: string, _o, cmd: Command) => {
    const { hookTrustCommand } = await import('./commands/hook-trust.js');
    await hookTrustCommand(file, false, opts(cmd));
  });
  common(
    program
      .command('serve')
      .description('start the local service: the HTTP API (and live events) over this workspace, until Ctrl-C')
      .option('--port <n>', 'port to listen on (default 0: a free one)')
      .option('--host <host>', 'address to bind (default 127.0.0.1; anything else is reachable by others)')
      .option('--jobs <n>', 'runs executed at once (default: the number of cores)')
      .option('--queue <redis-url>', 'dispatch jobs to `bfly worker`s through this Redis instead of running them here (see "Scaling out")')
      .option('--max-upload <size>', 'the largest upload (dataset import, predict), e.g. 500MB (default 2GiB)'),
  ).action(async (_o, cmd: Command) => {
    const { serveCommand } = await import('./commands/serve.js');
    await serveCommand(opts(cmd));
  });
  common(
    program
      .command('ui')
      .description('start the local service and its web UI (runs, plots, compare, the draft editor), and open it in the browser')
      .option('--port <n>', 'port to listen on (default 0: a free one)')
      .option('--host <host>', 'address to bind (default 127.0.0.1; anything else is reachable by others)')
      .option('--jobs <n>', 'runs executed at once (default: the number of cores)')
      .option('--no-open', 'print the address only; do not open a browser')
      .option('--queue <redis-url>', 'dispatch jobs to `bfly worker`s through this Redis instead of running them here (see "Scaling out")')
      .option('--max-upload <size>', 'the largest upload (dataset import, predict), e.g. 500MB (default 2GiB)'),
  ).action(async (_o, cmd: Command) => {
    const { serveCommand } = await import('./commands/serve.js');
    await serveCommand({ ...opts(cmd), ui: true });
  });
  common(
    program
      .command('worker')
      .description('execute the runs queued for this workspace (bfly run --queue), one process per run, until Ctrl-C (once: finish the current runs; twice: stop them and hand their jobs back)')
      .option('--queue <redis-url>', 'the Redis the batches are queued in, e.g. redis://10.0.0.5:6379/0 (default: $BFLY_QUEUE)')
      .option('--concurrency <n>', 'runs at once (default 1)')
      .option('--name <name>', 'this worker\'s name, recorded on its runs (default <host>-<pid>)'),
  ).action(async (_o, cmd: Command) => {
    const { workerCommand } = await import('./commands/worker.js');
    await workerCommand(opts(cmd));
  });
  const queue = program.command('queue').description('batches dispatched through Redis: status, cancel, retry');
  common(queue.command('status').description('jobs by state, live workers and what they run, unfinished queued batches').option('--queue <redis-url>', 'the Redis, e.g. redis://127.0.0.1:6379/0 (default: $BFLY_QUEUE)')).action(async (_o, cmd: Command) => {
    const { queueStatusCommand } = await import('./commands/queue.js');
    await queueStatusCommand(opts(cmd));
  });
  common(queue.command('cancel <batch>').description('drop the queued runs of a batch; running ones stop cleanly').option('--queue <redis-url>', 'the Redis, e.g. redis://127.0.0.1:6379/0 (default: $BFLY_QUEUE)')).action(async (batch: string, _o, cmd: Command) => {
    const { queueCancelCommand } = await import('./commands/queue.js');
    await queueCancelCommand(batch, opts(cmd));
  });
  common(queue.command('retry <batch>').description('queue again the runs of a batch that failed for a transient reason (never user code, validation, policy or framework errors)').option('--queue <redis-url>', 'the Redis, e.g. redis://127.0.0.1:6379/0 (default: $BFLY_QUEUE)')).action(async (batch: string, _o, cmd: Command) => {
    const { queueRetryCommand } = await import('./commands/queue.js');
    await queueRetryCommand(batch, opts(cmd));
  });
  common(program.command('fsck').description('verify the store: re-hash objects, check runs against their manifests, find leftovers, stale locks and index drift').option('--repair', 'rebuild derived data (index, cache, leftovers of dead processes); never touches objects or runs')).action(async (_o, cmd: Command) => {
    const { fsckCommand } = await import('./commands/fsck.js');
    actionCategory = (await fsckCommand(opts(cmd))) ?? undefined;
  });
  common(
    program
      .command('log')
      .description('the audit log: every state-changing action, who did it and when (hash-chained; `bfly fsck` checks it)')
      .option('--since <when>', 'only entries since a date or a duration ago (30m, 12h, 7d)')
      .option('--experiment <name>', 'only entries about this experiment')
      .option('--limit <n>', 'only the last n entries'),
  ).action(async (_o, cmd: Command) => {
    const { logCommand } = await import('./commands/log.js');
    await logCommand(opts(cmd));
  });
  common(program.command('migrate').description("upgrade an older workspace to this bfly's format (every other command refuses an older format)").option('--dry-run', 'only say what would change')).action(async (_o, cmd: Command) => {
    const { migrateCommand } = await import('./commands/migrate.js');
    await migrateCommand(opts(cmd));
  });
  common(program.command('reindex').description('rebuild the run index from the run folders alone')).action(async (_o, cmd: Command) => {
    const { reindexCommand } = await import('./commands/reindex.js');
    await reindexCommand(opts(cmd));
  });
  common(
    program
      .command('gc')
      .description('remove unreferenced objects, stale cache entries and leftovers; never what a dataset or a kept run references')
      .option('--dry-run', 'only say what would be removed')
      .option('--keep-failed-days <n>', 'also remove runs that failed (or were cancelled/interrupted) more than n days ago'),
  ).action(async (_o, cmd: Command) => {
    const { gcCommand } = await import('./commands/gc.js');
    await gcCommand(opts(cmd));
  });
  common(program.command('blocks').description("every block type and model: config fields, defaults, docs")).action(async (_o, cmd: Command) => {
    const { blocksCommand } = await import('./commands/blocks.js');
    await blocksCommand(opts(cmd));
  });
  return program;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // BFLY_JSON_ERRORS=1: errors as JSON whatever the output (a worker of the service)
  jsonMode = argv.includes('--json') || process.env.BFLY_JSON_ERRORS === '1';
  // `bfly ... | head`: a closed pipe ends the command quietly, as for any Unix tool.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram();
  try {
    actionCategory = undefined;
    await program.parseAsync(argv);
    return actionCategory === undefined ? EXIT_CODES.ok : EXIT_CODES[actionCategory];
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT_CODES.ok;
      return EXIT_CODES.usage;
    }
    return reportError(err);
  }
}
