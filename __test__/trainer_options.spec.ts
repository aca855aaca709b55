// compile, fit, evaluate, predict and the *OnBatch methods refuse option names they do not know
// (a typo would otherwise change the model without a word) and numbers out of range, naming
// the option and the value given.
import test from 'ava';
import * as kiln from 'kiln-nn';

function model(): kiln.Sequential {
  kiln.setSeed(1);
  const m = new kiln.Sequential([new kiln.layers.Dense(3, { activation: 'softmax', inputShape: [4] })]);
  m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}

const x = kiln.tensor(
  Float32Array.from({ length: 40 }, (_, i) => Math.sin(i)),
  [10, 4],
);
const y = kiln.tensor(
  Int32Array.from({ length: 10 }, (_, i) => i % 3),
  [10],
);

test('compile refuses an unknown option name instead of ignoring it', (t) => {
  const m = model();
  t.throws(() => m.compile({ optimizer: 'adam', loss: 'mse', metric: ['accuracy'] } as never), {
    instanceOf: kiln.ValueError,
    message: "compile: unknown option 'metric'. Valid options: 'loss', 'lossWeights', 'metrics', 'optimizer'",
  });
  t.throws(() => m.compile('adam' as never), { instanceOf: kiln.ValueError, message: /compile: expected an options object, got 'adam'/ });
  // The failed compile left the previous one in place.
  t.true(m.optimizer instanceof kiln.optimizers.SGD);
});

test('fit, evaluate and predict refuse unknown option names, on arrays and on a Dataset', async (t) => {
  const m = model();
  const dataset = kiln.data.Dataset.fromTensors([x, y]).batch(5);
  await t.throwsAsync(m.fit(x, y, { epoch: 3, verbose: 0 } as never), { instanceOf: kiln.ValueError, message: /^fit: unknown option 'epoch'. Valid options: .*'epochs'/ });
  await t.throwsAsync(m.fit(dataset, { verbose: 0, validation_split: 0.2 } as never), { instanceOf: kiln.ValueError, message: /^fit: unknown option 'validation_split'/ });
  await t.throwsAsync(m.evaluate(x, y, { verbose: 0, batch_size: 2 } as never), { instanceOf: kiln.ValueError, message: /^evaluate: unknown option 'batch_size'/ });
  await t.throwsAsync(m.evaluate(dataset, { verbose: 0, return_dict: true } as never), { instanceOf: kiln.ValueError, message: /^evaluate: unknown option 'return_dict'/ });
  await t.throwsAsync(m.predict(x, { batch: 2 } as never), { instanceOf: kiln.ValueError, message: /^predict: unknown option 'batch'. Valid options: 'batchSize', 'callbacks', 'steps', 'verbose'$/ });
  await t.throwsAsync(m.trainOnBatch(x, y, { sampleWeights: [1] } as never), { instanceOf: kiln.ValueError, message: /^trainOnBatch: unknown option 'sampleWeights'/ });
  await t.throwsAsync(m.testOnBatch(x, y, { classWeight: { 0: 1 } } as never), { instanceOf: kiln.ValueError, message: /^testOnBatch: unknown option 'classWeight'/ });
  t.is(m.optimizer!.iterations, 0, 'nothing trained');
});

