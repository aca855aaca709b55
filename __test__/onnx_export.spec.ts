// model.exportOnnx / model.export({ format: 'onnx' }): onnxruntime-node must predict what kiln
// predicts, to 1e-5, for every layer family kiln can export; and for models Keras 3 wrote
// (the saving fixtures, scripts/fixtures/keras_saving.py), what Keras predicted.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import * as kiln from 'kiln-nn';
import * as ort from 'onnxruntime-node';

const directory = mkdtempSync(join(tmpdir(), 'kiln-onnx-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

let files = 0;

interface OnnxRun {
  /** onnxruntime's outputs, in the model's output order. */
  outputs: { dims: readonly number[]; data: Float32Array }[];
  /** The file's inputs and outputs as onnxruntime reads them: `name[dims], ... -> name[dims]`. */
  signature: string;
}

/** Exports the model and runs the file in onnxruntime on the inputs. */
async function runExported(model: kiln.Model, inputs: kiln.Tensor[]): Promise<OnnxRun> {
  const path = join(directory, `model_${files++}.onnx`);
  await model.exportOnnx(path);
  const session = await ort.InferenceSession.create(path);
  const feeds = Object.fromEntries(session.inputNames.map((name, i) => [name, new ort.Tensor('float32', inputs[i].dataSync() as Float32Array, inputs[i].shape)]));
  const results = await session.run(feeds);
  const describe = (m: readonly ort.InferenceSession.ValueMetadata[]) => m.map((v) => `${v.name}${v.isTensor ? `[${v.shape.join(', ')}]` : ''}`).join(', ');
  const signature = `${describe(session.inputMetadata)} -> ${describe(session.outputMetadata)}`;
  await session.release();
  return { outputs: session.outputNames.map((name) => ({ dims: results[name].dims, data: results[name].data as Float32Array })), signature };
}

/** The largest difference between onnxruntime's outputs and the expected ones (relative above 1). */
function largestDifference(run: OnnxRun, expected: { shape: number[]; values: ArrayLike<number> }[]): number {
  if (run.outputs.length !== expected.length) throw new Error(`onnxruntime gave ${run.outputs.length} outputs, expected ${expected.length}`);
  let difference = 0;
  run.outputs.forEach((got, k) => {
    if (JSON.stringify(got.dims) !== JSON.stringify(expected[k].shape)) throw new Error(`output ${k}: onnxruntime shape [${got.dims}] vs expected [${expected[k].shape}]`);
    const want = expected[k].values;
    got.data.forEach((v, i) => (difference = Math.max(difference, Math.abs(v - want[i]) / Math.max(1, Math.abs(want[i])))));
  });
  return difference;
}

/** Exports the model, runs the file in onnxruntime and compares with kiln's predict. */
async function onnxDifference(model: kiln.Model, inputs: kiln.Tensor[]): Promise<{ difference: number; outputs: number; signature: string }> {
  const run = await runExported(model, inputs);
  const predicted = await model.predict<kiln.Tensor | kiln.Tensor[]>(inputs.length === 1 ? inputs[0] : inputs);
  const expected = (Array.isArray(predicted) ? predicted : [predicted]).map((t) => ({ shape: t.shape, values: t.dataSync() }));
  return { difference: largestDifference(run, expected), outputs: run.outputs.length, signature: run.signature };
}

/** Gives every weight random values (biases and BatchNormalization statistics included), so no part of a layer is trivially zero or one. */
function randomizeWeights(model: kiln.Model): void {
  model.setWeights(model.getWeights().map((w) => kiln.random.normal(w.shape, 0, 0.5)));
  for (const layer of model.layers) {
    if (layer instanceof kiln.layers.BatchNormalization) layer.movingVariance.assign(kiln.random.uniform(layer.movingVariance.shape, 0.5, 2));
  }
}

test('MLP with dropout: onnxruntime predicts what kiln predicts', async (t) => {
  kiln.setSeed(1);
  const pixels = kiln.Input({ shape: [4, 5], name: 'pixels' });
  let x = new kiln.layers.Flatten().apply(pixels);
  x = new kiln.layers.Dense(32, { activation: 'relu' }).apply(x);
  x = new kiln.layers.Dropout(0.3).apply(x);
  x = new kiln.layers.Dense(16, { activation: 'tanh' }).apply(x);
  const model = new kiln.Model({ inputs: pixels, outputs: new kiln.layers.Dense(10, { activation: 'softmax', name: 'classes' }).apply(x) });
  randomizeWeights(model);
  const { difference, signature } = await onnxDifference(model, [kiln.random.normal([7, 4, 5])]);
  t.true(difference < 1e-5, `largest difference ${difference}`);
  // Inputs and outputs keep the model's names; the batch axis is free.
  t.is(signature, 'pixels[batch, 4, 5] -> classes[batch, 10]');
});

const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'softmax', 'exponential', 'elu', 'selu', 'gelu', 'silu', 'swish', 'softplus', 'softsign', 'hard_sigmoid', 'leaky_relu', 'relu6', 'linear'];

test('every activation exports (as the Dense activation)', async (t) => {
  kiln.setSeed(2);
  const x = kiln.random.normal([9, 6], 0, 3);
  for (const activation of ACTIVATIONS) {
    const model = new kiln.Sequential([new kiln.layers.Dense(8, { inputShape: [6], activation })]);
    randomizeWeights(model);
    const { difference } = await onnxDifference(model, [x]);
    t.true(difference < 1e-5, `${activation}: largest difference ${difference}`);
  }
});

test('activation layers, LayerNormalization and Reshape export', async (t) => {
  kiln.setSeed(3);
  const model = new kiln.Sequential([
    new kiln.layers.Dense(12, { inputShape: [5] }),
    new kiln.layers.LayerNormalization(),
    new kiln.layers.ReLU({ maxValue: 1.5, negativeSlope: 0.1 }),
    new kiln.layers.Dense(12),
    new kiln.layers.LeakyReLU({ negativeSlope: 0.3 }),
    new kiln.layers.ELU({ alpha: 0.5 }),
    new kiln.layers.PReLU(),
    new kiln.layers.Reshape([3, 4]),
    new kiln.layers.Activation('gelu'),
    new kiln.layers.Softmax(),
  ]);
  randomizeWeights(model);
  const { difference } = await onnxDifference(model, [kiln.random.normal([6, 5], 0, 2)]);
  t.true(difference < 1e-5, `largest difference ${difference}`);
});

test('CNN with BatchNormalization and pooling (Conv2D, max, average, global)', async (t) => {
  kiln.setSeed(4);
  const model = new kiln.Sequential([
    new kiln.layers.Conv2D(6, [3, 3], { inputShape: [11, 10, 3], padding: 'same', strides: 2, activation: 'relu' }),
    new kiln.layers.BatchNormalization(),
    new kiln.layers.Conv2D(8, [2, 3], { padding: 'valid', dilationRate: [1, 2] }),
    new kiln.layers.MaxPooling2D([2, 2], { padding: 'same' }),
    new kiln.layers.AveragePooling2D([2, 1], { strides: 1 }),
    new kiln.layers.Flatten(),
    new kiln.layers.Dense(5, { activation: 'softmax' }),
  ]);
  randomizeWeights(model);
  const x = kiln.random.normal([5, 11, 10, 3]);
  const cnn = await onnxDifference(model, [x]);
  t.true(cnn.difference < 1e-5, `largest difference ${cnn.difference}`);

  const global = new kiln.Sequential([
    new kiln.layers.Conv2D(4, [3, 3], { inputShape: [9, 9, 2], padding: 'same' }),
    new kiln.layers.AveragePooling2D([3, 3], { strides: 2, padding: 'same' }),
    new kiln.layers.GlobalMaxPooling2D(),
  ]);
  randomizeWeights(global);
  const pooled = await onnxDifference(global, [kiln.random.normal([3, 9, 9, 2])]);
  t.true(pooled.difference < 1e-5, `global max pooling: largest difference ${pooled.difference}`);
});

test('Conv1D with 1-D pooling and BatchNormalization over sequences', async (t) => {
  kiln.setSeed(5);
  const model = new kiln.Sequential([
    new kiln.layers.Conv1D(6, 3, { inputShape: [20, 4], padding: 'same', activation: 'selu' }),
    new kiln.layers.BatchNormalization(),
    new kiln.layers.MaxPooling1D(2),
    new kiln.layers.Conv1D(5, 3, { strides: 2 }),
    new kiln.layers.BatchNormalization({ center: false, scale: false }),
    new kiln.layers.AveragePooling1D(2, { padding: 'same' }),
    new kiln.layers.GlobalAveragePooling1D(),
  ]);
  randomizeWeights(model);
  const { difference } = await onnxDifference(model, [kiln.random.normal([4, 20, 4])]);
  t.true(difference < 1e-5, `largest difference ${difference}`);
});

for (const [name, Recurrent] of [
  ['LSTM', kiln.layers.LSTM],
  ['GRU', kiln.layers.GRU],
  ['SimpleRNN', kiln.layers.SimpleRNN],
] as const) {
  test(`${name}: sequences, last output and goBackwards match onnxruntime's ${name === 'SimpleRNN' ? 'RNN' : name}`, async (t) => {
    kiln.setSeed(6);
    const model = new kiln.Sequential([
      new Recurrent(7, { inputShape: [6, 3], returnSequences: true }),
      new Recurrent(5, { goBackwards: true, returnSequences: true, activation: 'relu' }),
      new Recurrent(4, { goBackwards: true }),
      new kiln.layers.RepeatVector(2),
      new Recurrent(3, { activation: 'linear' }),
      new kiln.layers.Dense(2),
    ]);
    randomizeWeights(model);
    const { difference } = await onnxDifference(model, [kiln.random.normal([5, 6, 3])]);
    t.true(difference < 1e-5, `largest difference ${difference}`);
  });
}

test('multi-input Functional model with every merge layer, Embedding and two outputs', async (t) => {
  kiln.setSeed(7);
  const a = kiln.Input({ shape: [6], name: 'features_a' });
  const b = kiln.Input({ shape: [6], name: 'features_b' });
  const ids = kiln.Input({ shape: [4], name: 'token_ids' });
  const da = new kiln.layers.Dense(8, { activation: 'tanh' }).apply(a);
  const db = new kiln.layers.Dense(8, { activation: 'sigmoid' }).apply(b);
  const merges = [
    new kiln.layers.Add().apply([da, db, da]),
    new kiln.layers.Subtract().apply([da, db]),
    new kiln.layers.Multiply().apply([da, db]),
    new kiln.layers.Average().apply([da, db]),
    new kiln.layers.Maximum().apply([da, db]),
    new kiln.layers.Minimum().apply([db, da]),
  ];
  const embedded = new kiln.layers.Flatten().apply(new kiln.layers.Embedding(10, 2).apply(ids));
  const joined = new kiln.layers.Concatenate().apply([...merges, embedded]);
  const probabilities = new kiln.layers.Dense(3, { activation: 'softmax', name: 'probabilities' }).apply(joined);
  const score = new kiln.layers.Dense(1, { name: 'score' }).apply(merges[0]);
  const model = new kiln.Model({ inputs: [a, b, ids], outputs: [probabilities, score] });
  randomizeWeights(model);
  const tokens = kiln.tensor(
    Array.from({ length: 20 }, (_, i) => (i * 7) % 10),
    [5, 4],
    'float32',
  );
  const { difference, outputs } = await onnxDifference(model, [kiln.random.normal([5, 6]), kiln.random.normal([5, 6]), tokens]);
  t.is(outputs, 2);
  t.true(difference < 1e-5, `largest difference ${difference}`);
});

interface FixtureArray {
  shape: number[];
  values: number[];
}
const kerasFixtures = new URL('./fixtures/saving/', import.meta.url);
const kerasPredictions: Record<string, { inputs: FixtureArray[]; outputs: FixtureArray[] }> = JSON.parse(readFileSync(new URL('predictions.json', kerasFixtures), 'utf8'));

for (const name of Object.keys(kerasPredictions)) {
  test(`Keras' own ${name} model (.keras written by Keras 3) exports, and onnxruntime predicts what Keras predicted`, async (t) => {
    const entry = kerasPredictions[name];
    const model = await kiln.models.loadModel(fileURLToPath(new URL(`${name}.keras`, kerasFixtures)), { compile: false });
    const run = await runExported(
      model,
      entry.inputs.map((a) => kiln.tensor(Float32Array.from(a.values), a.shape)),
    );
    const difference = largestDifference(run, entry.outputs);
    t.true(difference < 1e-5, `largest difference from Keras ${difference}`);
  });
}

test('decoder layers: Conv2DTranspose, UpSampling, ZeroPadding, Cropping, Permute; training-only noise', async (t) => {
  kiln.setSeed(10);
  for (const [padding, strides, outputPadding] of [
    ['same', 2, null],
    ['valid', 2, null],
    ['valid', 3, 1],
    ['same', 2, 1],
  ] as const) {
    const model = new kiln.Sequential([
      new kiln.layers.Conv2DTranspose(3, [3, 2], { inputShape: [5, 4, 2], padding, strides, outputPadding }),
      new kiln.layers.GaussianNoise(0.5),
      new kiln.layers.UpSampling2D([2, 1], { interpolation: 'bilinear' }),
    ]);
    randomizeWeights(model);
    const { difference } = await onnxDifference(model, [kiln.random.normal([2, 5, 4, 2])]);
    t.true(difference < 1e-5, `Conv2DTranspose ${padding} strides ${strides} outputPadding ${outputPadding}: largest difference ${difference}`);
  }
  const reshaping = new kiln.Sequential([
    new kiln.layers.ZeroPadding2D(
      [
        [1, 2],
        [0, 1],
      ],
      { inputShape: [4, 5, 3] },
    ),
    new kiln.layers.UpSampling2D(2),
    new kiln.layers.Cropping2D([
      [1, 0],
      [2, 3],
    ]),
    new kiln.layers.SpatialDropout2D(0.3),
    new kiln.layers.Conv2D(2, [3, 3]),
    new kiln.layers.Reshape([-1, 2]),
    new kiln.layers.Permute([2, 1]),
    new kiln.layers.ZeroPadding1D(1),
    new kiln.layers.UpSampling1D(3),
    new kiln.layers.Cropping1D([2, 1]),
    new kiln.layers.GaussianDropout(0.2),
  ]);
  randomizeWeights(reshaping);
  const reshaped = await onnxDifference(reshaping, [kiln.random.normal([3, 4, 5, 3])]);
  t.true(reshaped.difference < 1e-5, `padding, cropping, upsampling, permute: largest difference ${reshaped.difference}`);
});

test('Dot and RepeatVector', async (t) => {
  kiln.setSeed(11);
  const a = kiln.Input({ shape: [5] });
  const b = kiln.Input({ shape: [5] });
  const sequenceA = new kiln.layers.RepeatVector(3).apply(new kiln.layers.Dense(4).apply(a));
  const sequenceB = new kiln.layers.RepeatVector(3).apply(new kiln.layers.Dense(4).apply(b));
  const similarity = new kiln.layers.Dot([2, 2]).apply([sequenceA, sequenceB]);
  const cosine = new kiln.layers.Dot(1, { normalize: true }).apply([a, b]);
  const model = new kiln.Model({ inputs: [a, b], outputs: [similarity, cosine] });
  randomizeWeights(model);
  const { difference } = await onnxDifference(model, [kiln.random.normal([4, 5]), kiln.random.normal([4, 5])]);
  t.true(difference < 1e-5, `largest difference ${difference}`);
});

/** A custom layer built from kiln.ops, as users write them (API.md's example, plus reductions). */
class CenteredProjection extends kiln.layers.Layer {
  w!: kiln.Variable;
  b!: kiln.Variable;
  build(inputShape: number[]) {
    this.w = this.addWeight({ shape: [inputShape[inputShape.length - 1], 4], initializer: 'uniform', name: 'w' });
    this.b = this.addWeight({ shape: [4], initializer: 'uniform', name: 'b' });
  }
  call(inputs: kiln.Tensor) {
    const projected = kiln.ops.add(kiln.ops.matmul(inputs, this.w), this.b);
    const centered = kiln.ops.sub(projected, kiln.ops.mean(projected, -1, true));
    const scale = kiln.ops.sqrt(kiln.ops.add(kiln.ops.sum(kiln.ops.square(centered), -1, true), 1));
    return kiln.ops.div(kiln.ops.add(centered, kiln.ops.max(kiln.ops.abs(kiln.ops.negative(inputs)), -1, true)), scale);
  }
}

test('custom layers built from kiln.ops export too', async (t) => {
  kiln.setSeed(9);
  const model = new kiln.Sequential([new kiln.layers.Dense(6, { inputShape: [5], activation: 'elu' }), new CenteredProjection(), new kiln.layers.Activation('exponential')]);
  randomizeWeights(model);
  const { difference } = await onnxDifference(model, [kiln.random.normal([8, 5])]);
  t.true(difference < 1e-5, `largest difference ${difference}`);
});

test('model.export(path, { format: "onnx" }) writes the same file; other formats are refused', async (t) => {
  kiln.setSeed(8);
  const model = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [2] })]);
  const [first, second] = [join(directory, 'a.onnx'), join(directory, 'b.onnx')];
  await model.exportOnnx(first);
  await model.export(second, { format: 'onnx' });
  t.deepEqual(readFileSync(first), readFileSync(second));
  await t.throwsAsync(model.export(second, { format: 'tf_saved_model' as 'onnx' }), { instanceOf: kiln.ValueError, message: /Unrecognized format="tf_saved_model"/ });
});

