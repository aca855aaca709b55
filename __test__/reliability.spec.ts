// Issue 13: what a caller can pass must never silently corrupt results. NaN and Infinity
// propagate as in TensorFlow and numpy; integers cross to native code by one rule; misuse is
// a KilnError that says what was wrong.
import test from 'ava';
import * as kiln from 'kiln-nn';
import { kilnPredictor, startServer } from '../examples/serve.js';

const values = (t: kiln.Tensor) => Array.from(t.dataSync());

test('NaN propagates through relu, maximum, minimum, max and softmax as in TensorFlow', (t) => {
  t.deepEqual(values(kiln.ops.relu(kiln.tensor([NaN, -1, 2, Infinity]))), [NaN, 0, 2, Infinity]);
  t.deepEqual(values(kiln.ops.maximum(kiln.tensor([NaN, 0, 1]), kiln.tensor([0, NaN, -1]))), [NaN, NaN, 1]);
  t.deepEqual(values(kiln.ops.minimum(kiln.tensor([NaN, 0, 1]), kiln.tensor([0, NaN, -1]))), [NaN, NaN, -1]);
  t.true(Number.isNaN(values(kiln.ops.max(kiln.tensor([NaN, 1])))[0]));
  t.deepEqual(
    values(
      kiln.ops.max(
        kiln.tensor([
          [1, NaN],
          [3, 2],
        ]),
        1,
      ),
    ),
    [NaN, 3],
  );
  t.true(values(kiln.ops.softmax(kiln.tensor([[NaN, 1, 2]]))).every(Number.isNaN));
  for (const f of [kiln.ops.relu6, kiln.ops.leakyRelu, kiln.ops.elu, kiln.ops.softplus, kiln.ops.hardSigmoid]) {
    t.true(Number.isNaN(values(f(kiln.tensor([NaN])))[0]), f.name);
  }
});

test('argMax returns the first NaN as numpy does', (t) => {
  t.deepEqual(
    values(
      kiln
        .tensor([
          [1, NaN, 3],
          [0, 5, 2],
          [NaN, NaN, 0],
        ])
        .argMax(),
    ),
    [1, 1, 0],
  );
  t.deepEqual(values(kiln.tensor([[1, Infinity, 3]]).argMax()), [1]);
});

test('max pooling of a window holding NaN gives NaN', (t) => {
  const x = kiln.tensor([
    [
      [[NaN], [1]],
      [[2], [3]],
    ],
  ]);
  const y = new kiln.layers.MaxPooling2D([2, 2]).apply(x) as kiln.Tensor;
  t.true(Number.isNaN(values(y)[0]));
});

test('a NaN row predicts NaN, not a uniform softmax', async (t) => {
  kiln.setSeed(3);
  const model = new kiln.Sequential([new kiln.layers.Dense(4, { activation: 'relu', inputShape: [2] }), new kiln.layers.Dense(3, { activation: 'softmax' })]);
  const out = (await model.predict(
    kiln.tensor([
      [NaN, 1],
      [0.5, 1],
    ]),
  )) as kiln.Tensor;
  const [nanRow, goodRow] = out.toArray() as number[][];
  t.true(nanRow.every(Number.isNaN), `NaN row gave ${nanRow}`);
  t.true(Math.abs(goodRow.reduce((a, b) => a + b, 0) - 1) < 1e-6);
});

test('serve.ts answers 400 to a number that is Infinity in float32 (1e39)', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { activation: 'softmax', inputShape: [3] })]);
  const { url, close } = await startServer(kilnPredictor(model), { port: 0 });
  try {
    const post = (body: string) => fetch(`${url}/predict`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const reply = await post('{"instances": [[1e39, 0, 1]]}');
    t.is(reply.status, 400);
    t.regex(((await reply.json()) as { error: string }).error, /outside float32's range/);
    // A large bad leaf is described, not echoed back.
    const big = await post(JSON.stringify({ instances: [[[...new Array(10_000).fill(1)], 0, 1]] }));
    t.is(big.status, 400);
    t.true((await big.text()).length < 500);
    t.is((await post('{"instances": [[3e38, 0, 1]]}')).status, 200);
  } finally {
    await close();
  }
});

