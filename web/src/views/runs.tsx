/**
 * Runs: every run in one table. The filter box takes the `--where` language (a bad expression
 * shows the service's message with its caret); headers sort (on the service, like `--sort`); a
 * column picker adds metrics and params; the rows are virtual (only those in view are in the
 * DOM), so 10,000 runs scroll as smoothly as 10. The first page draws at once, the rest loads
 * behind it. Select runs to compare them.
 */
import type { JSX } from 'preact';
import { memo } from 'preact/compat';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { RunPage, RunSummary } from '../../../src/core/contracts/index.js';
import { type ApiError, api, query } from '../api.js';
import { Ago, Empty, ErrorBox, Status, asApiError, fmtMs, fmtNum, useTitle } from '../common.js';
import { runListChange, useLiveRefresh } from '../live.js';
import { Link, href, navigate } from '../router.js';

const ROW_H = 34;
const OVERSCAN = 6;
const FIRST_PAGE = 100;
const PAGE = 1000;

/** A column of the table: what it shows and the `--sort` key it sorts by. */
interface Column {
  key: string;
  label: string;
  sort: string | null;
  num?: boolean;
  cell: (r: RunSummary) => JSX.Element | string;
}

function get(obj: unknown, path: string[]): unknown {
  let v = obj;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

/** `params.train.model`-style keys of a run's params (nested objects flattened). */
function paramKeys(params: Record<string, unknown>, prefix = 'params', out: Set<string> = new Set()): Set<string> {
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) paramKeys(v as Record<string, unknown>, `${prefix}.${k}`, out);
    else out.add(`${prefix}.${k}`);
  }
  return out;
}

const BASE: Column[] = [
  { key: 'experiment', label: 'Experiment', sort: 'experiment', cell: (r) => r.experiment },
  { key: 'status', label: 'Status', sort: 'status', cell: (r) => <Status status={r.status} /> },
  { key: 'createdAt', label: 'Created', sort: 'createdAt', cell: (r) => <Ago at={r.createdAt} /> },
  { key: 'durationMs', label: 'Duration', sort: 'durationMs', num: true, cell: (r) => fmtMs(r.durationMs) },
  { key: 'seed', label: 'Seed', sort: 'seed', num: true, cell: (r) => String(r.seed) },
  { key: 'model', label: 'Model', sort: 'model', cell: (r) => r.selection?.label ?? '—' },
];

function extraColumn(key: string): Column {
  const path = key.split('.');
  const num = path[0] === 'metrics';
  return { key, label: path.slice(1).join('.'), sort: key, num, cell: (r) => fmtNum(path[0] === 'metrics' ? r.metrics[path.slice(1).join('.')] : get(r.params, path.slice(1))) };
}

/** Loads every run of the query: the first page at once, then pages of 1,000. */
function useAllRuns(where: string, sort: string, version: number): { runs: RunSummary[]; total: number | null; complete: boolean; error: ApiError | null; key: string } {
  const [state, setState] = useState<{ runs: RunSummary[]; total: number | null; complete: boolean; error: ApiError | null; key: string }>({ runs: [], total: null, complete: false, error: null, key: '' });
  const key = `${where}\u0000${sort}`;
  const shown = useRef(state);
  shown.current = state;
  useEffect(() => {
    const ctl = new AbortController();
    // a live refresh of the same query keeps the rows shown until the new listing covers them
    // (rows far down do not turn into placeholders each time a run starts or ends)
    const before = shown.current.key === key ? shown.current.runs.length : 0;
    const show = (runs: RunSummary[], page: RunPage): void => {
      if (page.nextCursor === null || runs.length >= before) setState({ runs, total: page.total, complete: page.nextCursor === null, error: null, key });
    };
    void (async () => {
      try {
        let page = await api<RunPage>(`/runs${query({ where, sort, limit: FIRST_PAGE })}`, { signal: ctl.signal });
        // a live refresh of the plain listing (newest first): the new runs are on the first page;
        // merged in, unless runs also went away or more came than a page holds (then reload all)
        const old = shown.current;
        if (where === '' && sort === '' && old.key === key && old.complete && old.error === null) {
          const known = new Set(old.runs.map((r) => r.id));
          const fresh = page.runs.filter((r) => !known.has(r.id));
          const byId = new Map(page.runs.map((r) => [r.id, r]));
          // a run still going further down may have ended: only the whole listing says so
          const unfinished = old.runs.some((r) => (r.status === 'created' || r.status === 'running') && !byId.has(r.id));
          if (!unfinished && page.total === old.runs.length + fresh.length && (fresh.length < page.runs.length || page.nextCursor === null)) {
            setState({ runs: [...fresh, ...old.runs.map((r) => byId.get(r.id) ?? r)], total: page.total, complete: true, error: null, key });
            return;
          }
        }
        let runs = page.runs;
        show(runs, page);
        while (page.nextCursor !== null) {
          page = await api<RunPage>(`/runs${query({ where, sort, limit: PAGE, cursor: page.nextCursor })}`, { signal: ctl.signal });
          runs = runs.concat(page.runs);
          show(runs, page);
        }
      } catch (err) {
        if ((err as Error).name === 'AbortError') return;
        setState((s) => ({ ...s, complete: true, error: asApiError(err), key }));
      }
    })();
    return () => ctl.abort();
  }, [key, version]);
  return state.key === key || state.error !== null ? state : { ...state, complete: false };
}

