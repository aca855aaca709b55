// Seed-MLP inference in kiln-nn: the latency of one sample and the throughput at batch 1024.
//
// Usage: node kiln/infer_mlp.mjs [--latency-calls 2000] [--latency-warmup 200] [--batch 1024] [--min-time 1]
// The seed MLP (Flatten 28x28 -> Dense 128 relu -> Dropout 0.2 -> Dense 10 softmax) with its
// initial random weights (the speed does not depend on them). Latency: `model.predictOnBatch`
// (synchronous, Keras' name) and `await model.predict` of one [1, 28, 28] sample, each call
// including reading the 10 probabilities (`dataSync`); p50/p99 of single calls. Throughput:
// `await model.predict(x, { batchSize: 1024 })` on 1024 samples. Prints one JSON line.
import { loadKiln } from '../lib/kiln.mjs';
import { emit, parseArgs, round } from '../lib/common.mjs';
import { fixedInputs, latency, throughput } from '../lib/timing.mjs';

const args = parseArgs(process.argv.slice(2), { latencyCalls: 2000, latencyWarmup: 200, batch: 1024, minTime: 1, seed: 1 });
const kiln = await loadKiln();
kiln.setSeed(args.seed);
const model = new kiln.Sequential([
  new kiln.layers.Flatten({ inputShape: [28, 28] }),
  new kiln.layers.Dense(128, { activation: 'relu' }),
  new kiln.layers.Dropout(0.2),
  new kiln.layers.Dense(10, { activation: 'softmax' }),
]);
const free = (t) => {
  if (t && typeof t.dispose === 'function') t.dispose();
};
const read = (y) => {
  const v = y.dataSync();
  free(y);
  return v;
};

const one = kiln.tensor(fixedInputs(784), [1, 28, 28]);
const many = kiln.tensor(fixedInputs(args.batch * 784), [args.batch, 28, 28]);
const opts = { warmup: args.latencyWarmup, calls: args.latencyCalls };
const out = {
  peer: 'kiln',
  workload: 'infer_mlp',
  latency: {
    predictOnBatch: await latency(() => read(model.predictOnBatch(one)), opts),
    predict: await latency(async () => read(await model.predict(one, { verbose: 0 })), opts),
  },
  batch: args.batch,
  throughput: await throughput(async () => read(await model.predict(many, { batchSize: args.batch, verbose: 0 })), args.batch, { minTime: args.minTime }),
  peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
};
emit(out);
