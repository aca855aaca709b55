// fit's options around the data, against Keras 3 (fixture: scripts/fixtures/keras_regularization.py):
// classWeight, sampleWeight (fit, validation data, evaluate), stepsPerEpoch, validationSteps,
// validationFreq, validationBatchSize; the optimizer's learning rate set between epochs; and a
// callback that throws.
import test from 'ava';
import * as kiln from 'kiln-nn';
import { buildModel, cases, close, data, replay } from './helpers/keras_regularization.js';

for (const c of cases(['class_weight_sparse', 'class_weight_onehot', 'sample_weight_mse', 'sample_weight_with_regularizer', 'validation_data_weights', 'steps_per_epoch'])) {
  test(`${c.name}: weights, History and evaluate match Keras`, (t) => replay(t, c));
}

const regression = () => buildModel(cases(['sample_weight_mse'])[0]);
const weightsOf = (model: kiln.Model) => model.getWeights().map((w) => Array.from(w.dataSync()));

test('classWeight equals the sampleWeight Keras derives from it', async (t) => {
  const c = cases(['class_weight_sparse'])[0];
  const labels = data('labels').dataSync();
  const classWeight: Record<number, number> = { 0: 1, 1: 3, 2: 0.5 };
  const sampleWeight = kiln.tensor(Float32Array.from(labels, (l) => classWeight[l]));
  const [a, b] = [buildModel(c), buildModel(c)];
  const fit = { batchSize: 5, epochs: 2, shuffle: false, verbose: 0 as const };
  const ha = await a.fit(data('x'), data('labels'), { ...fit, classWeight });
  const hb = await b.fit(data('x'), data('labels'), { ...fit, sampleWeight });
  t.deepEqual(ha.history.loss, hb.history.loss);
  t.deepEqual(weightsOf(a), weightsOf(b));
});

test('a sample weight of zero removes the sample from training', async (t) => {
  const [a, b] = [regression(), regression()];
  const x = data('x');
  const y = data('regression');
  const weights = kiln.tensor(Float32Array.from({ length: 16 }, (_, i) => (i < 8 ? 1 : 0)));
  await a.fit(x, y, { batchSize: 16, epochs: 2, shuffle: false, verbose: 0, sampleWeight: weights });
  // The same step from the first eight samples alone: their mean over 16 is half their own mean.
  const half = new kiln.optimizers.SGD({ learningRate: 0.05 });
  b.compile({ optimizer: half, loss: 'mse' });
  await b.fit(x.slice([0, 0], [8, -1]), y.slice([0, 0], [8, -1]), { batchSize: 8, epochs: 2, shuffle: false, verbose: 0 });
  weightsOf(a).forEach((w, k) => w.forEach((v, i) => t.true(close(v, weightsOf(b)[k][i]), `${v} vs ${weightsOf(b)[k][i]}`)));
});

test('optimizer.learningRate is readable and settable between epochs', async (t) => {
  const model = regression();
  t.is(model.optimizer!.learningRate, 0.1);
  const seen: number[] = [];
  let frozen: number[][] = [];
  const callbacks = [
    new kiln.callbacks.LambdaCallback({
      onEpochBegin: () => void seen.push(model.optimizer!.learningRate as number),
      onEpochEnd: (epoch) => {
        if (epoch === 0) model.optimizer!.learningRate = 0.01;
        if (epoch === 1) {
          model.optimizer!.learningRate = 0;
          frozen = weightsOf(model);
        }
      },
    }),
  ];
  await model.fit(data('x'), data('regression'), { batchSize: 4, epochs: 3, shuffle: false, verbose: 0, callbacks });
  t.deepEqual(seen, [0.1, 0.01, 0]);
  t.deepEqual(weightsOf(model), frozen, 'a rate of 0 leaves the weights where they were');
  // Epoch 2 at 0.01 is the same as a fresh fit at 0.01 from epoch 1's weights.
  const reference = regression();
  await reference.fit(data('x'), data('regression'), { batchSize: 4, epochs: 1, shuffle: false, verbose: 0 });
  reference.optimizer!.learningRate = 0.01;
  await reference.fit(data('x'), data('regression'), { batchSize: 4, epochs: 1, shuffle: false, verbose: 0 });
  t.deepEqual(weightsOf(reference), frozen);
  t.throws(() => void (model.optimizer!.learningRate = -1), { instanceOf: kiln.ValueError, message: /learningRate must be a non-negative number/ });
});

