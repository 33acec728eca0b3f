// A before_<stage> hook. `ctx` holds copies: { stage, block, hook, config, seed, task, target,
// metric, classes, inputs: { <slot>: … } }. Tables (train, test, dataset) look like
// { rows, target, columns: { name: Float64Array | string[] }, y, row }.
// Return nothing to change nothing, or { inputs: { train, test }, config: { … } }.
export default function (ctx) {
  bfly.log(`${ctx.stage}: ${ctx.inputs.train?.rows ?? '?'} training rows`);
}
