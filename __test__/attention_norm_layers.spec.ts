// Attention, AdditiveAttention, GroupQueryAttention, GroupNormalization, UnitNormalization,
// RMSNormalization, Identity, ActivityRegularization, AlphaDropout and SpatialDropout3D against
// Keras 3 (scripts/fixtures/keras_attention_norm.py): outputs and attention scores, eager and in
// a model, the gradient of every weight and input, finite differences, and Keras-saved models.
import test from 'ava';
import * as kiln from 'kiln-nn';
import { readFileSync } from 'node:fs';

interface Array_ {
  shape: number[];
  values: number[];
}
interface Case {
  name: string;
  layer: string;
  args: Record<string, unknown>;
  call: Record<string, unknown>;
  inputs: Array_[];
  weights: (Array_ & { path: string })[];
  output: Array_;
  scores?: Array_;
  cotangent: Array_;
  grads: Array_[];
  input_grads: Array_[];
}
interface Saved {
  file: string;
  inputs: Array_[];
  output: Array_;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_attention_norm.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  activity: { x: Array_; y: Array_; weights: Array_[]; evaluate_loss: number; train_loss: number; weights_after_step: Array_[] };
  saved: Saved[];
};
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const tensor = (a: Array_) => kiln.tensor(a.values, a.shape);
/** Layers whose Keras call takes one list of tensors (the rest take them positionally or alone). */
const LISTED = new Set(['Attention', 'AdditiveAttention']);
/** Layers that compute something else in training than at inference (where Keras' case is). */
const TRAINING_DIFFERS = new Set(['ActivityRegularization', 'AlphaDropout', 'SpatialDropout3D']);

function close(t: any, got: kiln.Tensor, want: Array_, what: string, tol = 1e-5): void {
  t.deepEqual(got.shape, want.shape, `${what}: shape`);
  const g = Array.from(got.dataSync());
  const worst = g.reduce((m, v, i) => Math.max(m, Math.abs(v - want.values[i]) / (1 + Math.abs(want.values[i]))), 0);
  t.true(worst <= tol, `${what}: largest relative difference ${worst}`);
}

function layerFor(c: Case): kiln.layers.Layer {
  const args = Object.fromEntries(Object.entries(c.args).map(([k, v]) => [camel(k), v]));
  const Class = (kiln.layers as unknown as Record<string, new (a: unknown) => kiln.layers.Layer>)[c.layer];
  return new Class(args);
}

/**
 * Calls the layer as Keras' call in the case: on model inputs (masks and attention masks become
 * inputs too) or on tensors. Returns the outputs and the extra model inputs with their values.
 */
function callLayer(layer: kiln.layers.Layer, c: Case, inputs: (kiln.SymbolicTensor | kiln.Tensor)[], symbolic: boolean, scores: boolean) {
  const extra: kiln.SymbolicTensor[] = [];
  const values: kiln.Tensor[] = [];
  const asInput = (a: Array_) => {
    values.push(tensor(a));
    if (!symbolic) return values[values.length - 1];
    extra.push(kiln.Input({ shape: a.shape.slice(1) }));
    return extra[extra.length - 1];
  };
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.call)) {
    if (k === 'mask') options.mask = (v as (Array_ | null)[]).map((m) => (m === null ? null : asInput(m)));
    else options[camel(k)] = typeof v === 'object' && v !== null ? asInput(v as Array_) : v;
  }
  if (scores) options.returnAttentionScores = true;
  const apply = layer.apply.bind(layer) as (...a: unknown[]) => unknown;
  let out: unknown;
  if (LISTED.has(c.layer)) out = apply(inputs, options);
  else if (c.layer === 'GroupQueryAttention') out = apply(...inputs, options);
  else out = apply(inputs[0]);
  return { out, extra, values };
}

