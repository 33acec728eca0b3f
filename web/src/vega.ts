/**
 * Draws a Vega-Lite spec interactively (SVG, tooltips). Loaded lazily, as a chunk of its own, by
 * the views that draw plots: vega and vega-lite are most of the UI's bytes. Expressions run in
 * vega's interpreter, not `new Function`, so the page's CSP needs no 'unsafe-eval'; tooltips are
 * vega-tooltip's, styled by our stylesheet (no injected <style>) and escaping every value.
 */
import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { expressionInterpreter } from 'vega-interpreter';
import { Handler } from 'vega-tooltip';

/** Colors for the dark theme (the stored specs are drawn for a light page). */
function themeConfig(): Record<string, unknown> {
  const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
  // every mark shows its datum on hover (the stored specs name no tooltips of their own)
  const mark = { tooltip: true };
  if (!dark) return { background: null, mark };
  const fg = '#d8dbe2';
  const grid = '#3a3f4b';
  return {
    background: null,
    mark,
    title: { color: fg },
    axis: { labelColor: fg, titleColor: fg, gridColor: grid, domainColor: grid, tickColor: grid },
    legend: { labelColor: fg, titleColor: fg },
    view: { stroke: null },
  };
}

/** Renders `spec` into `el`; returns what removes it. */
export async function renderVegaLite(el: HTMLElement, spec: Record<string, unknown>): Promise<() => void> {
  const { $schema: _s, ...rest } = spec;
  const config = { ...(rest.config as Record<string, unknown> | undefined), ...themeConfig() };
  const vg = compile({ ...rest, config } as unknown as TopLevelSpec).spec;
  const runtime = parse(vg, undefined, { ast: true });
  const view = new View(runtime, { expr: expressionInterpreter, renderer: 'svg', container: el, hover: true });
  view.tooltip(new Handler({ disableDefaultStyle: true }).call);
  await view.runAsync();
  return () => view.finalize();
}
