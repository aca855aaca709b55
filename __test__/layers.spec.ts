// Recurrent and convolutional layers in whole models: learning, and errors at build time.
import test from 'ava';
import * as kiln from 'kiln-nn';

/** Sequences whose label is the sign of the first step's first feature: it must be remembered. */
function memoryTask(samples: number, steps: number) {
  const x = kiln.random.normal([samples, steps, 2]);
  const values = x.dataSync();
  const y = kiln.tensor(
    Array.from({ length: samples }, (_, i) => (values[i * steps * 2] > 0 ? 1 : 0)),
    [samples, 1],
  );
  return { x, y };
}

for (const [name, Layer] of [
  ['LSTM', kiln.layers.LSTM],
  ['GRU', kiln.layers.GRU],
] as const) {
  test.serial(`${name} learns a task that needs memory over 12 steps`, async (t) => {
    kiln.setSeed(21);
    const train = memoryTask(2000, 12);
    const check = memoryTask(500, 12);
    const model = new kiln.Sequential([new Layer(16, { inputShape: [12, 2] }), new kiln.layers.Dense(1, { activation: 'sigmoid' })]);
    model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.01 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
    await model.fit(train.x, train.y, { epochs: 15, verbose: 0 });
    const [, accuracy] = await model.evaluate(check.x, check.y, { verbose: 0 });
    t.true(accuracy > 0.9, `held-out accuracy ${accuracy}`);
  });
}

test("stacked recurrent layers: returnSequences feeds the next layer; weights have Keras' shapes", async (t) => {
  const model = new kiln.Sequential([new kiln.layers.LSTM(8, { inputShape: [5, 3], returnSequences: true }), new kiln.layers.GRU(4, { goBackwards: true }), new kiln.layers.Dense(1)]);
  t.deepEqual(
    model.getWeights().map((w) => w.shape),
    [[3, 32], [8, 32], [32], [8, 12], [4, 12], [2, 12], [4, 1], [1]],
  );
  t.regex(
    model.summary(() => {}),
    /lstm(_\d+)? \(LSTM\) +│ \(None, 5, 8\) +│ +384 │/,
  );
  const lstmBias = model.layers[0].getWeights()[2].dataSync();
  t.deepEqual(Array.from(lstmBias.slice(8, 16)), new Array(8).fill(1), 'unit forget bias');
  // The recurrent kernel [8, 32] starts orthogonal: its 8 rows are orthonormal.
  const r = model.layers[0].getWeights()[1];
  const gram = kiln.ops.matmul(r, r.transpose()).dataSync();
  const offIdentity = Math.max(...Array.from(gram, (v, k) => Math.abs(v - (k % 9 === 0 ? 1 : 0))));
  t.true(offIdentity < 1e-4, `r rᵀ differs from the identity by ${offIdentity}`);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  await model.fit(kiln.random.normal([64, 5, 3]), kiln.random.normal([64, 1]), { epochs: 1, verbose: 0 });
  const eager = model.layers[0].apply(kiln.random.normal([2, 5, 3]));
  t.deepEqual(eager.shape, [2, 5, 8]);
});

test('layers applied to the wrong rank or size fail at build time, naming the layer', (t) => {
  const image = kiln.Input({ shape: [28, 28] });
  t.throws(() => new kiln.layers.Conv2D(8, 3, { name: 'conv_on_3d' }).apply(image), {
    instanceOf: kiln.ShapeError,
    message: /conv_on_3d.*expected ndim=4, found ndim=3/,
  });
  const small = kiln.Input({ shape: [2, 2, 1] });
  t.throws(() => new kiln.layers.Conv2D(8, 3, { name: 'too_big' }).apply(small), {
    instanceOf: kiln.ShapeError,
    message: /too_big.*window of size 3 is larger than the input axis of length 2 with padding 'valid'/,
  });
  t.throws(() => new kiln.layers.MaxPooling2D(3, { name: 'pool_too_big' }).apply(small), { instanceOf: kiln.ShapeError, message: /pool_too_big/ });
  t.throws(() => new kiln.layers.LSTM(4, { name: 'lstm_on_2d' }).apply(kiln.Input({ shape: [7] })), {
    instanceOf: kiln.ShapeError,
    message: /lstm_on_2d.*expected ndim=3, found ndim=2/,
  });
  t.throws(() => new kiln.layers.SimpleRNN(4, { recurrentDropout: 1.5 }), { instanceOf: kiln.ValueError, message: /`recurrentDropout` must be a number in \[0, 1\), got 1.5/ });
  t.throws(() => new kiln.layers.Conv2D(8, [3, 3], { padding: 'causal' as 'same' }), { instanceOf: kiln.ValueError, message: /padding must be 'valid' or 'same'/ });
});

