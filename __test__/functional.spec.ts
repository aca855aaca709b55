// The Functional API against Keras 3: a two-input, two-output model trained with name-keyed
// data, losses, loss weights and metrics (History keys and values as Keras logs them), a model
// used as a layer inside another, the summaries with Keras' "Connected to" column, and a
// two-output model with sample weights, a regularizer and a custom loss. The numbers come from
// scripts/fixtures/keras_functional.py (no Python is needed here).
import test from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';
import { allClose, type FixtureArray } from './helpers/keras_layer_cases.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_functional.json', import.meta.url), 'utf8'));
const toTensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.data), a.shape);
const close = (t: import('ava').ExecutionContext, actual: number[], expected: number[], what: string) => allClose(t, actual, { shape: [expected.length], data: expected }, 1e-5, 1e-4, what);

/** The fixture's two-input, two-output model, with Keras' layer names. */
function twoHeads(): kiln.Model {
  const image = kiln.Input({ shape: [4], name: 'image' });
  const meta = kiln.Input({ shape: [3], name: 'meta' });
  const h1 = new kiln.layers.Dense(5, { activation: 'relu', name: 'image_dense' }).apply(image);
  const h2 = new kiln.layers.Dense(3, { activation: 'tanh', name: 'meta_dense' }).apply(meta);
  const merged = new kiln.layers.Concatenate({ name: 'merge' }).apply([h1, h2]);
  const cls = new kiln.layers.Dense(3, { activation: 'softmax', name: 'cls' }).apply(merged);
  const skip = new kiln.layers.Add({ name: 'skip' }).apply([new kiln.layers.Dense(3, { name: 'project' }).apply(merged), h2]);
  const reg = new kiln.layers.Dense(1, { name: 'reg' }).apply(skip);
  const model = new kiln.Model({ inputs: [image, meta], outputs: [cls, reg], name: 'two_heads' });
  model.setWeights(fixture.twoHeads.weights.map(toTensor));
  return model;
}

const f = fixture.twoHeads;
const x = { image: toTensor(f.x.image), meta: toTensor(f.x.meta) };
const y = { cls: toTensor(f.y.cls), reg: toTensor(f.y.reg) };
const compileByName = (model: kiln.Model) =>
  model.compile({
    optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }),
    loss: { cls: 'sparse_categorical_crossentropy', reg: 'mse' },
    lossWeights: { cls: 1, reg: 0.5 },
    metrics: { cls: ['accuracy'] },
  });

test('summary of a model with merges prints Keras\' table with "Connected to", layers in Keras\' order', (t) => {
  const model = twoHeads();
  t.deepEqual(
    model.layers.map((l) => l.name),
    f.layers,
  );
  const lines: string[] = [];
  const text = model.summary((line) => lines.push(line));
  t.is(text, f.summary.trimEnd());
  t.is(lines.join('\n'), text);
});

test("evaluate with name-keyed inputs, targets, losses, loss weights and metrics gives Keras' numbers", async (t) => {
  const model = twoHeads();
  compileByName(model);
  const logs = await model.evaluate(x, y, { batchSize: 8, verbose: 0, returnDict: true });
  t.deepEqual(Object.keys(logs).sort(), Object.keys(f.evaluate).sort());
  for (const [key, value] of Object.entries(f.evaluate)) close(t, [logs[key]], [value as number], key);
  // The list: loss, each output's loss, then the metrics (Keras' order).
  close(t, await model.evaluate(x, y, { batchSize: 8, verbose: 0 }), f.evaluateList, 'evaluate list');
  // The total is the weighted sum of the output losses.
  t.true(Math.abs(logs.loss - (logs.cls_loss + 0.5 * logs.reg_loss)) < 1e-5);
});

test("fit with name-keyed data: History has Keras 3's keys and values (validationSplit included)", async (t) => {
  const model = twoHeads();
  compileByName(model);
  const history = await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, validationSplit: 0.25, verbose: 0 });
  t.deepEqual(Object.keys(history.history).sort(), Object.keys(f.history).sort());
  for (const [key, values] of Object.entries(f.history)) close(t, history.history[key], values as number[], key);
});

/** The fixture's two-output model with a regularized hidden layer, at Keras' weights. */
function weightedHeads(): kiln.Model {
  const inputs = kiln.Input({ shape: [3] });
  const hidden = new kiln.layers.Dense(4, { activation: 'tanh', name: 'hidden', kernelRegularizer: kiln.regularizers.l2(0.1) }).apply(inputs);
  const a = new kiln.layers.Dense(2, { name: 'a' }).apply(hidden);
  const b = new kiln.layers.Dense(1, { activation: 'sigmoid', name: 'b' }).apply(hidden);
  const model = new kiln.Model({ inputs, outputs: [a, b] });
  model.setWeights(fixture.weightedHeads.weights.map(toTensor));
  return model;
}

