// keras.io "Timeseries classification from scratch" (hfawaz), ported line for line:
// https://keras.io/examples/timeseries/timeseries_classification_from_scratch/
//
// Where the port differs, and why:
// - The FordA files download from GitHub. With KILN_FORDA_DIR pointing at a folder holding
//   FordA_TRAIN.tsv and FordA_TEST.tsv they are read from there; otherwise this program writes
//   SYNTHETIC FordA files of the same form (3601 train and 1320 test rows; label -1 or 1, then
//   500 z-normalized values) into a temporary folder and reads those: engine-like noise of a
//   few random harmonics, where class 1 carries an extra intermittent band that class -1 does
//   not. KILN_TRAIN_SAMPLES and KILN_TEST_SAMPLES scale the row counts down, KILN_EPOCHS the
//   500 epochs.
// - `np.loadtxt(filename, delimiter="\t")` is a short TSV reader here; numpy's fancy indexing
//   (`x[idx]`, `y[y == -1] = 0`) is kiln.ops.take and kiln.ops.where.
// - The plots (the series of each class, the accuracy curves, plot_model) are printed as
//   numbers: Node has no matplotlib.
// - "best_model.h5" is written to a temporary folder rather than the working directory.
// - sklearn's accuracy_score is written out (the share of equal labels).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';

const { ops } = kiln;
const keras = kiln;

// ## Load the data: the FordA dataset
// The dataset contains 3601 training instances and another 1320 testing instances. Each
// timeseries corresponds to a measurement of engine noise captured by a motor sensor; the
// goal is to detect the presence of a specific issue with the engine (a balanced binary task).
// In each file, the first column corresponds to the label.

function readucr(filename: string): [kiln.Tensor, kiln.Tensor] {
  const data = readFileSync(filename, 'utf8').trim().split('\n').map((line) => line.split('\t').map(Number));
  const y = data.map((row) => row[0]);
  const x = data.map((row) => row.slice(1));
  return [kiln.tensor(x), kiln.tensor(y, undefined, 'int32')];
}

const rootUrl = process.env.KILN_FORDA_DIR ?? writeSyntheticFordA();

let [xTrain, yTrain] = readucr(join(rootUrl, 'FordA_TRAIN.tsv'));
let [xTest, yTest] = readucr(join(rootUrl, 'FordA_TEST.tsv'));

// ## Visualize the data (one timeseries of each class, summarized)
const classes = [...new Set([...yTrain.dataSync(), ...yTest.dataSync()])].sort((a, b) => a - b);
for (const c of classes) {
  const first = yTrain.dataSync().indexOf(c);
  const series = Array.from(xTrain.slice([first, 0], [1, xTrain.shape[1]]).dataSync());
  console.log(`class ${c}: ${series.slice(0, 6).map((v) => v.toFixed(2)).join(' ')} ...`);
}

// ## Standardizing the data
// The data is already z-normalized. The timeseries are univariate: reshape them into a
// multivariate one with one channel.
xTrain = ops.reshape(xTrain, [xTrain.shape[0], xTrain.shape[1], 1]);
xTest = ops.reshape(xTest, [xTest.shape[0], xTest.shape[1], 1]);

// Finally, in order to use `sparse_categorical_crossentropy`, we will have to count the number
// of classes beforehand.
const numClasses = new Set(yTrain.dataSync()).size;

// Now we shuffle the training set because we will be using the `validationSplit` option later
// when training.
const idx = permutation(xTrain.shape[0]);
xTrain = ops.take(xTrain, idx, 0);
yTrain = ops.take(yTrain, idx, 0);

// Standardize the labels to positive integers. The expected labels will then be 0 and 1.
yTrain = ops.where(ops.equal(yTrain, -1), 0, yTrain);
yTest = ops.where(ops.equal(yTest, -1), 0, yTest);

// ## Build a model
// A Fully Convolutional Neural Network originally proposed in https://arxiv.org/abs/1611.06455;
// the hyperparameters (kernelSize, filters, the usage of BatchNorm) were found via random search.

function makeModel(inputShape: number[]): kiln.Model {
  const inputLayer = keras.layers.Input(inputShape);

  let conv1 = new keras.layers.Conv1D({ filters: 64, kernelSize: 3, padding: 'same' }).apply(inputLayer);
  conv1 = new keras.layers.BatchNormalization().apply(conv1);
  conv1 = new keras.layers.ReLU().apply(conv1);

  let conv2 = new keras.layers.Conv1D({ filters: 64, kernelSize: 3, padding: 'same' }).apply(conv1);
  conv2 = new keras.layers.BatchNormalization().apply(conv2);
  conv2 = new keras.layers.ReLU().apply(conv2);

  let conv3 = new keras.layers.Conv1D({ filters: 64, kernelSize: 3, padding: 'same' }).apply(conv2);
  conv3 = new keras.layers.BatchNormalization().apply(conv3);
  conv3 = new keras.layers.ReLU().apply(conv3);

  const gap = new keras.layers.GlobalAveragePooling1D().apply(conv3);

  const outputLayer = new keras.layers.Dense(numClasses, { activation: 'softmax' }).apply(gap);

  return new keras.models.Model({ inputs: inputLayer, outputs: outputLayer });
}

