/**
 * Experiment: the draft as a block diagram and as YAML in an editor that validates as you type
 * (the service's problems underlined at their line), the dry-run plan, a Run form that submits a
 * job (seed, --set values, grid and seeds) and follows it live, and the runs' metric over time.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ExperimentDetail, JobSubmitted, Job, PipelineDocument, RunPage, RunPreview, ValidationReport } from '../../../src/core/contracts/index.js';
import { type ApiError, api } from '../api.js';
import { Ago, ErrorBox, Status, asApiError, fmtNum, useApi, useTitle } from '../common.js';
import { runListChange, useLiveRefresh, useServiceEvents } from '../live.js';
import { VegaPlot } from '../plot.js';
import { Link, href } from '../router.js';

type Problem = ValidationReport['problems'][number];

function BlockDiagram(props: { doc: PipelineDocument }): JSX.Element {
  const blocks = props.doc.pipeline?.blocks ?? null;
  if (blocks === null) return <p class="muted">The draft is not valid: the diagram shows once it is (see the problems below).</p>;
  return (
    <ol class="diagram" aria-label="the pipeline's blocks, in order">
      {blocks.map((b) => {
        const cfg = b.config as Record<string, unknown>;
        const detail =
          b.type === 'model_selection' && Array.isArray(cfg.candidates)
            ? (cfg.candidates as { model: string }[]).map((c) => c.model).join(', ')
            : b.type === 'train' && typeof cfg.model === 'string'
              ? `model: ${cfg.model}`
              : b.type === 'split' && typeof cfg.test_size === 'number'
                ? `test ${Math.round(cfg.test_size * 100)}%`
                : '';
        const hookCount = b.hooks?.length ?? 0;
        return (
          <li key={b.id} class="block">
            <strong>{b.id}</strong>
            <span class="muted small">{b.type}</span>
            {detail ? <span class="small">{detail}</span> : null}
            {hookCount > 0 ? <span class="badge">{hookCount} hook(s)</span> : null}
          </li>
        );
      })}
    </ol>
  );
}

/** The YAML editor: a textarea over a copy of its text in which the problem lines are underlined. */
function YamlEditor(props: { value: string; problems: Problem[]; onChange: (v: string) => void; focusLine: number | null }): JSX.Element {
  const area = useRef<HTMLTextAreaElement>(null);
  const back = useRef<HTMLPreElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = props.value.split('\n');
  const bad = new Map<number, Problem[]>();
  for (const p of props.problems) if (p.file === undefined) bad.set(p.line, [...(bad.get(p.line) ?? []), p]);
  useEffect(() => {
    if (props.focusLine === null || area.current === null) return;
    const el = area.current;
    const offset = lines.slice(0, props.focusLine - 1).reduce((n, l) => n + l.length + 1, 0);
    el.focus();
    el.setSelectionRange(offset, offset + (lines[props.focusLine - 1]?.length ?? 0));
  }, [props.focusLine]);
  const sync = (): void => {
    if (area.current === null) return;
    if (back.current) back.current.scrollTop = area.current.scrollTop;
    if (back.current) back.current.scrollLeft = area.current.scrollLeft;
    if (gutter.current) gutter.current.scrollTop = area.current.scrollTop;
  };
  return (
    <div class="editor">
      <div class="gutter" ref={gutter} aria-hidden="true">
        {lines.map((_, i) => (
          <div key={i} class={bad.has(i + 1) ? 'bad' : undefined}>
            {i + 1}
          </div>
        ))}
      </div>
      <div class="editor-body">
        <pre class="backdrop" ref={back} aria-hidden="true">
          {lines.map((l, i) => {
            const ps = bad.get(i + 1);
            return (
              <div key={i} class={ps ? 'line bad' : 'line'} data-line={i + 1} title={ps ? ps.map((p) => p.message).join('\n') : undefined}>
                {ps ? <mark class="squiggle">{l === '' ? ' ' : l}</mark> : l === '' ? ' ' : l}
              </div>
            );
          })}
        </pre>
        <textarea ref={area} aria-label="the draft pipeline (YAML)" spellcheck={false} autocapitalize="off" autocomplete="off" wrap="off" value={props.value} onInput={(e) => props.onChange((e.target as HTMLTextAreaElement).value)} onScroll={sync} />
      </div>
    </div>
  );
}

