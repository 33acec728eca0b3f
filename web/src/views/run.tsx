/**
 * Run: status and live block progress with timings (the run's own SSE stream), metrics, the
 * leaderboard with every candidate labelled, every stored plot drawn interactively, a lineage
 * graph, artifacts to download, logs, the error and its hint, the command that reproduces it.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Lineage, RunShow } from '../../../src/core/contracts/index.js';
import type { RunEvent } from '../../../src/core/events.js';
import { type ApiError, api, artifactUrl } from '../api.js';
import { Ago, Command, ErrorBox, Hash, Progress, Status, asApiError, fmtBytes, fmtMs, fmtNum, useApi, useTitle } from '../common.js';
import { VegaPlot } from '../plot.js';
import { Link, href } from '../router.js';

interface BlockState {
  id: string;
  type: string;
  status: string;
  durationMs: number | null;
  cached: boolean;
  done: number;
  total: number;
  label: string | null;
}

interface Leaderboard {
  metric: string;
  higherIsBetter: boolean;
  folds: number;
  candidates: { id: string; label: string; model: string; params: Record<string, unknown>; metrics?: Record<string, { mean: number; std: number }>; error?: string | { message: string }; fitSeconds?: number; trials?: number; searched?: Record<string, unknown> }[];
  search?: { strategy: string; trials: number; complete: number; stopped: number; failed: number; seconds: number; budget: { time_s?: number; trials?: number }; ended: string };
}

const RUN_EVENT_TYPES = ['run_created', 'run_started', 'block_started', 'block_progress', 'block_finished', 'hook_started', 'hook_finished', 'artifact_written', 'log', 'log_truncated', 'run_finished', 'metric', 'split', 'features', 'preprocess', 'model_selection', 'train', 'evaluate', 'explain', 'report'];

/** The run's events from its start, then live (closed after run_finished: the stream ends there). */
function useRunEvents(id: string): RunEvent[] {
  const [events, setEvents] = useState<RunEvent[]>([]);
  useEffect(() => {
    setEvents([]);
    const es = new EventSource(`/api/v1/runs/${encodeURIComponent(id)}/events`);
    let buffer: RunEvent[] = [];
    let scheduled = false;
    const flush = (): void => {
      scheduled = false;
      const add = buffer;
      buffer = [];
      setEvents((e) => e.concat(add));
    };
    const on = (m: Event): void => {
      let ev: RunEvent;
      try {
        ev = JSON.parse((m as MessageEvent<string>).data) as RunEvent;
      } catch {
        return;
      }
      buffer.push(ev);
      if (ev.type === 'run_finished') es.close();
      if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(flush);
      }
    };
    for (const t of RUN_EVENT_TYPES) es.addEventListener(t, on);
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) return;
    };
    return () => es.close();
  }, [id]);
  return events;
}

function blockStates(run: RunShow, events: RunEvent[]): BlockState[] {
  const blocks = new Map<string, BlockState>(run.blocks.map((b) => [b.id, { id: b.id, type: b.type, status: b.status, durationMs: b.durationMs, cached: b.cached, done: 0, total: 0, label: null }]));
  for (const e of events) {
    if (e.type === 'run_started') for (const b of e.blocks) if (!blocks.has(b.id)) blocks.set(b.id, { id: b.id, type: b.type, status: 'pending', durationMs: null, cached: false, done: 0, total: 0, label: null });
    const b = 'block' in e && typeof e.block === 'string' ? blocks.get(e.block) : undefined;
    if (b === undefined) continue;
    if (e.type === 'block_started') b.status = 'running';
    else if (e.type === 'block_progress') Object.assign(b, { done: e.done, total: e.total, label: e.label ?? null });
    else if (e.type === 'block_finished') Object.assign(b, { status: e.status, durationMs: e.durationMs, cached: e.cached });
  }
  return [...blocks.values()];
}