/** One row; unchanged rows are not re-rendered while the table scrolls. */
const RunRow = memo(function RunRow(props: { index: number; run: RunSummary; checked: boolean; columns: Column[]; onToggle: (id: string) => void }): JSX.Element {
  const r = props.run;
  return (
    <div role="row" aria-rowindex={props.index + 2} aria-selected={props.checked} data-run={r.id} class="grid-row" style={{ transform: `translateY(${props.index * ROW_H}px)` }}>
      <div role="cell" class="select">
        <input type="checkbox" aria-label={`select ${r.id}`} checked={props.checked} onChange={() => props.onToggle(r.id)} />
      </div>
      <div role="rowheader" class="id">
        <Link href={href.run(r.id)}>{r.id}</Link>
      </div>
      {props.columns.map((c) => (
        <div role="cell" key={c.key} class={c.num ? 'num' : undefined}>
          {c.cell(r)}
        </div>
      ))}
    </div>
  );
});

/** The grid's column widths: select, id, the base columns, then each picked column. */
function gridColumns(columns: Column[]): string {
  const widths: Record<string, string> = { experiment: 'minmax(90px, 1fr)', status: '96px', createdAt: '100px', durationMs: '84px', seed: '56px', model: 'minmax(110px, 1.3fr)' };
  return ['34px', '214px', ...columns.map((c) => widths[c.key] ?? 'minmax(90px, 0.8fr)')].join(' ');
}

