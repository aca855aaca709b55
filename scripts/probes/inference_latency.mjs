// Inference latency of the seed MLP (Flatten 784 -> Dense 128 relu -> Dropout -> Dense 10
// softmax): p50/p99 of predictOnBatch and of await predict for one sample, and samples/s of
// predict at batch 1024. Usage: node scripts/probes/inference_latency.mjs [--iters 3000]
import { buildModel, kiln } from '../../benches/lib/kiln_mlp.mjs';

const iters = Number(process.argv[process.argv.indexOf('--iters') + 1] || 3000);
kiln.setSeed(1);
const model = buildModel();
const one = kiln.tensor(
  Float32Array.from({ length: 784 }, (_, i) => (i % 255) / 255),
  [1, 28, 28],
);
const big = kiln.tensor(
  Float32Array.from({ length: 1024 * 784 }, (_, i) => (i % 251) / 251),
  [1024, 28, 28],
);

const percentiles = (times) => {
  times.sort((a, b) => a - b);
  const at = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  return { min_ms: +times[0].toFixed(4), p50_ms: +at(0.5).toFixed(4), p99_ms: +at(0.99).toFixed(4) };
};
async function time(fn, n) {
  for (let i = 0; i < Math.min(200, n); i++) await fn();
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return percentiles(times);
}
const syncTime = (fn, n) => {
  for (let i = 0; i < Math.min(200, n); i++) fn();
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return percentiles(times);
};

const out = {};
out.predictOnBatch_1 = syncTime(() => model.predictOnBatch(one), iters);
out.predictOnBatch_1_dataSync = syncTime(() => model.predictOnBatch(one).dataSync(), iters);
out.predict_1 = await time(() => model.predict(one, { verbose: 0 }), iters);
out.predict_1_batchSize1 = await time(() => model.predict(one, { batchSize: 1, verbose: 0 }), iters);
{
  for (let i = 0; i < 5; i++) await model.predict(big, { batchSize: 1024, verbose: 0 });
  const rates = [];
  for (let r = 0; r < 30; r++) {
    const t0 = performance.now();
    await model.predict(big, { batchSize: 1024, verbose: 0 });
    rates.push(1024 / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  out.predict_1024_samples_per_s = { median: Math.round(rates[rates.length >> 1]), best: Math.round(rates[rates.length - 1]) };
  out.predictOnBatch_1024_samples_per_s = (() => {
    const rs = [];
    for (let r = 0; r < 30; r++) {
      const t0 = performance.now();
      model.predictOnBatch(big);
      rs.push(1024 / ((performance.now() - t0) / 1000));
    }
    rs.sort((a, b) => a - b);
    return { median: Math.round(rs[rs.length >> 1]), best: Math.round(rs[rs.length - 1]) };
  })();
}
console.log(JSON.stringify(out));
