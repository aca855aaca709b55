// Batch norm folding (issue 15): at inference (predict, predictOnBatch, evaluate) the engine folds
// a BatchNormalization into the Conv2D, DepthwiseConv2D or Dense before it, the activation after
// it run in the fused bias pass, and keeps the folded weights until a variable changes. A model
// whose convolution outputs are also outputs cannot fold; sharing the same layers (so the same
// variables), both must predict the same numbers before and after every way weights change:
// setWeights on the model and on one layer, fit (weights and moving statistics), loadWeights.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';

/**
 * Conv2D 6 3x3 'same' -> BatchNormalization -> ReLU -> DepthwiseConv2D 3x3 (no bias) ->
 * BatchNormalization -> ReLU(6) -> GlobalAveragePooling2D -> Dense 5 -> BatchNormalization ->
 * swish -> Dense 3 softmax; and the same layers with the pre-normalisation values as outputs too.
 */
function models() {
  const input = kiln.Input({ shape: [8, 8, 3] });
  const conv = new kiln.layers.Conv2D(6, 3, { padding: 'same' }).apply(input) as kiln.SymbolicTensor;
  let h = new kiln.layers.BatchNormalization().apply(conv) as kiln.SymbolicTensor;
  h = new kiln.layers.ReLU().apply(h) as kiln.SymbolicTensor;
  const depthwise = new kiln.layers.DepthwiseConv2D(3, { padding: 'same', useBias: false }).apply(h) as kiln.SymbolicTensor;
  h = new kiln.layers.BatchNormalization().apply(depthwise) as kiln.SymbolicTensor;
  h = new kiln.layers.ReLU(6).apply(h) as kiln.SymbolicTensor;
  h = new kiln.layers.GlobalAveragePooling2D().apply(h) as kiln.SymbolicTensor;
  const dense = new kiln.layers.Dense(5).apply(h) as kiln.SymbolicTensor;
  h = new kiln.layers.BatchNormalization({ epsilon: 0.01 }).apply(dense) as kiln.SymbolicTensor;
  h = new kiln.layers.Activation('swish').apply(h) as kiln.SymbolicTensor;
  const out = new kiln.layers.Dense(3, { activation: 'softmax' }).apply(h) as kiln.SymbolicTensor;
  const folded = new kiln.Model({ inputs: input, outputs: out });
  folded.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: 'sparse_categorical_crossentropy' });
  const unfolded = new kiln.Model({ inputs: input, outputs: [out, conv, depthwise, dense] });
  return { folded, unfolded };
}

const first = (out: kiln.Tensor | kiln.Tensor[]) => Array.from((Array.isArray(out) ? out[0] : out).dataSync());
const maxRelative = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]) / (1 + Math.abs(b[i]))));

/** Random weights, moving variances (and every other weight named so) positive. */
function randomWeights(model: kiln.Model, seed: number): kiln.Tensor[] {
  kiln.setSeed(seed);
  return model.weights.map((w) => {
    const shape = w.shape as number[];
    return w.name.includes('moving_variance') ? kiln.random.uniform(shape, 0.2, 3) : kiln.random.uniform(shape, -1.5, 1.5);
  });
}

test('a model whose batch norms fold predicts as the same layers unfolded, after every kind of weight change', async (t) => {
  kiln.setSeed(1);
  const { folded, unfolded } = models();
  kiln.setSeed(2);
  const x = kiln.random.uniform([24, 8, 8, 3], -1, 1);
  const y = kiln.tensor(
    Float32Array.from({ length: 24 }, (_, i) => i % 3),
    [24],
  );
  const same = async (when: string) => {
    const reference = first(unfolded.predictOnBatch(x));
    // Both inference paths: one batch (on the calling thread or the pool), and several batches.
    for (const [how, got] of [
      ['predictOnBatch', first(folded.predictOnBatch(x))],
      ['predict', first(await folded.predict(x, { batchSize: 10 }))],
    ] as const) {
      const d = maxRelative(got, reference);
      t.true(d < 1e-5, `${when}: ${how} differs from the unfolded model by ${d}`);
    }
    return reference;
  };

  folded.setWeights(randomWeights(folded, 5));
  const initial = await same('with random weights');
  // Twice: the second call reuses the folded weights.
  await same('again');

  folded.setWeights(randomWeights(folded, 6));
  const changed = await same('after setWeights');
  t.true(maxRelative(initial, changed) > 1e-3, 'setWeights changed the predictions');

  // One layer's weights (the depthwise block's batch norm: gamma, beta, moving mean, variance).
  const bn = folded.layers.filter((l) => l instanceof kiln.layers.BatchNormalization)[1];
  bn.setWeights([
    kiln.tensor([2, -1, 0.5, 1.5, 0.8, -0.4], [6]),
    kiln.tensor([0.1, 0.2, -0.3, 0, 0.5, -0.5], [6]),
    kiln.tensor([0.5, -0.5, 1, 0.2, -1, 0.3], [6]),
    kiln.tensor([0.3, 2, 1.5, 0.7, 1, 4], [6]),
  ]);
  const oneLayer = await same("after one layer's setWeights");
  t.true(maxRelative(changed, oneLayer) > 1e-4, "the layer's setWeights changed the predictions");

  // Training moves the weights and the moving statistics.
  await folded.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  const trained = await same('after fit');
  t.true(maxRelative(oneLayer, trained) > 1e-4, 'fit changed the predictions');

  // evaluate folds too: its loss is the cross-entropy of the unfolded predictions.
  const result = await folded.evaluate(x, y, { batchSize: 8, verbose: 0 });
  const loss = Array.isArray(result) ? (result[0] as number) : (result as number);
  let expected = 0;
  for (let s = 0; s < 24; s++) expected -= Math.log(trained[3 * s + (s % 3)]) / 24;
  t.true(Math.abs(loss - expected) < 1e-5 * (1 + expected), `evaluate gave ${loss}, the unfolded predictions ${expected}`);

  const directory = mkdtempSync(join(tmpdir(), 'kiln-bn-folding-'));
  try {
    const file = join(directory, 'model.weights.h5');
    await folded.saveWeights(file);
    folded.setWeights(randomWeights(folded, 7));
    await same('after setWeights again');
    await folded.loadWeights(file);
    const loaded = await same('after loadWeights');
    t.true(maxRelative(loaded, trained) < 1e-6, 'loadWeights restored the trained predictions');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
