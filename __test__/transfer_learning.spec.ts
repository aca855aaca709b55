// Keras' transfer-learning recipe (keras.io, "Transfer learning & fine-tuning") against Keras 3
// (fixture: scripts/fixtures/keras_frozen_batch_norm.py). A BatchNormalization that is not
// trainable runs in inference mode in fit too: it normalises with its moving statistics and
// leaves them as they are. Unfrozen and compiled again, it uses the batch's statistics and
// updates the moving ones. Loss histories and every weight match Keras at each stage.
import test from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

interface FixtureArray {
  shape: number[];
  values: number[];
}
type Weights = Record<string, FixtureArray[]>;
const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_frozen_batch_norm.json', import.meta.url), 'utf8')) as {
  x: FixtureArray;
  y: FixtureArray;
  start: Weights;
  frozen: { loss: number[]; weights: Weights; predict: FixtureArray };
  tuned: { loss: number[]; weights: Weights };
};

const toTensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.values), a.shape);

function transferModel() {
  const baseIn = kiln.Input({ shape: [4] });
  const hidden = new kiln.layers.Dense(3, { name: 'base_dense' }).apply(baseIn);
  const baseOut = new kiln.layers.BatchNormalization({ name: 'base_bn' }).apply(hidden);
  const base = new kiln.Model(baseIn, baseOut, { name: 'base' });
  const inputs = kiln.Input({ shape: [4] });
  const outputs = new kiln.layers.Dense(2, { name: 'head' }).apply(base.apply(inputs));
  const model = new kiln.Model(inputs, outputs);
  const layers = { base_dense: base.getLayer('base_dense'), base_bn: base.getLayer('base_bn'), head: model.getLayer('head') };
  for (const [name, layer] of Object.entries(layers)) layer.setWeights(fixture.start[name].map(toTensor));
  return { base, model, layers };
}

function assertWeights(t: import('ava').ExecutionContext, layers: Record<string, kiln.layers.Layer>, expected: Weights, stage: string) {
  for (const [name, layer] of Object.entries(layers)) {
    layer.getWeights().forEach((w, k) => {
      const got = Array.from(w.dataSync());
      const want = expected[name][k].values;
      const worst = Math.max(...got.map((v, i) => Math.abs(v - want[i]) / (1 + Math.abs(want[i]))));
      t.true(worst < 1e-5, `${stage}: ${name} weight ${k} differs from Keras by ${worst}: ${got} vs ${want}`);
    });
  }
}

test('a frozen BatchNormalization uses and keeps its moving statistics in fit; unfrozen it trains as Keras', async (t) => {
  const { base, model, layers } = transferModel();
  const [x, y] = [toTensor(fixture.x), toTensor(fixture.y)];

  base.trainable = false;
  model.compile({ optimizer: new kiln.optimizers.SGD(0.05), loss: 'mse' });
  const frozen = await model.fit(x, y, { batchSize: 16, epochs: 3, shuffle: false, verbose: 0 });
  frozen.history.loss.forEach((v, i) => t.true(Math.abs(v - fixture.frozen.loss[i]) < 1e-5 * (1 + fixture.frozen.loss[i]), `frozen epoch ${i}: ${v} vs Keras ${fixture.frozen.loss[i]}`));
  assertWeights(t, layers, fixture.frozen.weights, 'frozen');
  const predicted = Array.from(((await model.predict(toTensor({ shape: [4, 4], values: fixture.x.values.slice(0, 16) }), { verbose: 0 })) as kiln.Tensor).dataSync());
  predicted.forEach((v, i) => t.true(Math.abs(v - fixture.frozen.predict.values[i]) < 1e-5, `predict ${i}: ${v} vs ${fixture.frozen.predict.values[i]}`));

  base.trainable = true;
  model.compile({ optimizer: new kiln.optimizers.SGD(0.01), loss: 'mse' });
  const tuned = await model.fit(x, y, { batchSize: 16, epochs: 2, shuffle: false, verbose: 0 });
  tuned.history.loss.forEach((v, i) => t.true(Math.abs(v - fixture.tuned.loss[i]) < 1e-5 * (1 + fixture.tuned.loss[i]), `fine-tuning epoch ${i}: ${v} vs Keras ${fixture.tuned.loss[i]}`));
  assertWeights(t, layers, fixture.tuned.weights, 'fine-tuned');
});

