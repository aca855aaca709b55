// The convolution variants through the public API beyond the Keras fixture
// (keras_conv_variants.spec.ts): both constructor forms, refused options and shapes,
// getConfig, kiln's own save and load, eager ops, gradients against finite differences,
// a short training run, and ONNX export checked by onnxruntime.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import * as kiln from 'kiln-nn';
import * as ort from 'onnxruntime-node';
import { checkGradients } from './helpers/finite_differences.js';
import { findKerasPython, pythonEnv } from './helpers/python.js';

const L = kiln.layers;
const directory = mkdtempSync(join(tmpdir(), 'kiln-conv-variants-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

function data(shape: number[], phase = 0): kiln.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return kiln.tensor(
    Float32Array.from({ length: size }, (_, j) => Math.cos(0.83 * j + phase) * (0.6 + 0.4 * Math.sin(0.29 * j))),
    shape,
  );
}

test('both constructor forms build the same layer, with Keras weight names and shapes', (t) => {
  const pairs: [kiln.layers.Layer, kiln.layers.Layer, number[], string[]][] = [
    [new L.DepthwiseConv2D(3, { depthMultiplier: 2 }), new L.DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2 }), [6, 6, 4], ['kernel:3,3,4,2', 'bias:8']],
    [new L.DepthwiseConv1D(5, { useBias: false }), new L.DepthwiseConv1D({ kernelSize: 5, useBias: false }), [9, 3], ['kernel:5,3,1']],
    [
      new L.SeparableConv2D(6, [3, 2], { depthMultiplier: 2 }),
      new L.SeparableConv2D({ filters: 6, kernelSize: [3, 2], depthMultiplier: 2 }),
      [6, 6, 4],
      ['depthwise_kernel:3,2,4,2', 'pointwise_kernel:1,1,8,6', 'bias:6'],
    ],
    [new L.SeparableConv1D(4, 3), new L.SeparableConv1D({ filters: 4, kernelSize: 3 }), [9, 3], ['depthwise_kernel:3,3,1', 'pointwise_kernel:1,3,4', 'bias:4']],
    [new L.Conv1DTranspose(4, 3, { strides: 2 }), new L.Conv1DTranspose({ filters: 4, kernelSize: 3, strides: 2 }), [5, 3], ['kernel:3,4,3', 'bias:4']],
    [new L.Conv2D(6, 3, { groups: 3 }), new L.Conv2D(6, 3, { groups: 3 }), [6, 6, 9], ['kernel:3,3,3,6', 'bias:6']],
    [new L.Conv3D(4, [2, 3, 3], { groups: 2 }), new L.Conv3D({ filters: 4, kernelSize: [2, 3, 3], groups: 2 }), [4, 6, 6, 2], ['kernel:2,3,3,1,4', 'bias:4']],
    [new L.Conv3DTranspose(2, 3, { strides: 2 }), new L.Conv3DTranspose({ filters: 2, kernelSize: 3, strides: 2 }), [4, 6, 6, 5], ['kernel:3,3,3,2,5', 'bias:2']],
  ];
  for (const [positional, object, inputShape, weights] of pairs) {
    positional.build([null, ...inputShape]);
    object.build([null, ...inputShape]);
    const names = (l: kiln.layers.Layer) => l.weights.map((w) => `${w.name}:${w.shape}`);
    t.deepEqual(names(positional), weights, positional.constructor.name);
    t.deepEqual(names(object), weights, object.constructor.name);
    t.deepEqual({ ...object.getConfig(), name: '' }, { ...positional.getConfig(), name: '' });
  }
});