/** A layer recording an operation the ONNX exporter does not know (as a future or third-party op would). */
class UnknownOperation extends kiln.layers.Layer {
  call(inputs: kiln.SymbolicTensor) {
    return new kiln.SymbolicTensor(inputs.shape, { op: 'fourier_transform' }, [inputs], this.name);
  }
}

test('a layer whose operation has no ONNX converter is named in the error', async (t) => {
  const input = kiln.Input({ shape: [4] });
  const hidden = new kiln.layers.Dense(4).apply(input);
  const model = new kiln.Model({ inputs: input, outputs: new UnknownOperation({ name: 'spectrum' }).apply(hidden) });
  await t.throwsAsync(model.exportOnnx(join(directory, 'unknown_operation.onnx')), {
    instanceOf: kiln.ValueError,
    message: `Layer "spectrum" (UnknownOperation) cannot be exported to ONNX: its operation 'fourier_transform' has no ONNX converter`,
  });
});

test('a recurrent layer reading a mask, given an initialState or returning its states is refused, not exported without them', async (t) => {
  const tokens = kiln.Input({ shape: [6], dtype: 'int32' });
  const masked = new kiln.Model(tokens, new kiln.layers.LSTM(3, { name: 'masked_lstm' }).apply(new kiln.layers.Embedding(10, 4, { maskZero: true }).apply(tokens)));
  await t.throwsAsync(masked.exportOnnx(join(directory, 'masked.onnx')), { instanceOf: kiln.ValueError, message: /Layer "masked_lstm" cannot be exported to ONNX yet: it reads a mask/ });
  const sequence = kiln.Input({ shape: [5, 2] });
  const h = kiln.Input({ shape: [3] });
  const seeded = new kiln.Model([sequence, h], new kiln.layers.GRU(3, { name: 'seeded_gru' }).apply(sequence, { initialState: [h] }) as kiln.SymbolicTensor);
  await t.throwsAsync(seeded.exportOnnx(join(directory, 'seeded.onnx')), {
    instanceOf: kiln.ValueError,
    message: /Layer "seeded_gru" cannot be exported to ONNX yet: it is called with an initialState/,
  });
  const states = new kiln.layers.SimpleRNN(3, { returnState: true, name: 'stating_rnn' }).apply(sequence) as unknown as kiln.SymbolicTensor[];
  const stating = new kiln.Model(sequence, states);
  await t.throwsAsync(stating.exportOnnx(join(directory, 'stating.onnx')), { instanceOf: kiln.ValueError, message: /Layer "stating_rnn" cannot be exported to ONNX yet: it returns its states/ });
});

