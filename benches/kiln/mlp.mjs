// The seed MLP on Fashion-MNIST in kiln-nn: steady-state training samples/s and test accuracy.
//
// Usage: node kiln/mlp.mjs [--batch 32] [--epochs 5] [--warmup-epochs 1]
// Same model, data and preprocessing as peers/mlp_keras.py; samples/s over epochs
// warmup+1..N (the first epoch is excluded as warm-up). Prints one JSON line.
import { kiln, loadData, prepare, buildModel, fitTimed, scalar } from '../lib/kiln_mlp.mjs';
import { parseArgs, emit, round, now } from '../lib/common.mjs';

const args = parseArgs(process.argv.slice(2), { batch: 32, epochs: 5, warmupEpochs: 1, seed: 1 });
if (args.epochs <= args.warmupEpochs) throw new Error('--epochs must exceed --warmup-epochs');
if (typeof kiln.setSeed === 'function') kiln.setSeed(args.seed);

const tLoad = now();
const { data, source } = await loadData();
const [[xTr, yTr], [xTe, yTe]] = data;
const [xTrain, yTrain] = prepare(xTr, yTr);
const [xTest, yTest] = prepare(xTe, yTe);
const loadS = now() - tLoad;
const n = xTrain.shape[0];

const model = buildModel();
const t0 = now();
const { times, losses, mode } = await fitTimed(model, xTrain, yTrain, { epochs: args.epochs, batchSize: args.batch });
const fitS = now() - t0;
const evalOut = await model.evaluate(xTest, yTest, { batchSize: 256, verbose: 0 });
const [testLoss, testAcc] = Array.isArray(evalOut) ? evalOut.map(scalar) : [scalar(evalOut), NaN];

const steady = times.slice(args.warmupEpochs);
emit({
  peer: 'kiln',
  workload: 'mlp',
  batch: args.batch,
  epochs: args.epochs,
  warmup_epochs: args.warmupEpochs,
  samples_per_s: round((n * steady.length) / steady.reduce((a, b) => a + b, 0), 1),
  epoch_s: times.map((t) => round(t, 3)),
  fit_s: round(fitS, 3),
  load_s: round(loadS, 3),
  test_accuracy: round(testAcc, 4),
  test_loss: round(testLoss, 4),
  train_loss: losses.map((v) => round(scalar(v), 4)),
  peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
  timing: mode,
  data_source: source,
});
