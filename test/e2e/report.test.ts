// What people look at, through the built CLI: explanations, plots, the notebook and HTML
// report, bfly predict, artifacts, export and open.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bfly, makeCliWorkspace, VEGA } from '../helpers.js';

let dir: string;
let ws: string;
let cleanup: () => void;
const run = (args: string[]) => bfly(['-C', ws, ...args]);
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const art = (id: string, name: string) => readFileSync(join(ws, '.butterfly', 'runs', id, 'artifacts', name), 'utf8');

/** Checks a notebook against nbformat 4's required structure; returns the problems. */
function nbformatProblems(nb: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (nb.nbformat !== 4 || typeof nb.nbformat_minor !== 'number') problems.push('nbformat 4.x');
  if (typeof nb.metadata !== 'object' || nb.metadata === null) problems.push('metadata');
  const cells = nb.cells as Array<Record<string, unknown>>;
  if (!Array.isArray(cells) || cells.length === 0) problems.push('cells');
  const ids = new Set<string>();
  for (const [i, c] of (cells ?? []).entries()) {
    const keys = Object.keys(c).sort().join(',');
    const src = Array.isArray(c.source) && (c.source as unknown[]).every((l) => typeof l === 'string');
    if (typeof c.id !== 'string' || !/^[a-zA-Z0-9-_]{1,64}$/.test(c.id) || ids.has(c.id)) problems.push(`cell ${i}: id`);
    ids.add(c.id as string);
    if (!src) problems.push(`cell ${i}: source`);
    if (c.cell_type === 'markdown') {
      if (keys !== 'cell_type,id,metadata,source') problems.push(`cell ${i}: markdown keys ${keys}`);
    } else if (c.cell_type === 'code') {
      if (keys !== 'cell_type,execution_count,id,metadata,outputs,source') problems.push(`cell ${i}: code keys ${keys}`);
      for (const out of c.outputs as Array<Record<string, unknown>>) {
        if (out.output_type !== 'display_data' || typeof out.data !== 'object' || typeof out.metadata !== 'object') problems.push(`cell ${i}: output`);
      }
    } else problems.push(`cell ${i}: type ${String(c.cell_type)}`);
  }
  return problems;
}

/** A rough well-formedness check: one svg root and balanced open/close tags. */
function svgProblems(svg: string): string[] {
  const problems: string[] = [];
  if (!/^<svg[\s>]/.test(svg) || !svg.trimEnd().endsWith('</svg>')) problems.push('root');
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (m[3] === '/') continue;
    if (m[1] === '/') {
      if (stack.pop() !== m[2]) problems.push(`unbalanced </${m[2]}>`);
    } else stack.push(m[2]);
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join(',')}`);
  return problems;
}

beforeAll(async () => {
  ({ dir, ws, cleanup } = await makeCliWorkspace());
  await run(['dataset', 'import', join(VEGA, 'penguins.json'), '--name', 'penguins']);
  await run(['dataset', 'import', join(VEGA, 'cars.json'), '--name', 'cars']);
  // A planted signal and two noise columns.
  const lines = ['signal,noise_a,noise_b,label'];
  let s = 11;
  const r = () => (s = (s * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < 1200; i++) {
    const x = r() * 2 - 1;
    lines.push(`${x.toFixed(4)},${(r() * 2 - 1).toFixed(4)},${(r() * 2 - 1).toFixed(4)},${x + (r() - 0.5) * 0.2 > 0 ? 'yes' : 'no'}`);
  }
  writeFileSync(join(dir, 'planted.csv'), lines.join('\n') + '\n');
  await run(['dataset', 'import', join(dir, 'planted.csv')]);
  const fast = `apiVersion: bfly/v1
seed: 3
blocks:
  - {id: split, type: split}
  - {id: preprocess, type: preprocess}
  - {id: model_selection, type: model_selection, config: {cv: 3, candidates: [{model: logistic_regression}, {model: gradient_boosting, params: {max_iter: 30}}]}}
  - {id: train, type: train}
  - {id: evaluate, type: evaluate}
  - {id: explain, type: explain, config: {n_repeats: 5, top_k: 2}}
  - {id: report, type: report}
