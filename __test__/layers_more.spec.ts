// The reshaping, transposed-convolution, noise and Dot layers through the public API: Keras'
// build-time errors, getConfig, summaries, eager calls, training-time noise, and learning
// inside small models. Their outputs and gradients against Keras: keras_layers_more.spec.ts.
import test from 'ava';
import * as kiln from 'kiln-nn';

const L = kiln.layers;

/** Deterministic values in about [-1, 1]. */
function data(shape: number[], phase = 0): kiln.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return kiln.tensor(
    Float32Array.from({ length: size }, (_, j) => Math.sin(0.77 * j + phase)),
    shape,
  );
}

const flat = (t: kiln.Tensor) => Array.from(t.dataSync());

test('output shapes follow Keras, in the model and in the summary', (t) => {
  const image = kiln.Input({ shape: [7, 5, 3] });
  const cases: [kiln.layers.Layer, (number | null)[]][] = [
    [new L.Conv2DTranspose(4, 3), [null, 9, 7, 4]],
    [new L.Conv2DTranspose(4, 3, { strides: 2, padding: 'same' }), [null, 14, 10, 4]],
    [new L.Conv2DTranspose(4, [2, 3], { strides: 2 }), [null, 14, 11, 4]],
    [new L.Conv2DTranspose(4, 3, { strides: [2, 3], outputPadding: [1, 2] }), [null, 16, 17, 4]],
    [new L.Conv2DTranspose(4, 4, { strides: 2, padding: 'same', outputPadding: 1 }), [null, 13, 9, 4]],
    [new L.ZeroPadding2D(), [null, 9, 7, 3]],
    [
      new L.ZeroPadding2D([
        [1, 0],
        [2, 3],
      ]),
      [null, 8, 10, 3],
    ],
    [new L.Cropping2D([[1, 2], 1]), [null, 4, 3, 3]],
    [new L.UpSampling2D([2, 3]), [null, 14, 15, 3]],
    [new L.UpSampling2D({ size: 2, interpolation: 'bilinear' }), [null, 14, 10, 3]],
    [new L.Permute([3, 1, 2]), [null, 3, 7, 5]],
    [new L.SpatialDropout2D(0.3), [null, 7, 5, 3]],
    [new L.GaussianNoise(0.1), [null, 7, 5, 3]],
    [new L.GaussianDropout(0.1), [null, 7, 5, 3]],
  ];
  for (const [layer, shape] of cases) t.deepEqual(layer.apply(image).shape, shape, layer.name);
  const sequence = kiln.Input({ shape: [6, 4] });
  t.deepEqual(new L.ZeroPadding1D([1, 3]).apply(sequence).shape, [null, 10, 4]);
  t.deepEqual(new L.Cropping1D().apply(sequence).shape, [null, 4, 4]);
  t.deepEqual(new L.UpSampling1D(3).apply(sequence).shape, [null, 18, 4]);
  t.deepEqual(new L.SpatialDropout1D(0.5).apply(sequence).shape, [null, 6, 4]);
  t.deepEqual(new L.RepeatVector(5).apply(kiln.Input({ shape: [4] })).shape, [null, 5, 4]);
  const [a, b] = [kiln.Input({ shape: [3, 4] }), kiln.Input({ shape: [2, 4] })];
  t.deepEqual(new L.Dot(2).apply([a, b]).shape, [null, 3, 2]);
  t.deepEqual(new L.Dot([1, 1]).apply([kiln.Input({ shape: [4] }), kiln.Input({ shape: [4] })]).shape, [null, 1]);

  const model = new kiln.Sequential([
    new L.Conv2DTranspose(6, 3, { strides: 2, padding: 'same', inputShape: [4, 4, 2], name: 'up_conv' }),
    new L.ZeroPadding2D(1, { name: 'pad' }),
    new L.UpSampling2D(2, { name: 'up' }),
    new L.Cropping2D(2, { name: 'crop' }),
  ]);
  const summary = model.summary(() => {});
  // Keras: 3 * 3 * 6 * 2 kernel + 6 bias = 114 parameters.
  t.regex(summary, /up_conv \(Conv2DTranspose\) +│ \(None, 8, 8, 6\) +│ +114 │/);
  t.regex(summary, /pad \(ZeroPadding2D\) +│ \(None, 10, 10, 6\) +│ +0 │/);
  t.regex(summary, /up \(UpSampling2D\) +│ \(None, 20, 20, 6\) +│ +0 │/);
  t.regex(summary, /crop \(Cropping2D\) +│ \(None, 16, 16, 6\) +│ +0 │/);
  t.deepEqual(model.layers[0].getWeights()[0].shape, [3, 3, 6, 2], "Keras' transposed kernel layout [kh, kw, filters, channels]");
});