test('a callback that throws stops fit with that error and leaves the model usable', async (t) => {
  const model = regression();
  let epochsRun = 0;
  const failing = new kiln.callbacks.LambdaCallback({
    onEpochEnd: (epoch) => {
      epochsRun++;
      if (epoch === 1) throw new Error('disk full');
    },
  });
  const error = await t.throwsAsync(model.fit(data('x'), data('regression'), { batchSize: 4, epochs: 5, verbose: 0, callbacks: [failing] }));
  t.is(error?.message, 'disk full');
  t.is(epochsRun, 2);
  const batchFailure = new kiln.callbacks.LambdaCallback({
    onTrainBatchEnd: (batch) => {
      if (batch === 2) throw new kiln.ValueError('bad batch');
    },
  });
  await t.throwsAsync(model.fit(data('x'), data('regression'), { batchSize: 4, epochs: 1, verbose: 0, callbacks: [batchFailure] }), { instanceOf: kiln.ValueError, message: 'bad batch' });
  // The model still predicts, evaluates and trains.
  const [before] = await model.evaluate(data('x'), data('regression'), { verbose: 0 });
  t.true(Number.isFinite(before));
  t.deepEqual((await model.predict(data('x'))).shape, [16, 2]);
  const history = await model.fit(data('x'), data('regression'), { batchSize: 4, epochs: 2, verbose: 0 });
  t.is(history.history.loss.length, 2);
  t.true(history.history.loss[1] < before);
});

test('bad fit options are refused with clear messages', async (t) => {
  const model = regression();
  const [x, y] = [data('x'), data('regression')];
  await t.throwsAsync(model.fit(x, y, { verbose: 0, classWeight: { 0: 1 }, sampleWeight: data('weights') }), {
    instanceOf: kiln.ValueError,
    message: /You cannot `classWeight` and `sampleWeight` at the same time/,
  });
  await t.throwsAsync(model.fit(x, y, { verbose: 0, sampleWeight: [1, 2, 3] }), { instanceOf: kiln.ValueError, message: /one value per sample: expected shape \[16\].*got \[3\]/ });
  await t.throwsAsync(model.fit(x, y, { verbose: 0, validationData: [x, y], validationFreq: 0 }), { instanceOf: kiln.ValueError, message: /validationFreq/ });
  await t.throwsAsync(model.fit(x, y, { verbose: 0, stepsPerEpoch: 0 }), { instanceOf: kiln.ValueError, message: /stepsPerEpoch/ });
  await t.throwsAsync(model.fit(x, y, { verbose: 0, sampleWeight: Float32Array.from({ length: 16 }, () => NaN) }), {
    instanceOf: kiln.ValueError,
    message: /sample_weight contains a non-finite value at sample 0/,
  });
  await t.throwsAsync(model.evaluate(x, y, { verbose: 0, sampleWeight: [1] }), { instanceOf: kiln.ValueError, message: /sampleWeight/ });
});

test('evaluate takes steps', async (t) => {
  const model = regression();
  const [x, y] = [data('x'), data('regression')];
  const [firstBatch] = await model.evaluate(x, y, { batchSize: 5, steps: 1, verbose: 0 });
  const [alone] = await model.evaluate(x.slice([0, 0], [5, -1]), y.slice([0, 0], [5, -1]), { verbose: 0 });
  t.true(close(firstBatch, alone));
});

test('classWeight weighs training only: val_loss is the plain loss of the held-out samples', async (t) => {
  const c = cases(['class_weight_sparse'])[0];
  const model = buildModel(c);
  const history = await model.fit(data('x'), data('labels'), { batchSize: 5, epochs: 2, shuffle: false, verbose: 0, classWeight: { 0: 1, 1: 5, 2: 0.2 }, validationSplit: 0.25 });
  const [valLoss] = await model.evaluate(data('x').slice([12, 0], [4, -1]), data('labels').slice([12], [4]), { verbose: 0 });
  t.true(close(history.history.val_loss[1], valLoss), `${history.history.val_loss[1]} vs ${valLoss}`);
});

test('with a Dataset, sampleWeight comes inside the batches and the option is refused, as Keras', async (t) => {
  const model = regression();
  const dataset = kiln.data.Dataset.fromTensors([data('x'), data('regression')]).batch(4);
  await t.throwsAsync(model.fit(dataset, { verbose: 0, sampleWeight: data('weights') }), {
    instanceOf: kiln.ValueError,
    message: /`sampleWeight` should not be passed. Instead, the sample weights should be included as part of the kiln.data.Dataset/,
  });
  await t.throwsAsync(model.evaluate(dataset, { verbose: 0, sampleWeight: data('weights') }), { instanceOf: kiln.ValueError, message: /`sampleWeight` should not be passed/ });
  t.is((await model.fit(dataset, { verbose: 0, epochs: 1 })).history.loss.length, 1);
});
