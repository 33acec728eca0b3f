/**
 * Compare: only what differs between the runs (params, data, hooks, timing), metrics with deltas
 * and seed-noise verdicts, the runs' ROC / precision-recall (or residual) curves overlaid; for a
 * batch, the grid × seed matrix with mean ± std per grid point and a parallel-coordinates plot
 * of the params against the metric.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { CompareView as Compare, RunPage, RunShow, RunSummary } from '../../../src/core/contracts/index.js';
import { api, artifactUrl, query } from '../api.js';
import { Empty, ErrorBox, fmtNum, useApi, useTitle } from '../common.js';
import { runListChange, useLiveRefresh } from '../live.js';
import { VegaPlot } from '../plot.js';
import { Link, href } from '../router.js';

const SECTIONS = ['run', 'data', 'params', 'hooks', 'metrics', 'timing'] as const;
const VERDICTS: Record<string, string> = { seed_only: 'the runs differ only in their seed: this is the seed noise', within_noise: 'within seed noise: the gap is no larger than the seeds’ spread', beyond_noise: 'beyond seed noise: the gap is larger than the seeds’ spread' };

type Spec = Record<string, unknown> & { layer?: Record<string, unknown>[] };

/** A spec's layers (a single view is one layer); data given at the top applies to each. */
function layersOf(spec: Spec): Record<string, unknown>[] {
  if (Array.isArray(spec.layer)) return spec.layer.map((l) => ({ ...l, data: l.data ?? spec.data }));
  return [{ data: spec.data, mark: spec.mark, encoding: spec.encoding }];
}

/** The same plot of several runs in one: each data layer's points tagged with their run, colored by run (classes dashed). */
function overlay(specs: { run: string; spec: Spec }[]): Spec | null {
  if (specs.length === 0) return null;
  const first = specs[0].spec;
  const perRun = specs.map(({ run, spec }) => ({ run, layers: layersOf(spec) }));
  const layers = perRun[0].layers.map((layer, li) => {
    const data = (layer.data as { values?: Record<string, unknown>[] } | undefined)?.values;
    if (data === undefined || data.length <= 2) return layer; // a reference line (diagonal, zero)
    const values = perRun.flatMap(({ run, layers: ls }) => ((ls[li]?.data as { values?: Record<string, unknown>[] } | undefined)?.values ?? []).map((v) => ({ ...v, run })));
    const enc = { ...(layer.encoding as Record<string, unknown>) };
    const byClass = enc.color !== undefined;
    enc.color = { field: 'run', type: 'nominal', title: 'Run' };
    if (byClass) enc.strokeDash = { field: 'class', type: 'nominal', title: 'Class' };
    enc.tooltip = [{ field: 'run' }, ...Object.entries(enc).filter(([k, e]) => (k === 'x' || k === 'y') && typeof (e as { field?: unknown }).field === 'string').map(([, e]) => ({ field: (e as { field: string }).field, type: 'quantitative', format: '.3f' })), ...(byClass ? [{ field: 'class' }] : [])];
    return { ...layer, data: { values }, encoding: enc };
  });
  const { data: _d, mark: _m, encoding: _e, layer: _l, ...rest } = first;
  return { ...rest, layer: layers, width: 420 };
}

function Curves(props: { runs: string[] }): JSX.Element | null {
  const [plots, setPlots] = useState<{ name: string; spec: Spec }[] | null>(null);
  const key = props.runs.join(',');
  useEffect(() => {
    let stop = false;
    void (async () => {
      const shown = props.runs.slice(0, 8);
      const manifests = await Promise.all(shown.map((id) => api<RunShow>(`/runs/${encodeURIComponent(id)}`).catch(() => null)));
      const out: { name: string; spec: Spec }[] = [];
      for (const name of ['roc_curve', 'precision_recall', 'residuals']) {
        const have = manifests.filter((m): m is RunShow => m !== null && m.artifacts.some((a) => a.name === `${name}.vl.json`));
        if (have.length < 2) continue;
        const specs = await Promise.all(have.map(async (m) => ({ run: m.id, spec: (await (await fetch(artifactUrl(m.id, `${name}.vl.json`))).json()) as Spec })));
        const o = overlay(specs);
        if (o !== null) out.push({ name, spec: o });
      }
      if (!stop) setPlots(out);
    })().catch(() => !stop && setPlots([]));
    return () => void (stop = true);
  }, [key]);
  if (plots === null) return <p class="loading">loading curves…</p>;
  if (plots.length === 0) return null;
  return (
    <section aria-labelledby="h-curves">
      <h2 id="h-curves">Curves, overlaid</h2>
      <div class="plots">
        {plots.map((p) => (
          <VegaPlot key={p.name} spec={p.spec} label={`${p.name.replace('_', ' ')} of the selected runs`} />
        ))}
      </div>
    </section>
  );
}

