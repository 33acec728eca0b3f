/** Dataset: schema with each column's type and why, missing share, statistics, histograms and top values; versions; the experiments that use it. */
import type { JSX } from 'preact';
import type { BooleanStats, CategoryStats, DatasetColumn, DatasetManifest, DatetimeStats, ExperimentView, NumericStats } from '../../../src/core/contracts/index.js';
import { Ago, Empty, ErrorBox, Hash, fmtBytes, fmtNum, useApi, useTitle } from '../common.js';
import { useLiveRefresh } from '../live.js';
import { Link, href } from '../router.js';

function Histogram(props: { h: NonNullable<NumericStats['histogram']>; column: string }): JSX.Element {
  const max = Math.max(1, ...props.h.counts);
  const w = 160;
  const bw = w / props.h.counts.length;
  const step = (props.h.max - props.h.min) / props.h.counts.length;
  return (
    <svg class="hist" width={w} height={36} viewBox={`0 0 ${w} 36`} role="img" aria-label={`histogram of ${props.column}`}>
      {props.h.counts.map((c, i) => (
        <rect key={i} x={i * bw + 0.5} y={36 - (c / max) * 34} width={Math.max(1, bw - 1)} height={(c / max) * 34}>
          <title>{`${fmtNum(props.h.min + i * step)} to ${fmtNum(props.h.min + (i + 1) * step)}: ${c.toLocaleString('en-US')} rows`}</title>
        </rect>
      ))}
    </svg>
  );
}

function TopValues(props: { s: CategoryStats; rows: number }): JSX.Element {
  const top = props.s.top.slice(0, 5);
  const max = Math.max(1, ...top.map((t) => t.count));
  return (
    <ul class="top-values" aria-label="most frequent values">
      {top.map((t) => (
        <li key={t.value}>
          <span class="bar" style={{ width: `${(t.count / max) * 60}px` }} />
          <span class="value">{t.value}</span> <span class="muted">{t.count.toLocaleString('en-US')}</span>
        </li>
      ))}
      {props.s.distinct > top.length ? <li class="muted">{`${(props.s.distinct - top.length).toLocaleString('en-US')} more${props.s.distinctApprox ? ' (about)' : ''}`}</li> : null}
    </ul>
  );
}

function Stats(props: { col: DatasetColumn; rows: number }): JSX.Element {
  const { col } = props;
  if (col.type === 'number' || col.type === 'integer') {
    const s = col.stats as NumericStats;
    return (
      <div class="stats">
        {s.histogram ? <Histogram h={s.histogram} column={col.name} /> : null}
        <span class="small">
          mean {fmtNum(s.mean)} · std {fmtNum(s.std)} · min {fmtNum(s.min)} · median {fmtNum(s.p50)} · max {fmtNum(s.max)}
        </span>
      </div>
    );
  }
  if (col.type === 'category' || col.type === 'text') return <TopValues s={col.stats as CategoryStats} rows={props.rows} />;
  if (col.type === 'boolean') {
    const s = col.stats as BooleanStats;
    return <span class="small">{`true ${s.true.toLocaleString('en-US')} · false ${s.false.toLocaleString('en-US')}`}</span>;
  }
  const s = col.stats as DatetimeStats;
  return <span class="small">{`${s.min ?? '—'} to ${s.max ?? '—'}${col.format ? ` (${col.format})` : ''}`}</span>;
}

export function DatasetView(props: { ref_: string }): JSX.Element {
  useTitle(`Dataset ${props.ref_}`);
  const ds = useApi<DatasetManifest>(`/datasets/${encodeURIComponent(props.ref_)}`);
  const all = useApi<DatasetManifest[]>('/datasets');
  const ex = useApi<ExperimentView[]>('/experiments');
  useLiveRefresh(
    (e) => e.type === 'workspace_changed' && /^(dataset|experiment)/.test(e.change.action),
    () => {
      all.reload();
      ex.reload();
    },
  );
  if (ds.error) return <ErrorBox error={ds.error} />;
  const d = ds.data;
  if (d === null) return <p class="loading">loading {props.ref_}…</p>;
  const versions = (all.data ?? []).filter((v) => v.name === d.name);
  const users = (ex.data ?? []).filter((x) => x.dataset.name === d.name);
  return (
    <>
      <h1>
        Dataset <span class="name">{d.name}</span>
        <span class="muted">@{d.version}</span>
      </h1>
      <p class="facts">
        {d.rows.toLocaleString('en-US')} rows × {d.columns.length} columns · {fmtBytes(d.bytes)} {d.format} · imported <Ago at={d.importedAt} /> from <code>{d.source.name}</code> · <Hash value={d.hash} />
      </p>
      <section aria-labelledby="h-schema">
        <h2 id="h-schema">Schema</h2>
        <div class="table-wrap">
          <table class="schema">
            <thead>
              <tr>
                <th scope="col">Column</th>
                <th scope="col">Type</th>
                <th scope="col">Why this type</th>
                <th scope="col" class="num">Missing</th>
                <th scope="col" class="num">Distinct</th>
                <th scope="col">Statistics</th>
              </tr>
            </thead>
            <tbody>
              {d.columns.map((c) => (
                <tr key={c.name}>
                  <th scope="row" class="name">
                    {c.name}
                  </th>
                  <td>
                    <span class={`type type-${c.type}`}>{c.type}</span>
                  </td>
                  <td class="reason">{c.reason}</td>
                  <td class="num">{d.rows === 0 ? '—' : `${((c.missing / d.rows) * 100).toFixed(1)}%`}</td>
                  <td class="num">
                    {c.distinct.toLocaleString('en-US')}
                    {c.distinctApprox ? '≈' : ''}
                  </td>
                  <td>
                    <Stats col={c} rows={d.rows} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="h-versions">
        <h2 id="h-versions">Versions</h2>
        <ul class="plain">
          {versions.map((v) => (
            <li key={v.id}>
              <Link href={href.dataset(`${v.name}@${v.version}`)} aria-current={v.id === d.id ? 'page' : undefined}>{`${v.name}@${v.version}`}</Link> · {v.rows.toLocaleString('en-US')} rows · <Ago at={v.importedAt} /> · <Hash value={v.hash} />
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="h-used">
        <h2 id="h-used">Experiments that use it</h2>
        {users.length === 0 ? (
          <Empty title="No experiment uses this dataset yet" command={`bfly experiment create ${d.name} --dataset ${d.name} --target <column>`} />
        ) : (
          <ul class="plain">
            {users.map((x) => (
              <li key={x.name}>
                <Link href={href.experiment(x.name)}>{x.name}</Link> · predicts {x.target} ({x.task}) · version {x.dataset.version}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
