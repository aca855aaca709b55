// Winograd kernels kept across calls at inference (issue 15): predict, predictOnBatch and
// evaluate run 3x3 convolutions of 64+ channels through Winograd with the kernel's transform
// computed once per weight generation (a batch-norm-folded kernel's or a variable's). A stale
// transform would compute the old model: after each way weights change (setWeights, fit,
// loadWeights) the predictions must equal the same model computed with eager ops, which
// never keep a transform.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';

const SIZE = 20;
const CHANNELS = 64;

/** Conv2D 64 3x3 'same' (no bias) -> BatchNormalization -> ReLU (folds) -> Conv2D 64 3x3 'same'. */
function model(): kiln.Model {
  const input = kiln.Input({ shape: [SIZE, SIZE, CHANNELS] });
  let h = new kiln.layers.Conv2D(CHANNELS, 3, { padding: 'same', useBias: false }).apply(input) as kiln.SymbolicTensor;
  h = new kiln.layers.BatchNormalization().apply(h) as kiln.SymbolicTensor;
  h = new kiln.layers.ReLU().apply(h) as kiln.SymbolicTensor;
  const out = new kiln.layers.Conv2D(CHANNELS, 3, { padding: 'same' }).apply(h) as kiln.SymbolicTensor;
  const m = new kiln.Model({ inputs: input, outputs: out });
  m.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.01 }), loss: 'mse' });
  return m;
}

/** The model computed with eager ops from its current weights. */
function reference(m: kiln.Model, x: kiln.Tensor): Float32Array {
  const [k1, gamma, beta, mean, variance, k2, bias] = m.getWeights();
  const h = Float32Array.from(kiln.ops.conv(x, k1, { padding: 'same' }).dataSync());
  const [g, b, mu, v] = [gamma, beta, mean, variance].map((w) => w.dataSync());
  for (let i = 0; i < h.length; i++) {
    const c = i % CHANNELS;
    h[i] = Math.max(0, ((h[i] - mu[c]) / Math.sqrt(v[c] + 1e-3)) * g[c] + b[c]);
  }
  const y = Float32Array.from(kiln.ops.conv(kiln.tensor(h, x.shape as number[]), k2, { padding: 'same' }).dataSync());
  const bv = bias.dataSync();
  return y.map((val, i) => val + bv[i % CHANNELS]);
}

/** The largest difference relative to the largest value. */
function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let [diff, size] = [0, 0];
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    size = Math.max(size, Math.abs(want[i]));
  }
  return diff / size;
}

function randomWeights(m: kiln.Model, seed: number): kiln.Tensor[] {
  kiln.setSeed(seed);
  return m.weights.map((w) => {
    const shape = w.shape as number[];
    return w.name.includes('moving_variance') ? kiln.random.uniform(shape, 0.5, 2) : kiln.random.uniform(shape, -0.2, 0.2);
  });
}

test('predictions with Winograd kernels kept across calls follow every kind of weight change', async (t) => {
  kiln.setSeed(1);
  const m = model();
  kiln.setSeed(2);
  const x = kiln.random.uniform([3, SIZE, SIZE, CHANNELS], -1, 1);
  const same = async (when: string) => {
    const want = reference(m, x);
    // Twice each: the second call takes the transform the first one kept. Batch 1 (100
    // tiles of 2 x 2, 25 of 4 x 4: F(2x2, 3x3)) and 3 at once (75 tiles of 4 x 4: F(4x4, 3x3)).
    for (let round = 0; round < 2; round++) {
      for (const [how, got] of [
        ['predict batch 1', (await m.predict(x, { batchSize: 1 })) as kiln.Tensor],
        ['predictOnBatch', m.predictOnBatch(x) as kiln.Tensor],
      ] as const) {
        const e = relativeError(got.dataSync(), want);
        t.true(e < 1e-5, `${when}, call ${round + 1}: ${how} differs from eager ops by ${e}`);
      }
    }
    return want;
  };

  m.setWeights(randomWeights(m, 5));
  const initial = await same('with random weights');

  m.setWeights(randomWeights(m, 6));
  const changed = await same('after setWeights');
  t.true(relativeError(initial, changed) > 0.1, 'setWeights changed the predictions');

  // One layer: the second convolution (its kernel is a variable, not folded).
  const conv = m.layers.filter((l) => l instanceof kiln.layers.Conv2D)[1];
  const [k, b] = conv.getWeights();
  conv.setWeights([kiln.ops.mul(k, -1.5) as kiln.Tensor, b]);
  const oneLayer = await same("after one layer's setWeights");
  t.true(relativeError(oneLayer, changed) > 0.1, "the layer's setWeights changed the predictions");

  kiln.setSeed(3);
  const y = kiln.random.uniform([3, SIZE, SIZE, CHANNELS], -1, 1);
  await m.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 });
  const trained = await same('after fit');
  t.true(relativeError(trained, oneLayer) > 1e-3, 'fit changed the predictions');

  const directory = mkdtempSync(join(tmpdir(), 'kiln-winograd-'));
  try {
    const file = join(directory, 'model.weights.h5');
    await m.saveWeights(file);
    m.setWeights(randomWeights(m, 7));
    await same('after setWeights again');
    await m.loadWeights(file);
    const loaded = await same('after loadWeights');
    t.true(relativeError(loaded, trained) < 1e-6, 'loadWeights restored the trained predictions');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