for (const c of fixture.cases) {
  const scored = c.scores !== undefined;
  test(`${c.name}: weights, output${scored ? ' and attention scores' : ''} match Keras, eager and in a model`, async (t) => {
    const layer = layerFor(c);
    const inputs = c.inputs.map((i) => kiln.Input({ shape: i.shape.slice(1) }));
    const { out, extra, values } = callLayer(layer, c, inputs, true, scored);
    // Keras' weight paths and order, so Keras' weights load as they are.
    t.deepEqual(
      layer.weights.map((w) => w.path.replace(`${layer.name}/`, '')),
      c.weights.map((w) => w.path.replace(/^[^/]+\//, '')),
    );
    layer.setWeights(c.weights.map(tensor));
    const outputs = (scored ? out : [out]) as kiln.SymbolicTensor[];
    const model = new kiln.Model({ inputs: [...inputs, ...extra], outputs });
    const predicted = await model.predict([...c.inputs.map(tensor), ...values]);
    const [y, s] = (scored ? predicted : [predicted]) as unknown as kiln.Tensor[];
    close(t, y, c.output, 'model output');
    if (scored) close(t, s, c.scores!, 'model attention scores');
    const eager = callLayer(layer, c, c.inputs.map(tensor), false, false).out as kiln.Tensor;
    close(t, eager, c.output, 'eager output');
  });

  // Keras' numbers of these are at inference; fit trains (noise, the penalty's own gradient):
  // their training behaviour has its own tests below.
  if (TRAINING_DIFFERS.has(c.layer)) continue;
  test(`${c.name}: the engine's weight and input gradients match Keras'`, async (t) => {
    const layer = layerFor(c);
    // Each input goes through a trainable elementwise scale of ones: its gradient is Σ dy · x,
    // from which the input's gradient is read back as grad(scale) / x.
    const inputs = c.inputs.map((i) => kiln.Input({ shape: i.shape.slice(1) }));
    const scales = c.inputs.map((i) => new ScaleOnes(i.shape.slice(1)));
    const scaled = inputs.map((x, i) => scales[i].apply(x));
    const { out, extra, values } = callLayer(layer, c, scaled, true, false);
    layer.setWeights(c.weights.map(tensor));
    const model = new kiln.Model({ inputs: [...inputs, ...extra], outputs: out as kiln.SymbolicTensor });
    const rank = c.output.shape.length;
    // sum(yTrue * yPred) per sample, averaged over the batch: 1/batch of Keras' objective.
    model.compile({
      optimizer: new kiln.optimizers.SGD({ learningRate: 1 }),
      loss: (yTrue: kiln.Tensor, yPred: kiln.Tensor) =>
        kiln.ops.sum(
          kiln.ops.mul(yTrue, yPred),
          Array.from({ length: rank - 1 }, (_, i) => i + 1),
        ),
    });
    const batch = c.output.shape[0];
    const watched = [...layer.weights, ...scales.map((s) => s.weights[0])];
    const before = watched.map((w) => Array.from(w.read().dataSync()));
    await model.fit([...c.inputs.map(tensor), ...values], tensor(c.cotangent), { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
    const grads = watched.map((w, i) => Array.from(w.read().dataSync()).map((v, j) => batch * (before[i][j] - v)));
    layer.weights.forEach((w, i) => close(t, kiln.tensor(grads[i], w.shape), c.grads[i], `gradient of ${w.path}`, 1e-4));
    // The scale's gradient, per sample position summed over the batch, against Keras' Σ_b dx·x.
    c.inputs.forEach((input, i) => {
      const perSample = input.values.length / batch;
      const want = Array.from({ length: perSample }, (_, j) =>
        Array.from({ length: batch }, (_, b) => c.input_grads[i].values[b * perSample + j] * input.values[b * perSample + j]).reduce((a, v) => a + v, 0),
      );
      close(t, kiln.tensor(grads[layer.weights.length + i], input.shape.slice(1)), { shape: input.shape.slice(1), values: want }, `gradient of input ${i}`, 1e-4);
    });
  });
}

/** Multiplies by a trainable tensor of ones of the sample's shape (to read input gradients). */
class ScaleOnes extends kiln.layers.Layer {
  w!: kiln.Variable;
  constructor(private readonly sample: number[]) {
    super();
  }
  build(): void {
    this.w = this.addWeight({ name: 'ones', shape: this.sample, initializer: 'ones' });
  }
  call(x: kiln.layers.LayerInput) {
    return kiln.ops.mul(x, this.w);
  }
}

test("finite differences agree with the engine's gradients (attention, grouped-query attention, group and RMS normalisation)", async (t) => {
  for (const name of ['attention_concat_scale', 'additive_attention_causal_masks', 'gqa_cross_key', 'group_norm_axis1', 'rms_norm_axes_epsilon', 'unit_norm_axes']) {
    const c = fixture.cases.find((k) => k.name === name)!;
    const layer = layerFor(c);
    const inputs = c.inputs.map((i) => kiln.Input({ shape: i.shape.slice(1) }));
    const scales = c.inputs.map((i) => new ScaleOnes(i.shape.slice(1)));
    const { out, extra, values } = callLayer(
      layer,
      c,
      inputs.map((x, i) => scales[i].apply(x)),
      true,
      false,
    );
    layer.setWeights(c.weights.map(tensor));
    const model = new kiln.Model({ inputs: [...inputs, ...extra], outputs: out as kiln.SymbolicTensor });
    const rank = c.output.shape.length;
    const objective = (yTrue: kiln.Tensor, yPred: kiln.Tensor) =>
      kiln.ops.sum(
        kiln.ops.mul(yTrue, yPred),
        Array.from({ length: rank - 1 }, (_, i) => i + 1),
      );
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: objective });
    const x = [...c.inputs.map(tensor), ...values];
    const y = tensor(c.cotangent);
    const loss = async () => {
      const result = (await model.evaluate(x, y, { verbose: 0, batchSize: 64 })) as unknown as number | number[];
      return Array.isArray(result) ? result[0] : result;
    };
    const watched = [...layer.weights, ...scales.map((s) => s.weights[0])];
    const start = watched.map((w) => w.read());
    const base = await loss();
    const eps = 1e-2;
    // Central differences of the loss for a few entries of each weight and input scale.
    const numeric: number[][] = [];
    for (const [k, w] of watched.entries()) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const picks = [...new Set([0, Math.floor(n / 2), n - 1])];
      const row: number[] = [];
      for (const j of picks) {
        const at = (delta: number) => {
          const v = Float32Array.from(start[k].dataSync());
          v[j] += delta;
          w.assign(kiln.tensor(v, w.shape));
        };
        at(eps);
        const up = await loss();
        at(-eps);
        const down = await loss();
        w.assign(start[k]);
        row.push((up - down) / (2 * eps));
      }
      numeric.push(row);
    }
    t.true(Number.isFinite(base), `${name}: loss ${base}`);
    await model.fit(x, y, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
    watched.forEach((w, k) => {
      const after = Array.from(w.read().dataSync());
      const n = after.length;
      const picks = [...new Set([0, Math.floor(n / 2), n - 1])];
      picks.forEach((j, p) => {
        const analytic = start[k].dataSync()[j] - after[j];
        t.true(Math.abs(analytic - numeric[k][p]) <= 2e-3 + 2e-2 * Math.abs(analytic), `${name}: ${w.path}[${j}] engine ${analytic} vs finite difference ${numeric[k][p]}`);
      });
    });
  }
});

test("ActivityRegularization: l1·Σ|a| + l2·Σa² is in the evaluated and trained loss, as Keras'", async (t) => {
  const a = fixture.activity;
  const model = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [5], name: 'dense' }), new kiln.layers.ActivityRegularization({ l1: 0.01, l2: 0.02, name: 'activity' })]);
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
  model.setWeights(a.weights.map(tensor));
  const [x, y] = [tensor(a.x), tensor(a.y)];
  const evaluate = async (m: kiln.Model) => {
    const result = (await m.evaluate(x, y, { verbose: 0 })) as unknown as number | number[];
    return Array.isArray(result) ? result[0] : result;
  };
  const evaluated = await evaluate(model);
  t.true(Math.abs(evaluated - a.evaluate_loss) <= 1e-5 * (1 + a.evaluate_loss), `evaluate ${evaluated} vs Keras ${a.evaluate_loss}`);
  const trained = (await model.trainOnBatch(x, y)) as unknown as number | number[];
  const trainLoss = Array.isArray(trained) ? trained[0] : trained;
  t.true(Math.abs(trainLoss - a.train_loss) <= 1e-5 * (1 + a.train_loss), `trainOnBatch ${trainLoss} vs Keras ${a.train_loss}`);
  model.getWeights().forEach((w, i) => close(t, w, a.weights_after_step[i], `weight ${i} after one SGD step`));
  const plain = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [5] })]);
  plain.compile({ optimizer: 'sgd', loss: 'mse' });
  plain.setWeights(a.weights.map(tensor));
  t.true(evaluated > (await evaluate(plain)) + 1e-3, 'the penalty adds to the loss');
  t.deepEqual(new kiln.layers.ActivityRegularization({ l1: 0.5 }).getConfig().l1, 0.5);
  t.throws(() => new kiln.layers.ActivityRegularization({ l1: -1 }), { instanceOf: kiln.ValueError, message: /l1 must be a non-negative number, got -1/ });
  t.throws(() => new kiln.layers.ActivityRegularization({ activityRegularizer: 'l2' } as never), { instanceOf: kiln.ValueError, message: /activityRegularizer/ });
});

