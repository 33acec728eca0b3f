import { METRICS } from '../../core/catalog.js';
import { type Frame, type FrameColumn, compactFrame, pickRows, takeRows } from '../../ml/frame.js';
import { takeValues } from '../../ml/matrix.js';
import { flatMetrics } from '../../ml/metrics.js';
import { rngStream } from '../../ml/random.js';
import type { BlockContext } from '../context.js';
import { type ModelArtifact, modelFromArtifact } from '../model-artifact.js';
import type { ExplanationSlot, Importance, PartSlot, PartialDependence } from '../slots.js';

function withColumn(frame: Frame, j: number, col: FrameColumn): Frame {
  return { ...frame, columns: frame.columns.map((c, i) => (i === j ? col : c)) };
}

function quantileGrid(values: Float64Array, points: number): number[] {
  const sorted = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
  if (sorted.length === 0) return [];
  const grid = new Set<number>();
  for (let q = 0; q < points; q++) grid.add(sorted[Math.round((q / (points - 1)) * (sorted.length - 1))]);
  return [...grid].sort((a, b) => a - b);
}

/**
 * `explain`: permutation importance of every input column on the test rows (each column
 * shuffled `n_repeats` times, seeded; importance = drop in the experiment's metric), then
 * partial dependence for the `top_k` most important columns.
 */
export async function runExplain(ctx: BlockContext): Promise<void> {
  const c = ctx.block.config as { n_repeats: number; top_k: number; max_rows: number };
  const test = ctx.read<PartSlot>('test');
  const model = modelFromArtifact(ctx.read<ModelArtifact>('model'), { python: () => ctx.run.python });
  const rng = rngStream(ctx.run.seed, 'explain');
  let frame = test.raw;
  let y = test.y;
  if (frame.rows > c.max_rows) {
    const pick = rng.shuffle(Int32Array.from({ length: frame.rows }, (_, i) => i)).subarray(0, c.max_rows).sort();
    frame = compactFrame(takeRows(frame, pick));
    y = takeValues(test.y, pick);
  }
  const k = test.classes.length;
  const metric = ctx.run.binding.metric;
  const higher = METRICS[metric].higherIsBetter;
  const score = (f: Frame): number => {
    const { predicted, proba } = model.predictFrame(f);
    return flatMetrics(y, k > 0 ? proba! : predicted, k)[metric] ?? NaN;
  };
  const baseline = score(frame);
  const importance: Importance[] = [];
  // Partial dependence needs a grid of values: numbers or levels, not free text.
  const gridded = (name: string): boolean => frame.columns.find((col) => col.name === name)?.kind !== 'text';
  const total = frame.columns.length + Math.min(c.top_k, frame.columns.filter((col) => col.kind !== 'text').length);
  for (const [j, col] of frame.columns.entries()) {
    const values: number[] = [];
    for (let r = 0; r < c.n_repeats; r++) {
      const order = rng.shuffle(Int32Array.from({ length: frame.rows }, (_, i) => i));
      const shuffled = pickRows(col, order);
      const s = score(withColumn(frame, j, shuffled));
      values.push(higher ? baseline - s : s - baseline);
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    importance.push({ feature: col.name, mean, std: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length), values });
    ctx.progress(j + 1, total, `importance of ${col.name}`);
    await ctx.yield();
    ctx.checkCancelled();
  }
  importance.sort((a, b) => b.mean - a.mean || a.feature.localeCompare(b.feature));
  const partialDependence: PartialDependence[] = [];
  for (const imp of importance.filter((i) => gridded(i.feature)).slice(0, c.top_k)) {
    const j = frame.columns.findIndex((col) => col.name === imp.feature);
    const col = frame.columns[j];
    if (col.kind === 'text') continue;
    const grid: Array<number | string> = col.kind === 'numeric' ? quantileGrid(col.values, 20) : col.levels.slice(0, 30);
    const series = (k > 0 ? test.classes : [ctx.run.binding.target]).map((name) => ({ name, values: [] as number[] }));
    for (const g of grid) {
      const fixed: FrameColumn = col.kind === 'numeric' ? { ...col, values: new Float64Array(frame.rows).fill(g as number) } : { ...col, codes: new Int32Array(frame.rows).fill(col.levels.indexOf(g as string)) };
      const { predicted, proba } = model.predictFrame(withColumn(frame, j, fixed));
      if (k > 0) {
        for (let cl = 0; cl < k; cl++) {
          let sum = 0;
          for (let i = 0; i < frame.rows; i++) sum += proba![i * k + cl];
          series[cl].values.push(sum / frame.rows);
        }
      } else {
        series[0].values.push(predicted.reduce((a, b) => a + b, 0) / frame.rows);
      }
    }
    partialDependence.push({ feature: col.name, kind: col.kind, grid, series });
    ctx.progress(frame.columns.length + partialDependence.length, total, `partial dependence of ${col.name}`);
  }
  const explanation: ExplanationSlot = { method: 'permutation', metric, higherIsBetter: higher, baseline, repeats: c.n_repeats, rows: frame.rows, importance, partialDependence };
  ctx.write('explanation', explanation);
  ctx.artifact('explain.json', 'explanation', JSON.stringify(explanation, null, 2) + '\n');
  ctx.log('info', `most important: ${importance.slice(0, 3).map((i) => `${i.feature} (${i.mean.toFixed(4)})`).join(', ')}`);
}
