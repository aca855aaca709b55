// Regularizers and constraints against Keras 3 (fixture: scripts/fixtures/keras_regularization.py):
// the penalty is part of the trained, reported and evaluated loss; constraints hold after
// every step. Tolerance 1e-5.
import test from 'ava';
import * as kiln from 'kiln-nn';
import { buildModel, cases, close, data, fixture, replay, toTensor } from './helpers/keras_regularization.js';

const { ops, regularizers, constraints } = kiln;

for (const c of cases(['kernel_l2', 'kernel_l1_bias_l2', 'l1l2_both_layers', 'activity_l2_hidden', 'activity_l1_output', 'conv1d_kernel_l2', 'simple_rnn_regularizers'])) {
  test(`regularizers: ${c.name} trains, reports and evaluates as Keras`, (t) => replay(t, c));
}

for (const c of cases(['max_norm_non_neg', 'unit_norm_min_max_norm', 'max_norm_whole_kernel', 'conv1d_max_norm'])) {
  test(`constraints: ${c.name} trains as Keras`, (t) => replay(t, c));
}

test("regularizers called on a tensor give Keras' penalty", (t) => {
  const w = data('x').slice([0, 0], [4, -1]);
  for (const { regularizer, value } of fixture.regularizer_values) {
    const got = (regularizers.get(regularizer)!.call(w) as kiln.Tensor).dataSync()[0];
    t.true(close(got, value), `${regularizer.className}: ${got} vs Keras ${value}`);
  }
  t.is((regularizers.l1l2({ l1: 0.5 }).call(kiln.tensor([[1, -2]])) as kiln.Tensor).dataSync()[0], 1.5);
});

test('a regularizer written as a function of kiln.ops trains like the built-in one', async (t) => {
  const c = cases(['kernel_l2'])[0];
  const custom = {
    ...c,
    layers: c.layers.map(([name, args, options], i) => [name, args, i === 0 ? { ...options, kernelRegularizer: (w: kiln.SymbolicTensor) => ops.mul(ops.sum(ops.square(w)), 0.05) } : options]),
  } as typeof c;
  await replay(t, custom);
});

test("the penalty is the difference between a regularized and a plain model's loss", async (t) => {
  const x = data('x');
  const y = data('regression');
  const build = (kernelRegularizer?: kiln.regularizers.Regularizer) => {
    kiln.setSeed(3);
    const model = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [5], kernelRegularizer }), new kiln.layers.Dense(2)]);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    return model;
  };
  const l1 = regularizers.l1(0.03);
  const [plain, regularized] = [build(), build(l1)];
  const penalty = (l1.call(regularized.layers[0].getWeights()[0]) as kiln.Tensor).dataSync()[0];
  t.true(penalty > 0.01);
  const [a] = await plain.evaluate(x, y, { verbose: 0 });
  const [b] = await regularized.evaluate(x, y, { verbose: 0 });
  t.true(close(b - a, penalty), `${b} - ${a} vs ${penalty}`);
});

test("Embedding's embeddingsRegularizer and embeddingsConstraint", async (t) => {
  kiln.setSeed(5);
  const embedding = new kiln.layers.Embedding(6, 3, { inputShape: [4], embeddingsRegularizer: regularizers.l2(0.1), embeddingsConstraint: constraints.nonNeg() });
  const model = new kiln.Sequential([embedding, new kiln.layers.Flatten(), new kiln.layers.Dense(1)]);
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.5 }), loss: 'mse' });
  const ids = kiln.tensor([
    [0, 1, 2, 3],
    [2, 3, 4, 5],
    [5, 4, 3, 2],
  ]);
  const y = kiln.tensor([[1], [-1], [0.5]]);
  const table = embedding.getWeights()[0];
  const penalty = 0.1 * Array.from(table.dataSync()).reduce((s, v) => s + v * v, 0);
  const dense = model.layers[2].getWeights();
  const outputs = (await model.predict(ids)).dataSync();
  const mse = Array.from(outputs).reduce((s, p, i) => s + (p - y.dataSync()[i]) ** 2, 0) / 3;
  const [loss] = await model.evaluate(ids, y, { verbose: 0 });
  t.true(close(loss, mse + penalty), `${loss} vs ${mse} + ${penalty}`);
  t.is(dense.length, 2);
  await model.fit(ids, y, { epochs: 3, verbose: 0 });
  t.true(
    Array.from(embedding.getWeights()[0].dataSync()).every((v) => v >= 0),
    'nonNeg holds after each step',
  );
  t.true(
    Array.from(embedding.getWeights()[0].dataSync()).some((v) => v === 0),
    'and bound some entries',
  );
});