function Blocks(props: { blocks: BlockState[] }): JSX.Element {
  const max = Math.max(1, ...props.blocks.map((b) => b.durationMs ?? 0));
  return (
    <table class="blocks">
      <thead>
        <tr>
          <th scope="col">Block</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
          <th scope="col" class="num">Time</th>
        </tr>
      </thead>
      <tbody>
        {props.blocks.map((b) => (
          <tr key={b.id} data-block={b.id} data-status={b.status}>
            <th scope="row">
              {b.id} <span class="muted">{b.type !== b.id ? b.type : ''}</span>
            </th>
            <td>
              <Status status={b.status} /> {b.cached ? <span class="muted small">from cache</span> : null}
            </td>
            <td class="progress-cell">
              {b.status === 'running' ? (
                <>
                  <Progress value={b.total > 0 ? b.done / b.total : 0} label={`progress of ${b.id}`} />
                  <span class="small muted">{b.total > 0 ? `${b.done}/${b.total}${b.label ? ` ${b.label}` : ''}` : 'running…'}</span>
                </>
              ) : b.durationMs !== null ? (
                <span class="timing" style={{ width: `${Math.max(2, (b.durationMs / max) * 100)}%` }} aria-hidden="true" />
              ) : null}
            </td>
            <td class="num">{fmtMs(b.durationMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LeaderboardTable(props: { run: RunShow; leaderboard: Leaderboard }): JSX.Element {
  const lb = { data: props.leaderboard };
  const { metric, higherIsBetter, search } = lb.data;
  const scored = [...lb.data.candidates].sort((a, b) => {
    const x = a.metrics?.[metric]?.mean;
    const y = b.metrics?.[metric]?.mean;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return higherIsBetter ? y - x : x - y;
  });
  const winner = props.run.selection?.candidate ?? null;
  return (
    <section aria-labelledby="h-leaderboard">
      <h2 id="h-leaderboard">Leaderboard</h2>
      <p class="muted small">
        {lb.data.candidates.length} candidates, {lb.data.folds}-fold cross-validation on the training rows; {metric} {higherIsBetter ? '(higher is better)' : '(lower is better)'}
        {search && search.trials > lb.data.candidates.length
          ? `; search: ${search.strategy}, ${search.trials} trials (${search.complete} complete${search.stopped ? `, ${search.stopped} stopped` : ''}${search.failed ? `, ${search.failed} failed` : ''}) in ${fmtMs(search.seconds * 1000)}${search.budget.time_s !== undefined ? ` of a ${search.budget.time_s} s budget` : ''}`
          : ''}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Candidate</th>
            <th scope="col">Params</th>
            <th scope="col" class="num">{metric} (mean ± std)</th>
            <th scope="col" class="num">Fit</th>
          </tr>
        </thead>
        <tbody>
          {scored.map((c, i) => {
            const m = c.metrics?.[metric];
            return (
              <tr key={c.id} class={c.id === winner ? 'winner' : undefined}>
                <td>{i + 1}</td>
                <th scope="row">
                  {c.label} <span class="muted small">{c.id}</span> {c.id === winner ? <span class="badge">chosen</span> : null}
                  {c.trials !== undefined ? <span class="muted small"> · best of {c.trials} trials</span> : null}
                </th>
                <td class="small">
                  {Object.entries(c.params)
                    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
                    .join(' ')}
                </td>
                <td class="num">{m ? `${fmtNum(m.mean)} ± ${fmtNum(m.std)}` : c.error ? <span class="warn">{typeof c.error === 'string' ? c.error : c.error.message}</span> : '—'}</td>
                <td class="num">{c.fitSeconds !== undefined ? fmtMs(c.fitSeconds * 1000) : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

interface RunExtras {
  key: string;
  leaderboard: Leaderboard | null;
  plots: { name: string; title: string; spec: Record<string, unknown> }[];
  lineage: Lineage | null;
  error: ApiError | null;
}

/**
 * What the run's page shows below its blocks and metrics (leaderboard, plot specs, lineage),
 * loaded together and drawn at once below what is already there: nothing above it moves.
 */
function useRunExtras(r: RunShow | null): RunExtras | null {
  const [extras, setExtras] = useState<RunExtras | null>(null);
  const key = r === null ? '' : `${r.id}|${r.endedAt ?? ''}|${r.artifacts.length}`;
  useEffect(() => {
    if (r === null) return;
    let stop = false;
    const get = <T,>(name: string): Promise<T> => api<T>(`/runs/${encodeURIComponent(r.id)}/artifacts/${encodeURIComponent(name)}`);
    void (async () => {
      try {
        const [leaderboard, lineage, plots] = await Promise.all([
          r.artifacts.some((a) => a.name === 'leaderboard.json') ? get<Leaderboard>('leaderboard.json') : Promise.resolve(null),
          api<Lineage>(`/runs/${encodeURIComponent(r.id)}/lineage`),
          Promise.all(r.artifacts.filter((a) => a.name.endsWith('.vl.json')).map(async (a) => {
            const spec = await get<Record<string, unknown>>(a.name);
            return { name: a.name, title: typeof spec.title === 'string' ? spec.title : a.name.replace(/\.vl\.json$/, '').replace(/_/g, ' '), spec };
          })),
        ]);
        if (!stop) setExtras({ key, leaderboard, plots, lineage, error: null });
      } catch (err) {
        if (!stop) setExtras({ key, leaderboard: null, plots: [], lineage: null, error: asApiError(err) });
      }
    })();
    return () => void (stop = true);
  }, [key]);
  return extras;
}

/** dataset → pipeline → hooks → blocks → artifacts, with hashes. */
function LineageGraph(props: { lineage: Lineage }): JSX.Element {
  const l = props.lineage;
  const colX = [0, 190, 380, 590];
  const w = 170;
  const h = 30;
  const gap = 8;
  const nodes: { id: string; col: number; row: number; title: string; sub: string; kind: string }[] = [];
  nodes.push({ id: 'dataset', col: 0, row: 0, title: l.dataset.name, sub: l.dataset.hash.replace('sha256:', '').slice(0, 12), kind: 'dataset' });
  nodes.push({ id: 'pipeline', col: 1, row: 0, title: 'pipeline', sub: l.pipelineHash.replace('sha256:', '').slice(0, 12), kind: 'pipeline' });
  l.hooks.forEach((k, i) => nodes.push({ id: `hook:${k.id}`, col: 1, row: i + 1, title: `hook ${k.id}`, sub: k.hash.replace('sha256:', '').slice(0, 12), kind: 'hook' }));
  l.blocks.forEach((b, i) => nodes.push({ id: `block:${b.id}`, col: 2, row: i, title: `${b.id}${b.cached ? ' (cached)' : ''}`, sub: b.key.replace('sha256:', '').slice(0, 12), kind: 'block' }));
  l.artifacts.forEach((a, i) => nodes.push({ id: `artifact:${a.name}`, col: 3, row: i, title: a.name, sub: a.hash.replace('sha256:', '').slice(0, 12), kind: 'artifact' }));
  const pos = new Map(nodes.map((n) => [n.id, { x: colX[n.col], y: n.row * (h + gap) }]));
  const edges: [string, string][] = [['dataset', 'pipeline']];
  for (const b of l.blocks) edges.push(['pipeline', `block:${b.id}`]);
  for (const k of l.hooks) edges.push([`hook:${k.id}`, `block:${k.block}`]);
  for (const a of l.artifacts) edges.push([`block:${a.block}`, `artifact:${a.name}`]);
  const rows = Math.max(...[0, 1, 2, 3].map((c) => nodes.filter((n) => n.col === c).length));
  const height = rows * (h + gap);
  return (
    <div class="lineage-wrap">
      <svg class="lineage" width={colX[3] + w + 10} height={height} viewBox={`0 0 ${colX[3] + w + 10} ${height}`} role="img" aria-label="lineage graph: dataset, pipeline, hooks, blocks, artifacts">
        {edges.map(([a, b]) => {
          const p = pos.get(a);
          const q = pos.get(b);
          if (p === undefined || q === undefined) return null;
          const x1 = p.x + w;
          const y1 = p.y + h / 2;
          const x2 = q.x;
          const y2 = q.y + h / 2;
          return <path key={`${a}>${b}`} class="edge" d={`M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`} />;
        })}
        {nodes.map((n) => {
          const p = pos.get(n.id)!;
          return (
            <g key={n.id} class={`node node-${n.kind}`} transform={`translate(${p.x},${p.y})`}>
              <title>{`${n.title}\n${n.kind} ${n.sub}`}</title>
              <rect width={w} height={h} rx={5} />
              <text x={6} y={13} class="node-title">
                {n.title.length > 26 ? `${n.title.slice(0, 25)}…` : n.title}
              </text>
              <text x={6} y={25} class="node-sub">
                {n.sub}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function Logs(props: { events: RunEvent[] }): JSX.Element {
  const logs = props.events.filter((e) => e.type === 'log' || e.type === 'log_truncated');
  if (logs.length === 0) return <p class="muted">No log lines.</p>;
  return (
    <ol class="logs">
      {logs.map((e, i) =>
        e.type === 'log' ? (
          <li key={i} class={`log-${e.level}`}>
            <span class="muted">{e.at.slice(11, 23)}</span> <span class="level">{e.level}</span> {e.block ? <span class="muted">[{e.block}]</span> : null} <span class="text">{e.message}</span>
          </li>
        ) : e.type === 'log_truncated' ? (
          <li key={i} class="log-warn">{`hook ${e.hook} logged more than ${e.limitLines} lines / ${fmtBytes(e.limitBytes)}: the rest was dropped`}</li>
        ) : null,
      )}
    </ol>
  );
}

export function RunView(props: { id: string }): JSX.Element {
  useTitle(`Run ${props.id}`);
  const runPath = `/runs/${encodeURIComponent(props.id)}`;
  const run = useApi<RunShow>(runPath);
  const events = useRunEvents(props.id);
  const finished = events.some((e) => e.type === 'run_finished');
  useEffect(() => {
    if (finished && run.data !== null && run.data.endedAt === null) run.reload();
  }, [finished, run.data]);
  const extras = useRunExtras(run.data);
  if (run.error) return <ErrorBox error={run.error} />;
  const r = run.data;
  if (r === null) return <p class="loading">loading run {props.id}…</p>;
  const blocks = blockStates(r, events);
  const liveStatus = (events.find((e) => e.type === 'run_finished') as { status?: string } | undefined)?.status ?? (events.some((e) => e.type === 'run_started') && r.endedAt === null ? 'running' : r.status);
  const report = r.artifacts.find((a) => a.name === 'report.html');
  const reproduce = [r.draftRevision !== null && r.draftRevision !== undefined ? `bfly pipeline restore ${r.experiment} ${r.draftRevision}` : null, `bfly run ${r.experiment} --seed ${r.seed} --force`].filter((x) => x !== null).join(' && ');
  return (
    <>
      <h1>
        Run <span class="name">{r.id}</span> <Status status={liveStatus} />
      </h1>
      <p class="facts">
        <Link href={href.experiment(r.experiment)}>{r.experiment}</Link> · predicts {r.binding.target} ({r.binding.task}) · dataset <Link href={href.dataset(r.dataset.id)}>{r.dataset.name}</Link> · seed {r.seed} · created <Ago at={r.createdAt} /> · {fmtMs(r.durationMs)}
        {r.batch ? (
          <>
            {' '}
            · batch <Link href={href.batch(r.batch)}>{r.batch}</Link>
          </>
        ) : null}
        {r.reused ? ' · reused an earlier identical run' : ''}
        {r.selection ? ` · model ${r.selection.label}` : ''}
      </p>
      {r.error ? <ErrorBox error={{ message: `${r.error.block ? `${r.error.block}: ` : ''}${r.error.message}`, hint: r.error.hint, code: `${r.error.category} · ${r.error.code}` }} /> : null}
      <section aria-labelledby="h-blocks">
        <h2 id="h-blocks">Blocks</h2>
        <Blocks blocks={blocks} />
      </section>
      <section aria-labelledby="h-metrics">
        <h2 id="h-metrics">Metrics</h2>
        {Object.keys(r.metrics).length === 0 ? (
          <p class="muted">{r.endedAt === null ? 'Metrics come when the evaluate block ends.' : 'This run recorded no metrics.'}</p>
        ) : (
          <dl class="metrics">
            {Object.entries(r.metrics).map(([k, v]) => (
              <div key={k} class={k === r.binding.metric ? 'primary' : undefined}>
                <dt>{k}</dt>
                <dd>{fmtNum(v)}</dd>
              </div>
            ))}
          </dl>
        )}
      </section>
      {extras === null ? (
        <p class="loading">loading the leaderboard, plots and lineage…</p>
      ) : (
        <>
          {extras.error ? <ErrorBox error={extras.error} /> : null}
          {extras.leaderboard ? <LeaderboardTable run={r} leaderboard={extras.leaderboard} /> : null}
          {extras.plots.length > 0 ? (
            <section aria-labelledby="h-plots">
              <h2 id="h-plots">Plots</h2>
              <div class="plots">
                {extras.plots.map((p) => (
                  <VegaPlot key={p.name} spec={p.spec} label={p.title} />
                ))}
              </div>
            </section>
          ) : null}
          {extras.lineage ? (
            <section aria-labelledby="h-lineage">
              <h2 id="h-lineage">Lineage</h2>
              <LineageGraph lineage={extras.lineage} />
            </section>
          ) : null}
          <section aria-labelledby="h-artifacts">
            <h2 id="h-artifacts">Artifacts</h2>
            {report ? (
              <p>
                <a href={artifactUrl(r.id, report.name)} target="_blank" rel="noopener noreferrer">
                  Open report.html
                </a>{' '}
                (a self-contained page with every plot and table)
              </p>
            ) : null}
            {r.artifacts.length === 0 ? (
              <p class="muted">No artifacts yet.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Artifact</th>
                    <th scope="col">Type</th>
                    <th scope="col">Block</th>
                    <th scope="col" class="num">Size</th>
                    <th scope="col">sha256</th>
                  </tr>
                </thead>
                <tbody>
                  {r.artifacts.map((a) => (
                    <tr key={a.name}>
                      <th scope="row">
                        <a href={artifactUrl(r.id, a.name)} download={a.name}>
                          {a.name}
                        </a>
                      </th>
                      <td>{a.type}</td>
                      <td>{a.block}</td>
                      <td class="num">{fmtBytes(a.bytes)}</td>
                      <td>
                        <Hash value={a.hash} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section aria-labelledby="h-logs">
            <h2 id="h-logs">Logs</h2>
            <Logs events={events} />
          </section>
          <section aria-labelledby="h-reproduce">
            <h2 id="h-reproduce">Reproduce</h2>
            <p class="small muted">
              The draft as this run snapshotted it, then the run with its seed. The exact pipeline is also in the run folder: <code>{`${r.dir}/pipeline.yaml`}</code>.
            </p>
            <Command text={reproduce} />
            <p class="small muted">
              Execution key <Hash value={r.executionKey} /> · pipeline <Hash value={r.pipelineHash} /> · bfly {r.env.bfly} · node {r.env.node} · {r.env.backend}
            </p>
          </section>
        </>
      )}
    </>
  );
}