/** A two-input model: each input through its own Dense(3), then `merge`. */
function twoBranch(merge: kiln.layers.Layer) {
  const a = kiln.Input({ shape: [4] });
  const b = kiln.Input({ shape: [4] });
  const left = new kiln.layers.Dense(3, { activation: 'tanh' }).apply(a);
  const right = new kiln.layers.Dense(3, { activation: 'tanh' }).apply(b);
  const merged = merge.apply([left, right]);
  return new kiln.Model({ inputs: [a, b], outputs: new kiln.layers.Dense(2).apply(merged) });
}

const mergeCases: [string, () => kiln.layers.Layer, (x: number, y: number) => number][] = [
  ['Add', () => new kiln.layers.Add(), (x, y) => x + y],
  ['Subtract', () => new kiln.layers.Subtract(), (x, y) => x - y],
  ['Multiply', () => new kiln.layers.Multiply(), (x, y) => x * y],
  ['Average', () => new kiln.layers.Average(), (x, y) => (x + y) / 2],
  ['Maximum', () => new kiln.layers.Maximum(), Math.max],
  ['Minimum', () => new kiln.layers.Minimum(), Math.min],
];

for (const [name, make, f] of mergeCases) {
  test(`${name} merges its inputs elementwise`, (t) => {
    const x = kiln.tensor([
      [1, -2, 3],
      [0.5, 4, -1],
    ]);
    const y = kiln.tensor([
      [2, 2, -1],
      [1.5, -3, 0],
    ]);
    const out = make().apply([x, y]).dataSync();
    const [xs, ys] = [x.dataSync(), y.dataSync()];
    t.deepEqual(
      Array.from(out),
      Array.from(xs, (v, i) => Math.fround(f(v, ys[i]))),
    );
  });
}

test('Concatenate joins along an axis, eagerly and in graphs', (t) => {
  const x = kiln.tensor([
    [1, 2],
    [3, 4],
  ]);
  const y = kiln.tensor([[5], [6]]);
  t.deepEqual(new kiln.layers.Concatenate().apply([x, y]).toArray(), [
    [1, 2, 5],
    [3, 4, 6],
  ]);
  const a = kiln.Input({ shape: [3, 2] });
  const b = kiln.Input({ shape: [3, 5] });
  t.deepEqual(new kiln.layers.Concatenate().apply([a, b]).shape, [null, 3, 7]);
  t.deepEqual(new kiln.layers.Concatenate({ axis: 1 }).apply([a, kiln.Input({ shape: [4, 2] })]).shape, [null, 7, 2]);
  t.throws(() => new kiln.layers.Concatenate({ name: 'bad_concat' }).apply([a, kiln.Input({ shape: [4, 5] })]), {
    instanceOf: kiln.ShapeError,
    message: /bad_concat.*matching shapes except for the concatenation axis/,
  });
  t.throws(() => new kiln.layers.Add({ name: 'lonely' }).apply([a]), { instanceOf: kiln.ValueError, message: /at least 2 inputs.*lonely/ });
  t.throws(() => new kiln.layers.Add().apply([a, b]), { instanceOf: kiln.ShapeError, message: /must have the same shape/ });
});

for (const [name, make] of [...mergeCases.map(([n, m]) => [n, m] as const), ['Concatenate', () => new kiln.layers.Concatenate()] as const]) {
  test(`${name}: one SGD step moves every weight by the finite-difference gradient`, async (t) => {
    kiln.setSeed(31);
    const model = twoBranch(make());
    const x = [kiln.random.normal([8, 4]), kiln.random.normal([8, 4])];
    const y = kiln.random.normal([8, 2]);
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: 'mse' });
    const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
    const loss = async (ws: Float32Array[]) => {
      model.setWeights(ws.map((w, i) => kiln.tensor(w, model.weights[i].shape)));
      return (await model.evaluate(x, y, { batchSize: 8, verbose: 0 }))[0];
    };
    const numeric: number[][] = [];
    for (let k = 0; k < weights.length; k++) {
      numeric.push([]);
      for (let i = 0; i < weights[k].length; i++) {
        const bumped = (d: number) => weights.map((w, j) => (j === k ? w.map((v, m) => (m === i ? v + d : v)) : w));
        numeric[k].push(((await loss(bumped(1e-3))) - (await loss(bumped(-1e-3)))) / 2e-3); // small: max/min have kinks
      }
    }
    model.setWeights(weights.map((w, i) => kiln.tensor(w, model.weights[i].shape)));
    await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const after = model.getWeights().map((w) => w.dataSync());
    for (let k = 0; k < weights.length; k++) {
      for (let i = 0; i < weights[k].length; i++) {
        const analytic = weights[k][i] - after[k][i];
        t.true(Math.abs(analytic - numeric[k][i]) < 2e-3 * (1 + Math.abs(numeric[k][i])), `weight ${k}[${i}]: ${analytic} vs ${numeric[k][i]}`);
      }
    }
  });
}