function Draft(props: { name: string; onSaved: () => void }): JSX.Element {
  const doc = useApi<PipelineDocument>(`/experiments/${encodeURIComponent(props.name)}/pipeline`);
  const [text, setText] = useState<string | null>(null);
  const [report, setReport] = useState<{ valid: boolean; problems: Problem[] } | null>(null);
  const [checking, setChecking] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [focusLine, setFocusLine] = useState<number | null>(null);
  const seq = useRef(0);
  useLiveRefresh((e) => e.type === 'workspace_changed' && /^(pipeline|hook)/.test(e.change.action) && text === doc.data?.yaml, doc.reload);
  useEffect(() => {
    if (doc.data === null) return;
    if (text === null || text === doc.data.yaml || saved !== null) setText(doc.data.yaml);
    setReport({ valid: doc.data.valid, problems: doc.data.problems.map((p) => ({ ...p, hint: p.hint ?? null })) });
  }, [doc.data]);
  // validate as you type (debounced), with the service's own checks
  useEffect(() => {
    if (text === null || doc.data === null || text === doc.data.yaml) return;
    const n = ++seq.current;
    const t = setTimeout(() => {
      setChecking(true);
      api<ValidationReport>(`/experiments/${encodeURIComponent(props.name)}/pipeline/validate`, { method: 'POST', body: { yaml: text } }).then(
        (r) => n === seq.current && (setReport({ valid: r.valid, problems: r.problems }), setChecking(false)),
        (err: unknown) => n === seq.current && (setReport({ valid: false, problems: [{ path: '', line: 1, column: 1, message: asApiError(err).message, hint: asApiError(err).hint }] }), setChecking(false)),
      );
    }, 250);
    return () => clearTimeout(t);
  }, [text]);
  if (doc.error) return <ErrorBox error={doc.error} />;
  if (doc.data === null || text === null) return <p class="loading">loading the draft…</p>;
  const dirty = text !== doc.data.yaml;
  const save = (): void => {
    setSaveError(null);
    api<PipelineDocument>(`/experiments/${encodeURIComponent(props.name)}/pipeline`, { method: 'PUT', body: { yaml: text, baseRevision: doc.data!.revision } }).then(
      (d) => {
        setSaved(`saved as revision ${d.revision ?? '?'}`);
        doc.reload();
        props.onSaved();
        setTimeout(() => setSaved(null), 4000);
      },
      (err: unknown) => {
        const e = asApiError(err);
        setSaveError(e);
        const problems = (e.data?.problems as Problem[] | undefined) ?? null;
        if (problems) setReport({ valid: false, problems });
      },
    );
  };
  const problems = report?.problems ?? [];
  return (
    <>
      <BlockDiagram doc={doc.data} />
      <YamlEditor value={text} problems={problems} onChange={setText} focusLine={focusLine} />
      <div class="editor-status" aria-live="polite">
        {checking ? <span class="muted">checking…</span> : report?.valid ? <span class="ok">valid</span> : <span class="warn">{`${problems.length} problem${problems.length === 1 ? '' : 's'}`}</span>}
        {dirty ? <span class="muted"> · unsaved changes</span> : <span class="muted">{` · revision ${doc.data.revision ?? 'edited by hand'}`}</span>}
        {saved ? <span class="ok"> · {saved}</span> : null}
        <button type="button" onClick={save} disabled={!dirty || checking || report?.valid === false}>
          Save draft
        </button>
        <button type="button" onClick={() => setText(doc.data!.yaml)} disabled={!dirty}>
          Revert
        </button>
      </div>
      {saveError ? <ErrorBox error={saveError} /> : null}
      {problems.length > 0 ? (
        <ul class="problems" aria-label="problems in the draft">
          {problems.map((p, i) => (
            <li key={i}>
              <button type="button" class="link" onClick={() => setFocusLine(p.line)}>
                {p.file ? `${p.file}:` : 'line '}
                {p.line}:{p.column}
              </button>{' '}
              <code>{p.path}</code> {p.message}
              {p.hint ? <span class="hint"> {p.hint}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

function Plan(props: { name: string; version: number }): JSX.Element {
  const [plan, setPlan] = useState<RunPreview | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    api<RunPreview>(`/experiments/${encodeURIComponent(props.name)}/pipeline/preview`, { method: 'POST', body: {} }).then(
      (p) => (setPlan(p), setError(null)),
      (err: unknown) => setError(asApiError(err)),
    );
  }, [props.name, props.version]);
  if (error) return <ErrorBox error={error} />;
  if (plan === null) return <p class="loading">planning…</p>;
  return (
    <>
      <p class="small">
        {plan.upToDate ? (
          <>
            Up to date: a run now returns <Link href={href.run(plan.upToDate)}>{plan.upToDate}</Link> (unless forced).
          </>
        ) : (
          `${plan.steps.filter((s) => s.action === 'run').length} of ${plan.steps.length} blocks would run`
        )}
        {plan.comparedWith ? (
          <>
            {' '}
            · compared with <Link href={href.run(plan.comparedWith)}>{plan.comparedWith}</Link>
          </>
        ) : null}
      </p>
      <table class="plan">
        <thead>
          <tr>
            <th scope="col">Block</th>
            <th scope="col">Would</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {plan.steps.map((s) => (
            <tr key={s.id}>
              <th scope="row">{s.id}</th>
              <td>{s.action === 'cached' ? <span class="muted">come from cache</span> : <strong>run</strong>}</td>
              <td class="small">{s.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function RunForm(props: { name: string }): JSX.Element {
  const [seed, setSeed] = useState('');
  const [sets, setSets] = useState('');
  const [grid, setGrid] = useState('');
  const [seeds, setSeeds] = useState('');
  const [force, setForce] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [busy, setBusy] = useState(false);
  useServiceEvents((e) => {
    if (e.type === 'job_changed' && job !== null && e.job.id === job.id) setJob(e.job);
  });
  const lines = (s: string): string[] => s.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const submit = (e: Event): void => {
    e.preventDefault();
    setError(null);
    if (seed.trim() !== '' && !/^\d+$/.test(seed.trim())) {
      setError(asApiError(new Error(`the seed must be a whole number, not ${JSON.stringify(seed)}`)));
      return;
    }
    const body: Record<string, unknown> = {};
    if (seed.trim() !== '') body.seed = Number(seed.trim());
    if (lines(sets).length > 0) body.sets = lines(sets);
    if (lines(grid).length > 0) body.grid = lines(grid);
    if (seeds.trim() !== '') body.seeds = seeds.trim();
    if (force) body.force = true;
    setBusy(true);
    api<JobSubmitted>(`/experiments/${encodeURIComponent(props.name)}/runs`, { method: 'POST', body }).then(
      (s) => (setJob(s.job), setBusy(false)),
      (err: unknown) => (setError(asApiError(err)), setBusy(false)),
    );
  };
  return (
    <form class="run-form" onSubmit={submit} aria-label="run the experiment">
      <div class="fields">
        <label>
          Seed
          <input name="seed" inputMode="numeric" value={seed} onInput={(e) => setSeed((e.target as HTMLInputElement).value)} placeholder="the pipeline's" />
        </label>
        <label>
          Seeds (a batch)
          <input name="seeds" value={seeds} onInput={(e) => setSeeds((e.target as HTMLInputElement).value)} placeholder="e.g. 1-3" />
        </label>
        <label class="wide">
          Changes for this run (<code>--set</code>), one per line
          <textarea name="sets" rows={2} value={sets} onInput={(e) => setSets((e.target as HTMLTextAreaElement).value)} placeholder="blocks.model_selection.config.cv=3" spellcheck={false} />
        </label>
        <label class="wide">
          Grid (<code>--grid</code>), one axis per line
          <textarea name="grid" rows={2} value={grid} onInput={(e) => setGrid((e.target as HTMLTextAreaElement).value)} placeholder="blocks.train.config.model=logistic_regression,gradient_boosting" spellcheck={false} />
        </label>
        <label class="check">
          <input type="checkbox" checked={force} onChange={() => setForce((f) => !f)} /> run even when an identical run succeeded (<code>--force</code>)
        </label>
      </div>
      <button type="submit" disabled={busy}>
        Run
      </button>
      {error ? <ErrorBox error={error} /> : null}
      {job ? (
        <p class="job" aria-live="polite" data-job-status={job.status}>
          Job <code>{job.id}</code> <Status status={job.status} /> {job.reused ? '(an identical run had succeeded: returned it)' : ''}
          {job.runIds.map((id) => (
            <span key={id}>
              {' '}
              · <Link href={href.run(id)}>{id}</Link>
            </span>
          ))}
          {job.batch ? (
            <>
              {' '}
              · <Link href={href.batch(job.batch)}>batch {job.batch}</Link>
            </>
          ) : null}
          {job.error ? <span class="warn"> · {job.error.message}</span> : null}
        </p>
      ) : null}
    </form>
  );
}

function ExperimentRuns(props: { name: string; metric: string }): JSX.Element {
  const runs = useApi<RunPage>(`/runs?experiment=${encodeURIComponent(props.name)}&limit=1000`);
  useLiveRefresh(runListChange, runs.reload, 1000);
  const spec = useMemo(() => {
    const values = (runs.data?.runs ?? []).filter((r) => r.metrics[props.metric] !== undefined).map((r) => ({ run: r.id, createdAt: r.createdAt, value: r.metrics[props.metric], model: r.selection?.label ?? '', seed: r.seed }));
    if (values.length === 0) return null;
    return {
      width: 'container',
      height: 200,
      data: { values },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'createdAt', type: 'temporal', title: 'created' },
        y: { field: 'value', type: 'quantitative', title: props.metric, scale: { zero: false } },
        tooltip: [{ field: 'run' }, { field: 'value', title: props.metric, format: '.4f' }, { field: 'model' }, { field: 'seed' }],
      },
    };
  }, [runs.data, props.metric]);
  if (runs.error) return <ErrorBox error={runs.error} />;
  if (runs.data === null) return <p class="loading">loading runs…</p>;
  if (runs.data.runs.length === 0) return <p class="muted">No runs yet: use the form above, or <code>{`bfly run ${props.name}`}</code>.</p>;
  return (
    <>
      {spec ? <VegaPlot spec={spec} label={`${props.metric} of each run over time`} height={240} /> : null}
      <ul class="plain">
        {runs.data.runs.slice(0, 10).map((r) => (
          <li key={r.id}>
            <Status status={r.status} /> <Link href={href.run(r.id)}>{r.id}</Link> <Ago at={r.createdAt} /> · {r.selection?.label ?? ''} · {props.metric} {fmtNum(r.metrics[props.metric])}
          </li>
        ))}
      </ul>
      <p>
        <Link href={href.runs(`experiment == ${JSON.stringify(props.name)}`)}>All {runs.data.total.toLocaleString('en-US')} runs of this experiment</Link>
      </p>
    </>
  );
}

export function ExperimentView(props: { name: string }): JSX.Element {
  useTitle(`Experiment ${props.name}`);
  const ex = useApi<ExperimentDetail>(`/experiments/${encodeURIComponent(props.name)}`);
  const [version, setVersion] = useState(0);
  useLiveRefresh((e) => runListChange(e) || (e.type === 'workspace_changed' && /^(pipeline|hook|experiment)/.test(e.change.action)), () => setVersion((v) => v + 1), 1000);
  if (ex.error) return <ErrorBox error={ex.error} />;
  const x = ex.data;
  if (x === null) return <p class="loading">loading {props.name}…</p>;
  return (
    <>
      <h1>
        Experiment <span class="name">{x.name}</span>
      </h1>
      <p class="facts">
        predicts <strong>{x.target}</strong> ({x.task}: {x.taskReason}) · scored by {x.metric} · dataset <Link href={href.dataset(`${x.dataset.name}@${x.dataset.version}`)}>{`${x.dataset.name}@${x.dataset.version}`}</Link> · from the {x.template} template
      </p>
      {x.description ? <p>{x.description}</p> : null}
      <section aria-labelledby="h-draft">
        <h2 id="h-draft">Draft pipeline</h2>
        <Draft name={x.name} onSaved={() => setVersion((v) => v + 1)} />
      </section>
      <section aria-labelledby="h-plan">
        <h2 id="h-plan">What a run would do</h2>
        <Plan name={x.name} version={version} />
      </section>
      <section aria-labelledby="h-run">
        <h2 id="h-run">Run</h2>
        <RunForm name={x.name} />
      </section>
      <section aria-labelledby="h-runs">
        <h2 id="h-runs">Runs</h2>
        <ExperimentRuns name={x.name} metric={x.metric} />
      </section>
    </>
  );
}
