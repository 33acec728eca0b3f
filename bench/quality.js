// npm run bench -- quality: what the choices of issue #22 are worth, each measured against the
// same pipeline without it, in the same run, through the built CLI:
//  - text: a generated table whose label lives only in the words of a text column (default
//    pipeline, which tokenizes it) against the same pipeline with no feature steps (chance);
//  - movies (vega-datasets), target IMDB Rating, CV r2: the default pipeline (Title tokenized,
//    Release Date read from `Jun 12 1998` and used) and with date parts, against Title and Release
//    Date dropped;
//  - seattle-weather: balanced accuracy and per-class recall with `--metric auto` and
//    `class_weight: balanced` against the former default (accuracy, no class weights).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BFLY, ROOT, fmt, prng, table } from './lib.js';

const VEGA = join(ROOT, 'node_modules', 'vega-datasets', 'data');

function bfly(dir, args) {
  const p = spawnSync(process.execPath, [BFLY, '-C', dir, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (p.status !== 0) throw new Error(`bfly ${args.join(' ')} exited ${p.status}: ${p.stderr}`);
  return p.stdout;
}

function runJson(dir, experiment, extra = []) {
  const out = bfly(dir, ['run', experiment, '--json', ...extra]);
  const run = JSON.parse(out.trim().split('\n').at(-1));
  if (run.status !== 'succeeded') throw new Error(`run ${run.id} ${run.status}: ${run.error?.message}`);
  const metrics = JSON.parse(readFileSync(join(dir, '.butterfly', 'runs', run.id, 'artifacts', 'metrics.json'), 'utf8'));
  return { run, metrics };
}

/** The generated reviews: the label is `pos` when the review holds a positive word, else `neg`. */
function reviews(rows, seed) {
  const rnd = prng(seed);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const good = ['great', 'excellent', 'loved', 'wonderful', 'superb', 'brilliant', 'moving', 'charming'];
  const bad = ['awful', 'boring', 'hated', 'terrible', 'dull', 'clumsy', 'tedious', 'bland'];
  const filler = 'the a film plot actor scene music story camera ending cast director script long short old new first last light dark quiet loud slow fast'.split(' ');
  const lines = ['id,review,length_min,year,label'];
  for (let i = 0; i < rows; i++) {
    const pos = rnd() < 0.5;
    const words = Array.from({ length: 8 + Math.floor(rnd() * 10) }, () => pick(filler));
    words.splice(Math.floor(rnd() * words.length), 0, pick(pos ? good : bad));
    lines.push(`m${i},"${words.join(' ')}",${80 + Math.floor(rnd() * 80)},${1980 + Math.floor(rnd() * 40)},${pos ? 'pos' : 'neg'}`);
  }
  return lines.join('\n') + '\n';
}

const recalls = (m) => m.confusionMatrix.map((row, i) => `${m.classes[i]} ${fmt(row[i] / row.reduce((a, b) => a + b, 0))}`).join(', ');

export async function benchQuality(args) {
  const quick = args.includes('--quick');
  const dir = mkdtempSync(join(tmpdir(), 'bfly-bench-quality-'));
  try {
    bfly(dir, ['init']);

    // 1. Text.
    writeFileSync(join(dir, 'reviews.csv'), reviews(quick ? 600 : 2000, 11));
    bfly(dir, ['dataset', 'import', join(dir, 'reviews.csv')]);
    bfly(dir, ['experiment', 'create', 'reviews', '--dataset', 'reviews', '--target', 'label']);
    const withText = runJson(dir, 'reviews');
    const noText = runJson(dir, 'reviews', ['--set', 'blocks.features.config.steps=[]']);
    console.log(`\ntext: ${withText.run.data.rows} generated reviews, the label only in the words (${withText.run.data.columns.find((c) => c.name === 'review').reason})`);
    table(
      ['pipeline', 'winner', 'cv accuracy', 'test accuracy'],
      [
        ['default (review tokenized)', withText.run.selection.label, `${fmt(withText.run.selection.cv.mean, 3)} ± ${fmt(withText.run.selection.cv.std, 3)}`, fmt(withText.metrics.values.accuracy, 3)],
        ['no feature steps (review dropped)', noText.run.selection.label, `${fmt(noText.run.selection.cv.mean, 3)} ± ${fmt(noText.run.selection.cv.std, 3)}`, fmt(noText.metrics.values.accuracy, 3)],
      ],
    );
    console.log(`target: cv accuracy >= 0.95 with text: ${withText.run.selection.cv.mean >= 0.95 ? 'met' : 'NOT MET'}`);

    // 2. Movies: IMDB Rating by CV r2.
    bfly(dir, ['dataset', 'import', join(VEGA, 'movies.json')]);
    bfly(dir, ['experiment', 'create', 'movies', '--dataset', 'movies', '--target', 'IMDB Rating', '--metric', 'r2']);
    const variants = [
      ['default: Title tokenized, Release Date as a number', []],
      ['Title tokenized, Release Date in year/month/dayofweek', ['--set', 'blocks.features.config.steps=[{op: text, columns: [Title]}, {op: date_parts, columns: ["Release Date"], parts: [year, month, dayofweek]}]']],
      ['Title and Release Date dropped', ['--set', 'blocks.features.config.steps=[{op: drop, columns: [Title, "Release Date"]}]']],
    ];
    const movieRows = variants.map(([name, extra]) => {
      const { run, metrics } = runJson(dir, 'movies', extra);
      return { name, run, metrics };
    });
    const base = movieRows.at(-1).run.selection.cv;
    console.log(`\nmovies: IMDB Rating, ${movieRows[0].run.data.trainRows} training rows, 5-fold CV r2 (mean ± std over folds), same seed and folds`);
    table(
      ['pipeline', 'winner', 'cv r2', 'vs dropped', 'test r2'],
      movieRows.map(({ name, run, metrics }) => [name, run.selection.label, `${fmt(run.selection.cv.mean, 4)} ± ${fmt(run.selection.cv.std, 4)}`, `${run.selection.cv.mean - base.mean >= 0 ? '+' : ''}${fmt(run.selection.cv.mean - base.mean, 4)}`, fmt(metrics.values.r2, 4)]),
    );
    const worst = Math.min(...movieRows.slice(0, -1).map((r) => r.run.selection.cv.mean - base.mean));
    console.log(`target: text and dates no worse than dropped by more than noise (fold std ${fmt(base.std, 4)}): ${worst >= -base.std ? 'met' : 'NOT MET'}`);

    // 3. Seattle weather: imbalanced classes.
    bfly(dir, ['dataset', 'import', join(VEGA, 'seattle-weather.csv'), '--name', 'seattle']);
    bfly(dir, ['experiment', 'create', 'sw-old', '--dataset', 'seattle', '--target', 'weather', '--metric', 'accuracy']);
    bfly(dir, ['experiment', 'create', 'sw', '--dataset', 'seattle', '--target', 'weather']);
    const metricLine = bfly(dir, ['experiment', 'show', 'sw']).split('\n').find((l) => l.trim().startsWith('metric'));
    const balanced = '[{model: logistic_regression, params: {class_weight: balanced}}, {model: random_forest, params: {class_weight: balanced}}, {model: gradient_boosting, params: {class_weight: balanced}}, {model: mlp, params: {class_weight: balanced}}]';
    const sw = [
      ['former default: accuracy, no class weights', runJson(dir, 'sw-old')],
      ['--metric auto (balanced accuracy)', runJson(dir, 'sw')],
      ['auto + class_weight: balanced', runJson(dir, 'sw', ['--set', `blocks.model_selection.config.candidates=${balanced}`])],
    ];
    console.log(`\nseattle-weather: ${sw[0][1].run.data.rows} days, 5 classes; ${metricLine.trim()}`);
    table(
      ['pipeline', 'winner', 'test accuracy', 'test balanced acc', 'recall per class'],
      sw.map(([name, { run, metrics }]) => [name, run.selection.label, fmt(metrics.values.accuracy, 3), fmt(metrics.values.balanced_accuracy, 3), recalls(metrics)]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