test('wrong input ranks and sizes fail at build time with a ShapeError naming the layer', (t) => {
  const image = kiln.Input({ shape: [4, 4, 2] });
  const vector = kiln.Input({ shape: [6] });
  const rank = (layer: kiln.layers.Layer, input: kiln.SymbolicTensor, expected: number, found: number) =>
    t.throws(() => layer.apply(input), { instanceOf: kiln.ShapeError, message: new RegExp(`"${layer.name}".*expected ndim=${expected}, found ndim=${found}`) });
  rank(new L.Conv2DTranspose(2, 3, { name: 'deconv_on_2d' }), vector, 4, 2);
  rank(new L.ZeroPadding2D(1, { name: 'pad_on_2d' }), vector, 4, 2);
  rank(new L.ZeroPadding1D(1, { name: 'pad1d_on_4d' }), image, 3, 4);
  rank(new L.UpSampling2D(2, { name: 'up_on_2d' }), vector, 4, 2);
  rank(new L.Cropping2D(1, { name: 'crop_on_2d' }), vector, 4, 2);
  rank(new L.RepeatVector(3, { name: 'repeat_on_4d' }), image, 2, 4);
  rank(new L.Permute([2, 1], { name: 'permute_on_4d' }), image, 3, 4);
  rank(new L.SpatialDropout2D(0.5, { name: 'spatial_on_2d' }), vector, 4, 2);
  t.throws(
    () =>
      new L.Cropping2D(
        [
          [2, 2],
          [0, 0],
        ],
        { name: 'crop_all' },
      ).apply(image),
    {
      instanceOf: kiln.ShapeError,
      message: /crop_all.*cropping.*smaller than the corresponding spatial dimension.*\[null, 4, 4, 2\]/,
    },
  );
  t.throws(() => new L.Dot(1, { name: 'dot_mismatch' }).apply([vector, kiln.Input({ shape: [5] })]), {
    instanceOf: kiln.ShapeError,
    message: /dot_mismatch.*axis values 6 \(at axis 1\) != 5 \(at axis 1\)/,
  });
  t.throws(() => new L.Dot(1).apply([vector, vector, vector]), { instanceOf: kiln.ValueError, message: /exactly 2 inputs/ });
  // Bad arguments, as Keras words them.
  t.throws(() => new L.Conv2DTranspose(2, 3, { strides: 2, outputPadding: 2 }), { instanceOf: kiln.ValueError, message: /output_padding.*strictly less than.*strides/ });
  t.throws(() => new L.Permute([1, 3]), { instanceOf: kiln.ValueError, message: /consecutive and start from 1/ });
  t.throws(() => new L.RepeatVector(0), { instanceOf: kiln.ValueError, message: /`n` should be a positive integer/ });
  t.throws(() => new L.ZeroPadding2D([1, 2, 3] as unknown as number), { instanceOf: kiln.ValueError, message: /`padding` should be either an int/ });
  t.throws(() => new L.UpSampling2D(2, { interpolation: 'bicubic' as 'bilinear' }), { instanceOf: kiln.ValueError, message: /interpolation must be 'nearest' or 'bilinear'/ });
  t.throws(() => new L.GaussianNoise(2), { instanceOf: kiln.ValueError, message: /stddev.*between 0 and 1/ });
  t.throws(() => new L.SpatialDropout2D(1.5), { instanceOf: kiln.ValueError, message: /rate/ });
  t.throws(() => new L.Dot('x' as unknown as number), { instanceOf: kiln.ValueError, message: /axes/ });
});

