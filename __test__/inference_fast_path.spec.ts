// The inference fast paths (issue 15): predictOnBatch runs one batch now on the calling thread
// with the plan for its shape kept, and predict of data that fits one batch makes one native
// call. They must give the numbers the general paths give (predict in several batches, the
// model called eagerly on tensors, Keras' own predictions for the models Keras saved) and check
// their input as strictly.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as kiln from 'kiln-nn';

const fixtures = new URL('./fixtures/saving/', import.meta.url);
interface FixtureArray {
  shape: number[];
  values: number[];
}
const kerasPredictions: Record<string, { inputs: FixtureArray[]; outputs: FixtureArray[] }> = JSON.parse(readFileSync(new URL('predictions.json', fixtures), 'utf8'));
const fromFixture = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.values), a.shape);

const list = (out: kiln.Tensor | kiln.Tensor[]) => (Array.isArray(out) ? out : [out]);
const values = (out: kiln.Tensor | kiln.Tensor[]) => list(out).map((t) => Array.from(t.dataSync()));
const maxDifference = (a: number[][], b: number[][]) => Math.max(...a.map((row, i) => Math.max(...row.map((v, j) => Math.abs(v - b[i][j])))));

/** Every path gives the same outputs for `x`: predictOnBatch (twice: the kept plan), predict in one call and in batches, the eager call. */
async function samePredictions(t: import('ava').ExecutionContext, model: kiln.Model, x: kiln.Tensor | kiln.Tensor[], what: string): Promise<number[][]> {
  const fast = model.predictOnBatch<kiln.Tensor | kiln.Tensor[]>(x);
  const again = model.predictOnBatch<kiln.Tensor | kiln.Tensor[]>(x);
  const oneCall = await model.predict<kiln.Tensor | kiln.Tensor[]>(x, { batchSize: 1024 });
  const batched = await model.predict<kiln.Tensor | kiln.Tensor[]>(x, { batchSize: 3 });
  const eager = model.apply<kiln.Tensor | kiln.Tensor[]>(x);
  t.deepEqual(
    list(fast).map((o) => o.shape),
    list(batched).map((o) => o.shape),
    `${what}: shapes`,
  );
  t.deepEqual(values(again), values(fast), `${what}: the kept plan gives the same numbers`);
  for (const [name, other] of [
    ['predict in one call', oneCall],
    ['predict in batches of 3', batched],
    ['the eager call', eager],
  ] as const) {
    const d = maxDifference(values(fast), values(other));
    t.true(d < 1e-5, `${what}: predictOnBatch and ${name} differ by ${d}`);
  }
  return values(fast);
}

const samples = (rows: number, shape: number[], seed: number) => {
  kiln.setSeed(seed);
  return kiln.random.uniform([rows, ...shape], -1, 1);
};