`;
  writeFileSync(join(dir, 'fast.yaml'), fast);
  await run(['experiment', 'create', 'planted', '--dataset', 'planted', '--target', 'label', '--template', join(dir, 'fast.yaml')]);
  // both shipped templates, as they are
  await run(['experiment', 'create', 'penguins', '--dataset', 'penguins', '--target', 'Species', '--template', 'classification']);
  await run(['experiment', 'create', 'cars', '--dataset', 'cars', '--target', 'Miles_per_Gallon', '--template', 'regression']);
}, 60_000);
afterAll(() => cleanup());

describe('explanations', () => {
  it('permutation importance ranks the planted feature first and the noise near zero', async () => {
    const m = last((await run(['run', 'planted', '--json'])).stdout);
    expect(m.status).toBe('succeeded');
    const ex = JSON.parse(art(m.id, 'explain.json'));
    expect(ex.importance[0].feature).toBe('signal');
    expect(ex.importance[0].mean).toBeGreaterThan(0.2);
    for (const noise of ex.importance.filter((i: { feature: string }) => i.feature.startsWith('noise'))) expect(Math.abs(noise.mean)).toBeLessThan(0.02);
    expect(ex.partialDependence[0].feature).toBe('signal');
  }, 60_000);
});

describe('plots and the report', () => {
  for (const [exp, kind] of [['penguins', 'classification'], ['cars', 'regression']] as const) {
    it(`${kind} (${exp}): every plot is a Vega-Lite spec and a well-formed SVG; notebook and page carry metrics.json's numbers`, async () => {
      const m = last((await run(['run', exp, '--json'])).stdout);
      expect(m.status).toBe('succeeded');
      const names = m.artifacts.map((a: { name: string }) => a.name);
      const expected = kind === 'classification' ? ['confusion_matrix', 'roc_curve', 'precision_recall'] : ['predicted_vs_actual', 'residuals'];
      for (const p of [...expected, 'feature_importance', 'partial_dependence_1', 'cv_scores']) {
        expect(names).toEqual(expect.arrayContaining([`${p}.vl.json`, `${p}.svg`]));
        const spec = JSON.parse(art(m.id, `${p}.vl.json`));
        expect(spec.$schema).toMatch(/vega-lite/);
        expect(JSON.stringify(spec)).toMatch(/"title":"[^"]+"/); // axes and the plot are titled
        expect(svgProblems(art(m.id, `${p}.svg`))).toEqual([]);
      }
      const metrics = JSON.parse(art(m.id, 'metrics.json'));
      expect(metrics.values).toEqual(m.metrics);
      if (kind === 'classification') {
        expect(art(m.id, 'confusion_matrix.svg')).toContain('mark-rect');
        expect(art(m.id, 'roc_curve.svg')).toContain('mark-line');
        const cm = JSON.parse(art(m.id, 'confusion_matrix.vl.json')).data.values;
        for (const cell of cm) expect(cell.count).toBe(metrics.confusionMatrix[metrics.classes.indexOf(cell.actual)][metrics.classes.indexOf(cell.predicted)]);
      } else {
        expect(art(m.id, 'predicted_vs_actual.svg')).toContain('mark-symbol');
      }
      expect(art(m.id, 'feature_importance.svg')).toContain('mark-rect');
      const nb = JSON.parse(art(m.id, 'report.ipynb'));
      expect(nbformatProblems(nb)).toEqual([]);
      const text = nb.cells.map((c: { source: string[] }) => c.source.join('')).join('\n');
      const html = art(m.id, 'report.html');
      for (const [name, v] of Object.entries(metrics.values as Record<string, number>)) {
        const shown = Math.abs(v) >= 1000 ? v.toFixed(1) : v.toFixed(4);
        expect(text).toMatch(new RegExp(`\\| (\\*\\*)?${name}(\\*\\*)? \\| ${shown.replace('.', '\\.')} \\|`));
        expect(html).toContain(`<td>${shown}</td>`);
      }
      const svgOutputs = nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code').map((c: { outputs: Array<{ data: Record<string, string[]> }> }) => c.outputs[0].data['image/svg+xml'].join(''));
      expect(svgOutputs.length).toBe(names.filter((n: string) => n.endsWith('.svg')).length);
      expect(html.match(/<svg/g)!.length).toBe(svgOutputs.length);
      expect(text).toContain(`bfly run ${exp} --seed`);
      expect(text).toContain(m.executionKey);
    }, 90_000);
  }
});

