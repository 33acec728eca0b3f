// A real browser for the web UI's tests and bench: Playwright (playwright-core) driving the
// system's Chromium by path (a browser download is not possible here; .ci/run installs Debian's
// chromium). Each page records its console errors and warnings and uncaught exceptions.
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Served } from './serve-client.js';

/** The Chromium to drive: BFLY_CHROMIUM, else the Debian/Ubuntu paths; null when there is none. */
export const CHROMIUM: string | null = [process.env.BFLY_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p): p is string => p !== undefined && p !== '' && existsSync(p)) ?? null;

export async function launchBrowser(): Promise<Browser> {
  if (CHROMIUM === null) throw new Error('no Chromium: apt-get install -y chromium (or set BFLY_CHROMIUM)');
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A page signed in to the service (through the printed ?token= address), recording console problems. */
export async function openUi(browser: Browser, s: Served, o: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: o.viewport ?? { width: 1280, height: 800 }, colorScheme: o.colorScheme ?? 'light' });
  // layout shifts (Cumulative Layout Shift, per page load): read with layoutShift(page)
  await context.addInitScript(() => {
    const g = globalThis as unknown as { __cls: number; PerformanceObserver: new (f: (l: { getEntries: () => { value: number; hadRecentInput: boolean }[] }) => void) => { observe: (o: object) => void } };
    g.__cls = 0;
    new g.PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) g.__cls += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  await page.goto(`${s.url}/?token=${s.token}`);
  return { context, page, problems };
}

/** The page's Cumulative Layout Shift since it loaded (0: nothing moved as data arrived). */
export function layoutShift(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as { __cls: number }).__cls);
}