test('unknown options, bad values and mismatched shapes are refused in Keras words', (t) => {
  t.throws(() => new L.DepthwiseConv2D(3, { filters: 4 } as never), { instanceOf: kiln.ValueError, message: /DepthwiseConv2D: unknown option 'filters'/ });
  t.throws(() => new L.SeparableConv2D({ filters: 4, kernelSize: 3, groups: 2 } as never), { instanceOf: kiln.ValueError, message: /'groups'/ });
  t.throws(() => new L.Conv2DTranspose(4, 3, { groups: 2 } as never), { instanceOf: kiln.ValueError, message: /'groups'/ });
  t.throws(() => new L.DepthwiseConv2D(3, { depthMultiplier: 0 }), { instanceOf: kiln.ValueError, message: /depth_multiplier=0/ });
  t.throws(() => new L.Conv2D(6, 3, { groups: 4 }), { instanceOf: kiln.ValueError, message: /filters must be evenly divisible by the number of groups. Received: groups=4, filters=6/ });
  t.throws(() => new L.Conv2D(6, 3, { groups: 0 }), { instanceOf: kiln.ValueError, message: /groups must be a positive integer/ });
  const inputs = kiln.Input({ shape: [6, 6, 4] });
  t.throws(() => new L.Conv2D(6, 3, { groups: 3 }).apply(inputs), {
    instanceOf: kiln.ValueError,
    message: /input channels must be evenly divisible by the number of groups. Received groups=3, but the input has 4 channels/,
  });
  t.throws(() => new L.Conv1DTranspose(4, 3, { strides: 2, outputPadding: 2 }), { instanceOf: kiln.ValueError, message: /strictly less than the corresponding `strides`/ });
  t.throws(() => new L.DepthwiseConv2D(3).apply(kiln.Input({ shape: [6, 4] })), { instanceOf: kiln.ShapeError, message: /expected ndim=4, found ndim=3/ });
  t.throws(() => kiln.ops.depthwiseConv(data([1, 5, 5, 3]), data([3, 3, 2, 1])), { instanceOf: kiln.ShapeError, message: /expects 2 input channels/ });
  t.throws(() => new L.DepthwiseConv1D(3).apply(kiln.Input({ shape: [2, 4] })), {
    instanceOf: kiln.ShapeError,
    message: /^Layer "depthwise_conv1d[_0-9]*": the window of size 3 is larger than the input axis of length 2 with padding 'valid' \(input shape \[null, 2, 4\]\)$/,
  });
  t.throws(() => new L.Conv3D(4, 3).apply(kiln.Input({ shape: [6, 6, 3] })), { instanceOf: kiln.ShapeError, message: /expected ndim=5, found ndim=4/ });
  t.throws(() => new L.ZeroPadding3D([1, 2]), { instanceOf: kiln.ValueError, message: /`padding` should be either an int, a tuple of 3 ints/ });
});