test('BatchNormalization: batch statistics while training, moving averages in evaluate and predict', async (t) => {
  const inputs = kiln.Input({ shape: [3] });
  const bn = new kiln.layers.BatchNormalization({ momentum: 0.9, name: 'bn' });
  const model = new kiln.Model({ inputs, outputs: bn.apply(inputs) });
  t.deepEqual(
    model.getWeights().map((w) => w.shape),
    [[3], [3], [3], [3]],
  );
  t.deepEqual(
    bn.trainableWeights.map((w) => w.name),
    ['gamma', 'beta'],
  );
  t.regex(
    model.summary(() => {}),
    /Trainable params: 6 .*\n Non-trainable params: 6 /s,
  );
  // Inference with the initial moving statistics (0 and 1): y = x / sqrt(1 + 1e-3).
  const x = kiln.tensor([
    [1, 10, -2],
    [3, 20, -2],
    [5, 30, -2],
    [7, 40, -2],
  ]);
  const y0 = (await model.predict(x)).dataSync();
  t.true(Math.abs(y0[0] - 1 / Math.sqrt(1.001)) < 1e-6);
  // One training step with a zero learning rate changes only the moving statistics.
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
  await model.fit(x, kiln.tensor(new Float32Array(12), [4, 3]), { epochs: 1, batchSize: 4, verbose: 0 });
  const [gamma, beta, mean, variance] = model.getWeights().map((w) => Array.from(w.dataSync()));
  t.deepEqual(
    [gamma, beta],
    [
      [1, 1, 1],
      [0, 0, 0],
    ],
  );
  const batchMean = [4, 25, -2];
  const batchVariance = [5, 125, 0]; // biased, as Keras
  mean.forEach((m, c) => t.true(Math.abs(m - 0.1 * batchMean[c]) < 1e-5, `moving mean ${m}`));
  variance.forEach((v, c) => t.true(Math.abs(v - (0.9 + 0.1 * batchVariance[c])) < 1e-4, `moving variance ${v}`));
  // evaluate and predict now normalise with those moving statistics.
  const y1 = (await model.predict(x)).dataSync();
  t.true(Math.abs(y1[0] - (1 - mean[0]) / Math.sqrt(variance[0] + 1e-3)) < 1e-5);
});

test('BatchNormalization trains inside a CNN', async (t) => {
  kiln.setSeed(41);
  const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.mnistDigits.loadData();
  const model = new kiln.Sequential([
    new kiln.layers.Conv2D(8, 3, { inputShape: [28, 28, 1] }),
    new kiln.layers.BatchNormalization(),
    new kiln.layers.Activation('relu'),
    new kiln.layers.MaxPooling2D(2),
    new kiln.layers.Flatten(),
    new kiln.layers.Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const prep = (x: kiln.Tensor) => x.astype('float32').div(255).reshape([-1, 28, 28, 1]);
  await model.fit(prep(xTrain), yTrain, { epochs: 2, verbose: 0 });
  const [, accuracy] = await model.evaluate(prep(xTest), yTest, { verbose: 0 });
  t.true(accuracy > 0.9, `accuracy ${accuracy}`);
});

test('Embedding looks up rows, learns them, and feeds recurrent layers', async (t) => {
  const layer = new kiln.layers.Embedding(5, 3);
  const ids = kiln.tensor(
    [
      [0, 4],
      [2, 2],
    ],
    undefined,
    'int32',
  );
  const rows = layer.apply(ids);
  t.deepEqual(rows.shape, [2, 2, 3]);
  const table = layer.getWeights()[0].toArray() as number[][];
  t.deepEqual((rows.toArray() as number[][][])[1][0], table[2]);
  t.true(
    table.flat().every((v) => Math.abs(v) <= 0.05),
    "Keras' 'uniform' initializer",
  );
  // A sequence task: the label says whether token 3 appears; only its row and the RNN can tell.
  kiln.setSeed(51);
  const n = 1000;
  const tokens = kiln.random.randint(0, 10, [n, 8]);
  const values = tokens.dataSync();
  const labels = kiln.tensor(
    Array.from({ length: n }, (_, i) => (Array.from(values.slice(i * 8, i * 8 + 8)).includes(3) ? 1 : 0)),
    [n, 1],
  );
  const model = new kiln.Sequential([new kiln.layers.Embedding(10, 8, { inputShape: [8] }), new kiln.layers.GRU(8), new kiln.layers.Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.01 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const history = await model.fit(tokens, labels, { epochs: 15, verbose: 0 });
  t.true(history.history.accuracy.at(-1)! > 0.95, `accuracy ${history.history.accuracy.at(-1)}`);
});