let model = makeModel(xTrain.shape.slice(1));
model.summary();
console.log(`Parameters: ${model.countParams()}`);

// ## Train the model

const epochs = Number(process.env.KILN_EPOCHS ?? 500);
const batchSize = 32;
const checkpoint = join(mkdtempSync(join(tmpdir(), 'kiln-forda-')), 'best_model.h5');

const callbacks = [
  new keras.callbacks.ModelCheckpoint(checkpoint, { saveBestOnly: true, monitor: 'val_loss' }),
  new keras.callbacks.ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 20, minLr: 0.0001 }),
  new keras.callbacks.EarlyStopping({ monitor: 'val_loss', patience: 50, verbose: 1 }),
];
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
const history = await model.fit(xTrain, yTrain, {
  batchSize,
  epochs,
  callbacks,
  validationSplit: 0.2,
  verbose: process.env.KILN_TRAIN_SAMPLES ? 0 : 1,
});

// ## Evaluate model on test data

model = await keras.models.loadModel(checkpoint);

const yPred = ops.argMax(await model.predict(xTest), 1);

console.log('Test accuracy', accuracyScore(yPred, yTest));

// ## The model's training and validation accuracy (keras.io plots them)
const metric = 'accuracy';
console.log(`${metric}: first ${history.history[metric][0]} last ${history.history[metric].at(-1)}`);
console.log(`val_${metric}: first ${history.history[`val_${metric}`][0]} last ${history.history[`val_${metric}`].at(-1)}`);

/** sklearn.metrics.accuracy_score: the share of equal labels. */
function accuracyScore(a: kiln.Tensor, b: kiln.Tensor): number {
  const [p, q] = [a.dataSync(), b.dataSync()];
  return p.reduce((hits, v, i) => hits + (v === q[i] ? 1 : 0), 0) / p.length;
}

/** np.random.permutation(n), drawn from kiln's seeded generator (KILN_SEED). */
function permutation(n: number): kiln.Tensor {
  const keys = Array.from(kiln.random.uniform([n]).dataSync());
  const order = keys.map((_, i) => i).sort((i, j) => keys[i] - keys[j]);
  return kiln.tensor(order, [n], 'int32');
}

/**
 * FordA_TRAIN.tsv and FordA_TEST.tsv of generated series (see the header): label, then 500
 * z-normalized values. Both classes are noisy sums of random low harmonics; class 1 adds a
 * band near a fixed frequency, switched on over a random half of the series.
 */
function writeSyntheticFordA(): string {
  const folder = mkdtempSync(join(tmpdir(), 'kiln-forda-synthetic-'));
  const length = 500;
  const random = seededRandom(Number(process.env.KILN_SEED ?? 1337));
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const series = (label: number): number[] => {
    const values = new Array<number>(length).fill(0);
    for (let h = 0; h < 3; h++) {
      const frequency = 0.01 + 0.05 * random();
      const phase = 2 * Math.PI * random();
      const amplitude = 0.5 + random();
      for (let t = 0; t < length; t++) values[t] += amplitude * Math.sin(2 * Math.PI * frequency * t + phase);
    }
    if (label === 1) {
      const frequency = 0.18 + 0.02 * random();
      const start = Math.floor(random() * (length / 2));
      for (let t = start; t < start + length / 2; t++) values[t] += 0.8 * Math.sin(2 * Math.PI * frequency * t);
    }
    for (let t = 0; t < length; t++) values[t] += 0.8 * gaussian();
    const mean = values.reduce((s, v) => s + v, 0) / length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / length);
    return values.map((v) => (v - mean) / std);
  };
  const write = (file: string, rows: number) => {
    const lines = Array.from({ length: rows }, (_, i) => {
      const label = i % 2 === 0 ? -1 : 1;
      return [label, ...series(label).map((v) => v.toFixed(6))].join('\t');
    });
    writeFileSync(join(folder, file), `${lines.join('\n')}\n`);
  };
  write('FordA_TRAIN.tsv', Number(process.env.KILN_TRAIN_SAMPLES ?? 3601));
  write('FordA_TEST.tsv', Number(process.env.KILN_TEST_SAMPLES ?? 1320));
  return folder;
}

/** A small seeded generator (mulberry32), so the generated files are the same run after run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