/** evaluate then fit with the fixture's sample weights: logs and History as Keras gives them. */
async function checkWeightedRun(t: import('ava').ExecutionContext, model: kiln.Model, evaluated: Record<string, number>, fitted: Record<string, number[]>): Promise<void> {
  const w = fixture.weightedHeads;
  const data = [toTensor(w.x), w.y.map(toTensor)] as const;
  const logs = await model.evaluate(...data, { sampleWeight: toTensor(w.sampleWeight), batchSize: 4, verbose: 0, returnDict: true });
  t.deepEqual(Object.keys(logs).sort(), Object.keys(evaluated).sort());
  for (const [key, value] of Object.entries(evaluated)) close(t, [logs[key]], [value], key);
  const history = await model.fit(...data, { sampleWeight: toTensor(w.sampleWeight), epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
  for (const [key, values] of Object.entries(fitted)) close(t, history.history[key], values, key);
}

test("sample weights weigh each output's loss and a regularizer adds to the total only, as Keras logs them", async (t) => {
  const model = weightedHeads();
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: { a: 'mse', b: 'binary_crossentropy' }, lossWeights: { a: 0.5, b: 2 }, metrics: { b: ['accuracy'] } });
  await checkWeightedRun(t, model, fixture.weightedHeads.evaluate, fixture.weightedHeads.history);
});

test("a custom loss function on one output is logged as that output's loss, as Keras logs it", async (t) => {
  const model = weightedHeads();
  const cubic = (yTrue: kiln.SymbolicTensor, yPred: kiln.SymbolicTensor) => {
    const error = kiln.ops.abs(kiln.ops.sub(yTrue, yPred));
    return kiln.ops.mean(kiln.ops.mul(kiln.ops.mul(error, error), error), -1);
  };
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: { a: cubic, b: 'binary_crossentropy' }, lossWeights: { a: 0.5, b: 2 }, metrics: { a: ['mae'] } });
  await checkWeightedRun(t, model, fixture.weightedHeads.customEvaluate, fixture.weightedHeads.customHistory);
});

test('lists in output order work as the name-keyed objects do; predict takes name-keyed inputs', async (t) => {
  const model = twoHeads();
  model.compile({
    optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }),
    loss: ['sparse_categorical_crossentropy', 'mse'],
    lossWeights: [1, 0.5],
    metrics: [['accuracy'], []],
  });
  close(t, await model.evaluate([x.image, x.meta], [y.cls, y.reg], { batchSize: 8, verbose: 0 }), f.evaluateList, 'evaluate list');
  const byName = await model.predict<kiln.Tensor[]>(x);
  const byList = await model.predict<kiln.Tensor[]>([x.image, x.meta]);
  t.deepEqual(
    byName.map((p) => p.shape),
    [
      [24, 3],
      [24, 1],
    ],
  );
  t.deepEqual(
    byName.map((p) => Array.from(p.dataSync())),
    byList.map((p) => Array.from(p.dataSync())),
  );
});

test('name-keyed data and compile arguments with wrong keys are refused naming the keys', async (t) => {
  const model = twoHeads();
  compileByName(model);
  await t.throwsAsync(() => model.fit({ image: x.image }, y, { verbose: 0 }), { instanceOf: kiln.ValueError, message: /missing \['meta'\]/ });
  await t.throwsAsync(() => model.evaluate(x, { cls: y.cls, rgr: y.reg }, { verbose: 0 }), { instanceOf: kiln.ValueError, message: /'rgr'.*'cls', 'reg'/ });
  t.throws(() => model.compile({ loss: { cls: 'mse', regression: 'mse' } }), { instanceOf: kiln.ValueError, message: /'regression'/ });
  t.throws(() => model.compile({ loss: { cls: 'mse' } }), { instanceOf: kiln.ValueError, message: /no.*'reg'|'reg'/ });
  t.throws(() => model.compile({ loss: 'mse', lossWeights: [1, 2, 3] }), { instanceOf: kiln.ValueError, message: /2 outputs.*3 loss weights/ });
});

test('a model used as a layer: nested summary as Keras, its weights shared and trained as Keras trains them', async (t) => {
  const n = fixture.nested;
  const encoder = new kiln.Sequential([new kiln.layers.Dense(3, { activation: 'tanh', name: 'encoder_dense', inputShape: [4] })], { name: 'encoder' });
  const features = kiln.Input({ shape: [4], name: 'features' });
  const outputs = new kiln.layers.Dense(2, { name: 'head' }).apply(encoder.apply(features));
  const model = new kiln.Model({ inputs: features, outputs, name: 'outer' });
  t.is(
    model.summary(() => {}),
    n.summary.trimEnd(),
  );
  t.is(model.getWeights().length, 4, "the encoder's kernel and bias, then the head's");
  model.setWeights(n.weights.map(toTensor));
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.2 }), loss: 'mse' });
  const history = await model.fit(toTensor(n.x), toTensor(n.y), { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
  close(t, history.history.loss, n.history.loss, 'loss');
  model.getWeights().forEach((w, i) => allClose(t, w.dataSync(), n.trainedWeights[i], 1e-5, 1e-4, `trained weight ${i}`));
  // The encoder is the same object: it predicts with the weights trained through the outer model.
  allClose(t, (await encoder.predict(toTensor(n.x))).dataSync(), n.encoderPrediction, 1e-5, 1e-4, 'encoder prediction');
});

