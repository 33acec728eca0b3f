/* global document, window, fetch, requestAnimationFrame, MutationObserver -- page functions run in Chromium (page.evaluate); fetch is Node 20's */
// npm run bench -- ui: the web UI (`bfly ui`) in Chromium through playwright-core, on a workspace
// of 10,000 runs (clones of a real run, as the history bench makes them). Measured in the page:
// - Runs view first render (navigation start -> the first row drawn), cold and warm (median of 5);
// - applying a filter (Enter -> the filtered rows drawn), median of 5 filters;
// - scrolling the whole table to its end at a fast wheel's 12,000 px/s (and, as a stress, in 300
//   frames), once every run is loaded: frame intervals (p50, p95, max) and frames dropped (an
//   interval over 1.5 frames at 60 Hz), beside one static HTML table of the same rows scrolled alike;
// - the JavaScript the first view loads, gzipped (and that vega is not part of it).
// Beside each figure: its target from the issue, and the API's own time for the same answer
// (GET /api/v1/runs, measured in the same run): the UI's cost over the data it shows.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { BFLY, ROOT, measure, table } from './lib.js';
import { makeWorkspace } from './history.js';

const CHROMIUM = [process.env.BFLY_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));

async function startUi(dir) {
  const child = spawn(process.execPath, ['--no-node-snapshot', BFLY, '-C', dir, 'ui', '--no-open', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
    });
    child.on('exit', (code) => reject(new Error(`bfly ui exited ${code}`)));
  });
  return { child, ...JSON.parse(line) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function apiMs(s, path) {
  const t0 = performance.now();
  const res = await fetch(`${s.url}/api/v1${path}`, { headers: { authorization: `Bearer ${s.token}` } });
  await res.arrayBuffer();
  return performance.now() - t0;
}

/**
 * Scrolls `selector` from its top to its end, `px` a frame (0: the whole height in 300 frames);
 * the frame intervals.
 */
const SCROLL = ([selector, px]) =>
  new Promise((resolve) => {
    const el = document.querySelector(selector);
    el.scrollTop = 0;
    const step = px > 0 ? px : (el.scrollHeight - el.clientHeight) / 300;
    const intervals = [];
    let last = 0;
    const tick = (now) => {
      intervals.push(now - last);
      last = now;
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) {
        resolve({ intervals: intervals.slice(1), atEnd: true, domRows: el.querySelectorAll('[data-run], tbody tr').length });
        return;
      }
      el.scrollTop = Math.min(el.scrollHeight, el.scrollTop + step);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame((t) => {
      last = t;
      requestAnimationFrame(tick);
    });
  });

const FLING = 200; // px a frame: 12,000 px/s at 60 Hz, a fast mouse-wheel fling (~350 rows/s)

export async function benchUi() {
  if (CHROMIUM === undefined) {
    console.log('ui: skipped: no Chromium (apt-get install -y chromium, or set BFLY_CHROMIUM)');
    return;
  }
  const t0 = performance.now();
  const { dir } = makeWorkspace(10_000, { big: false });
  // the index and its columns are built once, as the first listing and the first filtered listing do
  // (runs made by bfly are indexed as they end; these clones were written behind its back)
  measure(process.execPath, [BFLY, '-C', dir, 'runs', '--json', '--where', 'seed == 1']);
  console.log(`ui: generated 10,000 runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const s = await startUi(dir);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const rows = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${s.url}/?token=${s.token}`);
    await page.locator('main h1').waitFor();

    // the first view's JavaScript (Home), gzipped
    const scripts = new Map();
    const onResponse = async (r) => {
      if (r.url().endsWith('.js')) scripts.set(r.url(), await r.body().catch(() => Buffer.alloc(0)));
    };
    page.on('response', onResponse);
    await page.goto(`${s.url}/`, { waitUntil: 'networkidle' });
    page.off('response', onResponse);
    const initialGz = [...scripts.values()].reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
    const initialRaw = [...scripts.values()].reduce((n, b) => n + b.length, 0);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'dist', 'web', 'manifest.json'), 'utf8'));
    const vegaLoaded = [...scripts.keys()].some((u) => !manifest.initial.some((f) => u.endsWith(f)));

    // Runs view first render: navigation start -> first row in the DOM
    const firstRender = async () => {
      await page.goto(`${s.url}/runs`, { waitUntil: 'commit' });
      await page.locator('.runs-body [data-run]').first().waitFor();
      return page.evaluate(() => performance.now());
    };
    await page.goto(`${s.url}/`);
    const cold = await firstRender();
    if (process.env.BFLY_BENCH_TRACE) console.log(await page.evaluate(() => JSON.stringify(performance.getEntries().map((e) => [e.entryType, e.name.slice(-60), Math.round(e.startTime), Math.round(e.duration)]))));
    const warm = [];
    for (let i = 0; i < 5; i++) warm.push(await firstRender());
    const apiFirst = [];
    for (let i = 0; i < 5; i++) apiFirst.push(await apiMs(s, '/runs?limit=100'));

    // applying a filter: Enter -> the filtered rows drawn (measured in the page)
    await page.locator('.count[data-complete=true]').waitFor({ timeout: 120_000 });
    const filters = ['metrics.accuracy > 0.95', 'seed == 3 and metrics.accuracy > 0.9', 'status == "failed"', 'metrics.f1_macro < 0.85 and seed != 2', 'metrics.roc_auc >= 0.99'];
    const filterMs = [];
    const apiFilter = [];
    for (const f of filters) {
      await page.getByLabel('Filter').fill(f);
      const ms = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const count = document.querySelector('.count');
            const form = document.querySelector('form.filter');
            const t = performance.now();
            const want = document.querySelector('#where').value.trim();
            const obs = new MutationObserver(() => {
              if (count.dataset.where === want && /match/.test(count.textContent ?? '')) {
                obs.disconnect();
                requestAnimationFrame(() => resolve(performance.now() - t));
              }
            });
            obs.observe(count, { childList: true, characterData: true, subtree: true, attributes: true });
            form.requestSubmit();
          }),
      );
      filterMs.push(ms);
      apiFilter.push(await apiMs(s, `/runs?limit=100&where=${encodeURIComponent(f)}`));
    }

    // scrolling the whole table to its end, one step per frame, every run loaded
    await page.goto(`${s.url}/runs`);
    await page.locator('.count[data-complete=true]').waitFor({ timeout: 120_000 });
    const scroll = await page.evaluate(SCROLL, ['.runs-scroll', FLING]);
    const stress = await page.evaluate(SCROLL, ['.runs-scroll', 0]);
    // the reference: the same 10,000 rows as one plain, static HTML table (no virtual rows, no
    // framework) scrolled the same way in the same browser
    const all = [];
    for (let cursor = null; ; ) {
      const res = await fetch(`${s.url}/api/v1/runs?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: { authorization: `Bearer ${s.token}` } });
      const page_ = await res.json();
      all.push(...page_.runs);
      if (page_.nextCursor === null) break;
      cursor = page_.nextCursor;
    }
    const esc = (v) => String(v).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
    const ref = await context.newPage();
    await ref.setContent(`<!doctype html><style>body{margin:0;font:14px system-ui}#s{height:570px;overflow:auto}td{height:34px;padding:0 8px;border-bottom:1px solid #ddd;white-space:nowrap}</style><div id="s"><table><tbody>${all.map((r) => `<tr><td><input type=checkbox></td><td><a href="#">${esc(r.id)}</a></td><td>${esc(r.experiment)}</td><td>${esc(r.status)}</td><td>${esc(r.createdAt)}</td><td>${r.durationMs} ms</td><td>${r.seed}</td><td>${esc(r.selection?.label ?? '')}</td><td>${r.metrics.accuracy?.toFixed(4) ?? ''}</td></tr>`).join('')}</tbody></table></div>`);
    const refScroll = await ref.evaluate(SCROLL, ['#s', FLING]);
    const refStress = await ref.evaluate(SCROLL, ['#s', 0]);
    await ref.close();
    const dropped = (x) => x.intervals.filter((v) => v > 1.5 * (1000 / 60)).length;
    const frames = (x) => `${pct(x.intervals, 0.5).toFixed(1)} / ${pct(x.intervals, 0.95).toFixed(1)} / ${Math.max(...x.intervals).toFixed(1)} ms`;

    const ratio = (v, t) => `${(v / t).toFixed(2)}x`;
    rows.push(['Runs view first render, cold (10,000 runs)', `${cold.toFixed(0)} ms`, '<= 1000 ms', ratio(cold, 1000), `API first page ${median(apiFirst).toFixed(0)} ms`]);
    rows.push(['Runs view first render, warm (median of 5)', `${median(warm).toFixed(0)} ms`, '<= 1000 ms', ratio(median(warm), 1000), `${(median(warm) / median(apiFirst)).toFixed(1)}x the API's page`]);
    rows.push(['apply a filter (median of 5)', `${median(filterMs).toFixed(0)} ms (max ${Math.max(...filterMs).toFixed(0)})`, '<= 300 ms', ratio(median(filterMs), 300), `API ${median(apiFilter).toFixed(0)} ms`]);
    rows.push(['scroll to the end at 12,000 px/s: frame p50 / p95 / max', frames(scroll), 'p95 <= 25 ms (no drop)', ratio(pct(scroll.intervals, 0.95), 25), `${dropped(scroll)} of ${scroll.intervals.length} frames dropped; ${scroll.domRows} rows in the DOM`]);
    rows.push(['  reference: one static 10,000-row table', frames(refScroll), '', '', `${dropped(refScroll)} of ${refScroll.intervals.length} dropped; bfly p95 ${(pct(scroll.intervals, 0.95) / pct(refScroll.intervals, 0.95)).toFixed(2)}x this`]);
    rows.push(['stress: the whole table in 300 frames (68,000 px/s)', frames(stress), '', '', `${dropped(stress)} of ${stress.intervals.length} dropped`]);
    rows.push(['  reference: one static 10,000-row table', frames(refStress), '', '', `${dropped(refStress)} of ${refStress.intervals.length} dropped; bfly p95 ${(pct(stress.intervals, 0.95) / pct(refStress.intervals, 0.95)).toFixed(2)}x this`]);
    rows.push(['first view JavaScript, gzipped', `${(initialGz / 1024).toFixed(1)} KiB (${(initialRaw / 1024).toFixed(0)} KiB raw)`, '<= 300 KB', ratio(initialGz, 300 * 1000), vegaLoaded ? 'vega LOADED by the first view' : 'vega not loaded (lazy, per view)']);
    // live: a run started with the CLI, from its folder appearing to its row on Runs and its
    // entry on Home (each page records when the run's id first shows; epoch ms on both sides)
    const home = await context.newPage();
    await home.goto(`${s.url}/`);
    await home.locator('main h1').waitFor();
    await page.goto(`${s.url}/runs`);
    await page.locator('.count[data-complete=true]').waitFor({ timeout: 120_000 });
    const watch = (p, selector) =>
      p.evaluate((sel) => {
        const seen = new Set([...document.querySelectorAll(sel)].map((e) => e.getAttribute('data-run') ?? e.textContent));
        window.__appeared = {};
        new MutationObserver(() => {
          for (const e of document.querySelectorAll(sel)) {
            const id = e.getAttribute('data-run') ?? e.textContent;
            if (!seen.has(id) && !(id in window.__appeared)) window.__appeared[id] = performance.timeOrigin + performance.now();
          }
        }).observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true, attributes: true }); // Preact may patch an existing link's text in place
      }, selector);
    await watch(page, '.runs-body [data-run]');
    await watch(home, 'main a'); // its progress bar while it runs, or its link as an experiment's latest run
    const runsDir = join(dir, '.butterfly', 'runs');
    const before = new Set(readdirSync(runsDir));
    const child = spawn(process.execPath, [BFLY, '-C', dir, 'run', 'penguins', '--force', '-q'], { stdio: 'ignore' });
    let id;
    let bornAt;
    while (id === undefined) {
      id = readdirSync(runsDir).find((f) => !before.has(f) && f !== 'tmp');
      bornAt = Date.now();
      if (id === undefined) await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => child.once('exit', r));
    const appeared = async (p) => (await p.evaluate(() => window.__appeared))[id];
    // the run may end before the pages have caught up: give them 5 s more to show it
    for (let t = 0; t < 50 && ((await appeared(page)) === undefined || (await appeared(home)) === undefined); t++) await new Promise((r) => setTimeout(r, 100));
    const onRuns = await appeared(page);
    const onHome = await appeared(home);
    const live = (t) => (t === undefined ? 'never' : `${Math.max(0, t - bornAt).toFixed(0)} ms`);
    rows.push(['a run started by the CLI: folder → row on Runs / entry on Home', `${live(onRuns)} / ${live(onHome)}`, '<= 1000 ms', onRuns === undefined ? '—' : ratio(Math.max(onRuns, onHome ?? Infinity) - bornAt, 1000), 'the service tails the audit log every 100 ms; the page refetches on the event']);
    console.log('\nui (Chromium, 1280×800, 10,000 runs)');
    table(['measure', 'bfly ui', 'target', 'of target', 'reference / notes'], rows);
    if (problems.length > 0) console.log(`console problems: ${problems.join(' | ')}`);
    await context.close();
  } finally {
    await browser.close();
    s.child.kill('SIGTERM');
    await new Promise((r) => s.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