test("AlphaDropout keeps mean 0 and variance 1 of standard inputs in training, with Keras' two values per input, and is the identity otherwise", async (t) => {
  kiln.setSeed(4);
  const n = 4000;
  const rate = 0.3;
  // Train a model whose loss is the mean of the output and, separately, of its square.
  const data = kiln.random.normal([n, 1]);
  const run = async (square: boolean) => {
    const inputs = kiln.Input({ shape: [1] });
    const ones = new ScaleOnes([1]);
    let y = new kiln.layers.AlphaDropout(rate).apply(ones.apply(inputs));
    if (square) y = kiln.ops.square(y) as kiln.SymbolicTensor;
    const model = new kiln.Model({ inputs, outputs: y });
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0 }), loss: (_yTrue: kiln.Tensor, yPred: kiln.Tensor) => kiln.ops.mean(yPred, -1) });
    const history = await model.fit(data, kiln.tensor(new Float32Array(n), [n, 1]), { epochs: 1, batchSize: n, verbose: 0 });
    const evaluated = (await model.evaluate(data, kiln.tensor(new Float32Array(n), [n, 1]), { verbose: 0 })) as unknown as number;
    return { train: history.history.loss[0], evaluated };
  };
  const mean = await run(false);
  const second = await run(true);
  const dataMean = Array.from(data.dataSync()).reduce((a, v) => a + v, 0) / n;
  const dataSecond = Array.from(data.dataSync()).reduce((a, v) => a + v * v, 0) / n;
  t.true(Math.abs(mean.evaluated - dataMean) < 1e-6, 'identity at evaluation');
  t.true(Math.abs(second.evaluated - dataSecond) < 1e-5, 'identity at evaluation (second moment)');
  t.true(Math.abs(mean.train) < 0.08, `training mean ${mean.train}`);
  t.true(Math.abs(second.train - 1) < 0.12, `training second moment ${second.train}`);
  // Eagerly (inference) the identity; the rate is checked as Keras checks it.
  const x = kiln.tensor([[0.5, -1, 2]]);
  t.deepEqual(Array.from(new kiln.layers.AlphaDropout(0.5).apply(x).dataSync()), Array.from(x.dataSync()));
  t.throws(() => new kiln.layers.AlphaDropout(1.5), { instanceOf: kiln.ValueError, message: /rate/ });
});

