// Seed RNN on generated data with TensorFlow.js (backend wasm or cpu), the Node peer.
//
// Usage: node peers/rnn_tfjs.mjs --backend wasm|cpu [--batch 32] [--epochs 3] [--warmup-epochs 1] [--samples 10000]
// Model: simpleRNN 64 relu over [10 steps, 20 features] -> dense 1 sigmoid; Adam,
// binaryCrossentropy, accuracy. Data: lib/common.mjs rnnData (the same numbers as the other
// scripts). Steady-state samples/s over epochs warmup+1..N (epoch callback). Prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { parseArgs, emit, now, round, rnnData } from '../lib/common.mjs';

const args = parseArgs(process.argv.slice(2), { backend: 'wasm', batch: 32, epochs: 3, warmupEpochs: 1, samples: 10000, seed: 1 });
if (args.epochs <= args.warmupEpochs) throw new Error('--epochs must exceed --warmup-epochs');
if (!(await tf.setBackend(args.backend))) throw new Error(`tfjs backend ${args.backend} unavailable`);
await tf.ready();

const d = rnnData(args.samples, 10, 20, args.seed);
const x = tf.tensor3d(d.x, d.shapeX);
const y = tf.tensor2d(d.y, d.shapeY);

const model = tf.sequential();
model.add(tf.layers.simpleRNN({ units: 64, activation: 'relu', inputShape: [10, 20] }));
model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });

const epochTimes = [];
let tEpoch = 0;
const timer = new tf.CustomCallback({
  onEpochBegin: async () => {
    tEpoch = now();
  },
  onEpochEnd: async () => {
    epochTimes.push(now() - tEpoch);
  },
});
const t0 = now();
const hist = await model.fit(x, y, { batchSize: args.batch, epochs: args.epochs, shuffle: true, verbose: 0, callbacks: [timer] });
const fitS = now() - t0;
const steady = epochTimes.slice(args.warmupEpochs);
emit({
  peer: `tfjs-${args.backend}`,
  workload: 'rnn',
  batch: args.batch,
  epochs: args.epochs,
  warmup_epochs: args.warmupEpochs,
  train_samples: args.samples,
  samples_per_s: round((args.samples * steady.length) / steady.reduce((a, b) => a + b, 0), 1),
  epoch_s: epochTimes.map((t) => round(t, 3)),
  fit_s: round(fitS, 3),
  train_loss: hist.history.loss.map((v) => round(v, 4)),
  peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
  versions: { tfjs: tf.version.tfjs, node: process.versions.node },
});