test('the seed MLP: one sample, a small batch and a large batch agree on every path, Dropout off', async (t) => {
  kiln.setSeed(1);
  const model = new kiln.Sequential([
    new kiln.layers.Flatten({ inputShape: [28, 28] }),
    new kiln.layers.Dense(128, { activation: 'relu' }),
    new kiln.layers.Dropout(0.2),
    new kiln.layers.Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
  for (const rows of [1, 5, 40, 1]) await samePredictions(t, model, samples(rows, [28, 28], rows), `${rows} samples`);
  // One sample, async: the same numbers as the synchronous call.
  const x = samples(1, [28, 28], 9);
  t.deepEqual(values(await model.predict(x)), values(model.predictOnBatch(x)));
  // A typed array with the model's sample shape, and uint8 pixels, read as predict reads them.
  const flat = x.dataSync() as Float32Array;
  t.deepEqual(values(model.predictOnBatch(flat)), values(model.predictOnBatch(x)));
  const pixels = kiln.tensor(
    Uint8Array.from({ length: 2 * 784 }, (_, i) => (i * 37) % 256),
    [2, 28, 28],
    'uint8',
  );
  t.deepEqual(values(model.predictOnBatch(pixels)), values(await model.predict(pixels.astype('float32'), { batchSize: 1 })));
});

test('convolutions with batch normalization in inference mode agree on every path, after training moved the moving statistics', async (t) => {
  kiln.setSeed(2);
  const model = new kiln.Sequential([
    new kiln.layers.Conv2D(4, [3, 3], { inputShape: [8, 8, 2], padding: 'same' }),
    new kiln.layers.BatchNormalization(),
    new kiln.layers.Activation('relu'),
    new kiln.layers.MaxPooling2D([2, 2]),
    new kiln.layers.Dropout(0.5),
    new kiln.layers.Flatten(),
    new kiln.layers.Dense(3, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  await model.fit(samples(32, [8, 8, 2], 3), kiln.tensor(Array.from({ length: 32 }, (_, i) => i % 3)), { epochs: 2, batchSize: 8, verbose: 0 });
  const moving = model.layers[1].getWeights()[2].dataSync();
  t.true(
    Array.from(moving).some((v) => Math.abs(v) > 1e-4),
    'the moving mean moved',
  );
  for (const rows of [1, 6, 33]) await samePredictions(t, model, samples(rows, [8, 8, 2], 10 + rows), `${rows} images`);
});

test('a two-input, two-output functional model, positional and name-keyed', async (t) => {
  kiln.setSeed(4);
  const image = kiln.Input({ shape: [4], name: 'image' });
  const meta = kiln.Input({ shape: [3], name: 'meta' });
  const h1 = new kiln.layers.Dense(5, { activation: 'relu' }).apply(image);
  const h2 = new kiln.layers.Dense(3, { activation: 'tanh' }).apply(meta);
  const merged = new kiln.layers.Concatenate().apply([h1, h2]);
  const cls = new kiln.layers.Dense(3, { activation: 'softmax' }).apply(merged);
  const reg = new kiln.layers.Dense(1).apply(new kiln.layers.Add().apply([new kiln.layers.Dense(3).apply(merged), h2]));
  const model = new kiln.Model({ inputs: [image, meta], outputs: [cls, reg] });
  const x = [samples(7, [4], 5), samples(7, [3], 6)];
  const outputs = await samePredictions(t, model, x, 'two heads');
  t.is(outputs.length, 2);
  t.deepEqual(values(model.predictOnBatch({ meta: x[1], image: x[0] })), outputs);
});

for (const name of Object.keys(kerasPredictions)) {
  test(`Keras' ${name}.keras, loaded: predictOnBatch gives Keras' predictions and predict's`, async (t) => {
    const entry = kerasPredictions[name];
    const model = await kiln.models.loadModel(fileURLToPath(new URL(`${name}.keras`, fixtures)));
    const inputs = entry.inputs.map(fromFixture);
    const fast = await samePredictions(t, model, inputs.length === 1 ? inputs[0] : inputs, name);
    const d = maxDifference(
      fast,
      entry.outputs.map((o) => o.values),
    );
    t.true(d < 1e-5, `predictOnBatch differs from Keras by ${d}`);
  });
}

const seedMlp = (seed: number) => {
  kiln.setSeed(seed);
  return new kiln.Sequential([
    new kiln.layers.Flatten({ inputShape: [28, 28] }),
    new kiln.layers.Dense(128, { activation: 'relu' }),
    new kiln.layers.Dropout(0.2),
    new kiln.layers.Dense(10, { activation: 'softmax' }),
  ]);
};

test('async predict of one sample: once measured quick, it runs at once, with the numbers of every other path', async (t) => {
  const model = seedMlp(5);
  const xs = [1, 2, 3].map((seed) => samples(1, [28, 28], 20 + seed));
  const expected = xs.map((x) => values(model.predictOnBatch(x)));
  // The first call of a shape is measured on a worker; the later ones run on this thread.
  for (let round = 0; round < 4; round++) {
    for (const [i, x] of xs.entries()) t.deepEqual(values(await model.predict(x)), expected[i], `round ${round}, sample ${i}`);
  }
  // A promise still, resolved with the outputs, whatever route it took.
  const pending = model.predict(xs[0]);
  t.true(pending instanceof Promise);
  t.deepEqual(values(await pending), expected[0]);
  // Many at once: one runs now, the rest find the engine free or wait on a worker; each gets its own sample's outputs.
  const together = await Promise.all(xs.flatMap((x) => [model.predict(x), model.predict(x, { batchSize: 1 })]));
  t.deepEqual(
    together.map(values),
    xs.flatMap((_, i) => [expected[i], expected[i]]),
  );
  // A batch larger than batchSize is never the quick route: batches of 2 agree with one call.
  const five = samples(5, [28, 28], 30);
  t.true(maxDifference(values(await model.predict(five, { batchSize: 2 })), values(model.predictOnBatch(five))) < 1e-5);
});

// Serial: the other tests' synchronous work would hold the event loop too.
test.serial('a loop of awaited quick predicts still lets the event loop turn (timers, I/O)', async (t) => {
  const model = seedMlp(6);
  const x = samples(1, [28, 28], 40);
  for (let i = 0; i < 5; i++) await model.predict(x);
  let turns = 0;
  let stop = false;
  const tick = () => {
    turns += 1;
    if (!stop) setImmediate(tick);
  };
  setImmediate(tick);
  for (let i = 0; i < 400; i++) await model.predict(x);
  stop = true;
  // At least one turn per 20 quick runs (and one per run that hops to a worker).
  t.true(turns >= 400 / 20, `the event loop turned ${turns} times during 400 back-to-back predicts`);
});

test('predict while a fit writes the weights: resolves (on a worker, never blocking on the weights), then agrees with predictOnBatch', async (t) => {
  const model = seedMlp(7);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const x = samples(1, [28, 28], 50);
  for (let i = 0; i < 5; i++) await model.predict(x);
  const data = samples(512, [28, 28], 51);
  const labels = kiln.tensor(Array.from({ length: 512 }, (_, i) => i % 10));
  const fitting = model.fit(data, labels, { epochs: 3, batchSize: 16, verbose: 0 });
  let predictions = 0;
  let done = false;
  void fitting.then(() => (done = true));
  while (!done) {
    const y = await model.predict(x);
    t.true(Array.from(y.dataSync()).every(Number.isFinite));
    predictions += 1;
  }
  await fitting;
  t.true(predictions > 0);
  t.deepEqual(values(await model.predict(x)), values(model.predictOnBatch(x)));
});

test('predictOnBatch refuses what predict refuses, with the same errors', async (t) => {
  kiln.setSeed(7);
  const model = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [4] })]);
  const cases: Array<[string, unknown]> = [
    ['a wrong last axis', kiln.random.uniform([2, 5])],
    ['a wrong rank', kiln.random.uniform([2, 4, 1])],
    ['no samples', kiln.tensor(new Float32Array(0), [0, 4])],
    ['two inputs for one', [kiln.random.uniform([2, 4]), kiln.random.uniform([2, 4])]],
    ['a string', 'x'],
  ];
  for (const [what, x] of cases) {
    const slow = await t.throwsAsync(() => model.predict(x as kiln.Tensor), { instanceOf: kiln.KilnError }, what);
    const fast = t.throws(() => model.predictOnBatch(x as kiln.Tensor), { instanceOf: kiln.KilnError }, what);
    t.is(fast?.message.replace(/^predictOnBatch:/, 'predict:'), slow?.message, what);
    t.is(fast?.constructor, slow?.constructor, what);
  }
  const disposed = kiln.random.uniform([1, 4]);
  disposed.dispose();
  t.throws(() => model.predictOnBatch(disposed), { instanceOf: kiln.KilnError, message: /disposed/ });
});

test('astype is deferred: values, shape and dtype are those of the conversion, and ops on it read the source', async (t) => {
  const bytes = kiln.tensor(
    Uint8Array.from({ length: 24 }, (_, i) => i * 11),
    [2, 3, 4],
    'uint8',
  );
  const floats = bytes.astype('float32');
  t.deepEqual(floats.shape, [2, 3, 4]);
  t.is(floats.dtype, 'float32');
  const expected = Array.from({ length: 24 }, (_, i) => i * 11);
  t.deepEqual(Array.from(floats.dataSync()), expected);
  t.true(floats.dataSync() instanceof Float32Array);
  t.deepEqual(
    Array.from(floats.div(255).dataSync()),
    expected.map((v) => Math.fround(Math.fround(v) / 255)),
  );
  t.deepEqual(
    Array.from(kiln.ops.sub(1, floats).dataSync()),
    expected.map((v) => 1 - v),
  );
  // Conversions that change values: float to int truncates toward zero, int to uint8 wraps, as numpy.
  const mixed = kiln.tensor([1.7, -1.7, 300.5]);
  t.deepEqual(Array.from(mixed.astype('int32').dataSync()), [1, -1, 300]);
  t.deepEqual(Array.from(mixed.astype('int32').astype('uint8').dataSync()), [1, 255, 44]);
  t.deepEqual(Array.from(mixed.astype('int32').add(0.25).dataSync()), [1.25, -0.75, 300.25]);
  t.is(mixed.astype('int32').reshape([3, 1]).dtype, 'int32');
  // Disposed before it was ever read.
  const pending = bytes.astype('float32');
  pending.dispose();
  t.true(pending.isDisposed);
  t.throws(() => pending.dataSync(), { message: /disposed/ });
  t.throws(() => pending.div(2), { message: /disposed/ });
  // fit and predict read a pending conversion as they read its values.
  kiln.setSeed(3);
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [4], activation: 'softmax' })]);
  model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
  const x = kiln.tensor(
    Uint8Array.from({ length: 32 }, (_, i) => (i * 29) % 7),
    [8, 4],
    'uint8',
  );
  const labels = kiln.tensor(Array.from({ length: 8 }, (_, i) => i % 2));
  const materialised = kiln.tensor(Float32Array.from(x.dataSync()), [8, 4]);
  t.deepEqual(values(await model.predict(x.astype('float32'))), values(await model.predict(materialised)));
  const weights = model.getWeights();
  const a = (await model.fit(x.astype('float32'), labels, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 })).history.loss;
  model.setWeights(weights);
  const b = (await model.fit(materialised, labels, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 })).history.loss;
  t.deepEqual(a, b);
});

