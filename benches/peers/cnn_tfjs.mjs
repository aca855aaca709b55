// Seed CNN on Fashion-MNIST with TensorFlow.js (backend wasm or cpu), the Node peer.
//
// Usage: node peers/cnn_tfjs.mjs --backend wasm|cpu [--batch 64] [--epochs 2] [--steps 320]
//          [--warmup-steps 20] [--max-seconds S] [--test-samples N]
// Model, data and protocol as kiln/cnn.mjs and peers/cnn_keras.py: a warm-up fit on the first
// --warmup-steps batches, then --epochs epochs on the first --steps x --batch samples, timed per
// epoch. The pure-JS cpu backend is slow, so run.mjs gives it fewer steps; with --max-seconds
// the timed fit stops after that long and samples/s is taken over its completed batches
// (batch-level timing) instead.
// The wasm backend has no Conv2DBackpropFilter kernel, so training fails there: the script then
// prints a JSON line with `error` (the exception's text) and exits 0, so that the failure is
// recorded as a result. Prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadFashionMnistRaw, parseArgs, emit, now, round } from '../lib/common.mjs';

const args = parseArgs(process.argv.slice(2), {
  backend: 'wasm',
  batch: 64,
  epochs: 2,
  steps: 320,
  warmupSteps: 20,
  maxSeconds: 0,
  testSamples: 0,
  seed: 1,
});

if (!(await tf.setBackend(args.backend))) throw new Error(`tfjs backend ${args.backend} unavailable`);
await tf.ready();

const raw = loadFashionMnistRaw();
const nAll = raw.train.y.dims[0];
const nTrain = args.steps > 0 ? Math.min(args.steps * args.batch, nAll) : nAll;
function prep(split, n) {
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = split.x.data[i] / 255;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = split.y.data[i];
  return [tf.tensor4d(x, [n, 28, 28, 1]), tf.tensor1d(y)];
}
const [xTrain, yTrain] = prep(raw.train, nTrain);
const [xWarm, yWarm] = prep(raw.train, Math.min(args.warmupSteps * args.batch, nAll));
const nTest = args.testSamples > 0 ? Math.min(args.testSamples, raw.test.y.dims[0]) : raw.test.y.dims[0];
const [xTest, yTest] = prep(raw.test, nTest);

const model = tf.sequential();
model.add(tf.layers.conv2d({ filters: 32, kernelSize: [3, 3], activation: 'relu', inputShape: [28, 28, 1] }));
model.add(tf.layers.maxPooling2d({ poolSize: [2, 2] }));
model.add(tf.layers.conv2d({ filters: 64, kernelSize: [3, 3], activation: 'relu' }));
model.add(tf.layers.maxPooling2d({ poolSize: [2, 2] }));
model.add(tf.layers.flatten());
model.add(tf.layers.dense({ units: 128, activation: 'relu' }));
model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

const base = { peer: `tfjs-${args.backend}`, workload: 'cnn', batch: args.batch, epochs: args.epochs, train_samples: nTrain, warmup_steps: args.warmupSteps };
const versions = { tfjs: tf.version.tfjs, node: process.versions.node };

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
  ...(args.maxSeconds > 0
    ? {
        onBatchEnd: async () => {
          batchEnds.push(now());
          if (process.env.BENCH_VERBOSE) process.stderr.write(`step ${batchEnds.length - 1} ${(now() - tFit0).toFixed(2)} s\n`);
          if (now() - tFit0 > args.maxSeconds) {
            model.stopTraining = true;
            stoppedEarly = true;
          }
        },
      }
    : {}),
});

let hist, warmupS, fitS;
try {
  const tW = now();
  if (args.warmupSteps > 0) await model.fit(xWarm, yWarm, { batchSize: args.batch, epochs: 1, shuffle: true, verbose: 0 });
  warmupS = now() - tW;
  const t0 = now();
  batchEnds.push(t0);
  hist = await model.fit(xTrain, yTrain, { batchSize: args.batch, epochs: args.epochs, shuffle: true, verbose: 0, callbacks: [timer] });
  fitS = now() - t0;
} catch (e) {
  emit({ ...base, samples_per_s: null, error: String(e?.message ? e.message : e).split('\n')[0], peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1), versions });
  process.exit(0);
}
const [testLoss, testAcc] = model.evaluate(xTest, yTest, { batchSize: 256 });

let samplesPerS, method;
if (!stoppedEarly) {
  samplesPerS = (nTrain * epochTimes.length) / epochTimes.reduce((a, b) => a + b, 0);
  method = `${args.epochs} epochs of ${nTrain} samples, timed per epoch`;
} else {
  // batchEnds[0] is the start of the timed fit; every later entry ends one batch
  const steps = batchEnds.length - 1;
  samplesPerS = (steps * args.batch) / (batchEnds[steps] - batchEnds[0]);
  method = `${steps} steps of batch ${args.batch} on a ${nTrain}-sample subset, stopped after ${args.maxSeconds}s`;
}

emit({
  ...base,
  steps_done: stoppedEarly ? batchEnds.length - 1 : Math.ceil(nTrain / args.batch) * args.epochs,
  timing: method,
  samples_per_s: round(samplesPerS, 1),
  epoch_s: epochTimes.map((t) => round(t, 3)),
  warmup_s: round(warmupS, 3),
  fit_s: round(fitS, 3),
  test_samples: nTest,
  test_accuracy: round((await testAcc.data())[0], 4),
  test_loss: round((await testLoss.data())[0], 4),
  partial_training: stoppedEarly,
  train_loss: hist.history.loss.map((v) => round(v, 4)),
  peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
  versions,
});
