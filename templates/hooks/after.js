// An after_<stage> hook: `ctx` also has `outputs` (what the stage wrote). Return nothing, or
// { outputs: { … }, metrics: { name: number } }; bfly.metric(name, value) records a metric too.
export default function (ctx) {
  if (ctx.outputs.predictions) bfly.metric('test_rows', ctx.outputs.predictions.row.length);
}
