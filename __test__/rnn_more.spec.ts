// The recurrent extensions against Keras 3 and on a task: returnState, masks from
// Embedding({ maskZero }) and Masking, Bidirectional and TimeDistributed. The fixture comes from
// scripts/fixtures/keras_layers_rnn.py (no Python is needed here); each case describes a small
// model as data, built here with kiln's public API.
import test from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';
import { allClose, type FixtureArray } from './helpers/keras_layer_cases.js';

interface LayerSpec {
  class: string;
  args: (number | LayerSpec)[];
  options: Record<string, unknown>;
}
interface Case {
  name: string;
  input: { shape: number[]; ids?: boolean };
  layers: LayerSpec[];
  x: FixtureArray;
  weights: FixtureArray[];
  outputs: FixtureArray[];
  R: FixtureArray[];
  weightGrads: FixtureArray[];
}
const fixture: { keras: string; batch: number; cases: Case[] } = JSON.parse(readFileSync(new URL('./fixtures/keras_layers_rnn.json', import.meta.url), 'utf8'));

const toTensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.data), a.shape);
const isSpec = (v: unknown): v is LayerSpec => typeof v === 'object' && v !== null && 'class' in v;

function makeLayer(spec: LayerSpec): kiln.layers.Layer {
  const Cls = (kiln.layers as unknown as Record<string, new (...args: unknown[]) => kiln.layers.Layer>)[spec.class];
  const options = Object.fromEntries(Object.entries(spec.options).map(([k, v]) => [k, isSpec(v) ? makeLayer(v) : v]));
  return new Cls(...spec.args.map((a) => (isSpec(a) ? makeLayer(a) : a)), options);
}

function makeModel(c: Case): kiln.Model {
  const inputs = kiln.Input({ shape: c.input.shape });
  let y: kiln.SymbolicTensor | kiln.SymbolicTensor[] = inputs;
  for (const spec of c.layers) y = makeLayer(spec).apply<kiln.SymbolicTensor | kiln.SymbolicTensor[]>(y as kiln.SymbolicTensor);
  return new kiln.Model({ inputs, outputs: y });
}

const asList = (p: kiln.Tensor | kiln.Tensor[]) => (Array.isArray(p) ? p : [p]);

test('the fixture comes from Keras 3 and covers masks, returnState, Bidirectional and TimeDistributed', (t) => {
  t.regex(fixture.keras, /^3\./);
  const classes = new Set(fixture.cases.flatMap((c) => c.layers.map((l) => l.class)));
  for (const name of ['Embedding', 'Masking', 'Bidirectional', 'TimeDistributed', 'LSTM', 'GRU', 'SimpleRNN']) t.true(classes.has(name), name);
  t.true(
    fixture.cases.some((c) => c.outputs.length === 5),
    "a Bidirectional LSTM with both directions' states",
  );
});

for (const c of fixture.cases) {
  test(`${c.name}: outputs match Keras`, async (t) => {
    const model = makeModel(c);
    t.is(model.outputs.length, c.outputs.length);
    model.outputs.forEach((o, i) => t.deepEqual(o.shape, [null, ...c.outputs[i].shape.slice(1)], `symbolic shape of output ${i}`));
    model.setWeights(c.weights.map(toTensor));
    const predicted = asList(await model.predict<kiln.Tensor | kiln.Tensor[]>(toTensor(c.x)));
    predicted.forEach((p, i) => {
      t.deepEqual(p.shape, c.outputs[i].shape);
      allClose(t, p.dataSync(), c.outputs[i], 1e-5, 1e-5, `output ${i}`);
    });
  });

  test(`${c.name}: weight gradients match Keras`, async (t) => {
    // One SGD step at learning rate 1 on mse targets t = y - R n w / 2 moves each weight by
    // -d sum_k(sum(output_k R_k)) / d weight (see keras_layers.spec.ts).
    const model = makeModel(c);
    const start = c.weights.map(toTensor);
    model.setWeights(start);
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: 'mse' });
    const x = toTensor(c.x);
    const n = c.x.shape[0];
    const ys = asList(await model.predict<kiln.Tensor | kiln.Tensor[]>(x));
    const targets = ys.map((y, k) => {
      const width = y.size / n;
      return kiln.tensor(
        Float32Array.from(y.dataSync(), (v, i) => v - (c.R[k].data[i] * n * width) / 2),
        y.shape,
      );
    });
    await model.fit(x, targets, { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
    const after = model.getWeights().map((w) => w.dataSync());
    t.is(after.length, c.weightGrads.length, "weights in Keras' order");
    c.weightGrads.forEach((g, i) =>
      allClose(
        t,
        Float64Array.from(start[i].dataSync(), (v, j) => v - after[i][j]),
        g,
        3e-5,
        2e-4,
        `gradient of weight ${i} (${model.weights[i]?.path})`,
      ),
    );
  });
}

