import type { VegaLiteSpec } from './plots.js';

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');
let libs: Promise<{ vega: Vega; vl: VegaLite }> | null = null;

/** Renders a Vega-Lite spec to SVG without a browser (vega and vega-lite load on first use). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  libs ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({ vega, vl }));
  const { vega, vl } = await libs;
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