function flatParams(params: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(params)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatParams(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** A batch: grid point × seed, mean ± std per grid point, and params against the metric. */
function BatchMatrix(props: { batch: string }): JSX.Element {
  const runs = useApi<RunPage>(`/runs${query({ where: `batch == ${JSON.stringify(props.batch)}`, limit: 1000 })}`);
  useLiveRefresh(runListChange, runs.reload, 1000);
  const model = useMemo(() => {
    const rs = (runs.data?.runs ?? []).filter((r) => r.batch === props.batch || r.batches.includes(props.batch));
    if (rs.length === 0) return null;
    const metric = rs[0].binding.metric;
    const flat = rs.map((r) => ({ r, p: flatParams(r.params) }));
    const keys = [...new Set(flat.flatMap((f) => Object.keys(f.p)))].filter((k) => k !== 'seed' && new Set(flat.map((f) => JSON.stringify(f.p[k]))).size > 1).sort();
    const seeds = [...new Set(rs.map((r) => r.seed))].sort((a, b) => a - b);
    const points = new Map<string, { label: Record<string, unknown>; bySeed: Map<number, RunSummary> }>();
    for (const { r, p } of flat) {
      const k = JSON.stringify(keys.map((key) => p[key]));
      if (!points.has(k)) points.set(k, { label: Object.fromEntries(keys.map((key) => [key, p[key]])), bySeed: new Map() });
      points.get(k)!.bySeed.set(r.seed, r);
    }
    const cmp = (a: unknown, b: unknown): number => (typeof a === 'number' && typeof b === 'number' ? a - b : JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const sorted = [...points.values()].sort((a, b) => {
      for (const k of keys) {
        const c = cmp(a.label[k], b.label[k]);
        if (c !== 0) return c;
      }
      return 0;
    });
    return { metric, keys, seeds, points: sorted, runs: flat };
  }, [runs.data]);
  if (runs.error) return <ErrorBox error={runs.error} />;
  if (runs.data === null) return <p class="loading">loading the batch…</p>;
  if (model === null) return <Empty title={`No runs of batch ${props.batch} yet`} />;
  const { metric, keys, seeds, points } = model;
  const pc = parallelSpec(model.runs, keys, metric);
  return (
    <section aria-labelledby="h-matrix">
      <h2 id="h-matrix">Grid × seed</h2>
      <div class="table-wrap">
        <table class="matrix">
          <thead>
            <tr>
              {keys.map((k) => (
                <th key={k} scope="col">
                  {k}
                </th>
              ))}
              {seeds.map((s) => (
                <th key={s} scope="col" class="num">
                  seed {s}
                </th>
              ))}
              <th scope="col" class="num">
                {metric} mean ± std
              </th>
            </tr>
          </thead>
          <tbody>
            {points.map((pt, i) => {
              const vals = [...pt.bySeed.values()].map((r) => r.metrics[metric]).filter((v): v is number => typeof v === 'number');
              return (
                <tr key={i}>
                  {keys.map((k) => (
                    <th key={k} scope="row">
                      {fmtNum(pt.label[k])}
                    </th>
                  ))}
                  {seeds.map((s) => {
                    const r = pt.bySeed.get(s);
                    return (
                      <td key={s} class="num">
                        {r ? <Link href={href.run(r.id)}>{r.status === 'succeeded' ? fmtNum(r.metrics[metric]) : r.status}</Link> : '—'}
                      </td>
                    );
                  })}
                  <td class="num">{vals.length > 0 ? `${fmtNum(mean(vals))} ± ${fmtNum(std(vals))}` : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {pc ? <VegaPlot spec={pc} label={`parallel coordinates: params against ${metric}`} height={300} /> : null}
    </section>
  );
}

/** Parallel coordinates: each param (and the metric) an axis scaled to 0..1; one line per run, colored by the metric. */
function parallelSpec(runs: { r: RunSummary; p: Record<string, unknown> }[], keys: string[], metric: string): Spec | null {
  if (keys.length === 0) return null;
  const axes = [...keys, metric];
  const scale = new Map<string, (v: unknown) => number>();
  for (const k of axes) {
    const vals = runs.map(({ r, p }) => (k === metric ? r.metrics[metric] : p[k]));
    const nums = vals.filter((v): v is number => typeof v === 'number');
    if (nums.length === vals.length && nums.length > 0) {
      const lo = Math.min(...nums);
      const hi = Math.max(...nums);
      scale.set(k, (v) => (hi === lo ? 0.5 : ((v as number) - lo) / (hi - lo)));
    } else {
      const cats = [...new Set(vals.map((v) => JSON.stringify(v)))].sort();
      scale.set(k, (v) => (cats.length === 1 ? 0.5 : cats.indexOf(JSON.stringify(v)) / (cats.length - 1)));
    }
  }
  const values = runs.flatMap(({ r, p }) => axes.map((k) => {
    const raw = k === metric ? r.metrics[metric] : p[k];
    return { run: r.id, axis: k, position: scale.get(k)!(raw), value: typeof raw === 'string' ? raw : fmtNum(raw), metric: r.metrics[metric] ?? null };
  }));
  return {
    width: Math.max(300, axes.length * 140),
    height: 240,
    data: { values },
    mark: { type: 'line', opacity: 0.7, point: true },
    encoding: {
      x: { field: 'axis', type: 'nominal', sort: axes, title: null, axis: { labelAngle: 0, domain: false } },
      y: { field: 'position', type: 'quantitative', axis: null },
      detail: { field: 'run', type: 'nominal' },
      color: { field: 'metric', type: 'quantitative', title: metric },
      tooltip: [{ field: 'run' }, { field: 'axis' }, { field: 'value' }],
    },
  };
}

export function CompareView(props: { query: URLSearchParams }): JSX.Element {
  const runsParam = props.query.get('runs') ?? '';
  const batch = props.query.get('batch');
  useTitle(batch ? `Batch ${batch}` : 'Compare');
  const cmp = useApi<Compare>(runsParam === '' && batch === null ? null : `/compare${query({ runs: runsParam, batch })}`);
  useLiveRefresh(runListChange, cmp.reload, 1000);
  if (runsParam === '' && batch === null) return <Empty title="Nothing to compare yet">Select two or more runs in <Link href="/runs">Runs</Link> and press Compare (or open a batch from a run’s page).</Empty>;
  if (cmp.error) return <ErrorBox error={cmp.error} />;
  const c = cmp.data;
  if (c === null) return <p class="loading">comparing…</p>;
  const metricRows = c.rows.filter((r) => r.section === 'metrics');
  return (
    <>
      <h1>{batch ? `Batch ${batch}` : `Compare ${c.runs.length} runs`}</h1>
      <p class="facts">
        {c.runs.map((id, i) => (
          <span key={id}>
            {i > 0 ? ' · ' : ''}
            <span class="run-key">{String.fromCharCode(65 + (i % 26))}</span> <Link href={href.run(id)}>{id}</Link>
          </span>
        ))}
      </p>
      <section aria-labelledby="h-differs">
        <h2 id="h-differs">What differs</h2>
        {c.rows.filter((r) => r.section !== 'metrics').length === 0 ? <p class="muted">The runs differ in nothing but their results.</p> : null}
        <div class="table-wrap">
          <table class="compare">
            <thead>
              <tr>
                <th scope="col">Section</th>
                <th scope="col">Key</th>
                {c.runs.map((id, i) => (
                  <th key={id} scope="col" title={id}>
                    {String.fromCharCode(65 + (i % 26))}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {SECTIONS.flatMap((s) =>
                c.rows
                  .filter((r) => r.section === s)
                  .map((r) => (
                    <tr key={`${s}.${r.key}`} class={r.differs ? 'differs' : undefined} data-section={s} data-key={r.key}>
                      <td class="muted">{s}</td>
                      <th scope="row">{r.key}</th>
                      {r.values.map((v, i) => {
                        const d = r.deltas?.[i];
                        return (
                          <td key={i} class={typeof v === 'number' ? 'num' : undefined}>
                            {fmtNum(v)}
                            {d && i > 0 ? <span class={d.better === true ? 'better' : d.better === false ? 'worse' : 'muted'}>{` ${d.delta >= 0 ? '+' : '−'}${fmtNum(Math.abs(d.delta))}`}</span> : null}
                          </td>
                        );
                      })}
                    </tr>
                  )),
              )}
            </tbody>
          </table>
        </div>
      </section>
      {c.noise.length > 0 ? (
        <section aria-labelledby="h-noise">
          <h2 id="h-noise">Seed noise</h2>
          <p class="small muted">{c.groups.length} group(s) of runs that differ only in their seed.</p>
          <ul class="noise">
            {c.noise.map((n) => (
              <li key={n.metric} data-verdict={n.verdict}>
                <strong>{n.metric}</strong>: {n.groups.map((g) => `${fmtNum(g.mean)} ± ${fmtNum(g.std)} (n=${g.n})`).join(' vs ')} — <span class={`verdict verdict-${n.verdict}`}>{VERDICTS[n.verdict] ?? n.verdict}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : metricRows.length === 0 ? null : null}
      <Curves runs={c.runs} />
      {batch ? <BatchMatrix batch={batch} /> : null}
    </>
  );
}
