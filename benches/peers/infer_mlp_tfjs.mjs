// Seed-MLP inference in TensorFlow.js (wasm or cpu backend): one-sample latency and batch-1024
// throughput, as kiln/infer_mlp.mjs measures them.
//
// Usage: node peers/infer_mlp_tfjs.mjs --backend wasm|cpu [--latency-calls 2000] [--latency-warmup 200] [--batch 1024] [--min-time 1]
// `model.predict(x)` then `dataSync()` of the result (and its disposal). Prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { emit, parseArgs, round } from '../lib/common.mjs';
import { fixedInputs, latency, throughput } from '../lib/timing.mjs';

const args = parseArgs(process.argv.slice(2), { backend: 'wasm', latencyCalls: 2000, latencyWarmup: 200, batch: 1024, minTime: 1 });
if (!(await tf.setBackend(args.backend))) throw new Error(`tfjs backend ${args.backend} unavailable`);
await tf.ready();
const model = tf.sequential();
model.add(tf.layers.flatten({ inputShape: [28, 28] }));
model.add(tf.layers.dense({ units: 128, activation: 'relu' }));
model.add(tf.layers.dropout({ rate: 0.2 }));
model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
const one = tf.tensor3d(fixedInputs(784), [1, 28, 28]);
const many = tf.tensor3d(fixedInputs(args.batch * 784), [args.batch, 28, 28]);
const read = (y) => {
  const v = y.dataSync();
  y.dispose();
  return v;
};
emit({
  peer: `tfjs-${args.backend}`,
  workload: 'infer_mlp',
  latency: { predict: await latency(() => read(model.predict(one)), { warmup: args.latencyWarmup, calls: args.latencyCalls }) },
  batch: args.batch,
  throughput: await throughput(() => read(model.predict(many, { batchSize: args.batch })), args.batch, { minTime: args.minTime }),
  peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
  versions: { tfjs: tf.version.tfjs },
});