test('a masked Bidirectional LSTM with states: gradients match finite differences of the loss', async (t) => {
  kiln.setSeed(3);
  const ids = kiln.Input({ shape: [5] });
  const embedded = new kiln.layers.Embedding(6, 3, { maskZero: true }).apply(ids);
  const [merged, hf, , hb] = new kiln.layers.Bidirectional(new kiln.layers.LSTM(2, { returnSequences: true, returnState: true }), { mergeMode: 'ave' }).apply<kiln.SymbolicTensor[]>(embedded);
  const model = new kiln.Model({ inputs: ids, outputs: [merged, new kiln.layers.Concatenate().apply([hf, hb])] });
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1 }), loss: ['mse', 'mse'], lossWeights: [1, 0.5] });
  const x = kiln.tensor([
    [1, 2, 3, 0, 0],
    [4, 0, 0, 0, 0],
    [5, 1, 2, 3, 4],
  ]);
  const y = [kiln.random.normal([3, 5, 2]), kiln.random.normal([3, 4])];
  const start = model.getWeights();
  const lossAt = async (weights: kiln.Tensor[]) => {
    model.setWeights(weights);
    return (await model.evaluate(x, y, { batchSize: 3, verbose: 0 }))[0];
  };
  await model.fit(x, y, { epochs: 1, batchSize: 3, shuffle: false, verbose: 0 });
  const step = model.getWeights().map((w, i) => Float64Array.from(start[i].dataSync(), (v, j) => v - w.dataSync()[j]));
  // A few entries of every weight (embedding rows of used ids, kernels, recurrent kernels, biases).
  const eps = 1e-2;
  for (const [w, index] of [
    [0, 4],
    [0, 9],
    [1, 3],
    [2, 5],
    [3, 6],
    [4, 1],
    [5, 7],
    [6, 2],
  ] as const) {
    const bumped = (delta: number) =>
      start.map((s, i) =>
        i === w
          ? kiln.tensor(
              Float32Array.from(s.dataSync(), (v, j) => (j === index ? v + delta : v)),
              s.shape,
            )
          : s,
      );
    const numeric = ((await lossAt(bumped(eps))) - (await lossAt(bumped(-eps)))) / (2 * eps);
    t.true(Math.abs(step[w][index] - numeric) <= 2e-3 + 2e-2 * Math.abs(numeric), `weight ${w}[${index}]: ${step[w][index]} vs finite difference ${numeric}`);
  }
  t.true(
    step[0].slice(0, 3).every((v) => v === 0),
    "the padding id's embedding row gets no gradient (masked everywhere)",
  );
});

test('Bidirectional LSTM with maskZero learns the last real token of zero-padded sequences', async (t) => {
  kiln.setSeed(11);
  // Sequences of 2..8 tokens from 1..3, zero-padded at the end to 8; the label is the last real token.
  const make = (n: number) => {
    const x = new Float32Array(n * 8);
    const y = new Float32Array(n);
    const lengths = kiln.random.randint(2, 9, [n]).dataSync();
    const tokens = kiln.random.randint(1, 4, [n, 8]).dataSync();
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < lengths[i]; s++) x[i * 8 + s] = tokens[i * 8 + s];
      y[i] = x[i * 8 + lengths[i] - 1] - 1;
    }
    return [kiln.tensor(x, [n, 8]), kiln.tensor(y, [n])] as const;
  };
  const [xTrain, yTrain] = make(512);
  const [xTest, yTest] = make(200);
  const model = new kiln.Sequential([
    new kiln.layers.Embedding(4, 8, { maskZero: true, inputShape: [8] }),
    new kiln.layers.Bidirectional(new kiln.layers.LSTM(8)),
    new kiln.layers.Dense(3, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.02 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await model.fit(xTrain, yTrain, { epochs: 12, batchSize: 32, verbose: 0 });
  const [, accuracy] = await model.evaluate(xTest, yTest, { verbose: 0 });
  t.true(accuracy >= 0.95, `test accuracy ${accuracy}`);
  // Masked steps change nothing: the same prefix with other padding lengths gives the same output.
  t.deepEqual(model.layers[1].getWeights().length, 6);
});

test('called eagerly, returnState and masks give what the compiled model predicts', async (t) => {
  kiln.setSeed(5);
  const embedding = new kiln.layers.Embedding(5, 3, { maskZero: true });
  const lstm = new kiln.layers.LSTM(2, { returnSequences: true, returnState: true });
  const x = kiln.tensor([
    [1, 2, 0, 0],
    [3, 4, 1, 0],
  ]);
  const eager = lstm.apply<kiln.Tensor[]>(embedding.apply(x));
  t.is(eager.length, 3);
  const ids = kiln.Input({ shape: [4] });
  const model = new kiln.Model({ inputs: ids, outputs: lstm.apply<kiln.SymbolicTensor[]>(embedding.apply(ids)) });
  const predicted = await model.predict<kiln.Tensor[]>(x);
  predicted.forEach((p, i) => allClose(t, eager[i].dataSync(), { shape: p.shape, data: Array.from(p.dataSync()) }, 1e-6, 1e-6, `output ${i}`));
  // Sample 0 stops at step 1: its sequence repeats h_1 over the padding, which is also its state h.
  const seq = predicted[0].toArray() as number[][][];
  t.deepEqual(seq[0][2], seq[0][1]);
  t.deepEqual(seq[0][3], (predicted[1].toArray() as number[][])[0]);
});

test("bad wrappers and inputs are refused with Keras' messages", (t) => {
  t.throws(() => new kiln.layers.Bidirectional(new kiln.layers.Dense(2) as unknown as kiln.layers.LSTM), { instanceOf: kiln.ValueError, message: /Bidirectional/ });
  t.throws(() => new kiln.layers.Bidirectional(new kiln.layers.LSTM(2), { mergeMode: 'max' as 'sum' }), { instanceOf: kiln.ValueError, message: /merge mode.*max/i });
  t.throws(() => new kiln.layers.TimeDistributed(new kiln.layers.Dense(2)).apply(kiln.Input({ shape: [3] })), { instanceOf: kiln.ShapeError, message: /at least 3 dimensions/ });
  t.throws(() => new kiln.layers.Bidirectional(new kiln.layers.LSTM(2)).apply(kiln.Input({ shape: [3] })), { instanceOf: kiln.ShapeError, message: /expected ndim=3/ });
});