// Inference reads a float32 input's values in place (no copy into the plan) and a Flatten or
// Reshape reads its input's values in place too. The results must not depend on it.
test('inputs read in place: results already returned stay as they were when the input array changes afterwards', async (t) => {
  const model = seedMlp(11);
  for (const rows of [1, 40, 1024]) {
    const data = Float32Array.from({ length: rows * 784 }, (_, i) => Math.sin(i * 0.01));
    const fromArray = kiln.tensor(data, [rows, 28, 28]);
    const direct = model.predictOnBatch(data);
    const viaTensor = model.predictOnBatch(fromArray);
    const oneCall = await model.predict(fromArray, { batchSize: 1024 });
    const batched = await model.predict(fromArray, { batchSize: 7 });
    // Changed while an async predict is on its way: the call already holds its own values.
    const pending = model.predict(data, { batchSize: 1024 });
    const kept = values(direct);
    data.fill(0.25);
    t.deepEqual(values(await pending), kept, `${rows} rows: predict issued before the change`);
    for (const [name, out] of [
      ['predictOnBatch of the array', direct],
      ['predictOnBatch of a tensor made from it', viaTensor],
      ['predict in one call', oneCall],
      ['predict in batches of 7', batched],
    ] as const) {
      t.true(maxDifference(values(out), kept) < 1e-5, `${rows} rows: ${name} kept its numbers`);
    }
    // The same array predicted again gives the predictions of its new values, on every path.
    const changed = values(model.predictOnBatch(kiln.tensor(Float32Array.from(data), [rows, 28, 28])));
    t.true(maxDifference(changed, kept) > 1e-3, `${rows} rows: new values give new predictions`);
    t.true(maxDifference(values(model.predictOnBatch(data)), changed) < 1e-5);
    t.true(maxDifference(values(await model.predict(data, { batchSize: 1024 })), changed) < 1e-5);
    t.true(maxDifference(values(await model.predict(data, { batchSize: 7 })), changed) < 1e-5);
  }
});