export function RunsView(props: { query: URLSearchParams }): JSX.Element {
  useTitle('Runs');
  const where = props.query.get('where') ?? '';
  const sort = props.query.get('sort') ?? '';
  const picked = (props.query.get('columns') ?? '').split(',').filter((c) => c !== '');
  const [draft, setDraft] = useState(where);
  const [version, setVersion] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [pickerOpen, setPickerOpen] = useState(false);
  useEffect(() => setDraft(where), [where]);
  const { runs, total, complete, error, key: shown } = useAllRuns(where, sort, version);
  useLiveRefresh(runListChange, () => setVersion((v) => v + 1), 1000);

  const setParam = (k: string, v: string): void => {
    const q = new URLSearchParams(location.search);
    if (v === '') q.delete(k);
    else q.set(k, v);
    const s = q.toString();
    navigate(`/runs${s === '' ? '' : `?${s}`}`, k !== 'where');
  };

  const available = useMemo(() => {
    const metrics = new Set<string>();
    const params = new Set<string>();
    for (const r of runs.slice(0, 2000)) {
      for (const m of Object.keys(r.metrics)) metrics.add(`metrics.${m}`);
      paramKeys(r.params, 'params', params);
    }
    return { metrics: [...metrics].sort(), params: [...params].sort() };
  }, [runs.length > 0 ? runs[0] : null, complete]);
  const defaultMetric = useMemo(() => {
    const n = new Map<string, number>();
    for (const r of runs.slice(0, 500)) n.set(r.binding.metric, (n.get(r.binding.metric) ?? 0) + 1);
    return [...n].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  }, [runs.length > 0 ? runs[0] : null]);
  const extra = picked.length > 0 ? picked : defaultMetric !== null ? [`metrics.${defaultMetric}`] : [];
  const extraKey = extra.join(',');
  const columns = useMemo(() => [...BASE, ...extra.map(extraColumn)], [extraKey]);
  const toggle = useCallback((id: string) => {
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  }, []);

  // virtual rows
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewH, setViewH] = useState(600);
  useEffect(() => {
    const el = scroller.current;
    if (el === null) return;
    const ro = new ResizeObserver(() => setViewH(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const count = total ?? runs.length;
  const first = Math.max(0, Math.floor(scrollTop / ROW_H) - OVERSCAN);
  const last = Math.min(count, Math.ceil((scrollTop + viewH) / ROW_H) + OVERSCAN);
  const rows: JSX.Element[] = [];
  for (let i = first; i < last; i++) {
    const r = runs[i];
    if (r === undefined) {
      rows.push(
        <div key={`p${i}`} role="row" aria-rowindex={i + 2} class="grid-row placeholder" style={{ transform: `translateY(${i * ROW_H}px)` }}>
          <div role="cell">loading…</div>
        </div>,
      );
      continue;
    }
    rows.push(<RunRow key={r.id} index={i} run={r} checked={selected.has(r.id)} columns={columns} onToggle={toggle} />);
  }

  const sortOf = (c: string): 'ascending' | 'descending' | undefined => {
    const first = sort.split(',')[0];
    return first === c ? 'ascending' : first === `-${c}` ? 'descending' : undefined;
  };
  const header = (key: string, label: string, sortKey: string | null, num?: boolean): JSX.Element => {
    const s = sortKey === null ? undefined : sortOf(sortKey);
    return (
      <div role="columnheader" key={key} class={num ? 'num' : undefined} aria-sort={s ?? 'none'}>
        {sortKey === null ? (
          label
        ) : (
          <button type="button" class="sort" onClick={() => setParam('sort', s === 'descending' ? sortKey : `-${sortKey}`)} title={`sort by ${sortKey}`}>
            {label}
            <span aria-hidden="true" class="arrow">
              {s === 'ascending' ? '▲' : s === 'descending' ? '▼' : ''}
            </span>
          </button>
        )}
      </div>
    );
  };

  const togglePick = (k: string): void => {
    const now = new Set(extra);
    if (now.has(k)) now.delete(k);
    else now.add(k);
    setParam('columns', [...now].join(','));
  };

  return (
    <>
      <h1>Runs</h1>
      <form
        class="filter"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setParam('where', draft.trim());
        }}
      >
        <label for="where">Filter</label>
        <input id="where" name="where" type="search" spellcheck={false} autocomplete="off" value={draft} onInput={(e) => setDraft((e.target as HTMLInputElement).value)} placeholder={'metrics.accuracy > 0.9 and params.train.model == "gradient_boosting"'} />
        <button type="submit">Apply</button>
        <button type="button" onClick={() => setPickerOpen((o) => !o)} aria-expanded={pickerOpen} aria-controls="column-picker">
          Columns
        </button>
        <button type="button" disabled={selected.size < 2} onClick={() => navigate(href.compare([...selected]))}>
          Compare {selected.size > 0 ? `(${selected.size})` : ''}
        </button>
      </form>
      {pickerOpen ? (
        <fieldset id="column-picker" class="picker">
          <legend>Columns: metrics and params</legend>
          {[...available.metrics, ...available.params].map((k) => (
            <label key={k}>
              <input type="checkbox" checked={extra.includes(k)} onChange={() => togglePick(k)} /> {k}
            </label>
          ))}
        </fieldset>
      ) : null}
      {error ? <ErrorBox error={error} pre /> : null}
      <p class="count muted" aria-live="polite" data-complete={complete ? 'true' : 'false'} data-where={shown.split('\u0000')[0]}>
        {total === null ? 'loading runs…' : `${total.toLocaleString('en-US')} run${total === 1 ? '' : 's'}${where !== '' ? ' match' : ''}${complete ? '' : ` · loaded ${runs.length.toLocaleString('en-US')}`}`}
      </p>
      {total === 0 && where === '' ? (
        <Empty title="No runs yet" command="bfly run <experiment>">
          Run an experiment (or start one from its page):
        </Empty>
      ) : (
        <div class="runs-scroll" ref={scroller} onScroll={(e) => {
            const top = (e.target as HTMLDivElement).scrollTop;
            if (Math.floor(top / ROW_H) !== Math.floor(scrollTop / ROW_H)) setScrollTop(top);
          }} tabIndex={0}>
          <div role="table" class="runs" aria-rowcount={count + 1} aria-label="runs" style={{ '--cols': gridColumns(columns) }}>
            <div role="rowgroup" class="runs-head">
              <div role="row" aria-rowindex={1} class="grid-row head">
                <div role="columnheader" class="select">
                  <span class="visually-hidden">Select</span>
                </div>
                {header('id', 'Run', 'id')}
                {columns.map((c) => header(c.key, c.label, c.sort, c.num))}
              </div>
            </div>
            <div role="rowgroup" class="runs-body" style={{ height: `${count * ROW_H}px` }}>
              {rows}
            </div>
          </div>
        </div>
      )}
    </>
  );
}