test('AlphaDropout in training gives a·x + b for kept inputs and a·(−α·λ) + b for dropped ones', async (t) => {
  kiln.setSeed(9);
  const rate = 0.4;
  const alphaP = -1.6732632423543772 * 1.0507009873554805; // SELU's alpha and scale, to double precision
  const a = ((1 - rate) * (1 + rate * alphaP ** 2)) ** -0.5;
  const b = -a * alphaP * rate;
  // A loss that is the output itself at one position: its training value is the dropped output.
  const inputs = kiln.Input({ shape: [1] });
  const model = new kiln.Model({ inputs, outputs: new kiln.layers.AlphaDropout(rate).apply(inputs) });
  model.compile({ optimizer: 'sgd', loss: (_yTrue: kiln.Tensor, yPred: kiln.Tensor) => kiln.ops.mean(yPred, -1) });
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const v = await model.trainOnBatch(kiln.tensor([[0.7]]), kiln.tensor([[0]]));
    seen.add((Array.isArray(v) ? v[0] : (v as unknown as number)).toFixed(5));
  }
  t.deepEqual([...seen].sort(), [(a * 0.7 + b).toFixed(5), (a * alphaP + b).toFixed(5)].sort());
});

test('SpatialDropout3D drops whole channels of volumes in training only', async (t) => {
  kiln.setSeed(3);
  const inputs = kiln.Input({ shape: [2, 3, 2, 4] });
  const layer = new kiln.layers.SpatialDropout3D(0.5);
  const model = new kiln.Model({ inputs, outputs: layer.apply(inputs) });
  // The loss per sample: the output's variance over positions, per channel, summed: 0 when a
  // channel is dropped or kept whole (the input is constant per channel).
  const x = kiln.ops.add(kiln.ops.mul(kiln.tensor(new Float32Array(8 * 2 * 3 * 2 * 4), [8, 2, 3, 2, 4]), 0), kiln.tensor([1, 2, 3, 4]));
  model.compile({
    optimizer: 'sgd',
    loss: (_yTrue: kiln.Tensor, yPred: kiln.Tensor) => kiln.ops.sum(kiln.ops.mean(kiln.ops.square(kiln.ops.sub(yPred, kiln.ops.mean(yPred, [1, 2, 3], true))), [1, 2, 3]), -1),
  });
  const loss = await model.trainOnBatch(x, x);
  t.true(Math.abs(Array.isArray(loss) ? loss[0] : (loss as unknown as number)) < 1e-9, 'each channel is dropped or kept whole');
  const eager = layer.apply(x) as kiln.Tensor;
  t.deepEqual(Array.from(eager.dataSync()), Array.from(x.dataSync()));
  t.throws(() => new kiln.layers.SpatialDropout3D(0.2).apply(kiln.Input({ shape: [3, 4, 5] })), { message: /expected ndim=5/ });
  t.deepEqual(new kiln.layers.SpatialDropout3D(0.2).getConfig().dataFormat, 'channels_last');
});

