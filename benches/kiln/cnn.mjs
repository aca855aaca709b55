// The seed CNN on Fashion-MNIST in kiln-nn: steady-state training samples/s and test accuracy.
//
// Usage: node kiln/cnn.mjs [--batch 64] [--epochs 2] [--steps 320] [--warmup-steps 20]
// Same model, data and protocol as peers/cnn_keras.py and peers/cnn_tfjs.mjs:
//   Conv2D 32 3x3 relu -> MaxPooling2D 2 -> Conv2D 64 3x3 relu -> MaxPooling2D 2 -> Flatten ->
//   Dense 128 relu -> Dense 10 softmax; Adam, sparse categorical cross-entropy, accuracy,
//   x/255 float32 of shape [N, 28, 28, 1], integer labels.
// Protocol: a warm-up fit of one epoch on the first --warmup-steps batches (compilation,
// allocation), then the timed fit: --epochs epochs on the first --steps x --batch training
// samples (--steps 0: all 60,000), shuffled, each epoch timed by an epoch callback.
// samples/s = samples trained in the timed fit / its epochs' time. Test accuracy on the whole
// test set after both fits. Prints one JSON line.
import { kiln, loadData, fitTimed, scalar } from '../lib/kiln_mlp.mjs';
import { parseArgs, emit, round, now } from '../lib/common.mjs';

const args = parseArgs(process.argv.slice(2), { batch: 64, epochs: 2, steps: 320, warmupSteps: 20, seed: 1 });
if (typeof kiln.setSeed === 'function') kiln.setSeed(args.seed);

const tLoad = now();
const { data, source } = await loadData();
const [[xTr, yTr], [xTe, yTe]] = data;
function prep(x, y, n) {
  if (n < x.shape[0]) {
    x = x.slice([0, 0, 0], [n, 28, 28]);
    y = y.slice([0], [n]);
  }
  return [x.reshape([-1, 28, 28, 1]).astype('float32').div(255), y.astype('int32')];
}
const nAll = xTr.shape[0];
const n = args.steps > 0 ? Math.min(args.steps * args.batch, nAll) : nAll;
const [xTrain, yTrain] = prep(xTr, yTr, n);
const [xWarm, yWarm] = prep(xTr, yTr, Math.min(args.warmupSteps * args.batch, nAll));
const [xTest, yTest] = prep(xTe, yTe, xTe.shape[0]);
const loadS = now() - tLoad;

const model = new kiln.Sequential([
  new kiln.layers.Conv2D(32, [3, 3], { activation: 'relu', inputShape: [28, 28, 1] }),
  new kiln.layers.MaxPooling2D([2, 2]),
  new kiln.layers.Conv2D(64, [3, 3], { activation: 'relu' }),
  new kiln.layers.MaxPooling2D([2, 2]),
  new kiln.layers.Flatten(),
  new kiln.layers.Dense(128, { activation: 'relu' }),
  new kiln.layers.Dense(10, { activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });

const tW = now();
if (args.warmupSteps > 0) await fitTimed(model, xWarm, yWarm, { epochs: 1, batchSize: args.batch });
const warmupS = now() - tW;
const t0 = now();
const { times, losses, mode } = await fitTimed(model, xTrain, yTrain, { epochs: args.epochs, batchSize: args.batch });
const fitS = now() - t0;
const evalOut = await model.evaluate(xTest, yTest, { batchSize: 256, verbose: 0 });
const [testLoss, testAcc] = Array.isArray(evalOut) ? evalOut.map(scalar) : [scalar(evalOut), NaN];

emit({
  peer: 'kiln',
  workload: 'cnn',
  batch: args.batch,
  epochs: args.epochs,
  train_samples: n,
  warmup_steps: args.warmupSteps,
  samples_per_s: round((n * times.length) / times.reduce((a, b) => a + b, 0), 1),
  epoch_s: times.map((t) => round(t, 3)),
  warmup_s: round(warmupS, 3),
  fit_s: round(fitS, 3),
  load_s: round(loadS, 3),
  test_accuracy: round(testAcc, 4),
  test_loss: round(testLoss, 4),
  train_loss: losses.map((v) => round(scalar(v), 4)),
  peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
  timing: mode,
  data_source: source,
});
