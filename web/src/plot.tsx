/** A plot from a Vega-Lite spec, drawn by the lazily loaded vega chunk. */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** Draws `spec`; a box of the plot's size holds its place while vega loads (no layout shift). */
export function VegaPlot(props: { spec: Record<string, unknown> | null; label: string; height?: number }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [drawn, setDrawn] = useState(false);
  useEffect(() => {
    if (props.spec === null || ref.current === null) return;
    let dispose: (() => void) | null = null;
    let cancelled = false;
    const el = ref.current;
    setDrawn(false);
    import('./vega.js')
      .then(({ renderVegaLite }) => renderVegaLite(el, props.spec!))
      .then(
        (d) => {
          if (cancelled) d();
          else {
            dispose = d;
            setDrawn(true);
          }
        },
        (err: unknown) => !cancelled && setError((err as Error).message),
      );
    return () => {
      cancelled = true;
      dispose?.();
      el.replaceChildren();
    };
  }, [props.spec]);
  const h = props.height ?? (typeof props.spec?.height === 'number' ? props.spec.height + 110 : 320);
  return (
    <figure class="plot" aria-label={props.label} aria-busy={!drawn && error === null}>
      <div ref={ref} class="plot-canvas" style={{ minHeight: `${h}px` }} data-drawn={drawn ? 'true' : undefined} />
      {error !== null ? <p class="error-message">could not draw {props.label}: {error}</p> : null}
    </figure>
  );
}