test('Keras-style construction and bad arguments', (t) => {
  const L = kiln.layers;
  t.throws(() => new L.Attention({ scoreMode: 'cosine' } as never), { instanceOf: kiln.ValueError, message: /score_mode.*Received: score_mode='cosine'/ });
  t.throws(() => new L.Attention({ useScale: true, causal: true } as never), { message: /causal/ });
  t.throws(() => new L.AdditiveAttention({ scoreMode: 'dot' } as never), { message: /scoreMode is not an option of AdditiveAttention/ });
  const q = kiln.Input({ shape: [3, 4] });
  t.throws(() => new L.Attention().apply(q), { message: /must be called on a list of inputs/ });
  t.throws(() => new L.Attention().apply([q]), { message: /inputs list of length 2 or 3/ });
  t.throws(() => new L.Attention().apply([q, q], { useCausalMask: true, causal: true } as never), { message: /causal/ });
  t.throws(() => new L.Attention().apply([q, kiln.Input({ shape: [3, 5] })]), { message: /query's and key's last axes must be equal/ });
  const gqa = new L.GroupQueryAttention(4, 6, 3, { dropout: 0.1 });
  t.deepEqual([gqa.headDim, gqa.numQueryHeads, gqa.numKeyValueHeads, gqa.dropout], [4, 6, 3, 0.1]);
  t.throws(() => new L.GroupQueryAttention(4, 6, 4), { message: /num_query_heads.*divisible by.*num_key_value_heads/ });
  t.throws(() => new L.GroupQueryAttention({ headDim: 4, numQueryHeads: 2, numKeyValueHeads: 1, useGate: true }), { message: /useGate/ });
  t.throws(() => new L.GroupQueryAttention({ headDim: 0, numQueryHeads: 2, numKeyValueHeads: 1 }), { message: /headDim must be a positive integer, got 0/ });
  t.throws(() => new L.GroupNormalization({ groups: 0 }), { message: /groups.*Received: groups=0/ });
  t.throws(() => new L.GroupNormalization({ groups: 4 }).apply(kiln.Input({ shape: [3, 6] })), { message: /Number of groups \(4\) must be a multiple of the number of channels \(6\)/ });
  t.throws(() => new L.GroupNormalization({ groups: 8 }).apply(kiln.Input({ shape: [3, 6] })), { message: /cannot be more than the number of channels/ });
  t.throws(() => new L.RMSNormalization({ axis: 1 }).apply(kiln.Input({ shape: [3, 6] })), { message: /last ones/ });
  t.throws(() => new L.UnitNormalization({ axis: 'last' } as never), { message: /axis/ });
  // Identity keeps the mask it is given.
  const ids = kiln.Input({ shape: [4] });
  const embedded = new L.Embedding(5, 2, { maskZero: true }).apply(ids);
  const kept = new L.Identity().apply(embedded);
  t.deepEqual(kept.shape, [null, 4, 2]);
});

