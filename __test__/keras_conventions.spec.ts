// Keras' calling conventions, so a Keras program ports line for line: `Input` first in a
// Sequential, `Input({ dtype })`, `new Model(inputs, outputs)`, every constructor's options
// object form with unknown names refused, positional optimizer learning rates, and the
// functional merge helpers (`kiln.layers.add([a, b])`).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';

const directory = mkdtempSync(join(tmpdir(), 'kiln-conventions-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

const { Dense, Embedding, Flatten, InputLayer } = kiln.layers;

test('Sequential([Input(...), ...]) and Sequential([new InputLayer(...), ...]), the Keras 3 idiom', async (t) => {
  kiln.setSeed(1);
  const withInput = new kiln.Sequential([kiln.Input({ shape: [4] }), new Dense(3, { activation: 'relu' }), new Dense(2)]);
  const withInputLayer = new kiln.Sequential([new InputLayer({ shape: [4] }), new Dense(3, { activation: 'relu' }), new Dense(2)]);
  const positional = new kiln.Sequential([new InputLayer([4]), new Dense(3, { activation: 'relu' }), new Dense(2)]);
  const declared = new kiln.Sequential([new Dense(3, { activation: 'relu', inputShape: [4] }), new Dense(2)]);
  for (const model of [withInput, withInputLayer, positional]) {
    t.true(model.built);
    t.deepEqual(model.inputShape, declared.inputShape);
    t.is(model.layers.length, 2, 'the InputLayer is not one of model.layers, as in Keras');
    t.is(model.countParams(), 4 * 3 + 3 + 3 * 2 + 2);
    model.setWeights(declared.getWeights());
    const x = kiln.random.uniform([5, 4]);
    t.deepEqual(Array.from((await model.predict(x)).dataSync()), Array.from((await declared.predict(x)).dataSync()));
  }
  const added = new kiln.Sequential();
  added.add(kiln.Input({ shape: [4] }));
  added.add(new Dense(2));
  t.deepEqual(added.outputs[0].shape, [null, 2]);
  t.throws(() => new kiln.Sequential([new Dense(2), kiln.Input({ shape: [4] })]), { instanceOf: kiln.ValueError, message: /first layer/ });
  t.throws(() => new kiln.Sequential([{ units: 3 } as never]), { instanceOf: kiln.ValueError, message: /can be added to a Sequential model\. Received: an object/ });
  t.throws(() => new kiln.Sequential([], { nmae: 'x' } as never), { instanceOf: kiln.ValueError, message: /Sequential: unknown option 'nmae'/ });
  const optionsForm = new kiln.Sequential({ layers: [kiln.Input({ shape: [4] }), new Dense(2)], name: 'from_options' });
  t.is(optionsForm.name, 'from_options');
  t.deepEqual(optionsForm.outputs[0].shape, [null, 2]);
});

test('Input({ dtype: "int32" }) feeds token ids to an Embedding as integers, as Keras converts', async (t) => {
  kiln.setSeed(2);
  const ids = kiln.Input({ shape: [3], dtype: 'int32' });
  t.is(ids.dtype, 'int32');
  const outputs = new Dense(1).apply(new Flatten().apply(new Embedding(10, 2).apply(ids)));
  const model = new kiln.Model(ids, outputs);
  // Keras converts the data to the Input's dtype: 2.7 becomes 2, as numpy's astype truncates.
  const truncated = await model.predict(kiln.tensor([[1.2, 2.7, 9.9]]));
  const integers = await model.predict(kiln.tensor([[1, 2, 9]], undefined, 'int32'));
  t.deepEqual(Array.from(truncated.dataSync()), Array.from(integers.dataSync()));
  t.notDeepEqual(Array.from((await model.predict(kiln.tensor([[1, 3, 9]]))).dataSync()), Array.from(integers.dataSync()));
  // Saved as Keras writes it, and loaded back with its dtype.
  const file = join(directory, 'int_input.keras');
  await model.save(file);
  t.regex(model.toJSON(), /"class_name":"InputLayer","config":\{"batch_shape":\[null,3\],"dtype":"int32"/);
  const loaded = await kiln.models.loadModel(file);
  t.is(loaded.inputs[0].dtype, 'int32');
  t.deepEqual(Array.from((await loaded.predict(kiln.tensor([[1.2, 2.7, 9.9]]))).dataSync()), Array.from(integers.dataSync()));
  // A Sequential started by an int Input converts too.
  const sequential = new kiln.Sequential([kiln.Input({ shape: [3], dtype: 'int32' }), new Embedding(10, 2), new Flatten()]);
  t.deepEqual(Array.from((await sequential.predict(kiln.tensor([[1.5, 2, 3]]))).dataSync()), Array.from((await sequential.predict(kiln.tensor([[1, 2, 3]]))).dataSync()));
  // What kiln cannot honour is refused, never ignored.
  t.throws(() => kiln.Input({ shape: [3], dtype: 'float64' as never }), { instanceOf: kiln.ValueError, message: /Input: dtype must be one of 'float32', 'int32', 'uint8', 'string', got 'float64'/ });
  t.throws(() => kiln.Input({ shape: [3], dtyp: 'int32' } as never), { instanceOf: kiln.ValueError, message: /Input: unknown option 'dtyp'\. Valid options: .*'dtype'/ });
  t.throws(() => kiln.Input(3 as never), { instanceOf: kiln.ValueError, message: /Input: expected a shape such as \[784\] or an options object such as \{ shape: \[784\] \}, got 3$/ });
  // Keras' first argument is the shape: `keras.layers.Input((500, 1))`.
  const positional = kiln.Input([3], { dtype: 'int32' });
  t.deepEqual([positional.shape, positional.dtype], [[null, 3], 'int32']);
  t.deepEqual(kiln.Input([null]).shape, [null, null]);
  t.throws(() => kiln.Input([3], { shape: [4] } as never), { instanceOf: kiln.ValueError, message: /Input: `shape` is given twice/ });
  t.throws(() => kiln.Input({ shape: [3] }, { dtype: 'int32' }), { instanceOf: kiln.ValueError, message: /Input: with an options object, nothing may follow it/ });
});

test("Python's `Conv2D(32, kernel_size=(3, 3), activation='relu')`: main arguments positionally, then the rest by name", (t) => {
  const mixed = new kiln.layers.Conv2D(32, { kernelSize: [3, 3], activation: 'relu' } as never);
  t.like(mixed.getConfig(), { filters: 32, kernelSize: [3, 3], activation: 'relu' });
  t.like(new kiln.layers.Embedding(100, { outputDim: 8 } as never).getConfig(), { inputDim: 100, outputDim: 8 });
  t.throws(() => new kiln.layers.Conv2D(32, { filters: 16, kernelSize: 3 } as never), {
    instanceOf: kiln.ValueError,
    message: /`filters` is given twice: positionally \(32\) and in the options \(16\)/,
  });
  t.throws(() => new kiln.layers.Conv2D(32, { kernelSize: 3, kernelSise: 4 } as never), { instanceOf: kiln.ValueError, message: /kernelSise/ });
});

test('new Model(inputs, outputs) positionally, as Keras, and the options form refuses unknown keys', async (t) => {
  const inputs = kiln.Input({ shape: [3] });
  const outputs = new Dense(2).apply(inputs);
  const positional = new kiln.Model(inputs, outputs, { name: 'positional' });
  const named = new kiln.Model({ inputs, outputs });
  t.is(positional.name, 'positional');
  t.deepEqual(positional.outputs, named.outputs);
  t.deepEqual(positional.layers, named.layers);
  const twoIn = [kiln.Input({ shape: [2] }), kiln.Input({ shape: [2] })];
  const merged = new kiln.layers.Concatenate().apply(twoIn);
  t.is(new kiln.Model(twoIn, [merged, new Dense(1).apply(merged)]).outputs.length, 2);
  t.throws(() => new kiln.Model({ inputs, outputs, output: outputs } as never), {
    instanceOf: kiln.ValueError,
    message: /Model: unknown option 'output'\. Valid options: 'inputs', 'name', 'outputs'/,
  });
  t.throws(() => new kiln.Model(inputs, undefined as never), { instanceOf: kiln.ValueError, message: /`outputs` is required/ });
});

/** Each layer built both ways: Keras' positional main arguments, and one options object. */
const BOTH_FORMS: [string, () => kiln.layers.Layer, () => kiln.layers.Layer][] = [
  ['Dense', () => new Dense(8, { activation: 'relu' }), () => new Dense({ units: 8, activation: 'relu' })],
  ['Conv1D', () => new kiln.layers.Conv1D(64, 3, { padding: 'same' }), () => new kiln.layers.Conv1D({ filters: 64, kernelSize: 3, padding: 'same' })],
  ['Conv2D', () => new kiln.layers.Conv2D(4, [3, 3]), () => new kiln.layers.Conv2D({ filters: 4, kernelSize: [3, 3] })],
  ['Embedding', () => new Embedding(100, 8, { maskZero: true }), () => new Embedding({ inputDim: 100, outputDim: 8, maskZero: true })],
  ['Dropout', () => new kiln.layers.Dropout(0.2), () => new kiln.layers.Dropout({ rate: 0.2 })],
  ['Reshape', () => new kiln.layers.Reshape([2, 3]), () => new kiln.layers.Reshape({ targetShape: [2, 3] })],
  ['Activation', () => new kiln.layers.Activation('tanh'), () => new kiln.layers.Activation({ activation: 'tanh' })],
  ['LSTM', () => new kiln.layers.LSTM(4, { returnSequences: true }), () => new kiln.layers.LSTM({ units: 4, returnSequences: true })],
  ['GRU', () => new kiln.layers.GRU(4), () => new kiln.layers.GRU({ units: 4 })],
  ['SimpleRNN', () => new kiln.layers.SimpleRNN(4), () => new kiln.layers.SimpleRNN({ units: 4 })],
  ['MaxPooling2D', () => new kiln.layers.MaxPooling2D([3, 3], { strides: 1 }), () => new kiln.layers.MaxPooling2D({ poolSize: [3, 3], strides: 1 })],
  ['AveragePooling1D', () => new kiln.layers.AveragePooling1D(3), () => new kiln.layers.AveragePooling1D({ poolSize: 3 })],
  ['Masking', () => new kiln.layers.Masking(0.5), () => new kiln.layers.Masking({ maskValue: 0.5 })],
  ['Bidirectional', () => new kiln.layers.Bidirectional(new kiln.layers.LSTM(4), { mergeMode: 'sum' }), () => new kiln.layers.Bidirectional({ layer: new kiln.layers.LSTM(4), mergeMode: 'sum' })],
  ['TimeDistributed', () => new kiln.layers.TimeDistributed(new Dense(2)), () => new kiln.layers.TimeDistributed({ layer: new Dense(2) })],
  ['Concatenate', () => new kiln.layers.Concatenate(1), () => new kiln.layers.Concatenate({ axis: 1 })],
  ['LeakyReLU', () => new kiln.layers.LeakyReLU(0.2), () => new kiln.layers.LeakyReLU({ negativeSlope: 0.2 })],
  ['ELU', () => new kiln.layers.ELU(0.5), () => new kiln.layers.ELU({ alpha: 0.5 })],
  ['ReLU', () => new kiln.layers.ReLU(6, { negativeSlope: 0.1 }), () => new kiln.layers.ReLU({ maxValue: 6, negativeSlope: 0.1 })],
  ['Softmax', () => new kiln.layers.Softmax(-1), () => new kiln.layers.Softmax({ axis: -1 })],
];

const withoutNames = (config: Record<string, unknown>): unknown =>
  JSON.parse(JSON.stringify(config, (key, value) => (key === 'name' || key === 'layer' || key === 'forwardLayer' || key === 'backwardLayer' ? undefined : value)));

test('every layer takes its main arguments positionally or in one options object, with the same result', (t) => {
  for (const [name, positional, options] of BOTH_FORMS) {
    const [a, b] = [positional(), options()];
    t.is(b.constructor.name, name);
    t.deepEqual(withoutNames(b.getConfig()), withoutNames(a.getConfig()), name);
  }
  // What is neither a main argument nor an options object is refused, never dropped.
  t.throws(() => new Dense(8, 'relu' as never), { instanceOf: kiln.ValueError, message: /Dense: expected an options object, got 'relu'/ });
  t.throws(() => new kiln.layers.Conv2D(4, 3, 'same' as never), { instanceOf: kiln.ValueError, message: /Conv2D: expected an options object, got 'same'/ });
  t.throws(() => new kiln.optimizers.SGD(0.1, 0.9 as never), { instanceOf: kiln.ValueError, message: /SGD: expected an options object, got 0\.9/ });
  // Keras' `LeakyReLU(0.2)` is a slope of 0.2, not the default 0.3.
  t.is(new kiln.layers.LeakyReLU(0.2).negativeSlope, 0.2);
  // A typo of a main argument lists it among the valid names; a main argument given twice is refused.
  t.throws(() => new Dense({ unit: 8 } as never), { instanceOf: kiln.ValueError, message: /Dense: unknown option 'unit'\. Valid options: .*'units'/ });
  t.throws(() => new kiln.layers.Conv1D({ filters: 2, kernel_size: 3 } as never), { instanceOf: kiln.ValueError, message: /Conv1D: unknown option 'kernel_size'\. Valid options: .*'kernelSize'/ });
  t.throws(() => new Dense(8, { units: 4 } as never), { instanceOf: kiln.ValueError, message: /`units` is given twice: positionally \(8\) and in the options \(4\)/ });
  // The options form computes the same: the same weights give the same outputs.
  kiln.setSeed(3);
  const x = kiln.random.uniform([2, 5, 3]);
  const [conv, convFromOptions] = [new kiln.layers.Conv1D(4, 3), new kiln.layers.Conv1D({ filters: 4, kernelSize: 3 })];
  conv.apply(x);
  convFromOptions.apply(x);
  convFromOptions.setWeights(conv.getWeights());
  t.deepEqual(Array.from(convFromOptions.apply(x).dataSync()), Array.from(conv.apply(x).dataSync()));
});

test('optimizers take the learning rate positionally, as Keras: new Adam(0.5) is 0.5, not the default', (t) => {
  const optimizers = Object.values(kiln.optimizers).filter(
    (v): v is new (lr?: unknown, args?: object) => kiln.optimizers.Optimizer => typeof v === 'function' && v.prototype instanceof kiln.optimizers.Optimizer,
  );
  t.true(optimizers.length >= 9);
  for (const Optimizer of optimizers) {
    t.is(new Optimizer(0.5).learningRate, 0.5, Optimizer.name);
    t.is(new Optimizer({ learningRate: 0.25 }).learningRate, 0.25, Optimizer.name);
    t.is(new Optimizer(0.125, { name: 'mine' }).name, 'mine', Optimizer.name);
  }
  const sgd = new kiln.optimizers.SGD(0.1, { momentum: 0.9, nesterov: true });
  t.deepEqual([sgd.learningRate, sgd.momentum, sgd.nesterov], [0.1, 0.9, true]);
  const schedule = new kiln.optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
  t.is(new kiln.optimizers.Adam(schedule).learningRate, schedule);
  t.is(new kiln.optimizers.AdamW(0.01).weightDecay, 0.004, 'AdamW keeps its own default');
  t.throws(() => new kiln.optimizers.Adam({ learning_rate: 0.1 } as never), { instanceOf: kiln.ValueError, message: /Adam: unknown option 'learning_rate'\. Valid options: .*'learningRate'/ });
  t.throws(() => new kiln.optimizers.Adam('fast' as never), { instanceOf: kiln.ValueError, message: /learningRate must be a non-negative number or a LearningRateSchedule, got 'fast'/ });
});

test('the functional merge helpers make the layer and call it, as keras.layers.add and friends', async (t) => {
  const a = kiln.tensor([[1, 5, 3]]);
  const b = kiln.tensor([[4, 2, 6]]);
  const values = (x: kiln.Tensor) => Array.from(x.dataSync());
  t.deepEqual(values(kiln.layers.add([a, b])), [5, 7, 9]);
  t.deepEqual(values(kiln.layers.subtract([a, b])), [-3, 3, -3]);
  t.deepEqual(values(kiln.layers.multiply([a, b])), [4, 10, 18]);
  t.deepEqual(values(kiln.layers.average([a, b])), [2.5, 3.5, 4.5]);
  t.deepEqual(values(kiln.layers.maximum([a, b])), [4, 5, 6]);
  t.deepEqual(values(kiln.layers.minimum([a, b])), [1, 2, 3]);
  t.deepEqual(values(kiln.layers.concatenate([a, b])), [1, 5, 3, 4, 2, 6]);
  const [c, d] = [a.reshape([1, 3, 1]), b.reshape([1, 3, 1])];
  t.deepEqual(kiln.layers.concatenate([c, d], { axis: 1 }).shape, [1, 6, 1]);
  t.deepEqual(kiln.layers.concatenate([c, d], 1).shape, [1, 6, 1]);
  t.deepEqual(kiln.layers.concatenate([c, d]).shape, [1, 3, 2]);
  t.deepEqual(values(kiln.layers.dot([a, b], 1)), [4 + 10 + 18]);
  t.deepEqual(values(kiln.layers.dot([a, b])), [32], 'axes defaults to -1, as Keras');
  const norm = (v: number[]) => Math.hypot(...v);
  const cosine = kiln.layers.dot([a, b], { axes: 1, normalize: true }).dataSync()[0];
  t.true(Math.abs(cosine - 32 / (norm([1, 5, 3]) * norm([4, 2, 6]))) < 1e-6);

  // In a functional model, as keras.io writes it: each helper adds its layer to the model.
  const left = kiln.Input({ shape: [3] });
  const right = kiln.Input({ shape: [3] });
  const merged = kiln.layers.concatenate([kiln.layers.add([left, right]), kiln.layers.multiply([left, right], { name: 'product' })]);
  const model = new kiln.Model([left, right], merged);
  t.deepEqual(
    model.layers.map((l) => l.constructor.name),
    ['InputLayer', 'InputLayer', 'Add', 'Multiply', 'Concatenate'],
  );
  t.is(model.getLayer('product').constructor.name, 'Multiply');
  t.deepEqual(values(await model.predict([a, b])), [5, 7, 9, 4, 10, 18]);
  t.throws(() => kiln.layers.add(a as never), { instanceOf: kiln.ValueError, message: /add: `inputs` must be a list of tensors, got an instance of Tensor/ });
});
