// kiln.layers.MultiHeadAttention against Keras 3 (scripts/fixtures/keras_attention.py): the
// output and attention scores, eager and in a model, and the gradient of every weight, for
// self- and cross-attention, valueDim/outputShape, causal, explicit and value masks, no bias.
import test from 'ava';
import * as kiln from 'kiln-nn';
import { readFileSync } from 'node:fs';

interface Array_ {
  shape: number[];
  values: number[];
}
interface Case {
  name: string;
  args: Record<string, unknown>;
  call: Record<string, unknown>;
  inputs: Array_[];
  weights: (Array_ & { path: string })[];
  output: Array_;
  scores: Array_;
  cotangent: Array_;
  grads: Array_[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_attention.json', import.meta.url), 'utf8')) as { cases: Case[]; saved: { file: string; inputs: Array_[]; output: Array_ } };
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const tensor = (a: Array_) => kiln.tensor(a.values, a.shape);

function close(t: any, got: kiln.Tensor, want: Array_, what: string, tol = 1e-5): void {
  t.deepEqual(got.shape, want.shape, `${what}: shape`);
  const g = Array.from(got.dataSync());
  const worst = g.reduce((m, v, i) => Math.max(m, Math.abs(v - want.values[i]) / (1 + Math.abs(want.values[i]))), 0);
  t.true(worst <= tol, `${what}: largest relative difference ${worst}`);
}

function layerFor(c: Case): kiln.layers.MultiHeadAttention {
  const args = Object.fromEntries(Object.entries(c.args).map(([k, v]) => [camel(k), v]));
  return new kiln.layers.MultiHeadAttention(args as kiln.layers.MultiHeadAttentionArgs);
}

/** The call's options; masks become model inputs (`masks`) when `symbolic`, else tensors. */
function callOptions(c: Case, symbolic = false): { options: kiln.layers.MultiHeadAttentionCallOptions; masks: kiln.SymbolicTensor[]; values: kiln.Tensor[] } {
  const masks: kiln.SymbolicTensor[] = [];
  const values: kiln.Tensor[] = [];
  const entries = Object.entries(c.call).map(([k, v]) => {
    if (typeof v !== 'object') return [camel(k), v];
    values.push(tensor(v as Array_));
    if (!symbolic) return [camel(k), values[values.length - 1]];
    masks.push(kiln.Input({ shape: (v as Array_).shape.slice(1) }));
    return [camel(k), masks[masks.length - 1]];
  });
  return { options: Object.fromEntries(entries), masks, values };
}

for (const c of fixture.cases) {
  test(`${c.name}: weights, output and attention scores match Keras, eager and in a model`, async (t) => {
    const mha = layerFor(c);
    const inputs = c.inputs.map((i) => kiln.Input({ shape: i.shape.slice(1) }));
    const { options, masks, values } = callOptions(c, true);
    const [out, scores] = mha.apply(inputs[0], inputs[1], inputs[2], { ...options, returnAttentionScores: true }) as unknown as kiln.SymbolicTensor[];
    // Keras' weight paths and order, so Keras' weights load as they are.
    t.deepEqual(
      mha.weights.map((w) => w.path.replace(`${mha.name}/`, '')),
      c.weights.map((w) => w.path.replace(/^[^/]+\//, '')),
    );
    mha.setWeights(c.weights.map(tensor));
    const model = new kiln.Model({ inputs: [...inputs, ...masks], outputs: [out, scores] });
    const [y, s] = (await model.predict([...c.inputs.map(tensor), ...values])) as unknown as kiln.Tensor[];
    close(t, y, c.output, 'model output');
    close(t, s, c.scores, 'model attention scores');
    const eager = mha.apply(tensor(c.inputs[0]), tensor(c.inputs[1]), c.inputs[2] ? tensor(c.inputs[2]) : undefined, callOptions(c).options) as kiln.Tensor;
    close(t, eager, c.output, 'eager output');
  });

  test(`${c.name}: the engine's weight gradients match Keras'`, async (t) => {
    const mha = layerFor(c);
    const inputs = c.inputs.map((i) => kiln.Input({ shape: i.shape.slice(1) }));
    const { options, masks, values } = callOptions(c, true);
    const out = mha.apply(inputs[0], inputs[1], inputs[2], options) as kiln.SymbolicTensor;
    mha.setWeights(c.weights.map(tensor));
    const model = new kiln.Model({ inputs: [...inputs, ...masks], outputs: out });
    // sum(yTrue * yPred) per sample, averaged over the batch of 2: half of Keras' objective.
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: (yTrue: kiln.Tensor, yPred: kiln.Tensor) => kiln.ops.sum(kiln.ops.mul(yTrue, yPred), [1, 2]) });
    const before = mha.weights.map((w) => Array.from(w.read().dataSync()));
    await model.fit([...c.inputs.map(tensor), ...values], tensor(c.cotangent), { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    mha.weights.forEach((w, i) => {
      const grad = Array.from(w.read().dataSync()).map((v, j) => 2 * (before[i][j] - v));
      close(t, kiln.tensor(grad, w.shape), c.grads[i], `gradient of ${w.path}`, 1e-4);
    });
  });
}

test('Keras-style construction and bad arguments', (t) => {
  const positional = new kiln.layers.MultiHeadAttention(2, 8, { dropout: 0.1 });
  t.is(positional.numHeads, 2);
  t.is(positional.valueDim, 8);
  t.throws(() => new kiln.layers.MultiHeadAttention({ numHeads: 0, keyDim: 4 }), { message: /numHeads must be a positive integer, got 0/ });
  t.throws(() => new kiln.layers.MultiHeadAttention({ numHeads: 2, keyDim: 4, attentionAxes: [2] }), { message: /attentionAxes/ });
  t.throws(() => new kiln.layers.MultiHeadAttention({ numHeads: 2, keyDim: 4, useGate: true }), { message: /useGate/ });
  t.throws(() => new kiln.layers.MultiHeadAttention({ numHeads: 2, keyDim: 4, keyDims: 3 } as never), { message: /keyDims/ });
  const x = kiln.Input({ shape: [5, 6] });
  t.throws(() => positional.apply(x, x, { useCausalMask: true, causal: true } as never), { message: /call: unknown option 'causal'/ });
  t.throws(() => new kiln.layers.MultiHeadAttention(2, 4).apply(kiln.Input({ shape: [6] }), kiln.Input({ shape: [6] })), { message: /\[batch, sequence, features\]/ });
});

test('a transformer block on variable-length sequences trains (queries see only unmasked keys)', async (t) => {
  kiln.setSeed(2);
  const inputs = kiln.Input({ shape: [null] });
  const embedded = new kiln.layers.Embedding(12, 8, { maskZero: true }).apply(inputs);
  const attended = new kiln.layers.MultiHeadAttention(2, 4).apply(embedded, embedded);
  const pooled = new kiln.layers.GlobalAveragePooling1D().apply(kiln.ops.add(embedded, attended) as kiln.SymbolicTensor);
  const outputs = new kiln.layers.Dense(2, { activation: 'softmax' }).apply(pooled);
  const model = new kiln.Model({ inputs, outputs: outputs as kiln.SymbolicTensor });
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.02 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const data = (n: number, length: number) => {
    const ids = Array.from({ length: n }, (_, i) => Array.from({ length }, (_, j) => (j >= length - (i % 3) ? 0 : 1 + ((i % 2) * 5 + ((i + j) % 5)))));
    return [kiln.tensor(ids), kiln.tensor(Array.from({ length: n }, (_, i) => i % 2))];
  };
  for (const length of [6, 9]) {
    const [x, y] = data(64, length);
    await model.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0 });
  }
  const [x, y] = data(32, 7);
  const [, accuracy] = await model.evaluate(x, y, { verbose: 0 });
  t.true(accuracy >= 0.9, `accuracy ${accuracy}`);
});

test('a model with MultiHeadAttention saves to .keras and loads back predicting the same', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const directory = mkdtempSync(join(tmpdir(), 'kiln-mha-'));
  try {
    const x = kiln.Input({ shape: [4, 6] });
    const y = new kiln.layers.MultiHeadAttention(2, 3, { valueDim: 2, outputShape: 5 }).apply(x, x);
    const model = new kiln.Model({ inputs: x, outputs: y });
    const data = kiln.tensor(
      Float32Array.from({ length: 48 }, (_, i) => Math.sin(i)),
      [2, 4, 6],
    );
    const file = join(directory, 'mha.keras');
    await model.save(file);
    const loaded = await kiln.models.loadModel(file);
    t.deepEqual(Array.from((await loaded.predict(data)).dataSync()), Array.from((await model.predict(data)).dataSync()));
    // useCausalMask is saved as Keras' call keyword; a mask tensor by keyword is refused rather than dropped.
    const causal = new kiln.Model({ inputs: x, outputs: new kiln.layers.MultiHeadAttention(2, 3).apply(x, x, { useCausalMask: true }) });
    await causal.save(join(directory, 'causal.keras'));
    const reloaded = await kiln.models.loadModel(join(directory, 'causal.keras'));
    t.deepEqual(Array.from((await reloaded.predict(data)).dataSync()), Array.from((await causal.predict(data)).dataSync()));
    const maskInput = kiln.Input({ shape: [4, 4] });
    const masked = new kiln.layers.MultiHeadAttention(2, 3).apply(x, x, { attentionMask: maskInput });
    await t.throwsAsync(new kiln.Model({ inputs: [x, maskInput], outputs: masked }).save(join(directory, 'masked.keras')), { message: /`attentionMask`.*cannot be saved/ });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('a Keras .keras model with MultiHeadAttention (causal self-attention, cross-attention with a key) loads and predicts as Keras', async (t) => {
  const { fileURLToPath } = await import('node:url');
  const model = await kiln.models.loadModel(fileURLToPath(new URL(`./fixtures/saving/${fixture.saved.file}`, import.meta.url)));
  const attention = model.layers.filter((l) => l instanceof kiln.layers.MultiHeadAttention) as kiln.layers.MultiHeadAttention[];
  t.deepEqual(
    attention.map((l) => [l.name, l.numHeads, l.keyDim]),
    [
      ['self_attention', 2, 3],
      ['cross_attention', 3, 2],
    ],
  );
  close(t, await model.predict(fixture.saved.inputs.map(tensor)), fixture.saved.output, 'prediction', 1e-5);
});

test('Keras loads a kiln model with MultiHeadAttention and predicts the same', async (t) => {
  const { findKerasPython, pythonEnv } = await import('./helpers/python.js');
  const lookup = findKerasPython();
  if (!lookup.python) {
    t.log(`skipped: ${lookup.reason}`);
    t.pass();
    return;
  }
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { spawnSync } = await import('node:child_process');
  const directory = mkdtempSync(join(tmpdir(), 'kiln-mha-keras-'));
  try {
    const [q, m] = [kiln.Input({ shape: [4, 6] }), kiln.Input({ shape: [5, 3] })];
    const x = new kiln.layers.MultiHeadAttention(2, 3, { outputShape: 4 }).apply(q, m, m, { useCausalMask: true });
    const model = new kiln.Model({ inputs: [q, m], outputs: new kiln.layers.Dense(2).apply(x) });
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const data = [
      [2, 4, 6],
      [2, 5, 3],
    ].map((shape, k) =>
      kiln.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + k)),
        shape,
      ),
    );
    const ours = Array.from((await model.predict(data)).dataSync());
    const file = join(directory, 'mha.keras');
    await model.save(file);
    const script = [
      'import json, sys, numpy as np, keras',
      'm = keras.saving.load_model(sys.argv[1])',
      'x = [np.sin(np.arange(np.prod(s)) + k).reshape(s).astype("float32") for k, s in enumerate([(2, 4, 6), (2, 5, 3)])]',
      'print(json.dumps(m.predict(x, verbose=0).ravel().tolist()))',
    ].join('\n');
    const run = spawnSync(lookup.python, ['-c', script, file], { encoding: 'utf8', env: { ...pythonEnv, KERAS_BACKEND: 'jax' } });
    t.is(run.status, 0, run.stderr.slice(-3000));
    const keras = JSON.parse(run.stdout.trim().split('\n').pop()!) as number[];
    keras.forEach((v, i) => t.true(Math.abs(v - ours[i]) < 1e-5, `${v} vs ${ours[i]}`));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