test('GroupNormalization with groups -1 saves the channel count after build, as Keras', (t) => {
  const layer = new kiln.layers.GroupNormalization({ groups: -1 });
  t.is(layer.getConfig().groups, -1);
  layer.apply(kiln.Input({ shape: [3, 5] }));
  t.is(layer.getConfig().groups, 5);
});

for (const saved of fixture.saved) {
  test(`a Keras model (${saved.file}) loads and predicts as Keras`, async (t) => {
    const { fileURLToPath } = await import('node:url');
    const model = await kiln.models.loadModel(fileURLToPath(new URL(`./fixtures/saving/${saved.file}`, import.meta.url)));
    close(t, await model.predict(saved.inputs.map(tensor)), saved.output, 'prediction', 1e-5);
  });
}

test('kiln saves each family to .keras; it loads back, and Keras loads it, predicting the same', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { spawnSync } = await import('node:child_process');
  const { findKerasPython, pythonEnv } = await import('./helpers/python.js');
  const directory = mkdtempSync(join(tmpdir(), 'kiln-attention-norm-'));
  try {
    const L = kiln.layers;
    kiln.setSeed(6);
    const q = kiln.Input({ shape: [4, 6] });
    const m = kiln.Input({ shape: [5, 6] });
    const joined = new L.Concatenate().apply([
      new L.Attention({ useScale: true }).apply([q, m], { useCausalMask: true }),
      new L.AdditiveAttention().apply([q, m, m]),
      new L.Attention({ scoreMode: 'concat' }).apply([q, m]),
      new L.GroupQueryAttention(3, 4, 2).apply(q, m, { useCausalMask: true }),
    ]);
    const normalized = new L.UnitNormalization({ axis: [1, 2] }).apply(new L.RMSNormalization().apply(new L.GroupNormalization({ groups: 4 }).apply(joined)));
    const regularized = new L.ActivityRegularization({ l1: 0.01 }).apply(new L.AlphaDropout(0.2).apply(new L.Identity().apply(normalized)));
    const volume = new L.Reshape([2, 4, 6, 2]).apply(regularized);
    const outputs = new L.Dense(2).apply(new L.Flatten().apply(new L.SpatialDropout3D(0.1).apply(volume)));
    const model = new kiln.Model({ inputs: [q, m], outputs });
    model.compile({ optimizer: 'adam', loss: 'mse' });
    // Non-trivial weights everywhere (scales of ones would hide a swapped weight).
    model.setWeights(
      model.getWeights().map((w, i) =>
        kiln.tensor(
          Float32Array.from({ length: w.size }, (_, j) => 0.2 + 0.7 * Math.sin(3 * i + j)),
          w.shape,
        ),
      ),
    );
    const data = [
      [2, 4, 6],
      [2, 5, 6],
    ].map((shape, k) =>
      kiln.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + k)),
        shape,
      ),
    );
    const ours = Array.from((await model.predict(data)).dataSync());
    const file = join(directory, 'families.keras');
    await model.save(file);
    const loaded = await kiln.models.loadModel(file);
    t.deepEqual(Array.from((await loaded.predict(data)).dataSync()), ours);
    const lookup = findKerasPython();
    if (!lookup.python) {
      t.log(`Keras check skipped: ${lookup.reason}`);
      return;
    }
    const script = [
      'import json, sys, numpy as np, keras',
      'm = keras.saving.load_model(sys.argv[1])',
      'x = [np.sin(np.arange(np.prod(s)) + k).reshape(s).astype("float32") for k, s in enumerate([(2, 4, 6), (2, 5, 6)])]',
      'print(json.dumps(m.predict(x, verbose=0).ravel().tolist()))',
    ].join('\n');
    const run = spawnSync(lookup.python, ['-c', script, file], { encoding: 'utf8', env: { ...pythonEnv, KERAS_BACKEND: 'jax' } });
    t.is(run.status, 0, run.stderr.slice(-3000));
    const keras = JSON.parse(run.stdout.trim().split('\n').pop()!) as number[];
    t.is(keras.length, ours.length);
    keras.forEach((v, i) => t.true(Math.abs(v - ours[i]) < 1e-4 * (1 + Math.abs(v)), `${v} vs ${ours[i]}`));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('attention dropout acts in training only (Attention, AdditiveAttention, GroupQueryAttention)', async (t) => {
  kiln.setSeed(12);
  const data = [kiln.random.normal([16, 4, 6]), kiln.random.normal([16, 5, 6])];
  const target = kiln.tensor(new Float32Array(16 * 4 * 6), [16, 4, 6]);
  const layers: [string, (q: kiln.SymbolicTensor, m: kiln.SymbolicTensor) => kiln.SymbolicTensor][] = [
    ['Attention', (q, m) => new kiln.layers.Attention({ dropout: 0.5 }).apply([q, m])],
    ['AdditiveAttention', (q, m) => new kiln.layers.AdditiveAttention({ dropout: 0.5 }).apply([q, m])],
    ['GroupQueryAttention', (q, m) => new kiln.layers.GroupQueryAttention(3, 4, 2, { dropout: 0.5 }).apply(q, m)],
  ];
  for (const [name, make] of layers) {
    const [q, m] = [kiln.Input({ shape: [4, 6] }), kiln.Input({ shape: [5, 6] })];
    const model = new kiln.Model({ inputs: [q, m], outputs: make(q, m) });
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
    const loss = async () => {
      const r = (await model.evaluate(data, target, { verbose: 0 })) as unknown as number | number[];
      return Array.isArray(r) ? r[0] : r;
    };
    const [first, second] = [await loss(), await loss()];
    t.is(first, second, `${name}: evaluation is deterministic`);
    const trained = (await model.fit(data, target, { epochs: 1, batchSize: 16, verbose: 0, shuffle: false })).history.loss[0];
    t.true(Math.abs(trained - first) > 1e-4 * first, `${name}: training loss ${trained} differs from evaluation ${first} (dropout)`);
  }
});