test('getConfig gives the options that rebuild an equivalent layer', (t) => {
  const layers: kiln.layers.Layer[] = [
    new L.Conv2DTranspose(3, [2, 3], { strides: [2, 1], padding: 'same', outputPadding: [1, 0], activation: 'relu', useBias: false }),
    new L.Permute([2, 1]),
    new L.RepeatVector(4),
    new L.ZeroPadding2D([
      [1, 0],
      [2, 3],
    ]),
    new L.ZeroPadding1D(2),
    new L.Cropping2D([1, 2]),
    new L.Cropping1D([0, 1]),
    new L.UpSampling2D([2, 3], { interpolation: 'bilinear' }),
    new L.UpSampling1D(3),
    new L.SpatialDropout2D(0.25),
    new L.SpatialDropout1D(0.25),
    new L.GaussianNoise(0.3),
    new L.GaussianDropout(0.2),
    new L.Dot([1, 2], { normalize: true }),
  ];
  for (const layer of layers) {
    const config = layer.getConfig();
    const Cls = layer.constructor as new (config: kiln.layers.LayerConfig) => kiln.layers.Layer;
    const rebuilt = new Cls({ ...config, name: `${layer.name}_copy` });
    t.deepEqual({ ...rebuilt.getConfig(), name: layer.name }, config, layer.constructor.name);
  }
  t.like(layers[0].getConfig(), { filters: 3, kernelSize: [2, 3], strides: [2, 1], padding: 'same', outputPadding: [1, 0], activation: 'relu', useBias: false });
  t.like(layers[3].getConfig(), {
    padding: [
      [1, 0],
      [2, 3],
    ],
  });
  t.like(layers[13].getConfig(), { axes: [1, 2], normalize: true });
});

test('eager layer calls compute what the compiled model computes', async (t) => {
  const x = data([2, 3, 4, 2]);
  const layers = [
    new L.Conv2DTranspose(3, 3, { strides: 2, padding: 'same', inputShape: [3, 4, 2] }),
    new L.Cropping2D([
      [1, 0],
      [0, 2],
    ]),
    new L.UpSampling2D(2, { interpolation: 'bilinear' }),
    new L.ZeroPadding2D(1),
    new L.Permute([3, 2, 1]),
  ];
  const model = new kiln.Sequential(layers);
  const predicted = await model.predict(x);
  let eager: kiln.Tensor = x;
  for (const layer of layers) eager = layer.apply(eager);
  t.deepEqual(eager.shape, predicted.shape);
  const [p, e] = [flat(predicted), flat(eager)];
  t.true(p.every((v, i) => Math.abs(v - e[i]) < 1e-5));
  t.true(
    p.some((v) => Math.abs(v) > 0.01),
    'not all zeros',
  );
  // Noise layers are the identity outside training.
  for (const noise of [new L.SpatialDropout2D(0.5), new L.GaussianNoise(0.5), new L.GaussianDropout(0.5)]) t.deepEqual(flat(noise.apply(x)), flat(x));
});

test('ops.convTranspose, pad, repeat and transpose run eagerly and inside custom layers', async (t) => {
  // A 1x1 input through a 2x2 kernel with strides 2 copies the kernel out.
  const kernel = kiln.tensor([1, 2, 3, 4], [2, 2, 1, 1]);
  t.deepEqual(kiln.ops.convTranspose(kiln.tensor([2], [1, 1, 1, 1]), kernel, { strides: 2 }).toArray(), [
    [
      [[2], [4]],
      [[6], [8]],
    ],
  ]);
  const m = kiln.tensor([
    [1, 2],
    [3, 4],
  ]);
  t.deepEqual(
    kiln.ops
      .pad(m, [
        [1, 0],
        [0, 1],
      ])
      .toArray(),
    [
      [0, 0, 0],
      [1, 2, 0],
      [3, 4, 0],
    ],
  );
  t.deepEqual(kiln.ops.repeat(m, 2, 0).toArray(), [
    [1, 2],
    [1, 2],
    [3, 4],
    [3, 4],
  ]);
  t.deepEqual(kiln.ops.repeat(m, 2, -1).toArray(), [
    [1, 1, 2, 2],
    [3, 3, 4, 4],
  ]);
  t.throws(
    () =>
      kiln.ops.pad(m, [
        [-1, 0],
        [0, 0],
      ]),
    { instanceOf: kiln.ValueError },
  );
  t.throws(() => kiln.ops.convTranspose(m, kernel), { instanceOf: kiln.ShapeError, message: /rank 4/ });

  class SwapAndPad extends kiln.layers.Layer {
    call(inputs: kiln.layers.LayerInput) {
      return kiln.ops.pad(kiln.ops.transpose(inputs, [0, 2, 1]), [
        [0, 0],
        [1, 1],
        [0, 0],
      ]);
    }
  }
  const inputs = kiln.Input({ shape: [2, 3] });
  const model = new kiln.Model({ inputs, outputs: new kiln.layers.Dense(1).apply(new kiln.layers.Flatten().apply(new SwapAndPad().apply(inputs))) });
  t.deepEqual(model.layers.find((l) => l instanceof SwapAndPad)?.lastOutputShape, [null, 5, 2]);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const history = await model.fit(data([32, 2, 3]), data([32, 1], 2), { epochs: 30, verbose: 0 });
  t.true(history.history.loss[29] < history.history.loss[0], `loss ${history.history.loss[0]} -> ${history.history.loss[29]}`);
});

