// A steady loop of one kiln-nn workload, for benches/profile.mjs to record with `perf`.
//
// Usage: node kiln/profile_target.mjs --target mlp|cnn|rnn|resnet50 [--seconds 10] [--size 224]
// mlp / cnn / rnn: one training step of the seed model (`model.trainOnBatch`, Keras' name) on a
// fixed batch (32 / 64 / 32 samples of generated data of the workload's shapes);
// resnet50: `await model.predict(x)` of kiln.applications.ResNet50 (weights null) on one
// [1, size, size, 3] sample. After the model's build and a few warm-up steps it prints
// `READY <pid>`, loops for --seconds, then prints one JSON line with the steps and their time.
import { loadKiln } from '../lib/kiln.mjs';
import { emit, now, parseArgs, round } from '../lib/common.mjs';
import { fixedInputs } from '../lib/timing.mjs';

const args = parseArgs(process.argv.slice(2), { target: 'mlp', seconds: 10, size: 224, warmup: 5, seed: 1 });
const kiln = await loadKiln();
kiln.setSeed(args.seed);
const L = kiln.layers;

function labels(n, classes) {
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = (i * 7) % classes;
  return y;
}

let step;
let what;
switch (args.target) {
  case 'mlp': {
    const model = new kiln.Sequential([new L.Flatten({ inputShape: [28, 28] }), new L.Dense(128, { activation: 'relu' }), new L.Dropout(0.2), new L.Dense(10, { activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const x = kiln.tensor(fixedInputs(32 * 784), [32, 28, 28]);
    const y = kiln.tensor(labels(32, 10), [32]);
    step = () => model.trainOnBatch(x, y);
    what = 'seed MLP, one training step (trainOnBatch), batch 32';
    break;
  }
  case 'cnn': {
    const model = new kiln.Sequential([
      new L.Conv2D(32, [3, 3], { activation: 'relu', inputShape: [28, 28, 1] }),
      new L.MaxPooling2D([2, 2]),
      new L.Conv2D(64, [3, 3], { activation: 'relu' }),
      new L.MaxPooling2D([2, 2]),
      new L.Flatten(),
      new L.Dense(128, { activation: 'relu' }),
      new L.Dense(10, { activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const x = kiln.tensor(fixedInputs(64 * 784), [64, 28, 28, 1]);
    const y = kiln.tensor(labels(64, 10), [64]);
    step = () => model.trainOnBatch(x, y);
    what = 'seed CNN, one training step (trainOnBatch), batch 64';
    break;
  }
  case 'rnn': {
    const model = new kiln.Sequential([new L.SimpleRNN(64, { activation: 'relu', inputShape: [10, 20] }), new L.Dense(1, { activation: 'sigmoid' })]);
    model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const x = kiln.tensor(fixedInputs(32 * 200), [32, 10, 20]);
    const y = kiln.tensor(labels(32, 2), [32, 1]);
    step = () => model.trainOnBatch(x, y);
    what = 'seed RNN, one training step (trainOnBatch), batch 32';
    break;
  }
  case 'resnet50': {
    const model = await kiln.applications.ResNet50({ weights: null, inputShape: [args.size, args.size, 3] });
    const x = kiln.tensor(fixedInputs(args.size * args.size * 3), [1, args.size, args.size, 3]);
    step = async () => {
      const y = await model.predict(x, { verbose: 0 });
      y.dataSync();
      y.dispose?.();
    };
    what = `ResNet50 inference (predict), batch 1, ${args.size}x${args.size}x3`;
    break;
  }
  default:
    throw new Error(`--target must be mlp, cnn, rnn or resnet50, got '${args.target}'`);
}
for (let i = 0; i < args.warmup; i++) await step();
process.stdout.write(`READY ${process.pid}\n`);
await new Promise((resolve) => setTimeout(resolve, 300)); // let perf attach
const t0 = now();
let steps = 0;
while (now() - t0 < args.seconds) {
  await step();
  steps++;
}
const seconds = now() - t0;
emit({ target: args.target, what, steps, seconds: round(seconds, 3), ms_per_step: round((seconds * 1000) / steps, 3) });