test('bad exports fail with a clear error and leave existing files as they were', async (t) => {
  const unbuilt = new kiln.Sequential([new kiln.layers.Dense(3)]);
  await t.throwsAsync(unbuilt.exportOnnx(join(directory, 'unbuilt.onnx')), { instanceOf: kiln.ValueError, message: /cannot be exported before it is built/ });
  // Built by its first data, it exports.
  const x = kiln.random.normal([2, 5]);
  await unbuilt.predict(x);
  t.true((await onnxDifference(unbuilt, [x])).difference < 1e-5);

  const unknown = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [2] }), new UnknownOperation({ name: 'spectrum' })]);
  const existing = join(directory, 'existing.onnx');
  writeFileSync(existing, 'previous contents');
  await t.throwsAsync(unknown.exportOnnx(existing), { instanceOf: kiln.ValueError, message: /Layer "spectrum" \(UnknownOperation\) cannot be exported/ });
  t.is(readFileSync(existing, 'utf8'), 'previous contents');

  const model = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [2] })]);
  const own = mkdtempSync(join(directory, 'atomic-'));
  const existing2 = join(own, 'model.onnx');
  writeFileSync(existing2, 'previous contents');
  await t.throwsAsync(model.exportOnnx(join(directory, 'missing', 'model.onnx')), { instanceOf: kiln.FileFormatError, message: /Cannot save to .*missing.*does not exist/ });
  await model.exportOnnx(existing2);
  t.not(readFileSync(existing2, 'utf8'), 'previous contents');
  t.deepEqual(readdirSync(own), ['model.onnx'], 'no temporary file left behind');
});