/** A ones-initialised elementwise weight: fit's update of it shows the gradient reaching the input. */
class Scale extends kiln.layers.Layer {
  w!: kiln.Variable;
  build(inputShape: kiln.Shape) {
    this.w = this.addWeight({ shape: inputShape.slice(1) as number[], initializer: 'ones', name: 'scale' });
  }
  call(inputs: kiln.layers.LayerInput) {
    return kiln.ops.mul(inputs, this.w);
  }
}

test('SpatialDropout2D drops whole channels in training and scales the rest', async (t) => {
  kiln.setSeed(5);
  const [h, w, channels] = [3, 3, 40];
  const model = new kiln.Sequential([new Scale({ inputShape: [h, w, channels] }), new L.SpatialDropout2D(0.5)]);
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: 'mse' });
  const x = kiln.tensor(new Float32Array(h * w * channels).fill(1), [1, h, w, channels]);
  const zeros = kiln.tensor(new Float32Array(h * w * channels), [1, h, w, channels]);
  const [evalLoss] = await model.evaluate(x, zeros, { verbose: 0 });
  t.is(evalLoss, 1, 'identity outside training');
  const history = await model.fit(x, zeros, { epochs: 1, batchSize: 1, verbose: 0 });
  // y = m_c x with m_c in {0, 2} per channel: d mean(y²) / d scale = 2 m_c² / size, 0 or 8 / size.
  const grad = flat(model.getWeights()[0]).map((v) => 1 - v);
  let dropped = 0;
  for (let c = 0; c < channels; c++) {
    const cell = Array.from({ length: h * w }, (_, p) => grad[p * channels + c]);
    t.true(
      cell.every((g) => Math.abs(g - cell[0]) < 1e-7),
      `channel ${c} is dropped or kept whole: ${cell}`,
    );
    t.true(Math.abs(cell[0]) < 1e-7 || Math.abs(cell[0] - 8 / (h * w * channels)) < 1e-6, `channel ${c} gradient ${cell[0]}`);
    dropped += Math.abs(cell[0]) < 1e-7 ? 1 : 0;
  }
  t.true(dropped > 8 && dropped < 32, `dropped ${dropped} of ${channels} channels`);
  t.true(Math.abs(history.history.loss[0] - (4 * (channels - dropped)) / channels) < 1e-5, 'training loss is 4 x the kept fraction');
});

