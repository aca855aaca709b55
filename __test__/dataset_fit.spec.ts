import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as kiln from 'kiln-nn';

const { Dataset } = kiln.data;
const digits = kiln.datasets.mnistDigits.loadData();

/** The seed MLP of examples/01. */
function seedMlp(): kiln.Sequential {
  const model = new kiln.Sequential([new kiln.layers.Flatten({ inputShape: [784] }), new kiln.layers.Dense(128, { activation: 'relu' }), new kiln.layers.Dense(10, { activation: 'softmax' })]);
  model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

async function preparedDigits() {
  const [[xTrain, yTrain], [xTest, yTest]] = await digits;
  const flat = (x: kiln.Tensor) => x.reshape([-1, 784]).astype('float32').div(255);
  return { xTrain: flat(xTrain), yTrain: kiln.utils.toCategorical(yTrain, 10), xTest: flat(xTest), yTest: kiln.utils.toCategorical(yTest, 10) };
}

test('streaming fit over a generator trains the seed MLP as well as in-memory fit', async (t) => {
  const { xTrain, yTrain, xTest, yTest } = await preparedDigits();
  const epochs = 3;
  const batchSize = 50;

  kiln.setSeed(3);
  const inMemory = seedMlp();
  await inMemory.fit(xTrain, yTrain, { epochs, batchSize, verbose: 0 });
  const [, inMemoryAccuracy] = await inMemory.evaluate(xTest, yTest, { verbose: 0 });

  // The generator holds only raw bytes and makes each batch when asked, as a reader of a large
  // file would; the order changes every epoch.
  const [[rawX, rawY]] = await digits;
  const pixels = rawX.dataSync();
  const labels = rawY.dataSync();
  const n = labels.length;
  let epochsStarted = 0;
  const stream = Dataset.fromGenerator(function* () {
    const order = Array.from({ length: n }, (_, i) => i);
    const shift = 7919 * ++epochsStarted;
    const shuffled = order.map((i) => (i * 7 + shift) % n); // a cheap permutation (7 is coprime to n)
    for (let start = 0; start < n; start += batchSize) {
      const rows = shuffled.slice(start, start + batchSize);
      const x = new Float32Array(rows.length * 784);
      rows.forEach((row, k) => {
        for (let p = 0; p < 784; p++) x[k * 784 + p] = pixels[row * 784 + p] / 255;
      });
      yield [
        kiln.tensor(x, [rows.length, 784]),
        kiln.utils.toCategorical(
          Int32Array.from(rows, (row) => labels[row]),
          10,
        ),
      ];
    }
  }).prefetch(2);

  kiln.setSeed(3);
  const streaming = seedMlp();
  const history = await streaming.fit(stream, { epochs, verbose: 0 });
  t.is(epochsStarted, epochs);
  t.is(history.history.loss.length, epochs);
  t.true(history.history.loss[2] < history.history.loss[0], `loss ${history.history.loss}`);
  const [, streamingAccuracy] = await streaming.evaluate(xTest, yTest, { verbose: 0 });
  t.log(`test accuracy: in-memory ${inMemoryAccuracy.toFixed(4)}, streaming ${streamingAccuracy.toFixed(4)}`);
  t.true(inMemoryAccuracy > 0.9, `in-memory accuracy ${inMemoryAccuracy}`);
  t.true(streamingAccuracy > 0.9, `streaming accuracy ${streamingAccuracy}`);
  t.true(Math.abs(streamingAccuracy - inMemoryAccuracy) < 0.02, `${streamingAccuracy} vs ${inMemoryAccuracy}`);
});

test('evaluate and predict on a Dataset give the numbers of the in-memory calls', async (t) => {
  const { xTrain, yTrain, xTest, yTest } = await preparedDigits();
  kiln.setSeed(4);
  const model = seedMlp();
  await model.fit(xTrain, yTrain, { epochs: 1, batchSize: 64, verbose: 0 });
  const [loss, accuracy] = await model.evaluate(xTest, yTest, { verbose: 0 });
  const testSet = Dataset.fromTensors([xTest, yTest]).batch(128);
  const [dsLoss, dsAccuracy] = await model.evaluate(testSet, { verbose: 0 });
  t.true(Math.abs(dsLoss - loss) < 1e-5, `${dsLoss} vs ${loss}`);
  t.true(Math.abs(dsAccuracy - accuracy) < 1e-9, `${dsAccuracy} vs ${accuracy}`);
  const dict = await model.evaluate(testSet, { verbose: 0, returnDict: true });
  t.deepEqual(Object.keys(dict).sort(), ['accuracy', 'loss']);

  const expected = (await model.predict(xTest)).dataSync();
  // predict takes (x, y) batches (y ignored) or x alone.
  for (const ds of [testSet, Dataset.fromTensors(xTest).batch(300)]) {
    const predictions = await model.predict(ds);
    t.deepEqual(predictions.shape, [xTest.shape[0], 10]);
    const got = predictions.dataSync();
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    t.true(worst < 1e-6, `largest difference ${worst}`);
  }
  const partial = await model.predict(Dataset.fromTensors(xTest).batch(100), { steps: 3 });
  t.deepEqual(partial.shape, [300, 10]);
});

test('fit on a repeated Dataset takes stepsPerEpoch batches and validates on a Dataset', async (t) => {
  const { xTrain, yTrain, xTest, yTest } = await preparedDigits();
  kiln.setSeed(5);
  const model = seedMlp();
  const train = Dataset.fromTensors([xTrain, yTrain]).shuffle(8000, 1).batch(100).repeat();
  const seen: number[] = [];
  const counter = new kiln.callbacks.LambdaCallback({
    onTrainBatchEnd: (batch: number) => {
      seen.push(batch);
    },
  });
  const history = await model.fit(train, {
    epochs: 2,
    stepsPerEpoch: 30,
    verbose: 0,
    callbacks: [counter],
    validationData: Dataset.fromTensors([xTest, yTest]).batch(500),
    validationSteps: 2,
  });
  t.deepEqual(Object.keys(history.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  t.is(seen.length, 60);
  t.is(seen[59], 29);
  // validationSteps: 2 evaluates the first 1000 test samples.
  const firstThousand = await model.evaluate(xTest.slice([0, 0], [1000, -1]), yTest.slice([0, 0], [1000, -1]), { verbose: 0, returnDict: true });
  t.true(Math.abs(history.history.val_loss[1] - firstThousand.loss) < 1e-5);
  t.true(history.history.val_accuracy[1] > 0.8, `val_accuracy ${history.history.val_accuracy}`);
  // Array validation data works with a Dataset too, and a Dataset validates array training.
  const both = await model.fit(train, { epochs: 1, stepsPerEpoch: 5, verbose: 0, validationData: [xTest, yTest] });
  t.is(both.history.val_loss.length, 1);
  const arrays = await model.fit(xTrain, yTrain, { epochs: 1, verbose: 0, validationData: Dataset.fromTensors([xTest, yTest]).batch(250) });
  t.true(Math.abs(arrays.history.val_loss[0] - (await model.evaluate(xTest, yTest, { verbose: 0 }))[0]) < 1e-5);
});

test('fit on a Dataset refuses what Keras refuses and names the bad batch', async (t) => {
  const model = seedMlp();
  const x = kiln.random.uniform([20, 784]);
  const y = kiln.utils.toCategorical(kiln.random.randint(0, 10, [20]), 10);
  const ds = Dataset.fromTensors([x, y]).batch(5);
  await t.throwsAsync(model.fit(ds, y as never), { instanceOf: kiln.ValueError, message: /`y` should not be passed/ });
  await t.throwsAsync(model.fit(ds.repeat(), { verbose: 0 }), { instanceOf: kiln.ValueError, message: /stepsPerEpoch/ });
  await t.throwsAsync(model.fit(ds, { verbose: 0, validationSplit: 0.2 }), { instanceOf: kiln.ValueError, message: /validationSplit/ });
  await t.throwsAsync(model.fit(Dataset.fromTensors(x).batch(5), { verbose: 0 }), { instanceOf: kiln.ValueError, message: /\(x, y\) batches.*batch 0 is a single tensor/ });
  const wrongWidth = Dataset.fromGenerator(function* () {
    yield [kiln.random.uniform([5, 784]), kiln.utils.toCategorical([1, 2, 3, 4, 5], 10)];
    yield [kiln.random.uniform([5, 780]), kiln.utils.toCategorical([1, 2, 3, 4, 5], 10)];
  });
  await t.throwsAsync(model.fit(wrongWidth, { verbose: 0 }), { instanceOf: kiln.ShapeError, message: /element 1 \(component 0\) has shape \[5, 780\], but earlier elements had \[5, 784\]/ });
  const narrow = Dataset.fromTensors([kiln.random.uniform([10, 780]), kiln.utils.toCategorical(kiln.random.randint(0, 10, [10]), 10)]).batch(5);
  await t.throwsAsync(model.fit(narrow, { verbose: 0 }), { instanceOf: kiln.ShapeError, message: /expected last axis 784, got 780/ });
  const untrained = seedMlp();
  await t.throwsAsync(untrained.fit(ds.take(0), { verbose: 0 }), { instanceOf: kiln.ValueError, message: /no batches in epoch 1/ });
  await t.throwsAsync(untrained.evaluate(ds.take(0), { verbose: 0 }), { instanceOf: kiln.ValueError, message: /no batches/ });
});

test('a streamed fit keeps peak memory well below an in-memory fit of the same data', async (t) => {
  const script = fileURLToPath(new URL('./helpers/stream_memory.mjs', import.meta.url));
  const run = async (mode: string) => {
    const { stdout } = await promisify(execFile)(process.execPath, [script, mode, '80000'], { maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { peakGrowthMiB: number; seconds: number; loss: number };
  };
  const inMemory = await run('inMemory');
  const streaming = await run('streaming');
  t.log(
    `peak RSS growth over 80,000 samples of 784 floats: in memory ${inMemory.peakGrowthMiB.toFixed(0)} MiB (${inMemory.seconds.toFixed(1)} s), streamed ${streaming.peakGrowthMiB.toFixed(0)} MiB (${streaming.seconds.toFixed(1)} s)`,
  );
  // The data alone is 80,000 x 784 x 4 bytes = 239 MiB; a stream holds a few batches (and the
  // garbage the collector has not reached yet).
  t.true(inMemory.peakGrowthMiB > 230, `in-memory growth ${inMemory.peakGrowthMiB}`);
  t.true(streaming.peakGrowthMiB < inMemory.peakGrowthMiB / 2, `streamed ${streaming.peakGrowthMiB} vs ${inMemory.peakGrowthMiB}`);
  t.true(Number.isFinite(streaming.loss) && Math.abs(streaming.loss - Math.log(10)) < 0.1, `random labels: loss near ln 10, got ${streaming.loss}`);
});