test('reshape refuses negative and fractional sizes instead of reading them as -1 or truncating', (t) => {
  const x = kiln.tensor([1, 2, 3, 4, 5, 6]);
  t.throws(() => x.reshape([-5, 2]), { instanceOf: kiln.ValueError, message: /reshape: `shape\[0\]` must be a non-negative integer, got -5/ });
  t.throws(() => x.reshape([2.9, 3]), { instanceOf: kiln.ValueError, message: /got 2\.9/ });
  t.throws(() => x.reshape([-1, -1]), { instanceOf: kiln.ShapeError, message: /only one dimension can be -1/ });
  t.deepEqual(x.reshape([-1, 2]).shape, [3, 2]);
  t.throws(() => kiln.tensor([1, 2], [NaN]), { instanceOf: kiln.ValueError });
});

test('gather refuses NaN, fractions, negatives and indices past the axis instead of reading row 0', (t) => {
  const x = kiln.tensor([
    [1, 2],
    [3, 4],
  ]);
  for (const bad of [NaN, 2 ** 32, -1, 0.5, 2]) {
    t.throws(() => x.gather([bad]), { instanceOf: kiln.ValueError, message: new RegExp(`gather: index ${String(bad).replace('.', '\\.')} at position 0 is not an integer in \\[0, 2\\)`) });
  }
  t.deepEqual(x.gather([1, 0]).toArray(), [
    [3, 4],
    [1, 2],
  ]);
  t.deepEqual(x.gather(kiln.tensor([1], undefined, 'int32')).toArray(), [[3, 4]]);
});

test('randint refuses bounds outside int32 instead of returning negatives; shapes that overflow are refused', (t) => {
  t.throws(() => kiln.random.randint(0, 2 ** 40, [3]), { instanceOf: kiln.ValueError, message: /randint: `high` must be an integer in \[-2147483648, 2147483648\], got 1099511627776/ });
  const r = values(kiln.random.randint(2 ** 31 - 10, 2 ** 31, [100]));
  t.true(r.every((v) => v >= 2 ** 31 - 10 && v < 2 ** 31));
  t.throws(() => kiln.random.uniform([65536, 65536, 65536, 65536]), { instanceOf: kiln.ShapeError, message: /more than 2\^53 - 1/ });
  t.throws(() => kiln.random.uniform([2.5]), { instanceOf: kiln.ValueError });
});

test('Dense(2**32 + 1) is built with its real size or refused, never with one unit', async (t) => {
  const layer = new kiln.layers.Dense(2 ** 32 + 1);
  const error = t.throws(() => layer.apply(kiln.Input({ shape: [4] })));
  t.true(error instanceof kiln.ResourceExhaustedError, String(error));
  t.regex(error!.message, /cannot allocate 17179869188 values/);
});

test('an array that contains itself, or nests past 64 levels, is refused', (t) => {
  const loop: unknown[] = [1];
  loop[0] = loop;
  t.throws(() => kiln.tensor(loop as kiln.NestedArray), { instanceOf: kiln.ShapeError, message: /nested more than 64 deep/ });
  let deep: kiln.NestedArray = 1;
  for (let i = 0; i < 200_000; i++) deep = [deep];
  t.throws(() => kiln.tensor(deep), { instanceOf: kiln.ShapeError });
});

test('matmul of [2, 0] by [0, 3] gives zeros as numpy does', (t) => {
  const y = kiln.ops.matmul(kiln.tensor(new Float32Array(0), [2, 0]), kiln.tensor(new Float32Array(0), [0, 3]));
  t.deepEqual(y.toArray(), [
    [0, 0, 0],
    [0, 0, 0],
  ]);
});

test('raw napi conversion text never reaches users', (t) => {
  const error = t.throws(() => kiln.ops.sum(kiln.tensor([1, 2]), 'x' as unknown as number));
  t.true(error instanceof kiln.ValueError, String(error));
  t.notRegex(error!.message, /napi|rust type/);
  // kiln.ops checks the axis before it crosses napi; either way the message names it.
  t.regex(error!.message, /axis "x" is out of range|expected a number, got a string/);
});

test('a model cannot be added to itself, directly or through a nested model', (t) => {
  const m = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
  t.throws(() => m.add(m), { instanceOf: kiln.ValueError, message: /cannot be added to itself/ });
  const outer = new kiln.Sequential([m]);
  t.throws(() => m.add(outer), { instanceOf: kiln.ValueError, message: /cannot be added to itself/ });
  t.is(m.layers.length, 1);
});