test("GaussianNoise and GaussianDropout add noise of Keras' spread in training only", async (t) => {
  kiln.setSeed(9);
  const size = 4000;
  const run = async (layer: kiln.layers.Layer, value: number) => {
    const model = new kiln.Sequential([new Scale({ inputShape: [size] }), layer]);
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
    const x = kiln.tensor(new Float32Array(size).fill(value), [1, size]);
    const [evalLoss] = await model.evaluate(x, x, { verbose: 0 });
    const history = await model.fit(x, x, { epochs: 2, batchSize: 1, verbose: 0 });
    return { evalLoss, train: history.history.loss };
  };
  // mse(x + n, x) = mean(n²) ≈ stddev² = 0.09.
  const noise = await run(new L.GaussianNoise(0.3), 0.5);
  t.is(noise.evalLoss, 0);
  noise.train.forEach((l) => t.true(Math.abs(l - 0.09) < 0.01, `GaussianNoise training loss ${l}`));
  t.not(noise.train[0], noise.train[1], 'fresh noise each step');
  // mse(x m, x) = x² mean((m - 1)²) ≈ x² rate / (1 - rate) = 4 · 0.25.
  const dropout = await run(new L.GaussianDropout(0.2), 2);
  t.is(dropout.evalLoss, 0);
  dropout.train.forEach((l) => t.true(Math.abs(l - 1) < 0.1, `GaussianDropout training loss ${l}`));
});

test('a tiny conv autoencoder with Conv2DTranspose and UpSampling2D learns to reconstruct digits', async (t) => {
  kiln.setSeed(3);
  const [[xTrainRaw], [xTestRaw]] = await kiln.datasets.mnistDigits.loadData();
  const prepare = (x: kiln.Tensor, n: number) => x.slice([0, 0, 0], [n, 28, 28]).astype('float32').div(255).reshape([n, 28, 28, 1]);
  const [xTrain, xTest] = [prepare(xTrainRaw, 1000), prepare(xTestRaw, 300)];
  const model = new kiln.Sequential([
    new L.Conv2D(8, 3, { strides: 2, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
    new L.Conv2D(8, 3, { strides: 2, padding: 'same', activation: 'relu' }),
    new L.Conv2DTranspose(8, 3, { strides: 2, padding: 'same', activation: 'relu' }),
    new L.UpSampling2D(2),
    new L.Conv2D(1, 3, { padding: 'same', activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.005 }), loss: 'mse' });
  await model.fit(xTrain, xTrain, { epochs: 2, batchSize: 32, verbose: 0 });
  const [loss] = await model.evaluate(xTest, xTest, { verbose: 0 });
  // The best constant: every test image predicted as the mean training image.
  const pixels = 28 * 28;
  const train = xTrain.dataSync();
  const meanImage = Float64Array.from({ length: pixels }, (_, p) => {
    let s = 0;
    for (let i = 0; i < 1000; i++) s += train[i * pixels + p];
    return s / 1000;
  });
  const test = xTest.dataSync();
  let constant = 0;
  for (let i = 0; i < test.length; i++) constant += (test[i] - meanImage[i % pixels]) ** 2;
  constant /= test.length;
  t.log(`test mse ${loss.toFixed(4)}, mean-image mse ${constant.toFixed(4)}`);
  t.true(loss < constant / 2, `autoencoder mse ${loss} vs mean-image ${constant}`);
});

test('Dot learns a bilinear similarity between two inputs', async (t) => {
  kiln.setSeed(4);
  // Target: cosine of the angle between each pair of 3-vectors (Dot normalize) after a
  // learned projection; the model starts from a random projection.
  const [a, b] = [kiln.Input({ shape: [3] }), kiln.Input({ shape: [3] })];
  const project = new L.Dense(3, { useBias: false });
  const model = new kiln.Model({ inputs: [a, b], outputs: new L.Dot(1, { normalize: true }).apply([project.apply(a), project.apply(b)]) });
  const [xa, xb] = [kiln.random.normal([256, 3]), kiln.random.normal([256, 3])];
  const [va, vb] = [xa.dataSync(), xb.dataSync()];
  const cosine = Float32Array.from({ length: 256 }, (_, i) => {
    const [p, q] = [va.slice(3 * i, 3 * i + 3), vb.slice(3 * i, 3 * i + 3)];
    const dot = p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
    return dot / Math.hypot(...p) / Math.hypot(...q);
  });
  const y = kiln.tensor(cosine, [256, 1]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.02 }), loss: 'mse' });
  const before = (await model.evaluate([xa, xb], y, { verbose: 0 }))[0];
  await model.fit([xa, xb], y, { epochs: 40, batchSize: 32, verbose: 0 });
  const after = (await model.evaluate([xa, xb], y, { verbose: 0 }))[0];
  t.true(after < before / 5 && after < 0.01, `mse ${before} -> ${after}`);
});