test('getConfig() rebuilds layers with their regularizers and constraints', (t) => {
  const dense = new kiln.layers.Dense(4, { kernelRegularizer: regularizers.l1l2({ l1: 0.01, l2: 0.02 }), biasConstraint: constraints.maxNorm(3, { axis: 0 }), activityRegularizer: 'l2' });
  const config = dense.getConfig();
  t.deepEqual(config.kernelRegularizer, { className: 'L1L2', config: { l1: 0.01, l2: 0.02 } });
  t.deepEqual(config.biasConstraint, { className: 'MaxNorm', config: { maxValue: 3, axis: [0] } });
  t.deepEqual(config.activityRegularizer, { className: 'L2', config: { l2: 0.01 } });
  t.is(config.kernelConstraint, null);
  // The positional argument comes out of the config, as a loader does.
  const { units, ...options } = config;
  const rebuilt = new kiln.layers.Dense(units as number, options);
  t.deepEqual(rebuilt.getConfig().kernelRegularizer, config.kernelRegularizer);
  t.deepEqual(rebuilt.getConfig().biasConstraint, config.biasConstraint);
  const lstm = new kiln.layers.LSTM(3, { recurrentRegularizer: regularizers.l2(0.5), recurrentConstraint: 'unit_norm' });
  const { units: lstmUnits, ...lstmOptions } = lstm.getConfig();
  const rebuiltLstm = new kiln.layers.LSTM(lstmUnits as number, lstmOptions);
  t.deepEqual(rebuiltLstm.getConfig().recurrentRegularizer, { className: 'L2', config: { l2: 0.5 } });
  t.deepEqual(rebuiltLstm.getConfig().recurrentConstraint, { className: 'UnitNorm', config: { axis: [0] } });
});

test("bad regularizers and constraints are refused with Keras' messages", (t) => {
  t.throws(() => regularizers.l2(-1), { instanceOf: kiln.ValueError, message: /Invalid value for argument l2.*l2=-1/ });
  t.throws(() => new kiln.layers.Dense(2, { kernelRegularizer: 'l3' }), { instanceOf: kiln.ValueError, message: /regularizer identifier: 'l3'.*'l1', 'l2', 'l1_l2'/ });
  t.throws(() => new kiln.layers.Dense(2, { kernelConstraint: 'max' }), { instanceOf: kiln.ValueError, message: /constraint identifier: 'max'.*'max_norm', 'non_neg', 'unit_norm', 'min_max_norm'/ });
  t.throws(() => constraints.minMaxNorm({ minValue: 2, maxValue: 1 }), { instanceOf: kiln.ValueError, message: /minValue/ });
  // A penalty must be one number.
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3], kernelRegularizer: (w: kiln.SymbolicTensor) => ops.square(w) })]);
  t.throws(() => model.compile({ loss: 'mse' }), { instanceOf: kiln.ValueError, message: /regularizer of weight "dense.*\/kernel" must return a scalar.*shape \[3, 2\]/ });
  // An axis the kernel does not have fails at compile time.
  const wide = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3], kernelConstraint: constraints.unitNorm({ axis: 2 }) })]);
  t.throws(() => wide.compile({ loss: 'mse' }), { instanceOf: kiln.ValueError, message: /axis 2 is out of range for a weight of shape \[3, 2\]/ });
});

test('constraints do not touch frozen weights', async (t) => {
  const c = cases(['max_norm_non_neg'])[0];
  const model = buildModel(c);
  model.layers[0].trainable = false;
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: c.learningRate }), loss: 'mse' });
  await model.fit(data('x'), data('regression'), { epochs: 1, verbose: 0 });
  t.deepEqual(Array.from(model.layers[0].getWeights()[0].dataSync()), Array.from(toTensor(c.initial[0]).dataSync()));
});

test("a saved model keeps its regularizers and constraints (Keras' serialised form)", async (t) => {
  const { mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const c = cases(['max_norm_whole_kernel'])[0];
  const model = buildModel(c);
  const path = join(mkdtempSync(join(tmpdir(), 'kiln-reg-')), 'model.keras');
  await model.save(path);
  const loaded = await kiln.models.loadModel(path);
  t.deepEqual(loaded.layers[0].getConfig().kernelConstraint, { className: 'MaxNorm', config: { maxValue: 1, axis: [0, 1] } });
  t.deepEqual(loaded.layers[0].getConfig().kernelRegularizer, { className: 'L2', config: { l2: 0.01 } });
  const [x, y] = [data('x'), data('regression')];
  t.deepEqual(await loaded.evaluate(x, y, { verbose: 0 }), await model.evaluate(x, y, { verbose: 0 }));
});
