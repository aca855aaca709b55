// One training loop for every data source: the same fit on arrays and on a kiln.data.Dataset
// (or a generator) of the same batches gives the same weights, History and callback calls,
// with sample and class weights, validationFreq, validationBatchSize and a BackupAndRestore resume.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';

const { Dataset } = kiln.data;
const directory = mkdtempSync(join(tmpdir(), 'kiln-parity-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

/** 30 samples of 4 features in 3 classes (labels from the features, so the model can learn). */
function classification() {
  kiln.setSeed(11);
  const x = kiln.random.uniform([30, 4], -1, 1);
  const v = x.dataSync();
  const labels = Int32Array.from({ length: 30 }, (_, i) => (v[i * 4] + v[i * 4 + 1] > 0.3 ? 2 : v[i * 4 + 2] > 0 ? 1 : 0));
  const y = kiln.tensor(labels, [30]);
  const weights = kiln.tensor(Float32Array.from({ length: 30 }, (_, i) => 0.5 + (i % 4) * 0.5));
  const xv = kiln.random.uniform([12, 4], -1, 1);
  const vv = xv.dataSync();
  const yv = kiln.tensor(
    Int32Array.from({ length: 12 }, (_, i) => (vv[i * 4] + vv[i * 4 + 1] > 0.3 ? 2 : vv[i * 4 + 2] > 0 ? 1 : 0)),
    [12],
  );
  const wv = kiln.tensor(Float32Array.from({ length: 12 }, (_, i) => 1 + (i % 3)));
  return { x, y, weights, xv, yv, wv };
}

function classifier(): kiln.Sequential {
  kiln.setSeed(5);
  const model = new kiln.Sequential([new kiln.layers.Dense(8, { activation: 'tanh', inputShape: [4] }), new kiln.layers.Dense(3, { activation: 'softmax' })]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.05 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

/** Records every hook with its batch or epoch index and the logs it was given. */
class Recorder extends kiln.callbacks.Callback {
  readonly calls: string[] = [];
  private log(hook: string, index?: number, logs?: kiln.callbacks.Logs): void {
    const numbers = logs
      ? Object.entries(logs)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')
      : '';
    this.calls.push(`${hook}${index === undefined ? '' : ` ${index}`}${numbers ? ` ${numbers}` : ''}`);
  }
  onTrainBegin() {
    this.log('trainBegin');
  }
  onTrainEnd() {
    this.log('trainEnd');
  }
  onEpochBegin(epoch: number) {
    this.log('epochBegin', epoch);
  }
  onEpochEnd(epoch: number, logs?: kiln.callbacks.Logs) {
    this.log('epochEnd', epoch, logs);
  }
  onTrainBatchBegin(batch: number) {
    this.log('trainBatchBegin', batch);
  }
  onTrainBatchEnd(batch: number, logs?: kiln.callbacks.Logs) {
    this.log('trainBatchEnd', batch, logs);
  }
  onTestBegin() {
    this.log('testBegin');
  }
  onTestEnd(logs?: kiln.callbacks.Logs) {
    this.log('testEnd', undefined, logs);
  }
  onTestBatchBegin(batch: number) {
    this.log('testBatchBegin', batch);
  }
  onTestBatchEnd(batch: number, logs?: kiln.callbacks.Logs) {
    this.log('testBatchEnd', batch, logs);
  }
  onPredictBegin() {
    this.log('predictBegin');
  }
  onPredictEnd() {
    this.log('predictEnd');
  }
}

const weightsOf = (model: kiln.Model) => model.getWeights().map((w) => Array.from(w.dataSync()));

/** Fits a fresh classifier on arrays and another on a Dataset; returns both runs' weights, History and calls. */
async function bothSources(
  t: { log: (...a: unknown[]) => void },
  arrays: (m: kiln.Model, r: Recorder) => Promise<kiln.callbacks.History>,
  streamed: (m: kiln.Model, r: Recorder) => Promise<kiln.callbacks.History>,
) {
  const runs = [];
  for (const fit of [arrays, streamed]) {
    const model = classifier();
    const recorder = new Recorder();
    const history = await fit(model, recorder);
    runs.push({ weights: weightsOf(model), history: history.history, calls: recorder.calls, iterations: model.optimizer!.iterations });
  }
  t.log(`${runs[0].calls.length} callback calls; final loss ${runs[0].history.loss.at(-1)}`);
  return runs;
}

test('arrays and a Dataset of the same batches: identical weights, History and callback calls, with validationFreq', async (t) => {
  const { x, y, xv, yv } = classification();
  const options = { epochs: 4, verbose: 0 as const, validationFreq: 2 };
  const [a, b] = await bothSources(
    t,
    (m, r) => m.fit(x, y, { ...options, batchSize: 6, shuffle: false, callbacks: [r], validationData: [xv, yv], validationBatchSize: 5 }),
    (m, r) => m.fit(Dataset.fromTensors([x, y]).batch(6), { ...options, callbacks: [r], validationData: Dataset.fromTensors([xv, yv]).batch(5) }),
  );
  t.deepEqual(b.weights, a.weights);
  t.deepEqual(b.history, a.history);
  t.deepEqual(b.calls, a.calls);
  t.is(a.iterations, 20);
  t.deepEqual(Object.keys(a.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  t.is(a.history.val_loss.length, 2, 'validated at epochs 2 and 4 only');
  // Five batches per epoch, three validation batches of 5, 5 and 2 samples.
  t.is(a.calls.filter((c) => c.startsWith('trainBatchEnd')).length, 20);
  t.deepEqual(
    a.calls.filter((c) => c.startsWith('testBatchBegin')).map((c) => c.split(' ')[1]),
    ['0', '1', '2', '0', '1', '2'],
  );
  t.true(a.history.loss[3] < a.history.loss[0], `loss ${a.history.loss}`);
});

test('sampleWeight on arrays equals (x, y, sampleWeight) batches of a Dataset, in training and validation', async (t) => {
  const { x, y, weights, xv, yv, wv } = classification();
  const [a, b] = await bothSources(
    t,
    (m, r) => m.fit(x, y, { epochs: 2, batchSize: 10, shuffle: false, verbose: 0, callbacks: [r], sampleWeight: weights, validationData: [xv, yv, wv] }),
    (m, r) => m.fit(Dataset.fromTensors([x, y, weights]).batch(10), { epochs: 2, verbose: 0, callbacks: [r], validationData: Dataset.fromTensors([xv, yv, wv]).batch(10) }),
  );
  t.deepEqual(b.weights, a.weights);
  t.deepEqual(b.history, a.history);
  t.deepEqual(b.calls, a.calls);
  // The weights change the result: an unweighted fit ends elsewhere.
  const plain = classifier();
  await plain.fit(x, y, { epochs: 2, batchSize: 10, shuffle: false, verbose: 0 });
  t.notDeepEqual(weightsOf(plain), a.weights);
  // evaluate weighs the same way on both sources.
  const model = classifier();
  const [arrayLoss, arrayAccuracy] = await model.evaluate(xv, yv, { verbose: 0, sampleWeight: wv, batchSize: 5 });
  const [dsLoss, dsAccuracy] = await model.evaluate(Dataset.fromTensors([xv, yv, wv]).batch(5), { verbose: 0 });
  t.is(dsLoss, arrayLoss);
  t.is(dsAccuracy, arrayAccuracy);
  const [unweighted] = await model.evaluate(xv, yv, { verbose: 0 });
  t.not(unweighted, arrayLoss);
});

test('classWeight weighs every source the same way', async (t) => {
  const { x, y } = classification();
  const classWeight = { 0: 1, 1: 3, 2: 0.25 };
  const [a, b] = await bothSources(
    t,
    (m, r) => m.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, callbacks: [r], classWeight }),
    (m, r) => m.fit(Dataset.fromTensors([x, y]).batch(8), { epochs: 2, verbose: 0, callbacks: [r], classWeight }),
  );
  t.deepEqual(b.weights, a.weights);
  t.deepEqual(b.history, a.history);
  t.deepEqual(b.calls, a.calls);
  // It equals the sample weights Keras derives from it.
  const labels = y.dataSync();
  const derived = kiln.tensor(Float32Array.from(labels, (l) => classWeight[l as 0 | 1 | 2]));
  const viaWeights = classifier();
  await viaWeights.fit(Dataset.fromTensors([x, y, derived]).batch(8), { epochs: 2, verbose: 0 });
  t.deepEqual(weightsOf(viaWeights), a.weights);
  const both = classifier();
  await t.throwsAsync(both.fit(Dataset.fromTensors([x, y, derived]).batch(8), { verbose: 0, classWeight }), {
    instanceOf: kiln.ValueError,
    message: /You cannot `classWeight` and `sampleWeight` at the same time/,
  });
});

test('stepsPerEpoch carries a pass over epochs the same way for arrays, a Dataset and an async generator', async (t) => {
  const { x, y } = classification();
  const batches = (from: number) => Array.from({ length: 5 }, (_, k) => [x.slice([k * 6, 0], [6, -1]), y.slice([k * 6], [6])] as kiln.Tensor[]).slice(from);
  async function* generator() {
    for (let pass = 0; pass < 3; pass++) for (const batch of batches(0)) yield batch;
  }
  const options = { epochs: 3, stepsPerEpoch: 4, verbose: 0 as const };
  const [a, b] = await bothSources(
    t,
    (m, r) => m.fit(x, y, { ...options, batchSize: 6, shuffle: false, callbacks: [r] }),
    (m, r) => m.fit(Dataset.fromTensors([x, y]).batch(6), { ...options, callbacks: [r] }),
  );
  t.deepEqual(b.weights, a.weights);
  t.deepEqual(b.history, a.history);
  t.deepEqual(b.calls, a.calls);
  // Epoch 1 takes batches 0-3, epoch 2 the last batch (the pass ends), epoch 3 batches 0-3 of a new pass.
  t.deepEqual(
    a.calls.filter((c) => c.startsWith('trainBatchEnd')).map((c) => Number(c.split(' ')[1])),
    [0, 1, 2, 3, 0, 0, 1, 2, 3],
  );
  // An async generator is one stream of batches; with stepsPerEpoch its epochs take 4 batches each.
  const streamed = classifier();
  const recorder = new Recorder();
  await streamed.fit(generator(), { epochs: 3, stepsPerEpoch: 4, verbose: 0, callbacks: [recorder] });
  const reference = classifier();
  const seen: number[] = [];
  const order = [...batches(0), ...batches(0), ...batches(0)].slice(0, 12);
  await reference.fit(
    Dataset.fromGenerator(() => order),
    { epochs: 1, verbose: 0, callbacks: [new kiln.callbacks.LambdaCallback({ onTrainBatchEnd: (i) => void seen.push(i) })] },
  );
  t.is(seen.length, 12);
  t.deepEqual(weightsOf(streamed), weightsOf(reference));
});

test('BackupAndRestore resumes a Dataset fit at the right epoch, ending where the array fit ends', async (t) => {
  const { x, y, xv, yv } = classification();
  const dataset = Dataset.fromTensors([x, y]).batch(6);
  const options = { epochs: 5, verbose: 0 as const, validationFreq: 2 };
  const uninterrupted = classifier();
  const reference = await uninterrupted.fit(x, y, { ...options, batchSize: 6, shuffle: false, validationData: [xv, yv] });

  for (const source of ['arrays', 'dataset'] as const) {
    const backupDir = join(directory, `backup-${source}`);
    const fit = (model: kiln.Model, callbacks: kiln.callbacks.Callback[]) =>
      source === 'arrays'
        ? model.fit(x, y, { ...options, batchSize: 6, shuffle: false, callbacks, validationData: [xv, yv] })
        : model.fit(dataset, { ...options, callbacks, validationData: Dataset.fromTensors([xv, yv]).batch(6) });
    const crash = new kiln.callbacks.LambdaCallback({
      onEpochEnd: (epoch) => {
        if (epoch === 2) throw new Error('power cut');
      },
    });
    await t.throwsAsync(fit(classifier(), [new kiln.callbacks.BackupAndRestore(backupDir), crash]), { message: /power cut/ });
    kiln.setSeed(99);
    const resumed = new kiln.Sequential([new kiln.layers.Dense(8, { activation: 'tanh', inputShape: [4] }), new kiln.layers.Dense(3, { activation: 'softmax' })]);
    resumed.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.05 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const recorder = new Recorder();
    const history = await fit(resumed, [new kiln.callbacks.BackupAndRestore(backupDir), recorder]);
    t.deepEqual(
      recorder.calls.filter((c) => c.startsWith('epochBegin')),
      ['epochBegin 3', 'epochBegin 4'],
      source,
    );
    t.deepEqual(history.history.loss, reference.history.loss.slice(3), source);
    t.deepEqual(history.history.val_loss, reference.history.val_loss.slice(1), `${source}: epoch 4 validates (validationFreq 2)`);
    t.is(resumed.optimizer!.iterations, uninterrupted.optimizer!.iterations, source);
    t.deepEqual(weightsOf(resumed), weightsOf(uninterrupted), source);
  }
});

test('predict and evaluate give the same numbers on arrays, a Dataset and a generator', async (t) => {
  const { x, y } = classification();
  const model = classifier();
  await model.fit(x, y, { epochs: 2, batchSize: 6, verbose: 0 });
  const recorder = new Recorder();
  const expected = Array.from((await model.predict(x, { batchSize: 7, callbacks: [recorder] })).dataSync());
  t.deepEqual(recorder.calls, ['predictBegin', 'predictEnd']);
  t.deepEqual(Array.from((await model.predict(Dataset.fromTensors(x).batch(7))).dataSync()), expected);
  function* rows() {
    for (let i = 0; i < 30; i += 7) yield x.slice([i, 0], [Math.min(7, 30 - i), -1]);
  }
  t.deepEqual(Array.from((await model.predict(rows())).dataSync()), expected);
  // steps takes the first batches of arrays too.
  t.deepEqual(Array.from((await model.predict(x, { batchSize: 7, steps: 2 })).dataSync()), expected.slice(0, 14 * 3));
  const eager = model.predictOnBatch(x).dataSync();
  t.true(
    expected.every((v, i) => Math.abs(v - eager[i]) < 1e-6),
    'predictOnBatch computes what predict computes',
  );
  const [loss, accuracy] = await model.evaluate(x, y, { verbose: 0, batchSize: 7 });
  t.deepEqual(await model.evaluate(Dataset.fromTensors([x, y]).batch(7), { verbose: 0 }), [loss, accuracy]);
});

test('a generator is one pass over its batches: a second epoch without stepsPerEpoch is refused with a hint', async (t) => {
  const { x, y } = classification();
  async function* batches() {
    for (let i = 0; i < 30; i += 10) yield [x.slice([i, 0], [10, -1]), y.slice([i], [10])];
  }
  const model = classifier();
  const history = await model.fit(batches(), { epochs: 1, verbose: 0 });
  t.is(history.history.loss.length, 1);
  t.is(model.optimizer!.iterations, 3);
  await t.throwsAsync(model.fit(batches(), { epochs: 2, verbose: 0 }), {
    instanceOf: kiln.ValueError,
    message: /^fit: the generator yielded no batches in epoch 2 \(a generator is one pass over its batches: give `stepsPerEpoch`/,
  });
  await t.throwsAsync(model.fit(batches(), y as never), { instanceOf: kiln.ValueError, message: /When providing `x` as a generator, `y` should not be passed/ });
});

test.serial('stepsPerEpoch that divides a pass: each source starts a new pass without a warning, generator functions included', async (t) => {
  const { x, y } = classification();
  const warnings: string[] = [];
  const listener = (w: Error) => void warnings.push(w.message);
  process.on('warning', listener);
  const seen: string[][] = [];
  const sources: [string, (m: kiln.Model, r: Recorder) => Promise<kiln.callbacks.History>][] = [
    ['arrays', (m, r) => m.fit(x, y, { epochs: 4, stepsPerEpoch: 5, batchSize: 3, shuffle: false, verbose: 0, callbacks: [r] })],
    ['dataset', (m, r) => m.fit(Dataset.fromTensors([x, y]).batch(3), { epochs: 4, stepsPerEpoch: 5, verbose: 0, callbacks: [r] })],
    // A generator function's cardinality is unknown: the end of a pass shows only when the next epoch asks for a batch.
    [
      'generator function',
      (m, r) =>
        m.fit(
          Dataset.fromGenerator(function* () {
            for (let i = 0; i < 30; i += 3) yield [x.slice([i, 0], [3, -1]), y.slice([i], [3])];
          }),
          { epochs: 4, stepsPerEpoch: 5, verbose: 0, callbacks: [r] },
        ),
    ],
  ];
  const results = [];
  for (const [, fit] of sources) {
    const model = classifier();
    const recorder = new Recorder();
    const history = await fit(model, recorder);
    seen.push(recorder.calls.filter((c) => c.startsWith('trainBatchEnd')).map((c) => c.split(' ')[1]));
    results.push({ weights: weightsOf(model), history: history.history });
  }
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', listener);
  // Ten batches a pass, five an epoch: epochs 1 and 3 take batches 0-4 of a pass, 2 and 4 batches 5-9.
  const expected = ['0', '1', '2', '3', '4', '0', '1', '2', '3', '4', '0', '1', '2', '3', '4', '0', '1', '2', '3', '4'];
  seen.forEach((batches, i) => t.deepEqual(batches, expected, sources[i][0]));
  t.deepEqual(results[1], results[0]);
  t.deepEqual(results[2], results[0]);
  t.deepEqual(
    warnings.filter((w) => /ran out of data/.test(w)),
    [],
  );
});