test('call options kiln cannot save yet are refused at save, not dropped', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const directory = mkdtempSync(join(tmpdir(), 'kiln-attention-save-'));
  try {
    const [q, m] = [kiln.Input({ shape: [4, 6] }), kiln.Input({ shape: [5, 6] })];
    const [out, scores] = new kiln.layers.Attention().apply([q, m], { returnAttentionScores: true }) as unknown as kiln.SymbolicTensor[];
    t.deepEqual(scores.shape, [null, 4, 5]);
    await t.throwsAsync(new kiln.Model({ inputs: [q, m], outputs: [out, scores] }).save(join(directory, 'scores.keras')), { message: /`returnAttentionScores`.*cannot be saved/ });
    const mask = kiln.Input({ shape: [5, 5] });
    const gqa = new kiln.layers.GroupQueryAttention(2, 2, 1).apply(m, m, { attentionMask: mask });
    await t.throwsAsync(new kiln.Model({ inputs: [m, mask], outputs: gqa }).save(join(directory, 'mask.keras')), { message: /`attentionMask`.*cannot be saved/ });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('Attention reads the masks its inputs carry (Embedding maskZero) as Keras passes them', async (t) => {
  kiln.setSeed(5);
  const [qi, vi] = [kiln.Input({ shape: [4] }), kiln.Input({ shape: [5] })];
  const embedding = new kiln.layers.Embedding(6, 3, { maskZero: true });
  const [q, v] = [embedding.apply(qi), embedding.apply(vi)];
  const attention = new kiln.layers.Attention({ useScale: true });
  const implicit = new kiln.Model({ inputs: [qi, vi], outputs: attention.apply([q, v]) });
  const ids = [
    kiln.tensor([
      [1, 2, 0, 0],
      [3, 4, 5, 0],
    ]),
    kiln.tensor([
      [1, 5, 2, 0, 0],
      [2, 2, 3, 4, 0],
    ]),
  ];
  const got = Array.from((await implicit.predict(ids)).dataSync());
  // The same with the masks given explicitly, eagerly.
  const masks = ids.map((x) => kiln.ops.notEqual(x, 0));
  const want = attention.apply([embedding.apply(ids[0]), embedding.apply(ids[1])], { mask: masks }) as kiln.Tensor;
  got.forEach((g, i) => t.true(Math.abs(g - want.dataSync()[i]) < 1e-6, `${g} vs ${want.dataSync()[i]}`));
  // Masked query positions give zeros; the output carries the query's mask.
  t.deepEqual(got.slice(2 * 3, 4 * 3), [0, 0, 0, 0, 0, 0]);
  const unmasked = attention.apply([embedding.apply(ids[0]), embedding.apply(ids[1])], { mask: [null, null] }) as kiln.Tensor;
  t.notDeepEqual(Array.from(unmasked.dataSync()), Array.from(want.dataSync()));
});