test('valueAndGrad through a BatchNormalization and a Dropout at inference differentiates what inference computes', (t) => {
  // y = sum(c · bn(dropout(x · w))) at inference: dropout is the identity and batch
  // normalisation a fixed per-channel scale, so d/dw follows by hand.
  const bn = new kiln.layers.BatchNormalization();
  const dropout = new kiln.layers.Dropout(0.5);
  const x = kiln.tensor([
    [1, 2],
    [3, -1],
    [0.5, 0.25],
  ]);
  const w = new kiln.Variable(
    kiln.tensor([
      [0.3, -0.2],
      [0.1, 0.4],
    ]),
  );
  bn.build([null, 2]);
  bn.setWeights([kiln.tensor([2, 0.5]), kiln.tensor([0, 0]), kiln.tensor([0.1, -0.3]), kiln.tensor([3, 0.25])]);
  const c = kiln.tensor([
    [1, -1],
    [2, 0.5],
    [-1, 1],
  ]);
  const { value, grads } = kiln.valueAndGrad(() => kiln.ops.sum(kiln.ops.mul(bn.apply(dropout.apply(kiln.ops.matmul(x, w), { training: false }), { training: false }), c)), [w]);
  const scale = [2 / Math.sqrt(3 + 1e-3), 0.5 / Math.sqrt(0.25 + 1e-3)];
  const xs = [
    [1, 2],
    [3, -1],
    [0.5, 0.25],
  ];
  const cs = [
    [1, -1],
    [2, 0.5],
    [-1, 1],
  ];
  const expected = [0, 1].flatMap((i) => [0, 1].map((j) => xs.reduce((s, row, r) => s + row[i] * cs[r][j] * scale[j], 0)));
  const got = Array.from(grads[0]!.dataSync());
  expected.forEach((e, k) => t.true(Math.abs(got[k] - e) < 1e-4, `d/dw[${k}] = ${got[k]}, expected ${e}`));
  t.true(Number.isFinite(value.dataSync()[0]));
});

test('model.trainable = false freezes every layer, nested models included, and survives saving', async (t) => {
  const { base, model } = transferModel();
  const all = model.weights.length;
  base.trainable = false;
  t.false(base.trainable);
  t.deepEqual(
    base.layers.map((l) => l.trainable),
    base.layers.map(() => false),
  );
  t.is(base.trainableWeights.length, 0);
  t.is(base.nonTrainableWeights.length, base.weights.length);
  t.is(model.trainableWeights.length, 2, 'only the head trains');
  model.trainable = false;
  t.is(model.trainableWeights.length, 0);
  t.is(model.nonTrainableWeights.length, all);
  model.trainable = true;
  t.is(model.trainableWeights.length, all - 2, 'unfrozen: all but the moving statistics');

  base.trainable = false;
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'kiln-frozen-'));
  try {
    await model.save(join(dir, 'frozen.keras'));
    const loaded = await kiln.models.loadModel(join(dir, 'frozen.keras'));
    const loadedBase = loaded.getLayer('base') as unknown as kiln.Model;
    t.false(loadedBase.trainable);
    t.is(loaded.trainableWeights.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a layer built by calling build() is built: its first call keeps the weights it has', (t) => {
  const dense = new kiln.layers.Dense(2);
  dense.build([null, 3]);
  t.true(dense.built);
  dense.setWeights([
    kiln.tensor([
      [1, 0],
      [0, 1],
      [1, 1],
    ]),
    kiln.tensor([0.5, -0.5]),
  ]);
  const y = dense.apply(kiln.tensor([[1, 2, 3]])) as kiln.Tensor;
  t.is(dense.weights.length, 2);
  t.deepEqual(Array.from(y.dataSync()), [4.5, 4.5]);
});