test("an encoder-decoder: the encoder LSTM's returned states start the decoder (initialState), trained as Keras trains it", async (t) => {
  const s = fixture.seq2seq;
  const source = kiln.Input({ shape: [5, 3], name: 'source' });
  const target = kiln.Input({ shape: [4, 2], name: 'target' });
  const [, h, c] = new kiln.layers.LSTM(4, { returnState: true, name: 'encoder' }).apply<kiln.SymbolicTensor[]>(source);
  const decoded = new kiln.layers.LSTM(4, { returnSequences: true, name: 'decoder' }).apply(target, { initialState: [h, c] });
  const model = new kiln.Model({ inputs: [source, target], outputs: new kiln.layers.Dense(2, { name: 'readout' }).apply(decoded), name: 'seq2seq' });
  t.is(
    model.summary(() => {}),
    s.summary.trimEnd(),
  );
  model.setWeights(s.weights.map(toTensor));
  const x = { source: toTensor(s.x.source), target: toTensor(s.x.target) };
  allClose(t, (await model.predict(x)).dataSync(), s.prediction, 1e-5, 1e-4, 'prediction');
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.5 }), loss: 'mse' });
  const history = await model.fit(x, toTensor(s.y), { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
  close(t, history.history.loss, s.history.loss, 'loss');
  // The encoder learns only through the decoder's initial states.
  model.getWeights().forEach((w, i) => allClose(t, w.dataSync(), s.trainedWeights[i], 1e-5, 1e-4, `trained weight ${i} (${model.weights[i].path})`));
});

test("a model called on concrete tensors computes what predict does (Keras' model(x))", async (t) => {
  const model = twoHeads();
  const eager = model.apply<kiln.Tensor[]>(x);
  const predicted = await model.predict<kiln.Tensor[]>(x);
  eager.forEach((e, i) => allClose(t, e.dataSync(), { shape: predicted[i].shape, data: Array.from(predicted[i].dataSync()) }, 1e-6, 1e-6, `output ${i}`));
  const n = fixture.nested;
  const encoder = new kiln.Sequential([new kiln.layers.Dense(3, { activation: 'tanh', inputShape: [4] })]);
  t.deepEqual(encoder.apply<kiln.Tensor>(toTensor(n.x)).shape, [24, 3]);
});

test('masks flow through merges as Keras combines them (Concatenate on features or time, Add)', async (t) => {
  const m = fixture.maskedMerges;
  const first = kiln.Input({ shape: [5], name: 'first' });
  const second = kiln.Input({ shape: [5], name: 'second' });
  const a = new kiln.layers.Embedding(6, 3, { maskZero: true, name: 'embed_first' }).apply(first);
  const b = new kiln.layers.Embedding(6, 3, { maskZero: true, name: 'embed_second' }).apply(second);
  const features = new kiln.layers.LSTM(2, { name: 'over_features' }).apply(new kiln.layers.Concatenate({ name: 'join_features' }).apply([a, b]));
  const time = new kiln.layers.GRU(2, { name: 'over_time' }).apply(new kiln.layers.Concatenate({ axis: 1, name: 'join_time' }).apply([a, b]));
  const summed = new kiln.layers.SimpleRNN(2, { returnSequences: true, name: 'over_sum' }).apply(new kiln.layers.Add({ name: 'sum' }).apply([a, b]));
  const model = new kiln.Model({ inputs: [first, second], outputs: [features, time, summed] });
  t.deepEqual(
    model.layers.map((l) => l.name),
    m.layers,
  );
  model.setWeights(m.weights.map(toTensor));
  const predicted = await model.predict<kiln.Tensor[]>({ first: toTensor(m.x.first), second: toTensor(m.x.second) });
  predicted.forEach((p, i) => allClose(t, p.dataSync(), m.predictions[i], 1e-5, 1e-4, `output ${i}`));
});

test('a built model inside a Sequential is one layer whose weights train with the rest', async (t) => {
  kiln.setSeed(8);
  const features = kiln.Input({ shape: [4], name: 'pixels' });
  const encoder = new kiln.Model({ inputs: features, outputs: new kiln.layers.Dense(3, { activation: 'relu' }).apply(features), name: 'base' });
  const head = new kiln.layers.Dense(1);
  const model = new kiln.Sequential([encoder, head]);
  t.deepEqual(
    model.layers.map((l) => l.name),
    ['base', head.name],
  );
  t.regex(
    model.summary(() => {}),
    /base \(Functional\) +│ \(None, 3\) +│ +15 │/,
  );
  const x = kiln.random.uniform([16, 4]);
  const expected = head.apply(encoder.apply<kiln.Tensor>(x));
  allClose(t, (await model.predict(x)).dataSync(), { shape: expected.shape, data: Array.from(expected.dataSync()) }, 1e-6, 1e-6, 'prediction');
  const before = encoder.getWeights()[0].dataSync().slice();
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  await model.fit(x, kiln.random.uniform([16, 1]), { epochs: 1, verbose: 0 });
  t.notDeepEqual(Array.from(encoder.getWeights()[0].dataSync()), Array.from(before), 'the inner model trained');
});