function embeddingModel() {
  kiln.setSeed(5);
  const model = new kiln.Sequential([new kiln.layers.Embedding(10, 4, { inputShape: [3] }), new kiln.layers.Flatten(), new kiln.layers.Dense(1)]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  return model;
}

test('embedding ids outside the table are an error in predict and fit, naming the id and the table size', async (t) => {
  const model = embeddingModel();
  for (const bad of [15, -1, 2.5]) {
    const ids = kiln.tensor([
      [1, 2, 3],
      [4, bad, 0],
    ]);
    const message = new RegExp(`embedding id ${String(bad).replace('.', '\\.')} is not in \\[0, 10\\)`);
    await t.throwsAsync(model.predict(ids), { instanceOf: kiln.ValueError, message });
    await t.throwsAsync(model.fit(ids, kiln.tensor([[1], [2]]), { epochs: 1, verbose: 0 }), { instanceOf: kiln.ValueError, message });
  }
  // Eager calls refuse them too.
  const layer = model.layers[0];
  t.throws(() => layer.apply(kiln.tensor([[15, 0, 0]])), { instanceOf: kiln.ValueError, message: /15/ });
  // Good ids still work.
  t.deepEqual(((await model.predict(kiln.tensor([[1, 2, 3]]))) as kiln.Tensor).shape, [1, 1]);
});

test('fit with batchSize 2**32 + 1 trains on whole batches of the data, not one sample per step', async (t) => {
  const x = kiln.random.uniform([10, 3]);
  const y = kiln.random.uniform([10, 1]);
  const trained = async (batchSize: number) => {
    kiln.setSeed(4);
    const model = new kiln.Sequential([new kiln.layers.Dense(1, { inputShape: [3] })]);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    await model.fit(x, y, { epochs: 1, batchSize, verbose: 0, shuffle: false });
    return Array.from(model.getWeights()[0].dataSync());
  };
  // Larger than the data: one batch of all 10 samples, as Keras does.
  t.deepEqual(await trained(2 ** 32 + 1), await trained(10));
  t.notDeepEqual(await trained(1), await trained(10));
});

test('adding layers to a Sequential applies only the new layer: each layer is called once, not once per add', (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(4, { inputShape: [4] })]);
  for (let i = 0; i < 60; i++) model.add(new kiln.layers.Dense(4));
  t.is(model.layers.length, 61);
  t.true(
    model.layers.every((layer) => layer.inboundNodes.length === 1),
    `calls per layer: ${model.layers.map((l) => l.inboundNodes.length).join(',')}`,
  );
  model.pop();
  t.is(model.layers.length, 60);
  t.deepEqual(model.outputs[0].shape, [null, 4]);
});

test('a functional model 20,000 layers deep builds and predicts: graph walks are not limited by the call stack', async (t) => {
  const input = kiln.Input({ shape: [3] });
  let x = input;
  for (let i = 0; i < 20_000; i++) x = new kiln.layers.Activation('relu').apply(x);
  const model = new kiln.Model({ inputs: input, outputs: x });
  t.is(model.layers.length, 20_001);
  t.deepEqual(((await model.predict(kiln.tensor([[1, -2, 3]]))) as kiln.Tensor).toArray(), [[1, 0, 3]]);
});

test('hinge-family losses and metrics of a diverged (NaN) model are NaN, so TerminateOnNaN can see it', async (t) => {
  for (const loss of ['hinge', 'squared_hinge', 'categorical_hinge']) {
    const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
    model.compile({ optimizer: 'sgd', loss, metrics: [loss] });
    model.setWeights([
      kiln.tensor([
        [NaN, 0],
        [0, 0],
        [0, 0],
      ]),
      kiln.tensor([0, 0]),
    ]);
    const [value, metric] = (await model.evaluate(kiln.tensor([[1, 2, 3]]), kiln.tensor([[0, 1]]), { verbose: 0 })) as number[];
    t.true(Number.isNaN(value), `${loss} loss ${value}`);
    t.true(Number.isNaN(metric), `${loss} metric ${metric}`);
  }
});
