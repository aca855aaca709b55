import test from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

// Made by scripts/fixtures/keras_data_utils.py with Keras 3.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_data_utils.json', import.meta.url), 'utf8'));

function closeTo(t: import('ava').ExecutionContext, got: number[], expected: number[], tolerance: number, what: string) {
  t.is(got.length, expected.length, `${what}: length`);
  let worst = 0;
  got.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - expected[i]))));
  t.true(worst <= tolerance, `${what}: largest difference ${worst}`);
}

async function elements(ds: kiln.data.Dataset): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const e of ds) out.push(e instanceof kiln.Tensor ? e.toArray() : (e as kiln.Tensor[]).map((part) => part.toArray()));
  return out;
}

test('normalize matches keras.utils.normalize for L1, L2, L3 and max norms along any axis', (t) => {
  for (const group of [fixture.normalize, fixture.normalize3d]) {
    for (const { axis, order, expected } of group.cases) {
      const got = kiln.utils.normalize(kiln.tensor(group.x), axis, order === 'inf' ? Infinity : order);
      t.is(got.dtype, 'float32');
      closeTo(t, Array.from(got.dataSync()), (expected as number[]).flat(2), 1e-6, `axis ${axis}, order ${order}`);
    }
  }
  // A zero row stays zero instead of becoming NaN.
  t.deepEqual(kiln.utils.normalize([[0, 0]]).toArray(), [[0, 0]]);
  t.throws(() => kiln.utils.normalize([[1, 2]], 2), { instanceOf: kiln.ValueError, message: /axis 2 is out of bounds for an array of rank 2/ });
});

test('padSequences matches keras.utils.pad_sequences for padding, truncating, value and dtype', (t) => {
  const { sequences, cases, vectors, vectorsExpected } = fixture.padSequences;
  for (const { options, expected } of cases) {
    const got = kiln.utils.padSequences(sequences, options);
    t.is(got.dtype, options.dtype ?? 'int32');
    t.deepEqual(got.toArray(), expected, JSON.stringify(options));
  }
  const padded = kiln.utils.padSequences(vectors, { maxlen: 2, padding: 'post' });
  t.deepEqual(padded.shape, [3, 2, 2]);
  t.deepEqual(padded.toArray(), vectorsExpected);
  t.deepEqual(kiln.utils.padSequences([new Int32Array([5, 6]), [7]]).toArray(), [
    [5, 6],
    [0, 7],
  ]);
  t.throws(() => kiln.utils.padSequences([[1]], { padding: 'middle' as 'pre' }), { instanceOf: kiln.ValueError, message: /Padding type "middle" not understood/ });
  t.throws(() => kiln.utils.padSequences([[1], 2 as unknown as number[]]), { instanceOf: kiln.ValueError, message: /non-iterable: 2 at position 1/ });
  t.throws(() => kiln.utils.padSequences([[[1, 2]], [[1, 2, 3]]]), { instanceOf: kiln.ValueError, message: /sequence at position 1 is different from expected shape \(2,\)/ });
});

test("the shuffles of Keras' loaders and split_dataset come out in numpy's and Python's order", async (t) => {
  // splitDataset({ shuffle, seed }) uses Python's random.shuffle; the loaders numpy's RandomState.
  for (const { n, seed, permutation } of fixture.pythonShuffle) {
    const [left, right] = await kiln.utils.splitDataset(
      kiln.tensor(
        Array.from({ length: n }, (_, i) => i),
        [n],
        'int32',
      ),
      { leftSize: n - 1, shuffle: true, seed },
    );
    t.deepEqual([...(await elements(left)), ...(await elements(right))], permutation, `python n=${n} seed=${seed}`);
  }
  const [numpyCase] = fixture.numpyShuffle;
  // 11 steps, windows of 2: start positions 0..9, shuffled as RandomState(113).shuffle(arange(10)).
  const windows = await kiln.utils.timeseriesDatasetFromArray(kiln.tensor(Array.from({ length: 11 }, (_, i) => i)), null, 2, { shuffle: true, seed: numpyCase.seed, batchSize: null }).toArray();
  t.is(numpyCase.n, 10);
  t.deepEqual(
    windows.map((w) => (w as kiln.Tensor).dataSync()[0]),
    numpyCase.permutation,
  );
});