describe('bfly predict', () => {
  it('reproduces the run\'s stored test predictions from the training file, deterministically', async () => {
    const m = last((await run(['run', 'penguins', '--json'])).stdout);
    const stored = art(m.id, 'predictions.csv').trim().split('\n').slice(1).map((l) => l.split(','));
    const a = await run(['predict', 'penguins@latest', join(VEGA, 'penguins.json'), '--proba']);
    expect(a.exitCode).toBe(0);
    const out = a.stdout.trim().split('\n');
    expect(out[0]).toBe('prediction,proba_Adelie,proba_Chinstrap,proba_Gentoo');
    const records = JSON.parse(readFileSync(join(VEGA, 'penguins.json'), 'utf8')) as unknown[];
    expect(out.length - 1).toBe(records.length);
    for (const row of stored) {
      const mine = out[Number(row[0]) + 1].split(',');
      expect(mine[0]).toBe(row[2]);
      for (let c = 0; c < 3; c++) expect(Number(mine[1 + c])).toBeCloseTo(Number(row[3 + c]), 12);
    }
    // again, naming the run by a unique id prefix: the same bytes
    expect((await run(['predict', m.id.slice(0, 22), join(VEGA, 'penguins.json'), '--proba'])).stdout).toBe(a.stdout);
    // to a file, with an id column, as CSV from a CSV
    const csv = join(dir, 'peng.csv');
    const cols = ['Island', 'Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)', 'Sex'];
    writeFileSync(csv, ['id,' + cols.map((c) => `"${c}"`).join(','), ...(records as Array<Record<string, unknown>>).map((r, i) => [i, ...cols.map((c) => (r[c] === null ? 'NA' : String(r[c])))].join(','))].join('\n') + '\n');
    const f = await run(['predict', 'penguins@latest', csv, '--id', 'id', '--out', join(dir, 'out.csv'), '--json']);
    expect(f.json()).toMatchObject({ run: m.id, rows: records.length });
    const fileOut = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n');
    expect(fileOut[1]).toBe(`0,${out[1].split(',')[0]}`);
  }, 60_000);

  it('refuses missing columns and bad values by name, writing nothing', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'Island,Beak Length (mm)\nBiscoe,40\n');
    const r = await run(['predict', 'penguins@latest', bad, '--out', join(dir, 'never.csv')]);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('has no column "Beak Depth (mm)"');
    writeFileSync(bad, 'Island,Beak Length (mm),Beak Depth (mm),Flipper Length (mm),Body Mass (g),Sex\nBiscoe,40,18,200,heavy,MALE\n');
    const v = await run(['predict', 'penguins@latest', bad]);
    expect(v.exitCode).toBe(4);
    expect(v.stderr).toContain('column "Body Mass (g)" row 1: "heavy" is not a integer');
    expect(() => readFileSync(join(dir, 'never.csv'))).toThrow();
    expect((await run(['predict', 'nope@latest', bad])).exitCode).toBe(5);
  });
});

describe('artifacts, export, open', () => {
  it('lists, exports with hash checks (a tampered file is refused), and prints paths', async () => {
    const m = last((await run(['run', 'penguins', '--json'])).stdout);
    const list = (await run(['artifacts', 'penguins@latest', '--json'])).json();
    expect(list.map((a: { name: string }) => a.name)).toEqual(m.artifacts.map((a: { name: string }) => a.name));
    expect((await run(['artifacts', 'penguins@latest'])).stdout).toMatch(/model\.json\s+model\s+train/);
    const e = await run(['export', 'penguins@latest', join(dir, 'export'), '--json']);
    expect(e.exitCode).toBe(0);
    expect(e.json().files).toEqual(expect.arrayContaining(['artifacts/model.json', 'pipeline.yaml', 'run.json']));
    expect(readFileSync(join(dir, 'export', 'artifacts', 'model.json'), 'utf8')).toBe(art(m.id, 'model.json'));
    expect((await run(['export', 'penguins@latest', join(dir, 'export')])).exitCode).toBe(4); // not empty
    const o = await run(['open', 'penguins@latest']);
    expect(o.stdout.trim()).toBe(join(ws, '.butterfly', 'runs', m.id, 'artifacts', 'report.html'));
    expect((await run(['open', 'penguins@latest', 'model.jsn'])).stderr).toContain('has no artifact "model.jsn"');
    // tamper with one byte of an artifact (root can write read-only files): export refuses
    const file = join(ws, '.butterfly', 'runs', m.id, 'artifacts', 'metrics.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"task"', '"tusk"'));
    const t = await run(['export', m.id, join(dir, 'export2')]);
    expect(t.exitCode).toBe(10);
    expect(t.stderr).toMatch(/artifacts\/metrics\.json changed/);
  }, 60_000);
});