test('getConfig rebuilds an equivalent layer and names options as Keras does', (t) => {
  const layers: kiln.layers.Layer[] = [
    new L.DepthwiseConv2D([3, 2], { depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu', useBias: false, depthwiseRegularizer: kiln.regularizers.l2(0.01) }),
    new L.DepthwiseConv1D(3, { dilationRate: 2 }),
    new L.SeparableConv2D(4, 3, { depthMultiplier: 3, pointwiseConstraint: kiln.constraints.maxNorm(2) }),
    new L.SeparableConv1D(2, 5, { strides: 2, padding: 'same' }),
    new L.Conv1DTranspose(3, 4, { strides: 2, outputPadding: 1 }),
    new L.Conv3D(4, [2, 3, 3], { groups: 2, strides: [1, 2, 2], padding: 'same' }),
    new L.Conv3DTranspose(2, 3, { strides: 2, outputPadding: [1, 0, 1] }),
    new L.MaxPooling3D([2, 2, 1], { padding: 'same' }),
    new L.AveragePooling3D({ poolSize: 3, strides: 1 }),
    new L.ZeroPadding3D([[1, 0], 2, [0, 3]]),
    new L.Cropping3D(2),
    new L.UpSampling3D([1, 2, 3]),
    new L.GlobalAveragePooling3D({ keepdims: true }),
  ];
  for (const layer of layers) {
    const config = layer.getConfig();
    const Cls = layer.constructor as new (config: kiln.layers.LayerConfig) => kiln.layers.Layer;
    const rebuilt = new Cls({ ...config, name: `${layer.name}_copy` });
    t.deepEqual({ ...rebuilt.getConfig(), name: layer.name }, config, layer.constructor.name);
  }
  t.like(layers[0].getConfig(), { kernelSize: [3, 2], depthMultiplier: 2, strides: [2, 2], padding: 'same', activation: 'relu', useBias: false, depthwiseRegularizer: { className: 'L2' } });
  t.like(layers[4].getConfig(), { filters: 3, kernelSize: [4], strides: [2], outputPadding: [1] });
  t.like(layers[5].getConfig(), { filters: 4, kernelSize: [2, 3, 3], groups: 2, strides: [1, 2, 2], padding: 'same' });
  t.like(layers[9].getConfig(), {
    padding: [
      [1, 0],
      [2, 2],
      [0, 3],
    ],
  });
  t.like(layers[10].getConfig(), {
    cropping: [
      [2, 2],
      [2, 2],
      [2, 2],
    ],
  });
  const grouped = new L.Conv2D(8, 3, { groups: 4 });
  const { filters, kernelSize, ...options } = grouped.getConfig() as kiln.layers.LayerConfig & { filters: number; kernelSize: number[] };
  t.deepEqual({ ...new L.Conv2D(filters, kernelSize as [number, number], { ...options, name: 'copy' }).getConfig(), name: grouped.name }, grouped.getConfig());
  t.like(grouped.getConfig(), { groups: 4 });
  t.false('groups' in new L.Conv2DTranspose(2, 3).getConfig(), 'Conv2DTranspose has no groups in Keras');
});

/** Every variant in one model with random weights (biases too), compiled so it saves whole. */
function variantsModel(): kiln.Model {
  const inputs = kiln.Input({ shape: [8, 8, 4] });
  let x = new L.DepthwiseConv2D(3, { depthMultiplier: 2, padding: 'same', activation: 'relu' }).apply(inputs);
  x = new L.SeparableConv2D(6, 3, { strides: 2, padding: 'same' }).apply(x);
  x = new L.Conv2D(6, 3, { groups: 3, padding: 'same' }).apply(x);
  x = new L.Conv2D(6, 2, { groups: 6 }).apply(x);
  x = new L.Reshape([-1, 6]).apply(x);
  x = new L.DepthwiseConv1D(2, { depthMultiplier: 2 }).apply(x);
  x = new L.SeparableConv1D(4, 2, { padding: 'same' }).apply(x);
  x = new L.Conv1DTranspose(2, 3, { strides: 2, outputPadding: 1 }).apply(x);
  const model = new kiln.Model({ inputs, outputs: x });
  model.setWeights(model.getWeights().map((w) => kiln.random.normal(w.shape, 0, 0.5)));
  model.compile({ optimizer: 'adam', loss: 'mse' });
  return model;
}

test('a model of the variants saved by kiln loads back (.keras and .h5) and predicts the same', async (t) => {
  kiln.setSeed(3);
  const model = variantsModel();
  const input = kiln.random.normal([2, 8, 8, 4]);
  const expected = (await model.predict(input)).dataSync();
  for (const ext of ['keras', 'h5']) {
    const file = join(directory, `variants.${ext}`);
    await model.save(file);
    const loaded = await kiln.models.loadModel(file);
    t.deepEqual(
      loaded.layers.map((l) => l.constructor.name),
      model.layers.map((l) => l.constructor.name),
    );
    const got = (await loaded.predict(input)).dataSync();
    t.true(
      got.every((v, i) => Math.abs(v - expected[i]) < 1e-6),
      ext,
    );
  }
});

test("Keras loads kiln's .keras and .h5 files of the variants and predicts the same", async (t) => {
  const lookup = findKerasPython();
  if (!lookup.python) {
    t.log(`skipped: ${lookup.reason}`);
    t.pass();
    return;
  }
  kiln.setSeed(4);
  const model = variantsModel();
  const input = kiln.random.normal([2, 8, 8, 4]);
  const expected = (await model.predict(input)).dataSync();
  const files = ['keras', 'h5'].map((ext) => join(directory, `for_keras.${ext}`));
  for (const file of files) await model.save(file);
  const manifest = join(directory, 'manifest.json');
  writeFileSync(manifest, JSON.stringify(files.map((file) => ({ file, inputs: [{ shape: input.shape, values: Array.from(input.dataSync()) }] }))));
  const run = spawnSync(lookup.python, [fileURLToPath(new URL('./helpers/keras_predict.py', import.meta.url)), manifest], { encoding: 'utf8', env: pythonEnv, maxBuffer: 1 << 26 });
  t.is(run.status, 0, run.stderr.slice(-2000));
  const results = JSON.parse(run.stdout.trim().split('\n').pop()!) as { outputs?: { shape: number[]; values: number[] }[]; error?: string }[];
  files.forEach((file, k) => {
    t.is(results[k].error, undefined, `Keras could not load ${file}`);
    const values = results[k].outputs?.[0].values ?? [];
    t.is(values.length, expected.length);
    const difference = Math.max(...values.map((v, i) => Math.abs(v - expected[i])));
    t.true(difference < 1e-5, `${file}: Keras' prediction differs by ${difference}`);
  });
});

test('the ops run eagerly: a depthwise convolution is the grouped one with groups = channels', (t) => {
  const x = data([2, 5, 5, 3]);
  const kernel = data([3, 3, 3, 2], 0.5);
  const depthwise = kiln.ops.depthwiseConv(x, kernel, { padding: 'same' });
  const grouped = kiln.ops.conv(x, kernel.reshape([3, 3, 1, 6]), { padding: 'same', groups: 3 });
  t.deepEqual(depthwise.shape, [2, 5, 5, 6]);
  t.deepEqual(Array.from(depthwise.dataSync()), Array.from(grouped.dataSync()));
  // Output channel c * 2 + m sees input channel c only: the first of x's channels alone.
  const first = kiln.ops.conv(x.slice([0, 0, 0, 0], [2, 5, 5, 1]), kernel.slice([0, 0, 0, 0], [3, 3, 1, 2]), { padding: 'same' });
  const d = depthwise.dataSync();
  const f = first.dataSync();
  for (let p = 0; p < 50; p++) for (let m = 0; m < 2; m++) t.true(Math.abs(d[p * 6 + m] - f[p * 2 + m]) < 1e-5);
  const sequence = kiln.ops.convTranspose(data([1, 4, 2]), data([3, 5, 2]), { strides: 2, padding: 'same' });
  t.deepEqual(sequence.shape, [1, 8, 5]);
});

class Scale extends kiln.layers.Layer {
  w!: kiln.Variable;
  build(inputShape: kiln.Shape) {
    this.w = this.addWeight({ shape: inputShape.slice(1) as number[], initializer: 'ones', name: 'scale' });
  }
  call(inputs: kiln.layers.LayerInput) {
    return kiln.ops.mul(inputs, this.w);
  }
}

/** Layers applied one after another, as one layer (for gradient checks of shape-only layers). */
class Chain extends kiln.layers.Layer {
  constructor(readonly chain: kiln.layers.Layer[]) {
    super();
  }
  call(inputs: kiln.layers.LayerInput) {
    return this.chain.reduce<kiln.layers.LayerOutput>((x, layer) => layer.apply(x as kiln.layers.LayerInput) as kiln.layers.LayerOutput, inputs);
  }
}

const gradientCases: [string, number[], () => kiln.layers.Layer][] = [
  ['DepthwiseConv2D 2x2 same, strides 2, depthMultiplier 2, tanh', [3, 3, 2], () => new L.DepthwiseConv2D(2, { strides: 2, padding: 'same', depthMultiplier: 2, activation: 'tanh' })],
  ['DepthwiseConv2D 2x2 valid, dilation 2', [3, 3, 2], () => new L.DepthwiseConv2D(2, { dilationRate: 2 })],
  ['DepthwiseConv1D 3 same, depthMultiplier 2', [4, 2], () => new L.DepthwiseConv1D(3, { padding: 'same', depthMultiplier: 2 })],
  ['SeparableConv2D 2x2 valid, depthMultiplier 2', [3, 3, 2], () => new L.SeparableConv2D(2, 2, { depthMultiplier: 2 })],
  ['SeparableConv1D 3 same, strides 2', [4, 2], () => new L.SeparableConv1D(2, 3, { strides: 2, padding: 'same' })],
  ['Conv2D groups 2, 2x2', [3, 3, 4], () => new L.Conv2D(2, 2, { groups: 2 })],
  ['Conv1D groups 2, 2 same', [3, 4], () => new L.Conv1D(4, 2, { groups: 2, padding: 'same' })],
  ['Conv1DTranspose 3 same, strides 2', [3, 2], () => new L.Conv1DTranspose(2, 3, { strides: 2, padding: 'same' })],
  ['Conv3D 2x2x2 same, strides 2, groups 2', [3, 2, 3, 2], () => new L.Conv3D(2, 2, { strides: 2, padding: 'same', groups: 2 })],
  ['Conv3DTranspose 2x1x2 valid, strides 2', [2, 2, 2, 1], () => new L.Conv3DTranspose(1, [2, 1, 2], { strides: 2 })],
  ['MaxPooling3D 2 same', [3, 2, 3, 1], () => new L.MaxPooling3D(2, { padding: 'same' })],
  ['AveragePooling3D [2, 1, 2] same, strides 1', [3, 2, 3, 1], () => new L.AveragePooling3D([2, 1, 2], { padding: 'same', strides: 1 })],
  ['ZeroPadding3D then Cropping3D then UpSampling3D', [2, 2, 2, 1], () => new Chain([new L.ZeroPadding3D([1, 0, [0, 1]]), new L.Cropping3D([[0, 1], [1, 0], 0]), new L.UpSampling3D([2, 1, 1])])],
];

for (const [name, shape, make] of gradientCases) {
  test(`${name}: gradients match finite differences`, async (t) => {
    const inputs = kiln.Input({ shape });
    const outputs = make().apply(new Scale().apply(inputs));
    const model = new kiln.Model({ inputs, outputs });
    const outShape = outputs.shape.slice(1) as number[];
    await checkGradients(t, model, data([3, ...shape]), data([3, ...outShape], 1), 'mse');
  });
}

/** 8x8 images holding one stripe, across (class 0) or down (class 1), at a random place, on noise. */
function stripes(n: number): [kiln.Tensor, kiln.Tensor] {
  const images = new Float32Array(n * 64);
  const labels = new Float32Array(n);
  const noise = kiln.random.uniform([n * 64], 0, 0.5).dataSync();
  const places = kiln.random.randint(0, 8, [n]).dataSync();
  const classes = kiln.random.randint(0, 2, [n]).dataSync();
  for (let i = 0; i < n; i++) {
    labels[i] = classes[i];
    for (let p = 0; p < 64; p++) {
      const [row, column] = [Math.floor(p / 8), p % 8];
      images[i * 64 + p] = noise[i * 64 + p] + ((classes[i] === 0 ? row : column) === places[i] ? 1 : 0);
    }
  }
  return [kiln.tensor(images, [n, 8, 8, 1]), kiln.tensor(labels, [n, 1])];
}

test('a small SeparableConv2D model learns to tell horizontal from vertical stripes', async (t) => {
  kiln.setSeed(5);
  const [x, y] = stripes(128);
  const [xTest, yTest] = stripes(64);
  const model = new kiln.Sequential([
    new L.SeparableConv2D(8, 3, { inputShape: [8, 8, 1], padding: 'same', activation: 'relu', depthMultiplier: 4 }),
    new L.DepthwiseConv2D(3, { strides: 2, activation: 'relu' }),
    new L.GlobalMaxPooling2D(),
    new L.Dense(1, { activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.02 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const [lossBefore] = await model.evaluate(xTest, yTest, { verbose: 0 });
  await model.fit(x, y, { epochs: 10, batchSize: 16, verbose: 0 });
  const [lossAfter, accuracy] = await model.evaluate(xTest, yTest, { verbose: 0 });
  t.log(`held-out accuracy ${accuracy}, loss ${lossBefore} -> ${lossAfter}`);
  t.true(accuracy >= 0.9, `held-out accuracy ${accuracy}`);
  t.true(lossAfter < 0.5 * lossBefore, `held-out loss ${lossBefore} -> ${lossAfter}`);
});

test('exported to ONNX (Conv with group; 3-D Conv, ConvTranspose and pooling), onnxruntime predicts what kiln predicts', async (t) => {
  kiln.setSeed(8);
  const inputs = kiln.Input({ shape: [7, 6, 4] });
  let x = new L.DepthwiseConv2D(3, { depthMultiplier: 2, padding: 'same', activation: 'relu' }).apply(inputs);
  x = new L.SeparableConv2D(6, 3, { strides: 2, padding: 'same' }).apply(x);
  x = new L.Conv2D(6, 2, { groups: 3 }).apply(x);
  const model2d = new kiln.Model({ inputs, outputs: x });
  const sequence = kiln.Input({ shape: [9, 3] });
  let s = new L.DepthwiseConv1D(3, { depthMultiplier: 2 }).apply(sequence);
  s = new L.SeparableConv1D(4, 3, { padding: 'same' }).apply(s);
  s = new L.Conv1D(4, 3, { groups: 2 }).apply(s);
  s = new L.Conv1DTranspose(2, 3, { strides: 2, padding: 'same' }).apply(s);
  const model1d = new kiln.Model({ inputs: sequence, outputs: s });
  const volume = kiln.Input({ shape: [5, 6, 4, 3] });
  let v = new L.Conv3D(4, 3, { padding: 'same', strides: [2, 1, 2], activation: 'relu' }).apply(volume);
  v = new L.Conv3D(4, 2, { groups: 2 }).apply(v);
  v = new L.Conv3DTranspose(2, [2, 3, 2], { strides: 2, padding: 'same', outputPadding: [1, 0, 1] }).apply(v);
  v = new L.AveragePooling3D(2, { padding: 'same' }).apply(new L.MaxPooling3D([1, 2, 1]).apply(v));
  v = new L.UpSampling3D([1, 2, 1]).apply(new L.Cropping3D([0, 1, [1, 0]]).apply(new L.ZeroPadding3D(1).apply(v)));
  const model3d = new kiln.Model({ inputs: volume, outputs: v });
  const runs = [
    [model2d, kiln.random.normal([2, 7, 6, 4])],
    [model1d, kiln.random.normal([2, 9, 3])],
    [model3d, kiln.random.normal([2, 5, 6, 4, 3])],
  ] as const;
  for (const [model, input] of runs) {
    model.setWeights(model.getWeights().map((w) => kiln.random.normal(w.shape, 0, 0.5)));
    const path = join(directory, `${model.name}.onnx`);
    await model.exportOnnx(path);
    const session = await ort.InferenceSession.create(path);
    const results = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input.dataSync() as Float32Array, input.shape) });
    const got = results[session.outputNames[0]];
    await session.release();
    const expected = await model.predict(input);
    t.deepEqual([...got.dims], expected.shape);
    const want = expected.dataSync();
    const difference = Math.max(...(got.data as Float32Array).map((v, i) => Math.abs(v - want[i]) / Math.max(1, Math.abs(want[i]))));
    t.true(difference < 1e-5, `${model.name}: largest difference ${difference}`);
  }
});
