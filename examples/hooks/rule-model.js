// override_evaluate hook: a hand-written rule scored instead of the trained model. It gets the
// test rows (the model's input columns) and returns one predicted label per row; bfly computes
// every metric from them.
//   bfly hook add penguins override_evaluate --file examples/hooks/rule-model.js
export default function (ctx) {
  const test = ctx.inputs.test;
  const flipper = test.columns['Flipper Length (mm)'];
  const beak = test.columns['Beak Length (mm)'];
  const predicted = Array.from(flipper, (f, i) => (f > 206 ? 'Gentoo' : beak[i] > 43 ? 'Chinstrap' : 'Adelie'));
  return { outputs: { predictions: { predicted } } };
}
