// Inputs with unknown (None) axes besides the batch axis: Keras' `Input(shape=(None,))` for
// variable-length sequences. The engine plans each batch for its actual lengths, so one model
// trains and predicts on batches of different lengths.
import test from 'ava';
import * as kiln from 'kiln-nn';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKerasPython, pythonEnv } from './helpers/python.js';

/** Sequences of `length` token ids; class 1 draws from the upper half of the vocabulary. */
function tokens(samples: number, length: number, seed: number): [kiln.Tensor, kiln.Tensor] {
  const ids: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < samples; i++) {
    const label = (i * 7 + seed) % 2;
    labels.push(label);
    ids.push(Array.from({ length }, (_, j) => label * 10 + ((i * 13 + j * 7 + seed) % 10)));
  }
  return [kiln.tensor(ids), kiln.tensor(labels)];
}

function bagOfEmbeddings(): kiln.Model {
  const inputs = kiln.Input({ shape: [null] });
  let x = new kiln.layers.Embedding(20, 8).apply(inputs);
  x = new kiln.layers.GlobalAveragePooling1D().apply(x);
  const outputs = new kiln.layers.Dense(1, { activation: 'sigmoid' }).apply(x);
  return new kiln.Model({ inputs, outputs: outputs as kiln.SymbolicTensor });
}