test('fit refuses NaN, negative and out-of-range numbers, naming the option', async (t) => {
  const m = model();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ validationSplit: -0.5 }, /`validationSplit` must be a number in \[0, 1\), got -0.5/],
    [{ validationSplit: Number.NaN }, /`validationSplit` must be a number in \[0, 1\), got NaN/],
    [{ validationSplit: 1 }, /`validationSplit` must be a number in \[0, 1\), got 1/],
    [{ validationSplit: '0.2' }, /`validationSplit` must be a number in \[0, 1\), got '0.2'/],
    [{ initialEpoch: Number.NaN }, /`initialEpoch` must be a non-negative integer, got NaN/],
    [{ initialEpoch: -1 }, /`initialEpoch` must be a non-negative integer, got -1/],
    [{ batchSize: 0 }, /`batchSize` must be a positive integer, got 0/],
    [{ batchSize: 2.5 }, /`batchSize` must be a positive integer, got 2.5/],
    [{ batchSize: 2 ** 60 }, /`batchSize` must be a positive integer \(at most Number.MAX_SAFE_INTEGER\), got 1152921504606847000/],
    [{ batchSize: Number.POSITIVE_INFINITY }, /`batchSize` must be a positive integer, got Infinity/],
    [{ epochs: Number.NaN }, /`epochs` must be a positive integer, got NaN/],
    [{ epochs: -2 }, /`epochs` must be a positive integer, got -2/],
    [{ stepsPerEpoch: 0 }, /`stepsPerEpoch` must be a positive integer, got 0/],
    [{ validationSteps: 1.5, validationData: [x, y] }, /`validationSteps` must be a positive integer, got 1.5/],
    [{ validationBatchSize: -4 }, /`validationBatchSize` must be a positive integer, got -4/],
    [{ verbose: 3 }, /`verbose` must be 0, 1, 2 or 'auto', got 3/],
    [{ shuffle: 'yes' }, /`shuffle` must be true or false, got 'yes'/],
    [{ callbacks: new kiln.callbacks.History() }, /`callbacks` must be a list of kiln.callbacks.Callback, got an instance of History/],
    [{ callbacks: [{ onEpochEnd() {} }] }, /`callbacks\[0\]` must be a kiln.callbacks.Callback, got an object/],
  ];
  for (const [options, message] of cases) {
    await t.throwsAsync(m.fit(x, y, { verbose: 0, ...options } as never), { instanceOf: kiln.ValueError, message }, JSON.stringify(options));
  }
  await t.throwsAsync(m.evaluate(x, y, { verbose: 0, batchSize: Number.NaN }), { instanceOf: kiln.ValueError, message: /^evaluate: `batchSize` must be a positive integer, got NaN/ });
  await t.throwsAsync(m.evaluate(x, y, { verbose: 0, steps: 0 }), { instanceOf: kiln.ValueError, message: /^evaluate: `steps` must be a positive integer, got 0/ });
  await t.throwsAsync(m.predict(x, { batchSize: -1 }), { instanceOf: kiln.ValueError, message: /^predict: `batchSize` must be a positive integer, got -1/ });
  t.is(m.optimizer!.iterations, 0, 'nothing trained');
  // In range, the same options train.
  const history = await m.fit(x, y, { verbose: 0, epochs: 2, batchSize: 4, validationSplit: 0.2, initialEpoch: 1 });
  t.is(history.history.loss.length, 1);
});

test('options that cannot apply to a Dataset are refused or warned about, as Keras', async (t) => {
  const m = model();
  const dataset = kiln.data.Dataset.fromTensors([x, y]).batch(5);
  await t.throwsAsync(m.fit(dataset, { verbose: 0, batchSize: 8 }), { instanceOf: kiln.ValueError, message: /fit: `batchSize` does not apply to a kiln.data.Dataset, whose batches are already made/ });
  await t.throwsAsync(m.evaluate(dataset, { verbose: 0, batchSize: 8 }), { instanceOf: kiln.ValueError, message: /evaluate: `batchSize` does not apply/ });
  await t.throwsAsync(m.predict(dataset, { batchSize: 8 }), { instanceOf: kiln.ValueError, message: /predict: `batchSize` does not apply/ });
  await t.throwsAsync(m.fit(dataset, { verbose: 0, validationData: dataset, validationBatchSize: 2 }), {
    instanceOf: kiln.ValueError,
    message: /`validationBatchSize` applies to array validation data/,
  });
  // batchSize sizes array validation data of a Dataset fit.
  const history = await m.fit(dataset, { verbose: 0, batchSize: 3, validationData: [x, y] });
  t.is(history.history.val_loss.length, 1);
  const warnings: string[] = [];
  const listener = (w: Error) => void warnings.push(w.message);
  process.on('warning', listener);
  await m.fit(dataset, { verbose: 0, shuffle: true });
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', listener);
  t.true(
    warnings.some((w) => /`shuffle: true` was passed, but will be ignored/.test(w)),
    warnings.join('; '),
  );
});
