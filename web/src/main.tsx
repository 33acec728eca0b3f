/**
 * The bfly web UI: a Preact app served by the service (`bfly ui`, `bfly serve`) from the same
 * origin. Views: Home, Dataset, Experiment, Runs, Run, Compare, each at its own address; every
 * view follows the service's live events. User data (column names, categories, names, logs,
 * errors) is only ever rendered as text.
 */
import { render, type JSX } from 'preact';
import type { Health } from '../../src/core/contracts/index.js';
import { useApi } from './common.js';
import { Link, useLocation } from './router.js';
import { HomeView } from './views/home.js';
import { DatasetView } from './views/dataset.js';
import { ExperimentView } from './views/experiment.js';
import { RunsView } from './views/runs.js';
import { RunView } from './views/run.js';
import { CompareView } from './views/compare.js';
import './style.css';

function NotFound(props: { path: string }): JSX.Element {
  return (
    <section>
      <h1>Nothing here</h1>
      <p>
        No view has the address <code>{props.path}</code>. <Link href="/">Home</Link> lists the datasets and experiments.
      </p>
    </section>
  );
}

function View(props: { path: string; query: URLSearchParams }): JSX.Element {
  const parts = props.path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts.length === 0) return <HomeView />;
  if (parts[0] === 'runs' && parts.length === 1) return <RunsView query={props.query} />;
  if (parts[0] === 'runs' && parts.length === 2) return <RunView id={parts[1]} />;
  if (parts[0] === 'datasets' && parts.length === 2) return <DatasetView ref_={parts[1]} />;
  if (parts[0] === 'experiments' && parts.length === 2) return <ExperimentView name={parts[1]} />;
  if (parts[0] === 'compare' && parts.length === 1) return <CompareView query={props.query} />;
  return <NotFound path={props.path} />;
}

function App(): JSX.Element {
  const { path, query } = useLocation();
  const health = useApi<Health>('/health');
  const section = path.split('/')[1] ?? '';
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          // to the content without changing the address (the back button stays the views')
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <nav aria-label="main">
          <Link href="/" class="brand" aria-current={section === '' ? 'page' : undefined}>
            bfly
          </Link>
          <Link href="/" aria-current={section === '' ? 'page' : undefined}>
            Home
          </Link>
          <Link href="/runs" aria-current={section === 'runs' ? 'page' : undefined}>
            Runs
          </Link>
        </nav>
        <span class="version muted">
          <span class="workspace" title="the workspace">
            {health.data?.workspace.name ?? ''}
          </span>{' '}
          {health.data ? `· bfly ${health.data.version}` : ''}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <View path={path} query={query} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
