// The two architectures of the inference benchmark (benches/, ResNet50 and MobileNetV2) export
// to ONNX and onnxruntime-node predicts what kiln predicts: every op they use converts
// (Conv2D with and without bias, BatchNormalization, ReLU and ReLU6 (max_value), DepthwiseConv2D,
// ZeroPadding2D, MaxPooling2D, Add, GlobalAveragePooling2D, Dense). Small inputs keep it fast;
// the benchmark runs the same builders at 224x224.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import * as kiln from 'kiln-nn';
import * as ort from 'onnxruntime-node';

const directory = mkdtempSync(join(tmpdir(), 'kiln-onnx-apps-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

/**
 * Weights that keep every activation alive through 50 layers: kernels He-scaled normal, biases
 * and BatchNormalization's beta and moving mean small normal, gamma and moving variance around 1
 * (random initial weights let MobileNetV2's activations fade to 1e-12, where any export passes).
 */
function liveWeights(model: kiln.Model): void {
  model.setWeights(
    model.getWeights().map((w) => {
      if (w.shape.length === 1) return kiln.random.normal(w.shape, 0, 0.1);
      const fanIn = w.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      return kiln.random.normal(w.shape, 0, Math.sqrt(2 / fanIn));
    }),
  );
  for (const layer of model.layers) {
    if (!(layer instanceof kiln.layers.BatchNormalization)) continue;
    layer.movingVariance.assign(kiln.random.uniform(layer.movingVariance.shape, 0.5, 1.5));
    layer.gamma?.assign(kiln.random.uniform(layer.gamma.shape, 0.8, 1.2));
  }
}

for (const [builder, size] of [
  ['ResNet50', 32],
  ['MobileNetV2', 32],
] as const) {
  test(`${builder} (${size}x${size}, logits): onnxruntime-node on the exported file predicts what kiln predicts`, async (t) => {
    kiln.setSeed(7);
    const model = await kiln.applications[builder]({ weights: null, inputShape: [size, size, 3], classifierActivation: null });
    liveWeights(model);
    const layerKinds = new Set(model.layers.map((l) => l.constructor.name));
    for (const kind of builder === 'ResNet50'
      ? ['Conv2D', 'BatchNormalization', 'ZeroPadding2D', 'MaxPooling2D', 'Add', 'GlobalAveragePooling2D', 'Dense']
      : ['Conv2D', 'BatchNormalization', 'ReLU', 'DepthwiseConv2D', 'ZeroPadding2D', 'Add', 'GlobalAveragePooling2D', 'Dense']) {
      t.true(layerKinds.has(kind), `${builder} has no ${kind} layer: the test no longer covers it`);
    }
    const path = join(directory, `${builder}.onnx`);
    await model.export(path, { format: 'onnx' });

    const x = kiln.random.uniform([2, size, size, 3], -1, 1);
    const expected = (await model.predict(x, { verbose: 0 })).dataSync() as Float32Array;
    const session = await ort.InferenceSession.create(path);
    const results = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) });
    const got = results[session.outputNames[0]];
    await session.release();

    t.deepEqual([...got.dims], [2, 1000]);
    const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    // The logits must carry signal, or the comparison proves nothing.
    const spread = Math.max(...expected) - Math.min(...expected);
    t.true(spread > 0.1 * scale && scale > 1e-3, `degenerate logits: scale ${scale}, spread ${spread}`);
    let difference = 0;
    (got.data as Float32Array).forEach((v, i) => (difference = Math.max(difference, Math.abs(v - expected[i]))));
    t.true(difference <= 1e-4 * scale, `largest difference ${difference} for logits of scale ${scale}`);
  });
}