test('Input({ shape: [null] }): Embedding + GlobalAveragePooling1D trains and predicts on batches of different lengths', async (t) => {
  kiln.setSeed(3);
  const model = bagOfEmbeddings();
  t.deepEqual(model.inputs[0].shape, [null, null]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.05 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  for (const length of [7, 12, 5, 7]) {
    const [x, y] = tokens(64, length, length);
    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
  }
  for (const length of [3, 9, 20]) {
    const [x, y] = tokens(32, length, 1);
    const predictions = await model.predict(x);
    t.deepEqual(predictions.shape, [32, 1]);
    const [, accuracy] = await model.evaluate(x, y, { verbose: 0 });
    t.true(accuracy >= 0.9, `length ${length}: accuracy ${accuracy}`);
  }
});

test('a variable-length prediction is the mean of the embedding rows through the Dense layer', async (t) => {
  const model = bagOfEmbeddings();
  const [table, kernel, bias] = model.getWeights().map((w) => Array.from(w.dataSync()));
  const ids = [
    [3, 17, 5, 5, 0],
    [9, 1, 12, 4, 4],
  ];
  const y = Array.from((await model.predict(kiln.tensor(ids))).dataSync());
  ids.forEach((row, i) => {
    const mean = Array.from({ length: 8 }, (_, d) => row.reduce((s, id) => s + table[id * 8 + d], 0) / row.length);
    const z = mean.reduce((s, v, d) => s + v * kernel[d], bias[0]);
    t.true(Math.abs(y[i] - 1 / (1 + Math.exp(-z))) < 1e-6, `${y[i]} vs ${1 / (1 + Math.exp(-z))}`);
  });
  // Each length is planned on its own; a shorter batch gives the same per-sample values.
  const short = Array.from((await model.predict(kiln.tensor([ids[0].slice(0, 2)]))).dataSync());
  const mean = Array.from({ length: 8 }, (_, d) => (table[3 * 8 + d] + table[17 * 8 + d]) / 2);
  const z = mean.reduce((s, v, d) => s + v * kernel[d], bias[0]);
  t.true(Math.abs(short[0] - 1 / (1 + Math.exp(-z))) < 1e-6);
});

test("Embedding({ maskZero }) + GlobalAveragePooling1D on Input shape [null] (keras.io's padded batches): the mean over the unpadded steps only, and it trains", async (t) => {
  kiln.setSeed(3);
  const input = kiln.Input({ shape: [null], dtype: 'int32' });
  const pooled = new kiln.layers.GlobalAveragePooling1D().apply(new kiln.layers.Embedding(20, 4, { maskZero: true }).apply(input));
  const model = new kiln.Model(input, new kiln.layers.Dense(1).apply(pooled));
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const [table, kernel, bias] = model.getWeights().map((w) => Array.from(w.dataSync()));
  const ids = [
    [3, 17, 0, 0],
    [9, 1, 12, 0],
  ];
  const y = Array.from((await model.predict(kiln.tensor(ids, [2, 4], 'int32'))).dataSync());
  ids.forEach((row, i) => {
    const present = row.filter((id) => id !== 0);
    const mean = Array.from({ length: 4 }, (_, d) => present.reduce((s, id) => s + table[id * 4 + d], 0) / present.length);
    const z = mean.reduce((s, v, d) => s + v * kernel[d], bias[0]);
    t.true(Math.abs(y[i] - z) < 1e-6, `${y[i]} vs ${z}`);
  });
  const history = await model.fit(kiln.tensor(ids, [2, 4], 'int32'), kiln.tensor([1, -1], [2, 1]), { epochs: 20, verbose: 0 });
  t.true(history.history.loss[19] < history.history.loss[0]);
});

test('LSTM on inputShape [null, features]: trains on one length, predicts others, returnSequences follows the length', async (t) => {
  kiln.setSeed(5);
  const sequences = (samples: number, length: number) => {
    const x: number[][][] = [];
    const y: number[] = [];
    for (let i = 0; i < samples; i++) {
      const label = i % 2;
      y.push(label);
      x.push(Array.from({ length }, (_, j) => [label ? 0.5 : -0.5, Math.sin(i + j), Math.cos(3 * i + j) * 0.5]));
    }
    return [kiln.tensor(x), kiln.tensor(y)];
  };
  const model = new kiln.Sequential([new kiln.layers.LSTM(8, { inputShape: [null, 3] }), new kiln.layers.Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.02 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const [x4, y4] = sequences(64, 4);
  const [x9, y9] = sequences(64, 9);
  await model.fit(x4, y4, { epochs: 6, batchSize: 16, verbose: 0 });
  await model.fit(x9, y9, { epochs: 6, batchSize: 16, verbose: 0 });
  const [x6, y6] = sequences(32, 6);
  const [, accuracy] = await model.evaluate(x6, y6, { verbose: 0 });
  t.true(accuracy >= 0.9, `accuracy on length 6: ${accuracy}`);

  const tagger = new kiln.Sequential([new kiln.layers.LSTM(4, { inputShape: [null, 3], returnSequences: true }), new kiln.layers.Dense(2, { activation: 'softmax' })]);
  tagger.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
  t.deepEqual((await tagger.predict(x6)).shape, [32, 6, 2]);
  t.deepEqual((await tagger.predict(x9)).shape, [64, 9, 2]);
});

test('a fixed axis still must match; an unknown one takes any length', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.LSTM(2, { inputShape: [null, 3] })]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const error = await t.throwsAsync(model.predict(kiln.tensor(new Float32Array(2 * 5 * 4), [2, 5, 4])));
  t.regex(error!.message, /expected last axis 3, got 4/);
  t.throws(() => kiln.Input({ shape: [null, 0] }), { message: /positive integers or null/ });
  t.deepEqual((await model.predict(kiln.tensor(new Float32Array(2 * 11 * 3), [2, 11, 3]))).shape, [2, 2]);
});

const lookup = findKerasPython();

test('a model on Input shape [null] saves to .keras, and Keras loads it and predicts the same', async (t) => {
  if (!lookup.python) {
    t.log(`skipped: ${lookup.reason}`);
    t.pass();
    return;
  }
  const directory = mkdtempSync(join(tmpdir(), 'kiln-varlen-'));
  try {
    const model = bagOfEmbeddings();
    const file = join(directory, 'bag.keras');
    await model.save(file);
    const ids = [
      [1, 2, 3, 4, 19, 0],
      [5, 6, 7, 8, 9, 10],
    ];
    const ours = Array.from((await model.predict(kiln.tensor(ids))).dataSync());
    const loaded = await kiln.models.loadModel(file);
    t.deepEqual(loaded.inputs[0].shape, [null, null]);
    t.deepEqual(Array.from((await loaded.predict(kiln.tensor(ids))).dataSync()), ours);
    const script = `import json, sys, numpy as np, keras\nm = keras.saving.load_model(sys.argv[1])\nprint(json.dumps([m.input_shape, m.predict(np.array(${JSON.stringify(ids)}), verbose=0).ravel().tolist()]))`;
    const run = spawnSync(lookup.python, ['-c', script, file], { encoding: 'utf8', env: pythonEnv });
    t.is(run.status, 0, run.stderr.slice(-2000));
    const [shape, keras] = JSON.parse(run.stdout.trim().split('\n').pop()!) as [(number | null)[], number[]];
    t.deepEqual(shape, [null, null]);
    keras.forEach((v, i) => t.true(Math.abs(v - ours[i]) < 1e-6, `${v} vs ${ours[i]}`));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('Conv1D and MaxPooling1D on variable-length sequences (keras.io text classification from scratch)', async (t) => {
  kiln.setSeed(4);
  const inputs = kiln.Input({ shape: [null] });
  let x = new kiln.layers.Embedding(20, 8).apply(inputs);
  x = new kiln.layers.Conv1D(8, 3, { activation: 'relu', strides: 2 }).apply(x);
  x = new kiln.layers.MaxPooling1D(2).apply(x);
  x = new kiln.layers.GlobalMaxPooling1D().apply(x);
  const outputs = new kiln.layers.Dense(1, { activation: 'sigmoid' }).apply(x);
  const model = new kiln.Model({ inputs, outputs: outputs as kiln.SymbolicTensor });
  t.deepEqual(model.layers[2].lastOutputShape, [null, null, 8]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.02 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  for (const length of [9, 20, 13]) {
    const [xs, ys] = tokens(64, length, length);
    await model.fit(xs, ys, { epochs: 3, batchSize: 16, verbose: 0 });
  }
  const [xs, ys] = tokens(32, 11, 2);
  const [, accuracy] = await model.evaluate(xs, ys, { verbose: 0 });
  t.true(accuracy >= 0.9, `accuracy ${accuracy}`);
  // Too short for the window: refused when that batch is planned, naming the sizes.
  await t.throwsAsync(model.predict(kiln.tensor([[1, 2]])), { message: /window|larger than|kernel/i });
});
