// before_features hook: add the beak length / depth ratio as a new column, in the training and
// the test rows alike. Columns arrive as Float64Array (NaN = missing) or arrays of strings.
//   bfly hook add penguins before_features --file examples/hooks/beak-ratio.js
export default function (ctx) {
  const { train, test } = ctx.inputs;
  for (const part of [train, test]) {
    const length = part.columns['Beak Length (mm)'];
    const depth = part.columns['Beak Depth (mm)'];
    part.columns.beak_ratio = length.map((v, i) => v / depth[i]);
  }
  bfly.log('added beak_ratio');
  return { inputs: { train, test } };
}
