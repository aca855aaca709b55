// Custom loss functions written with kiln.ops, traced into the graph and differentiated by the
// engine, and loss reductions; against Keras 3 (fixture: scripts/fixtures/keras_regularization.py).
import test from 'ava';
import * as kiln from 'kiln-nn';
import { CUSTOM_LOSSES, cases, close, data, fixture, replay } from './helpers/keras_regularization.js';

const { ops } = kiln;

for (const c of cases(['custom_mse_plus_half_mae', 'custom_weighted', 'custom_scalar', 'custom_per_value_sum', 'reduction_sum', 'reduction_mean_with_sample_weight'])) {
  test(`${c.name}: weights, History and evaluate match Keras`, (t) => replay(t, c));
}

test("Loss.apply reduces as Keras' loss(yTrue, yPred, sampleWeight) for every reduction", (t) => {
  const yTrue = data('regression').slice([0, 0], [6, -1]);
  const yPred = data('regression').slice([6, 0], [6, -1]);
  const weights = data('weights').slice([0], [6]);
  for (const { reduction, weighted, value } of fixture.reductions) {
    const got = new kiln.losses.MeanAbsoluteError({ reduction }).apply(yTrue, yPred, weighted ? weights : undefined);
    t.deepEqual(got.shape, value.shape, `${reduction}`);
    value.values.forEach((e, i) => t.true(close(got.dataSync()[i], e), `${reduction}${weighted ? ' weighted' : ''}: ${got.dataSync()[i]} vs Keras ${e}`));
  }
  // call() gives each sample's loss, unreduced.
  const perSample = new kiln.losses.MeanAbsoluteError().call(yTrue, yPred) as kiln.Tensor;
  t.deepEqual(Array.from(perSample.dataSync()), Array.from(new kiln.losses.MeanAbsoluteError({ reduction: 'none' }).apply(yTrue, yPred).dataSync()));
  t.throws(() => new kiln.losses.Huber({ reduction: 'average' as kiln.losses.Reduction }), { instanceOf: kiln.ValueError, message: /Invalid value for argument `reduction`.*reduction=average/ });
});

test('a custom cross-entropy equals the built-in one, metrics included', async (t) => {
  const crossentropy = (yTrue: kiln.SymbolicTensor, yPred: kiln.SymbolicTensor) => ops.negative(ops.sum(ops.mul(yTrue, ops.log(yPred)), -1));
  const build = (loss: string | kiln.losses.LossFunction) => {
    kiln.setSeed(11);
    const model = new kiln.Sequential([new kiln.layers.Dense(8, { inputShape: [5], activation: 'tanh' }), new kiln.layers.Dense(3, { activation: 'softmax' })]);
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.2 }), loss, metrics: ['accuracy'] });
    return model;
  };
  const [builtIn, custom] = [build('categorical_crossentropy'), build(crossentropy as kiln.losses.LossFunction)];
  const fit = {
    batchSize: 4,
    epochs: 3,
    shuffle: false,
    verbose: 0 as const,
    validationData: [data('x_val'), kiln.utils.toCategorical(kiln.tensor([0, 1, 2, 0, 1, 2, 0, 1]), 3)] as [kiln.Tensor, kiln.Tensor],
  };
  const a = await builtIn.fit(data('x'), data('onehot'), fit);
  const b = await custom.fit(data('x'), data('onehot'), fit);
  t.deepEqual(Object.keys(b.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  for (const key of Object.keys(a.history)) {
    a.history[key].forEach((v, i) => t.true(close(b.history[key][i], v), `${key}[${i}]: ${b.history[key][i]} vs ${v}`));
  }
  t.true(a.history.loss[2] < a.history.loss[0]);
});

test('a custom loss runs eagerly through Loss.call and apply', (t) => {
  const loss = new kiln.losses.LossFunctionWrapper(CUSTOM_LOSSES.mse_plus_half_mae as kiln.losses.LossFunction);
  const values = loss.call(
    [
      [1, 2],
      [0, 0],
    ],
    [
      [0, 2],
      [1, 1],
    ],
  ) as kiln.Tensor;
  // Sample 0: mse 0.5 + 0.5 * mae 0.5; sample 1: 1 + 0.5.
  t.deepEqual(Array.from(values.dataSync()), [0.75, 1.5]);
  t.is(
    loss
      .apply(
        [
          [1, 2],
          [0, 0],
        ],
        [
          [0, 2],
          [1, 1],
        ],
        [2, 0],
      )
      .dataSync()[0],
    0.75,
  );
});

test('bad custom losses are refused with clear messages', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [5] })]);
  const [x, y] = [data('x'), data('regression')];
  model.compile({ loss: () => 3 as unknown as kiln.Tensor });
  await t.throwsAsync(model.fit(x, y, { verbose: 0 }), { instanceOf: kiln.ValueError, message: /must return a tensor \(built with kiln.ops\), got 3/ });
  model.compile({ loss: (yTrue: kiln.SymbolicTensor) => ops.sum(yTrue, 0) });
  await t.throwsAsync(model.fit(x, y, { verbose: 0 }), { instanceOf: kiln.ValueError, message: /one value per sample.*shape \[2\]/ });
  t.throws(() => model.compile({ loss: new kiln.losses.MeanSquaredError({ reduction: 'none' }) }), { instanceOf: kiln.ValueError, message: /reduction 'none'/ });
});

test('a model compiled with a custom loss predicts before its first fit', async (t) => {
  kiln.setSeed(2);
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [5] })]);
  model.compile({ optimizer: 'sgd', loss: CUSTOM_LOSSES.scalar_mse as kiln.losses.LossFunction });
  const before = await model.predict(data('x'));
  t.deepEqual(before.shape, [16, 2]);
  const [loss] = await model.evaluate(data('x'), data('regression'), { verbose: 0 });
  const expected = Array.from(before.dataSync()).reduce((s, p, i) => s + (p - data('regression').dataSync()[i]) ** 2, 0) / 32;
  t.true(close(loss, expected), `${loss} vs ${expected}`);
});

test('a custom loss trains the same from a Dataset as from arrays', async (t) => {
  const build = () => {
    kiln.setSeed(4);
    const model = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [5], activation: 'tanh' }), new kiln.layers.Dense(2)]);
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: CUSTOM_LOSSES.mse_plus_half_mae as kiln.losses.LossFunction });
    return model;
  };
  const [fromArrays, fromDataset] = [build(), build()];
  const a = await fromArrays.fit(data('x'), data('regression'), { batchSize: 4, epochs: 2, shuffle: false, verbose: 0 });
  const b = await fromDataset.fit(kiln.data.Dataset.fromTensors([data('x'), data('regression')]).batch(4), { epochs: 2, verbose: 0 });
  a.history.loss.forEach((v, i) => t.true(close(b.history.loss[i], v), `${b.history.loss[i]} vs ${v}`));
  const [wa, wb] = [fromArrays.getWeights()[0].dataSync(), fromDataset.getWeights()[0].dataSync()];
  wa.forEach((v, i) => t.true(close(wb[i], v)));
});
