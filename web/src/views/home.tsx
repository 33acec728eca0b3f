/** Home: the workspace, its datasets, experiments (latest run and metric), jobs and running runs, live. */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DatasetManifest, ExperimentView, Job, RunPage, RunSummary, WorkspaceStatus } from '../../../src/core/contracts/index.js';
import { type ApiError, api } from '../api.js';
import { Ago, Empty, ErrorBox, Progress, Status, asApiError, fmtMs, fmtNum, useTitle } from '../common.js';
import { runListChange, useLiveRefresh } from '../live.js';
import { progressShare, useLiveStartedRuns, useRunProgress } from '../progress.js';
import { Link, href } from '../router.js';

function Datasets(props: { datasets: DatasetManifest[] }): JSX.Element {
  const ds = { data: props.datasets };
  if (ds.data.length === 0) return <Empty title="No datasets yet" command="bfly example penguins && bfly dataset import penguins.csv">Import a CSV, TSV, JSON or JSON-lines table:</Empty>;
  const byName = new Map<string, DatasetManifest[]>();
  for (const d of ds.data) byName.set(d.name, [...(byName.get(d.name) ?? []), d]);
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Dataset</th>
          <th scope="col" class="num">Rows</th>
          <th scope="col" class="num">Columns</th>
          <th scope="col">Versions</th>
          <th scope="col">Imported</th>
        </tr>
      </thead>
      <tbody>
        {[...byName].map(([name, versions]) => {
          const latest = versions.reduce((a, b) => (b.version > a.version ? b : a));
          return (
            <tr key={name}>
              <th scope="row">
                <Link href={href.dataset(`${name}@${latest.version}`)}>{name}</Link>
              </th>
              <td class="num">{latest.rows.toLocaleString('en-US')}</td>
              <td class="num">{latest.columns.length}</td>
              <td>{versions.length}</td>
              <td>
                <Ago at={latest.importedAt} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Experiments(props: { experiments: ExperimentView[]; status: WorkspaceStatus | null; latest: Record<string, RunSummary | null> }): JSX.Element {
  const ex = { data: props.experiments };
  const status = { data: props.status };
  const latest = props.latest;
  if (ex.data.length === 0) return <Empty title="No experiments yet" command="bfly experiment create penguins --dataset penguins --target Species">Bind a dataset and a target to a draft pipeline:</Empty>;
  const st = new Map((status.data?.experiments ?? []).map((s) => [s.name, s]));
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Experiment</th>
          <th scope="col">Dataset</th>
          <th scope="col">Target</th>
          <th scope="col">Latest run</th>
          <th scope="col" class="num">Metric</th>
          <th scope="col">Draft</th>
        </tr>
      </thead>
      <tbody>
        {ex.data.map((x) => {
          const run = latest[x.name];
          const s = st.get(x.name);
          const value = run?.metrics[run.binding.metric];
          return (
            <tr key={x.name}>
              <th scope="row">
                <Link href={href.experiment(x.name)}>{x.name}</Link>
              </th>
              <td>
                <Link href={href.dataset(`${x.dataset.name}@${x.dataset.version}`)}>{`${x.dataset.name}@${x.dataset.version}`}</Link>
              </td>
              <td>
                {x.target} <span class="muted">({x.task})</span>
              </td>
              <td>
                {run ? (
                  <>
                    <Status status={run.status} /> <Link href={href.run(run.id)}>{run.id}</Link> <Ago at={run.createdAt} />
                  </>
                ) : run === null ? (
                  <span class="muted">no runs yet</span>
                ) : (
                  '…'
                )}
              </td>
              <td class="num">{value !== undefined ? `${x.metric} ${fmtNum(value)}` : '—'}</td>
              <td>{s === undefined ? '…' : s.problem !== null ? <span class="warn">{s.problem}</span> : s.upToDate !== null ? <span class="muted">up to date</span> : <span>{s.wouldRun.length} block(s) would run</span>}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** What Activity shows of a running run (from the listing, or from its events before the listing has it). */
type RunningRun = Pick<RunSummary, 'id' | 'status' | 'experiment' | 'batch' | 'startedAt' | 'createdAt'>;

function Activity(props: { jobs: Job[]; running: RunSummary[] }): JSX.Element {
  const active = props.jobs.filter((j) => j.status === 'pending' || j.status === 'queued' || j.status === 'running');
  const listed = new Set(props.running.map((r) => r.id));
  const early: RunningRun[] = useLiveStartedRuns()
    .filter((r) => !listed.has(r.id))
    .map((r) => ({ id: r.id, status: 'running', experiment: r.experiment, batch: null, startedAt: r.createdAt, createdAt: r.createdAt }));
  const runs: RunningRun[] = [...early, ...props.running];
  const progress = useRunProgress(runs.map((r) => r.id));
  if (active.length === 0 && runs.length === 0) return <p class="muted">Nothing is running. Start a run from an experiment’s page, or with <code>bfly run &lt;experiment&gt;</code>: it shows here live.</p>;
  return (
    <ul class="activity">
      {active
        .filter((j) => j.status !== 'running' || j.runIds.length === 0)
        .map((j) => (
          <li key={j.id}>
            <Status status={j.status} /> job <code>{j.id}</code> · {j.kind} of <Link href={href.experiment(j.experiment)}>{j.experiment}</Link> <Ago at={j.createdAt} />
          </li>
        ))}
      {runs.map((r) => {
        const p = progress.get(r.id);
        return (
          <li key={r.id}>
            <Status status={p?.finished ?? r.status} /> <Link href={href.run(r.id)}>{r.id}</Link> · {r.experiment}
            {r.batch ? <span class="muted"> · batch {r.batch}</span> : null}
            <Progress value={p ? progressShare(p) : 0} label={`progress of ${r.id}`} />
            <span class="muted small">{p ? `${p.done}/${p.total} blocks${p.block ? ` · ${p.block}${p.label ? ` (${p.label})` : ''}` : ''}` : 'starting…'}</span>
            <span class="muted small"> · {fmtMs(Date.now() - new Date(r.startedAt ?? r.createdAt).getTime())}</span>
          </li>
        );
      })}
    </ul>
  );
}

interface HomeData {
  datasets: DatasetManifest[];
  experiments: ExperimentView[];
  status: WorkspaceStatus | null;
  latest: Record<string, RunSummary | null>;
  jobs: Job[];
  running: RunSummary[];
}

/**
 * Everything Home shows, loaded together (and reloaded together on live events, the last answer
 * shown meanwhile): the page is drawn once, with its data, so nothing shifts as answers arrive.
 */
function useHomeData(): { data: HomeData | null; error: ApiError | null } {
  const [state, setState] = useState<{ data: HomeData | null; error: ApiError | null }>({ data: null, error: null });
  const seq = useRef(0);
  const load = (): void => {
    const n = ++seq.current;
    void (async () => {
      try {
        const [datasets, experiments, jobs, running] = await Promise.all([api<DatasetManifest[]>('/datasets'), api<ExperimentView[]>('/experiments'), api<Job[]>('/jobs'), api<RunPage>('/runs?status=running&limit=50')]);
        const [status, pairs] = await Promise.all([
          api<WorkspaceStatus>('/status').catch(() => null),
          Promise.all(experiments.map((x) => api<RunPage>(`/runs?experiment=${encodeURIComponent(x.name)}&limit=1`).then((p) => [x.name, p.runs[0] ?? null] as const, () => [x.name, null] as const))),
        ]);
        if (n === seq.current) setState({ data: { datasets, experiments, status, latest: Object.fromEntries(pairs), jobs, running: running.runs }, error: null });
      } catch (err) {
        if (n === seq.current) setState((s) => ({ data: s.data, error: asApiError(err) }));
      }
    })();
  };
  useEffect(load, []);
  useLiveRefresh((e) => runListChange(e) || (e.type === 'workspace_changed' && /^(dataset|experiment|pipeline|hook)/.test(e.change.action)), load);
  return state;
}

export function HomeView(): JSX.Element {
  useTitle('Home');
  const { data, error } = useHomeData();
  if (error && data === null) return <ErrorBox error={error} />;
  if (data === null) return <p class="loading">loading the workspace…</p>;
  return (
    <>
      <h1>Home</h1>
      {error ? <ErrorBox error={error} /> : null}
      <section aria-labelledby="h-activity">
        <h2 id="h-activity">Running now</h2>
        <Activity jobs={data.jobs} running={data.running} />
      </section>
      <section aria-labelledby="h-experiments">
        <h2 id="h-experiments">Experiments</h2>
        <Experiments experiments={data.experiments} status={data.status} latest={data.latest} />
      </section>
      <section aria-labelledby="h-datasets">
        <h2 id="h-datasets">Datasets</h2>
        <Datasets datasets={data.datasets} />
      </section>
    </>
  );
}
