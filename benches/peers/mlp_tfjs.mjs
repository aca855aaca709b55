// Seed MLP on Fashion-MNIST with TensorFlow.js (backend wasm or cpu), the Node peer.
//
// Usage: node peers/mlp_tfjs.mjs --backend wasm|cpu [--batch 32] [--epochs N]
//          [--warmup-epochs 1] [--train-samples N] [--warmup-steps 20] [--max-seconds S]
// Model: Flatten(28x28) -> Dense 128 relu -> Dropout 0.2 -> Dense 10 softmax; Adam,
// categoricalCrossentropy on one-hot labels, metrics accuracy, x/255 float32.
// Steady state: with more epochs than --warmup-epochs, samples/s over the epochs after the
// warm-up ones (the same rule as the Keras peer). The pure-JS cpu backend is ~100x slower, so by
// default it trains 1 epoch on the first --train-samples samples, stops after --max-seconds, and
// reports samples/s over the steps after the first --warmup-steps (batch-level timing).
// The wasm backend is single-threaded in Node. Prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadFashionMnistRaw, parseArgs, emit, now, round } from '../lib/common.mjs';

const backendArg = parseArgs(process.argv.slice(2), { backend: 'wasm' }).backend;
const isCpu = backendArg === 'cpu';
const args = parseArgs(process.argv.slice(2), {
  backend: 'wasm',
  batch: 32,
  epochs: isCpu ? 1 : 3,
  warmupEpochs: 1,
  trainSamples: isCpu ? 9600 : 60000,
  warmupSteps: 20,
  maxSeconds: isCpu ? 60 : 0,
  seed: 1,
});

if (!(await tf.setBackend(args.backend))) throw new Error(`tfjs backend ${args.backend} unavailable`);
await tf.ready();

const raw = loadFashionMnistRaw();
const nTrain = Math.min(args.trainSamples, raw.train.y.dims[0]);
function prep(split, n) {
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = split.x.data[i] / 255;
  const y = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) y[i * 10 + split.y.data[i]] = 1;
  return [tf.tensor3d(x, [n, 28, 28]), tf.tensor2d(y, [n, 10])];
}
const [xTrain, yTrain] = prep(raw.train, nTrain);
const [xTest, yTest] = prep(raw.test, raw.test.y.dims[0]);

const model = tf.sequential();
model.add(tf.layers.flatten({ inputShape: [28, 28] }));
model.add(tf.layers.dense({ units: 128, activation: 'relu' }));
model.add(tf.layers.dropout({ rate: 0.2 }));
model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

const epochTimes = [];
const batchEnds = [];
let tEpoch = 0;
let tFit0 = 0;
let stoppedEarly = false;
const timer = new tf.CustomCallback({
  onTrainBegin: async () => {
    tFit0 = now();
  },
  onEpochBegin: async () => {
    tEpoch = now();
  },
  onEpochEnd: async () => {
    epochTimes.push(now() - tEpoch);
  },
  onBatchEnd: async () => {
    batchEnds.push(now());
    if (args.maxSeconds > 0 && now() - tFit0 > args.maxSeconds) {
      model.stopTraining = true;
      stoppedEarly = true;
    }
  },
});

const t0 = now();
const hist = await model.fit(xTrain, yTrain, {
  batchSize: args.batch,
  epochs: args.epochs,
  shuffle: true,
  verbose: 0,
  callbacks: [timer],
});
const fitS = now() - t0;
const [testLoss, testAcc] = model.evaluate(xTest, yTest, { batchSize: 256 });

let samplesPerS, method;
if (args.epochs > args.warmupEpochs && !stoppedEarly) {
  const steady = epochTimes.slice(args.warmupEpochs);
  samplesPerS = (nTrain * steady.length) / steady.reduce((a, b) => a + b, 0);
  method = `epochs ${args.warmupEpochs + 1}..${args.epochs} of ${nTrain} samples`;
} else {
  const w = Math.min(args.warmupSteps, batchEnds.length - 2);
  const steps = batchEnds.length - 1 - w;
  samplesPerS = (steps * args.batch) / (batchEnds[batchEnds.length - 1] - batchEnds[w]);
  method = `steps ${w + 1}..${batchEnds.length} (${steps} steps of batch ${args.batch}) on a ${nTrain}-sample subset` + (stoppedEarly ? `, stopped after ${args.maxSeconds}s` : '');
}

emit({
  peer: `tfjs-${args.backend}`,
  workload: 'mlp',
  batch: args.batch,
  epochs: args.epochs,
  train_samples: nTrain,
  steps_done: batchEnds.length,
  timing: method,
  samples_per_s: round(samplesPerS, 1),
  epoch_s: epochTimes.map((t) => round(t, 3)),
  fit_s: round(fitS, 3),
  test_accuracy: round((await testAcc.data())[0], 4),
  test_loss: round((await testLoss.data())[0], 4),
  partial_training: nTrain < 60000 || stoppedEarly,
  train_loss: hist.history.loss.map((v) => round(v, 4)),
  peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
  versions: { tfjs: tf.version.tfjs, node: process.versions.node },
});