const flattenAlias = JSON.parse(readFileSync(new URL('./fixtures/keras_flatten_alias.json', import.meta.url), 'utf8')) as {
  x: FixtureArray;
  y: number[];
  x2: FixtureArray;
  initialWeights: FixtureArray[];
  losses: number[];
  finalWeights: FixtureArray[];
  predictions: FixtureArray;
};

test('Flatten and Reshape between trainable layers (read in place): fit, weights and predictions as Keras', async (t) => {
  // scripts/fixtures/keras_flatten_alias.py: Dense on [3, 4] -> Flatten -> Dense -> Reshape -> Flatten -> Dense.
  const model = new kiln.Sequential([
    new kiln.layers.Dense(5, { activation: 'tanh', inputShape: [3, 4] }),
    new kiln.layers.Flatten(),
    new kiln.layers.Dense(6, { activation: 'relu' }),
    new kiln.layers.Reshape([2, 3]),
    new kiln.layers.Flatten(),
    new kiln.layers.Dense(3, { activation: 'softmax' }),
  ]);
  model.setWeights(flattenAlias.initialWeights.map(fromFixture));
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1, momentum: 0.9 }), loss: 'sparse_categorical_crossentropy' });
  const history = await model.fit(fromFixture(flattenAlias.x), kiln.tensor(Int32Array.from(flattenAlias.y)), { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
  history.history.loss.forEach((loss, epoch) => t.true(Math.abs(loss - flattenAlias.losses[epoch]) < 1e-5, `epoch ${epoch}: loss ${loss}, Keras ${flattenAlias.losses[epoch]}`));
  // The weights before the Flatten moved as Keras moved them: the gradients came back through it.
  model.getWeights().forEach((w, k) => {
    const d = maxDifference([Array.from(w.dataSync())], [flattenAlias.finalWeights[k].values]);
    t.true(d < 1e-5, `weight ${k} differs from Keras by ${d}`);
  });
  t.true(maxDifference([flattenAlias.initialWeights[0].values], [flattenAlias.finalWeights[0].values]) > 1e-3, 'the first layer trained');
  const predictions = await samePredictions(t, model, fromFixture(flattenAlias.x2), 'after the fit');
  const d = maxDifference(predictions, [flattenAlias.predictions.values]);
  t.true(d < 1e-5, `predictions differ from Keras by ${d}`);
});
