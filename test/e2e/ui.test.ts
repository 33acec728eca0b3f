// The web UI (`bfly ui`) in a real browser: Playwright driving Debian's Chromium against the
// built service on a free loopback port, with its own workspace. Screenshots of every view go to
// test-output/ui/ for a reviewer. Skipped, saying why, where there is no Chromium.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BFLY, bfly, makeCliWorkspace, REPO } from '../helpers.js';
import { CHROMIUM, layoutShift, launchBrowser, openUi } from '../browser.js';
import { type Served, startServe } from '../serve-client.js';

const OUT = join(REPO, 'test-output', 'ui');
const FAST = readFileSync(join(REPO, 'test', 'fixtures', 'fast-pipeline.yaml'), 'utf8');
const SLOW = FAST.replace('cv: 3', 'cv: 10').replace('n_estimators: 20', 'n_estimators: 2000');
const XSS_IMG = '<img src=x onerror="window.__xss=1">';
const XSS_SCRIPT = '<script>window.__xss=2</script>';

if (CHROMIUM === null) console.warn('ui.test.ts skipped: no Chromium (apt-get install -y chromium, or set BFLY_CHROMIUM)');

describe.skipIf(CHROMIUM === null)('bfly ui in Chromium', () => {
  let dir: string;
  let ws: string;
  let cleanup: () => void;
  let s: Served;
  let browser: Browser;
  const pages: Page[] = [];
  const runIds: Record<string, string> = {};
  const cli = async (args: string[]) => {
    const r = await bfly(['-C', ws, ...args]);
    if (r.exitCode !== 0) throw new Error(`bfly ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const runId = async (args: string[]) => (await cli(['run', ...args, '-q'])).stdout.trim().split(/\s+/)[0];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    ({ dir, ws, cleanup } = await makeCliWorkspace());
    writeFileSync(join(dir, 'fast.yaml'), FAST);
    writeFileSync(join(dir, 'slow.yaml'), SLOW);
    writeFileSync(join(dir, 'fast-regression.yaml'), FAST.replace('{model: logistic_regression}', '{model: linear_regression}'));
    await cli(['dataset', 'import', join(REPO, 'examples', 'data', 'penguins.csv'), '--name', 'penguins']);
    await cli(['dataset', 'import', join(REPO, 'examples', 'data', 'cars.csv'), '--name', 'cars']);
    await cli(['experiment', 'create', 'penguins', '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, 'fast.yaml')]);
    await cli(['experiment', 'create', 'cars', '--dataset', 'cars', '--target', 'Miles_per_Gallon', '--template', join(dir, 'fast-regression.yaml')]);
    await cli(['experiment', 'create', 'slow', '--dataset', 'penguins', '--target', 'Species', '--template', join(dir, 'slow.yaml')]);
    runIds.p1 = await runId(['penguins', '--seed', '1']);
    runIds.p2 = await runId(['penguins', '--seed', '2']);
    runIds.cars = await runId(['cars']);
    const batchRun = (await cli(['run', 'cars', '--grid', 'blocks.model_selection.config.cv=2,3', '--seeds', '1-2', '-q'])).stdout.trim().split(/\s+/)[0];
    runIds.batch = JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', batchRun, 'run.json'), 'utf8')).batch;
    // hostile text: column names, category values, a hook's log lines and an error message
    const rows = ['id,' + JSON.stringify(XSS_IMG).replace(/\\"/g, '""') + ',' + XSS_SCRIPT + ',label'];
    for (let i = 0; i < 60; i++) rows.push(`${i},${i % 7},${i % 3 === 0 ? '"' + XSS_IMG.replace(/"/g, '""') + '"' : XSS_SCRIPT},${i % 2 === 0 ? 'yes' : XSS_SCRIPT}`);
    writeFileSync(join(dir, 'xss.csv'), rows.join('\n') + '\n');
    await cli(['dataset', 'import', join(dir, 'xss.csv'), '--name', 'xss']);
    await cli(['experiment', 'create', 'xss', '--dataset', 'xss', '--target', 'label', '--template', join(dir, 'fast.yaml')]);
    writeFileSync(join(ws, 'log.js'), `export default function (ctx) {\n  const { train, test } = ctx.inputs;\n  bfly.log(${JSON.stringify(XSS_IMG)});\n  bfly.log(${JSON.stringify(XSS_SCRIPT)});\n  return { inputs: { train, test } };\n}\n`);
    await cli(['hook', 'add', 'xss', 'before_features', '--file', join(ws, 'log.js')]);
    runIds.xss = await runId(['xss']);
    await cli(['experiment', 'create', 'xssfail', '--dataset', 'xss', '--target', 'label', '--template', join(dir, 'fast.yaml')]);
    writeFileSync(join(ws, 'throw.js'), `export default function (ctx) {\n  throw new Error(${JSON.stringify(XSS_IMG + ' ' + XSS_SCRIPT)});\n}\n`);
    await cli(['hook', 'add', 'xssfail', 'before_features', '--file', join(ws, 'throw.js')]);
    const failed = await bfly(['-C', ws, 'run', 'xssfail', '-q']);
    expect(failed.exitCode).not.toBe(0);
    runIds.xssfail = failed.stdout.trim().split(/\s+/)[0];
    expect(runIds.xssfail).toMatch(/^\d{8}-/);
    s = await startServe(ws, [], {}, 'ui');
    browser = await launchBrowser();
  }, 240_000);
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.context().close();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    cleanup?.();
  });

  async function open(path: string, o: Parameters<typeof openUi>[2] = {}): Promise<{ page: Page; problems: string[] }> {
    const { page, problems } = await openUi(browser, s, o);
    pages.push(page);
    await page.goto(`${s.url}${path}`);
    return { page, problems };
  }
  const shifts: Record<string, number> = {};
  const shot = async (page: Page, name: string) => {
    shifts[name] = await layoutShift(page);
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });
  };
  const drawnPlots = (page: Page) => page.locator('.plot-canvas[data-drawn=true] svg .role-mark').count();

  it('serves the page with a CSP and no inline script; deep links without the token get a sign-in page', async () => {
    const page = await s.api('GET', '/runs/whatever');
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.text()).not.toMatch(/<script>|<script [^>]*>[^<]/); // only <script src=…></script>
    const manifest = JSON.parse(readFileSync(join(REPO, 'dist', 'web', 'manifest.json'), 'utf8')) as { entry: string };
    const js = await s.api('GET', `/assets/${manifest.entry}`);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect((await s.api('GET', '/assets/..%2Fmanifest.json')).status).toBe(404);
    expect((await s.api('GET', '/assets/nope.js')).status).toBe(404);
    const anon = await s.api('GET', '/experiments/penguins', { noAuth: true, headers: { accept: 'text/html' } });
    expect(anon.status).toBe(401);
    expect(anon.text()).toContain('needs its token');
    expect(anon.text()).not.toContain(s.token);
    const wrong = await s.api('GET', '/runs?token=nope', { noAuth: true });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const deep = await s.api('GET', `/runs/${runIds.p1}?token=${s.token}`, { noAuth: true });
    expect(deep.status).toBe(303);
    expect(deep.headers.location).toBe(`/runs/${runIds.p1}`);
  });

  it('every view loads with no console errors; links, the back button and reloads work; screenshots', async () => {
    const { page, problems } = await open('/');
    await expect.poll(() => page.locator('main table').first().isVisible(), { timeout: 15_000 }).toBe(true);
    await page.getByRole('link', { name: runIds.p2 }).waitFor();
    await shot(page, 'home');
    // the keyboard: the first Tab reaches the skip link, Enter moves to the content; focus is visible
    type Doc = { document: { activeElement: { textContent: string; id: string } | null }; getComputedStyle: (e: unknown) => { outlineStyle: string } };
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as Doc).document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => (globalThis as unknown as Doc).document.activeElement?.id)).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as Doc).getComputedStyle((globalThis as unknown as Doc).document.activeElement).outlineStyle)).toBe('solid');
    await page.getByRole('link', { name: 'penguins', exact: true }).first().click();
    await page.waitForURL(/\/experiments\/penguins$/);
    await page.locator('.diagram .block').first().waitFor();
    await expect.poll(() => drawnPlots(page), { timeout: 20_000 }).toBeGreaterThan(0);
    await shot(page, 'experiment');
    await page.goBack();
    await page.waitForURL(`${s.url}/`);
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    await page.goto(`${s.url}/datasets/penguins@1`);
    await page.getByRole('heading', { name: 'Schema' }).waitFor();
    expect(await page.locator('svg.hist').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('.schema tbody tr').count()).toBe(7);
    await shot(page, 'dataset');
    await page.goto(`${s.url}/runs`);
    await page.locator(`[data-run="${runIds.p1}"]`).waitFor();
    await shot(page, 'runs');
    await page.goto(`${s.url}/runs/${runIds.p1}`);
    await page.getByRole('heading', { name: 'Leaderboard' }).waitFor();
    await expect.poll(() => page.locator('.plot-canvas[data-drawn=true]').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
    expect(await drawnPlots(page)).toBeGreaterThan(10);
    expect(await page.locator('.blocks tbody tr').count()).toBe(8);
    expect(await page.locator('svg.lineage .node-artifact').count()).toBeGreaterThan(5);
    expect(await page.locator('tr.winner .badge').innerText()).toBe('chosen');
    await expect.poll(() => page.locator('.logs li').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    // tooltips: hovering a mark of a plot shows vega-tooltip's box with the datum
    const mark = page.locator('.plot-canvas[data-drawn=true] svg .mark-rect path, .plot-canvas[data-drawn=true] svg .mark-symbol path').first();
    await mark.hover({ force: true });
    await expect.poll(() => page.locator('#vg-tooltip-element.visible').count(), { timeout: 5000 }).toBe(1);
    await shot(page, 'run');
    await page.reload();
    await page.getByRole('heading', { name: 'Leaderboard' }).waitFor();
    await page.goto(`${s.url}/compare?runs=${runIds.p1},${runIds.cars}`);
    await page.getByRole('heading', { name: 'What differs' }).waitFor();
    await shot(page, 'compare');
    // no layout shift as data arrives: each view's CLS under 0.1 (web.dev's "good")
    console.log('layout shift per view:', JSON.stringify(shifts));
    for (const [view, cls] of Object.entries(shifts)) expect(cls, view).toBeLessThan(0.1);
    await page.goto(`${s.url}/runs/a/b`);
    await page.getByRole('heading', { name: 'Nothing here' }).waitFor();
    expect(problems).toEqual([]);
    // the dark theme follows the system
    const dark = await open(`/runs/${runIds.cars}`, { colorScheme: 'dark' });
    await expect.poll(() => dark.page.locator('.plot-canvas[data-drawn=true]').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    const bg = await dark.page.locator('body').evaluate((b) => (globalThis as unknown as { getComputedStyle: (e: unknown) => { backgroundColor: string } }).getComputedStyle(b).backgroundColor);
    expect(bg).toBe('rgb(21, 23, 28)');
    await shot(dark.page, 'run-dark');
    expect(dark.problems).toEqual([]);
  }, 120_000);

  it('Runs: a where filter narrows the table to the right rows, a bad one shows its caret, headers sort, selected runs compare', async () => {
    const { page, problems } = await open('/runs');
    await page.locator(`[data-run="${runIds.p1}"]`).waitFor();
    const all = await page.locator('.runs-body [data-run]').count();
    expect(all).toBeGreaterThanOrEqual(5);
    await page.getByLabel('Filter').fill('experiment == "penguins" and seed == 2');
    await page.getByLabel('Filter').press('Enter');
    await page.waitForURL(/where=/);
    await expect.poll(() => page.locator('.runs-body [data-run]').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.locator('.runs-body [data-run]').getAttribute('data-run')).toBe(runIds.p2);
    await expect.poll(() => page.locator('.count').innerText(), { timeout: 15_000 }).toMatch(/^1 run match/);
    // a bad expression: the service's message, caret under the position
    await page.getByLabel('Filter').fill('metrics.accuracy >> 0.9');
    await page.getByLabel('Filter').press('Enter');
    const err = page.getByRole('alert');
    await err.waitFor();
    const text = await err.locator('pre').innerText();
    const lines = text.split('\n');
    const caret = lines.findIndex((l) => /^\s*\^/.test(l));
    expect(caret, text).toBeGreaterThan(0);
    expect(lines[caret].indexOf('^') - lines[caret - 1].indexOf('metrics')).toBe('metrics.accuracy >'.length);
    // sorting: by seed ascending, then descending (the service sorts, as --sort)
    await page.getByLabel('Filter').fill('experiment == "penguins"');
    await page.getByLabel('Filter').press('Enter');
    await expect.poll(() => page.locator('.runs-body [data-run]').count(), { timeout: 15_000 }).toBe(2);
    await page.getByRole('button', { name: 'Seed' }).click();
    await page.waitForURL(/sort=-seed/);
    await expect.poll(() => page.locator('.runs-body [data-run]').first().getAttribute('data-run'), { timeout: 15_000 }).toBe(runIds.p2);
    expect(await page.getByRole('columnheader', { name: /Seed/ }).getAttribute('aria-sort')).toBe('descending');
    await page.getByRole('button', { name: /Seed/ }).click();
    await page.waitForURL(/sort=seed/);
    await expect.poll(() => page.locator('.runs-body [data-run]').first().getAttribute('data-run'), { timeout: 15_000 }).toBe(runIds.p1);
    // the back button restores the earlier filter (a new filter is a history entry; sorting and columns change the current one)
    await page.goBack();
    await expect.poll(() => page.getByLabel('Filter').inputValue(), { timeout: 15_000 }).toBe('metrics.accuracy >> 0.9');
    await page.goForward();
    await expect.poll(() => page.locator('.runs-body [data-run]').count(), { timeout: 15_000 }).toBe(2);
    // pick a params column
    await page.getByRole('button', { name: 'Columns' }).click();
    await page.getByRole('checkbox', { name: 'params.model_selection.cv' }).check();
    await page.waitForURL(/columns=/);
    await page.getByRole('columnheader', { name: /model_selection\.cv/ }).waitFor();
    // select both and compare
    await page.getByRole('checkbox', { name: `select ${runIds.p1}` }).check();
    await page.getByRole('checkbox', { name: `select ${runIds.p2}` }).check();
    await page.getByRole('button', { name: /Compare \(2\)/ }).click();
    await page.waitForURL(/\/compare\?runs=/);
    await page.getByRole('heading', { name: 'What differs' }).waitFor();
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
  }, 120_000);

  it('Compare: two runs of different seeds show what differs and the seed-noise verdict; curves overlaid', async () => {
    const { page, problems } = await open(`/compare?runs=${runIds.p1},${runIds.p2}`);
    await page.getByRole('heading', { name: 'What differs' }).waitFor();
    await page.locator('tr[data-section=run][data-key=seed]').waitFor();
    expect(await page.locator('tr[data-section=run][data-key=seed] td').allInnerTexts()).toEqual(['run', '1', '2']);
    expect(await page.locator('tr[data-section=params]').count()).toBe(0); // only the seed differs
    const verdict = page.locator('[data-verdict]').first();
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-verdict')).toBe('seed_only');
    expect(await verdict.innerText()).toMatch(/only in their seed/);
    await expect.poll(() => page.locator('.plot-canvas[data-drawn=true]').count(), { timeout: 30_000 }).toBe(2);
    const legend = await page.locator('.plot-canvas[data-drawn=true] svg').first().textContent();
    expect(legend).toContain(runIds.p1);
    expect(legend).toContain(runIds.p2);
    await shot(page, 'compare-seeds');
    expect(problems).toEqual([]);
  }, 60_000);

  it('Compare a batch: the grid × seed matrix with mean ± std per grid point, and params against the metric', async () => {
    const { page, problems } = await open(`/compare?batch=${runIds.batch}`);
    await page.getByRole('heading', { name: 'Grid × seed' }).waitFor();
    expect(await page.locator('.matrix thead th').allInnerTexts()).toEqual(['model_selection.cv', 'seed 1', 'seed 2', 'rmse mean ± std']);
    const rows = await page.locator('.matrix tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t')[0])).toEqual(['2', '3']);
    for (const r of rows) expect(r).toMatch(/\d\.\d+ ± \d\.\d+$/);
    await expect.poll(() => page.locator('figure[aria-label^="parallel coordinates"] [data-drawn=true] svg .mark-line path').count(), { timeout: 30_000 }).toBe(4);
    await shot(page, 'compare-batch');
    expect(problems).toEqual([]);
  }, 60_000);

  it('Experiment: a draft error is underlined at its line as you type; fixed and saved; a run submitted from the form finishes live with its plots', async () => {
    const { page, problems } = await open('/experiments/penguins');
    const editor = page.getByLabel('the draft pipeline (YAML)');
    await editor.waitFor();
    const good = await editor.inputValue();
    const lines = good.split('\n');
    const cvLine = lines.findIndex((l) => /^\s+cv: 3$/.test(l)) + 1;
    expect(cvLine).toBeGreaterThan(0);
    await editor.fill(good.replace(/cv: 3\n/, 'cv: three\n'));
    await page.locator(`.backdrop .line.bad[data-line="${cvLine}"]`).waitFor({ timeout: 10_000 });
    expect(await page.locator('.gutter .bad').allInnerTexts()).toEqual([String(cvLine)]);
    expect(await page.getByRole('list', { name: 'problems in the draft' }).innerText()).toContain(`line ${cvLine}:`);
    expect(await page.getByRole('button', { name: 'Save draft' }).isDisabled()).toBe(true);
    await shot(page, 'experiment-problem');
    // fixed (a real change: 4 folds), saved as a new revision
    await editor.fill(good.replace(/cv: 3\n/, 'cv: 4\n'));
    await expect.poll(() => page.locator('.editor-status').innerText(), { timeout: 15_000 }).toContain('valid');
    expect(await page.locator('.backdrop .line.bad').count()).toBe(0);
    await page.getByRole('button', { name: 'Save draft' }).click();
    await expect.poll(() => page.locator('.editor-status').innerText(), { timeout: 15_000 }).toContain('saved as revision 2');
    expect(readFileSync(join(ws, '.butterfly', 'experiments', 'penguins', 'pipeline.yaml'), 'utf8')).toContain('cv: 4');
    await expect.poll(() => page.locator('table.plan').innerText(), { timeout: 15_000 }).toMatch(/model_selection\s+run/);
    // the Run form: a bad seed is refused here; then seed 11 is submitted and followed live
    await page.getByLabel('Seed', { exact: true }).fill('eleven');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByText('the seed must be a whole number').waitFor();
    await page.getByLabel('Seed', { exact: true }).fill('11');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('[data-job-status=succeeded]').waitFor({ timeout: 60_000 });
    const link = page.locator('.job a').first();
    const id = (await link.innerText()).trim();
    await link.click();
    await page.waitForURL(new RegExp(`/runs/${id}$`));
    await expect.poll(() => page.locator('.plot-canvas[data-drawn=true]').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
    expect(await drawnPlots(page)).toBeGreaterThan(10);
    expect(JSON.parse(readFileSync(join(ws, '.butterfly', 'runs', id, 'run.json'), 'utf8'))).toMatchObject({ seed: 11, status: 'succeeded', draftRevision: 2 });
    expect(problems).toEqual([]);
  }, 120_000);

  it('a run started with the CLI appears on Home and Runs, and progresses, without a reload', async () => {
    const home = await open('/');
    const runs = await open('/runs');
    await home.page.getByRole('heading', { name: 'Running now' }).waitFor();
    await runs.page.locator(`[data-run="${runIds.p1}"]`).waitFor();
    const before = new Set(readdirSync(join(ws, '.butterfly', 'runs')));
    const proc = execa(process.execPath, ['--no-node-snapshot', BFLY, '-C', ws, 'run', 'slow', '--json'], { reject: false });
    try {
      let id: string | undefined;
      await expect.poll(() => (id = readdirSync(join(ws, '.butterfly', 'runs')).find((f) => !before.has(f) && f !== 'tmp')), { timeout: 20_000 }).toBeDefined();
      await runs.page.locator(`[data-run="${id}"]`).waitFor({ timeout: 10_000 });
      const item = home.page.locator('.activity li', { hasText: id! });
      await item.waitFor({ timeout: 10_000 });
      // it progresses: every value its bar shows is recorded as it changes (the run may be quick)
      await home.page.evaluate(() => {
        const seen: number[] = [];
        (globalThis as { __progress?: number[] }).__progress = seen;
        const doc = (globalThis as unknown as { document: { querySelector: (s: string) => { querySelectorAll: (s: string) => { getAttribute: (a: string) => string | null }[] } } }).document;
        const record = (): void => {
          for (const bar of doc.querySelector('.activity').querySelectorAll('[aria-valuenow]')) seen.push(Number(bar.getAttribute('aria-valuenow')));
        };
        record();
        new (globalThis as unknown as { MutationObserver: new (f: () => void) => { observe: (n: unknown, o: object) => void } }).MutationObserver(record).observe(doc.querySelector('.activity'), { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
      });
      await shot(home.page, 'home-running');
      expect((await proc).exitCode).toBe(0);
      await expect.poll(() => runs.page.locator(`[data-run="${id}"] .status`).innerText(), { timeout: 10_000 }).toBe('succeeded');
      const seen = await home.page.evaluate(() => (globalThis as { __progress?: number[] }).__progress ?? []);
      expect(new Set(seen).size, JSON.stringify(seen)).toBeGreaterThanOrEqual(3);
      expect(Math.max(...seen)).toBeGreaterThan(50);
      await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(0);
    } finally {
      proc.kill('SIGKILL');
      await proc;
    }
    expect(home.problems).toEqual([]);
    expect(runs.problems).toEqual([]);
  }, 120_000);

  it('an empty workspace: each view says what to do next', async () => {
    const empty = await makeCliWorkspace();
    const e = await startServe(empty.ws, [], {}, 'ui');
    try {
      const { page, problems } = await openUi(browser, e, { viewport: { width: 1366, height: 768 } });
      pages.push(page);
      await page.getByText('No datasets yet').waitFor();
      expect(await page.locator('main').innerText()).toContain('bfly dataset import penguins.csv');
      expect(await page.locator('main').innerText()).toContain('bfly experiment create');
      await page.goto(`${e.url}/runs`);
      await page.getByText('No runs yet').waitFor();
      await page.goto(`${e.url}/compare`);
      await page.getByText('Nothing to compare yet').waitFor();
      await page.goto(`${e.url}/experiments/nope`);
      expect(await page.getByRole('alert').innerText()).toContain('nope');
      await shot(page, 'empty');
      expect(problems.filter((p) => !/status of 404/.test(p))).toEqual([]);
    } finally {
      await e.stop();
      empty.cleanup();
    }
  }, 60_000);

  it('XSS: hostile column names, values, hook logs and errors are shown as text and never run', async () => {
    const views = ['/', '/datasets/xss@1', '/experiments/xss', `/runs/${runIds.xss}`, `/runs/${runIds.xssfail}`, '/runs?columns=params.model_selection.cv', `/compare?runs=${runIds.xss},${runIds.xssfail}`];
    for (const v of views) {
      const { page, problems } = await open(v);
      await page.locator('main h1').waitFor();
      await page.waitForLoadState('networkidle');
      if (v.startsWith('/datasets')) {
        await expect.poll(() => page.locator('.schema th.name').allInnerTexts(), { timeout: 15_000 }).toEqual(['id', XSS_IMG, XSS_SCRIPT, 'label']);
        expect(await page.locator('.top-values').first().innerText()).toContain(XSS_SCRIPT);
      }
      if (v === `/runs/${runIds.xss}`) await expect.poll(() => page.locator('.logs').innerText(), { timeout: 15_000 }).toContain(XSS_IMG);
      if (v === `/runs/${runIds.xssfail}`) await expect.poll(() => page.getByRole('alert').first().innerText(), { timeout: 15_000 }).toContain(`${XSS_IMG} ${XSS_SCRIPT}`);
      expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
      expect(await page.locator('main img, main script').count()).toBe(0);
      if (v.startsWith('/datasets')) await shot(page, 'xss-dataset');
      expect(problems, v).toEqual([]);
    }
  }, 120_000);
});

describe('bfly ui opens the browser', () => {
  const started: ReturnType<typeof execa>[] = [];
  afterEach(async () => {
    for (const p of started.splice(0)) {
      p.kill('SIGKILL'); // script; its bfly gets SIGHUP with the terminal
      await p;
    }
  });
  // a terminal (a pty from util-linux `script`) on a desktop (DISPLAY), with an xdg-open on PATH that notes what it was asked to open
  async function start(ws: string, bin: string, flags: string[], env: Record<string, string>): Promise<{ out: () => string; stop: () => Promise<void> }> {
    const proc = execa('script', ['-qfec', [process.execPath, '--no-node-snapshot', BFLY, '-C', ws, 'ui', '--port', '0', ...flags].join(' '), '/dev/null'], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...env }, reject: false, buffer: { stdout: false } });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const record = join(ws, '.butterfly', 'serve.json');
    started.push(proc);
    await expect.poll(() => existsSync(record) && /\?token=|"token"/.test(out), { timeout: 20_000 }).toBe(true);
    return {
      out: () => out,
      stop: async () => {
        const { pid } = JSON.parse(readFileSync(record, 'utf8')) as { pid: number };
        process.kill(pid, 'SIGINT');
        await proc;
      },
    };
  }

  it('on a desktop terminal it opens the printed address (with the token); not with --no-open, --json, or without a display', async () => {
    const { dir, ws, cleanup } = await makeCliWorkspace();
    try {
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      const opened = join(dir, 'opened.txt');
      writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" >> '${opened}'\n`, { mode: 0o755 });
      const ui = await start(ws, bin, [], { DISPLAY: ':99' });
      await expect.poll(() => existsSync(opened), { timeout: 10_000 }).toBe(true);
      const url = /UI\s+(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64})/.exec(ui.out())?.[1];
      expect(url, ui.out()).toBeDefined();
      expect(readFileSync(opened, 'utf8')).toBe(`${url}\n`);
      await ui.stop();
      for (const [flags, env] of [[['--no-open'], { DISPLAY: ':99' }], [['--json'], { DISPLAY: ':99' }], [[], { DISPLAY: '', WAYLAND_DISPLAY: '' }]] as const) {
        const other = await start(ws, bin, [...flags], env);
        await new Promise((r) => setTimeout(r, 1000)); // the opener is started before the address is printed
        await other.stop();
        expect(readFileSync(opened, 'utf8').split('\n').length, `${flags.join(' ')} ${JSON.stringify(env)}`).toBe(2); // still the one line
      }
    } finally {
      cleanup();
    }
  }, 90_000);
});
