// Where one seed-MLP sample's prediction spends its time: the JavaScript checks (prepare), the
// native call (checks, input copy, kernels, output), wrapping the result, and the older routes
// for comparison (the eager per-op call that predictOnBatch used before, and predict's
// adapter/iterator/callback loop). Minimum and median of N alternating rounds, in microseconds.
// Usage: node scripts/probes/inference_breakdown.mjs [--iters 3000]
import { buildModel, kiln } from '../../benches/lib/kiln_mlp.mjs';

const iters = Number(process.argv[process.argv.indexOf('--iters') + 1] || 3000);
kiln.setSeed(1);
const model = buildModel();
const x = kiln.tensor(
  Float32Array.from({ length: 784 }, (_, i) => (i % 255) / 255),
  [1, 28, 28],
);
model.predictOnBatch(x);
const engine = model.batchEngine;
const noop = new kiln.callbacks.Callback();
const parts = {
  'prepare (JS checks)': () => model.prepare(x, undefined, 'predictOnBatch'),
  'native predictOnBatch (checks, copy in, kernels, copy out)': () => engine.predictOnBatch([x.handle]),
  'native call + Tensor wrap': () => engine.predictOnBatch([x.handle]).map((h) => new kiln.Tensor(h)),
  'predictOnBatch (all)': () => model.predictOnBatch(x),
  'eager per-op call (the old predictOnBatch route)': () => model.apply(x),
  'await predict (fast route)': () => model.predict(x),
  'await predict with a callback (adapter and iterator route)': () => model.predict(x, { callbacks: [noop] }),
};
const times = Object.fromEntries(Object.keys(parts).map((k) => [k, []]));
for (let i = 0; i < iters; i++) {
  for (const [name, fn] of Object.entries(parts)) {
    const t0 = performance.now();
    const r = fn();
    if (r instanceof Promise) await r;
    times[name].push((performance.now() - t0) * 1000);
  }
}
for (const [name, list] of Object.entries(times)) {
  list.sort((a, b) => a - b);
  console.log(`${name.padEnd(62)} min ${list[0].toFixed(1).padStart(6)} us   median ${list[list.length >> 1].toFixed(1).padStart(6)} us`);
}