test('splitDataset matches keras.utils.split_dataset on arrays and on a Dataset', async (t) => {
  const { data, labels, cases } = fixture.splitDataset;
  const x = kiln.tensor(data);
  const y = kiln.tensor(labels, undefined, 'int32');
  for (const { options, left, right } of cases) {
    const kilnOptions = { leftSize: options.left_size, rightSize: options.right_size, shuffle: options.shuffle, seed: options.seed };
    const [l, r] = await kiln.utils.splitDataset([x, y], kilnOptions);
    t.deepEqual(await elements(l), left, JSON.stringify(options));
    t.deepEqual(await elements(r), right, JSON.stringify(options));
    t.is(l.cardinality(), left.length);
    const [dl, dr] = await kiln.utils.splitDataset(kiln.data.Dataset.fromTensors([x, y]), kilnOptions);
    t.deepEqual(await elements(dl), left);
    t.deepEqual(await elements(dr), right);
  }
  await t.throwsAsync(kiln.utils.splitDataset(x, {}), { instanceOf: kiln.ValueError, message: /At least one of the `leftSize` or `rightSize`/ });
  await t.throwsAsync(kiln.utils.splitDataset(x, { leftSize: 10 }), { instanceOf: kiln.ValueError, message: /positive integer smaller than 10/ });
  await t.throwsAsync(kiln.utils.splitDataset(x, { leftSize: 0.6, rightSize: 0.6 }), { instanceOf: kiln.ValueError, message: /greater than 1/ });
  await t.throwsAsync(kiln.utils.splitDataset(x, { leftSize: 0.01 }), { instanceOf: kiln.ValueError, message: /left side dataset split will be empty/ });
});

test('timeseriesDatasetFromArray matches keras.utils.timeseries_dataset_from_array', async (t) => {
  const { data, targets, cases } = fixture.timeseries;
  for (const { options, batches, inputsOnly } of cases) {
    const kilnOptions = {
      sequenceStride: options.sequence_stride,
      samplingRate: options.sampling_rate,
      batchSize: options.batch_size,
      startIndex: options.start_index,
      endIndex: options.end_index,
    };
    const withTargets = kiln.utils.timeseriesDatasetFromArray(kiln.tensor(data), kiln.tensor(targets, undefined, 'int32'), options.sequence_length, kilnOptions);
    t.deepEqual(await elements(withTargets), batches, JSON.stringify(options));
    t.is(withTargets.cardinality(), batches.length);
    const alone = kiln.utils.timeseriesDatasetFromArray(kiln.tensor(data), null, options.sequence_length, kilnOptions);
    t.deepEqual(await elements(alone), inputsOnly);
  }
  // Shuffled with a seed: the same windows, in a repeatable order.
  const shuffled = kiln.utils.timeseriesDatasetFromArray(kiln.tensor(data), kiln.tensor(targets), 4, { shuffle: true, seed: 9, batchSize: 5 });
  const firstPass = await elements(shuffled);
  t.deepEqual(await elements(kiln.utils.timeseriesDatasetFromArray(kiln.tensor(data), kiln.tensor(targets), 4, { shuffle: true, seed: 9, batchSize: 5 })), firstPass);
  const starts = firstPass.flatMap((batch) => (batch as number[][][][])[0].map((window) => window[0][0] / 2)).sort((a, b) => a - b);
  t.deepEqual(
    starts,
    Array.from({ length: 12 }, (_, i) => i),
  );
  t.throws(() => kiln.utils.timeseriesDatasetFromArray(kiln.tensor(data), null, 3, { samplingRate: 0 }), { instanceOf: kiln.ValueError, message: /`samplingRate` must be higher than 0/ });
  t.throws(() => kiln.utils.timeseriesDatasetFromArray(kiln.tensor(data), null, 3, { endIndex: 15 }), { instanceOf: kiln.ValueError, message: /`endIndex` must be lower than the length of the data/ });
});

test('a timeseries dataset trains a model through fit', async (t) => {
  // Predict the next value of a sine wave from the previous 8.
  const steps = 400;
  const wave = Float32Array.from({ length: steps }, (_, i) => Math.sin(i / 6));
  const next = Float32Array.from({ length: steps }, (_, i) => Math.sin((i + 8) / 6));
  kiln.setSeed(11);
  const dataset = kiln.utils.timeseriesDatasetFromArray(kiln.tensor(wave, [steps, 1]), kiln.tensor(next, [steps, 1]), 8, { batchSize: 32, endIndex: steps - 8 });
  const model = new kiln.Sequential([new kiln.layers.Flatten({ inputShape: [8, 1] }), new kiln.layers.Dense(16, { activation: 'tanh' }), new kiln.layers.Dense(1)]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.01 }), loss: 'mse' });
  const history = await model.fit(dataset, { epochs: 15, verbose: 0 });
  const losses = history.history.loss;
  t.true(losses[losses.length - 1] < 0.01 && losses[losses.length - 1] < losses[0] / 5, `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
});
