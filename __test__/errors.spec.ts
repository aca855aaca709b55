// Bad input: each case gets a typed kiln.KilnError whose message names the layer or argument,
// what was expected and what was given, and the process (and the model) keeps working.
import test, { type ExecutionContext } from 'ava';
import * as kiln from 'kiln-nn';

type ErrorClass = typeof kiln.KilnError;

/** Asserts `f` throws (or rejects with) an instance of `type` whose message matches every pattern. */
async function expectError(t: ExecutionContext, f: () => unknown, type: ErrorClass, patterns: RegExp[], label = ''): Promise<Error | undefined> {
  let error: unknown;
  try {
    await f();
  } catch (e) {
    error = e;
  }
  if (error === undefined) {
    t.fail(`${label}: expected ${type.name}, nothing was thrown`);
    return undefined;
  }
  t.true(error instanceof type, `${label}: expected ${type.name}, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  t.true(error instanceof kiln.KilnError, `${label}: is a KilnError`);
  const message = (error as Error)?.message ?? '';
  for (const p of patterns) t.regex(message, p, `${label}: message names ${p}`);
  return error as Error;
}

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Lets the garbage collector and the deferred native finalizers catch up. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    await tick();
  }
}

function mnistLike(name = 'dense_in'): kiln.Sequential {
  const model = new kiln.Sequential([new kiln.layers.Dense(16, { inputShape: [784], activation: 'relu', name }), new kiln.layers.Dense(10, { activation: 'softmax' })]);
  model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

function labels(n: number, classes = 10): kiln.Tensor {
  return kiln.tensor(Int32Array.from({ length: n }, (_, i) => i % classes));
}

async function stillTrains(t: ExecutionContext, model: kiln.Model, x: kiln.Tensor, y: kiln.Tensor): Promise<void> {
  const h = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
  t.true(Number.isFinite(h.history.loss[0]), 'the model still trains after the error');
}

const flat = (t: kiln.Tensor) => Array.from(t.dataSync());

// ---------------------------------------------------------------------------------------------
// Leak checks first, serially, so RSS is this test's alone.

// A failing fit rejects before any native work is queued, so `await` resumes in a microtask
// and the event loop never turns inside the loop; the tensors' native memory is only freed
// when it does (see the failing test below). These checks turn it once per call, so what they
// measure is memory the failing calls keep.
async function badLabelFits(t: ExecutionContext, model: kiln.Model, count: number, turnEventLoop: boolean): Promise<{ start: number; peak: number; end: number }> {
  const bad = kiln.tensor(Int32Array.from({ length: 1000 }, (_, i) => (i === 999 ? 10 : i % 10)));
  // Warm up (engine, workspaces) before measuring.
  await t.throwsAsync(model.fit(kiln.random.uniform([1000, 784]), bad, { verbose: 0 }), { instanceOf: kiln.ValueError });
  await settle();
  const start = rssMiB();
  let peak = start;
  for (let i = 0; i < count; i++) {
    const x = kiln.random.uniform([1000, 784]); // 3 MB each
    await t.throwsAsync(model.fit(x, bad, { batchSize: 32, verbose: 0 }), { instanceOf: kiln.ValueError, message: /label value of 10/ });
    if (turnEventLoop) await tick();
    peak = Math.max(peak, rssMiB());
  }
  await settle();
  const end = rssMiB();
  t.log(`RSS start ${start.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, end ${end.toFixed(0)} MiB after ${count} failing fits on 3 MB inputs`);
  return { start, peak, end };
}

test.serial('leak check: 200 fits with out-of-range labels on 1000x784 float32 inputs', async (t) => {
  const model = mnistLike('leak_dense');
  const { start, peak, end } = await badLabelFits(t, model, 200, true);
  t.true(peak - start < 300, `RSS grew by up to ${(peak - start).toFixed(0)} MiB`);
  t.true(end - start < 150, `RSS grew by ${(end - start).toFixed(0)} MiB`);
  await stillTrains(t, model, kiln.random.uniform([16, 784]), labels(16));
});

test.serial('leak check: repeated shape, NaN, length and target-width errors', async (t) => {
  const model = mnistLike('leak_dense2');
  const cce = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [784], activation: 'softmax' })]);
  cce.compile({ loss: 'categorical_crossentropy' });
  const failing: [string, () => Promise<unknown>, ErrorClass][] = [
    ['wrong last axis', () => model.fit(kiln.random.uniform([1000, 28, 28]), labels(1000), { verbose: 0 }), kiln.ShapeError],
    [
      'NaN in the last sample',
      () => {
        const v = new Float32Array(1000 * 784);
        v[v.length - 1] = NaN;
        return model.fit(kiln.tensor(v, [1000, 784]), labels(1000), { verbose: 0 });
      },
      kiln.ValueError,
    ],
    ['x and y lengths', () => model.evaluate(kiln.random.uniform([1000, 784]), labels(999), { verbose: 0 }), kiln.ValueError],
    ['target width', () => cce.fit(kiln.random.uniform([1000, 784]), kiln.random.uniform([1000, 5]), { verbose: 0 }), kiln.ShapeError],
  ];
  for (const [, f, type] of failing) await t.throwsAsync(f(), { instanceOf: type });
  await settle();
  const start = rssMiB();
  let peak = start;
  for (let i = 0; i < 60; i++) {
    for (const [name, f, type] of failing) {
      await t.throwsAsync(f(), { instanceOf: type }, name);
      await tick();
      peak = Math.max(peak, rssMiB());
    }
  }
  await settle();
  const end = rssMiB();
  t.log(`RSS start ${start.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, end ${end.toFixed(0)} MiB after 240 failing calls on 3 MB inputs`);
  t.true(peak - start < 300, `RSS grew by up to ${(peak - start).toFixed(0)} MiB`);
  t.true(end - start < 150, `RSS grew by ${(end - start).toFixed(0)} MiB`);
  await stillTrains(t, model, kiln.random.uniform([16, 784]), labels(16));
});

// Library bug (the same as tensor.spec's synchronous-loop one): native memory is released by
// Node-API finalizers that wait for a turn of the event loop, and a loop of rejected fits never
// gives it one, so every input of the loop stays in memory until the loop ends.
test.serial('leak check: 200 failing fits in a plain retry loop stay bounded', async (t) => {
  const model = mnistLike('leak_dense_plain');
  const { start, peak } = await badLabelFits(t, model, 200, false);
  t.true(peak - start < 300, `RSS grew by up to ${(peak - start).toFixed(0)} MiB`);
});

// ---------------------------------------------------------------------------------------------
// Input shapes

test('fit with x of shape [N, 28, 28] on a model that takes [784] -> ShapeError naming the layer', async (t) => {
  const model = mnistLike('dense_in');
  const y = labels(8);
  await expectError(t, () => model.fit(kiln.random.uniform([8, 28, 28]), y, { verbose: 0 }), kiln.ShapeError, [/"dense_in"/, /784/, /28/], 'fit');
  await expectError(t, () => model.evaluate(kiln.random.uniform([8, 28, 28]), y, { verbose: 0 }), kiln.ShapeError, [/"dense_in"/, /784/, /28/], 'evaluate');
  await expectError(t, () => model.predict(kiln.random.uniform([8, 28, 28])), kiln.ShapeError, [/"dense_in"/, /784/, /28/], 'predict');
  await stillTrains(t, model, kiln.random.uniform([8, 784]), y);
});

test('fit with x of shape [N, 100] on a model that takes [784] -> ShapeError with both sizes', async (t) => {
  const model = mnistLike('dense_first');
  const y = labels(8);
  for (const [what, f] of [
    ['fit', () => model.fit(kiln.random.uniform([8, 100]), y, { verbose: 0 })],
    ['evaluate', () => model.evaluate(kiln.random.uniform([8, 100]), y, { verbose: 0 })],
    ['predict', () => model.predict(kiln.random.uniform([8, 100]))],
    ['validationData', () => model.fit(kiln.random.uniform([8, 784]), y, { verbose: 0, validationData: [kiln.random.uniform([4, 100]), labels(4)] })],
  ] as const) {
    // Keras: Input 0 of layer "dense_first" is incompatible: expected last axis 784, got 100
    await expectError(t, f, kiln.ShapeError, [/Input 0/, /layer "dense_first"/, /expected .*784/, /got .*100/], what);
  }
  await stillTrains(t, model, kiln.random.uniform([8, 784]), y);
});

test('input shape errors in functional models and after Flatten name the layer that reads the input', async (t) => {
  const inputs = kiln.Input({ shape: [784] });
  const hidden = new kiln.layers.Dense(8, { name: 'hidden_fn' }).apply(inputs);
  const outputs = new kiln.layers.Dense(3, { activation: 'softmax' }).apply(hidden);
  const model = new kiln.Model({ inputs, outputs });
  model.compile({ loss: 'categorical_crossentropy' });
  await expectError(t, () => model.fit(kiln.random.uniform([4, 100]), kiln.utils.toCategorical([0, 1, 2, 0], 3), { verbose: 0 }), kiln.ShapeError, [/"hidden_fn"/, /784/, /100/]);

  const cnnLike = new kiln.Sequential([new kiln.layers.Flatten({ inputShape: [28, 28], name: 'flat_in' }), new kiln.layers.Dense(10)]);
  cnnLike.compile({ loss: 'mse' });
  await expectError(t, () => cnnLike.fit(kiln.random.uniform([4, 784]), kiln.random.uniform([4, 10]), { verbose: 0 }), kiln.ShapeError, [/"flat_in"/, /28/, /784/]);
  await expectError(t, () => cnnLike.fit(kiln.random.uniform([4, 28, 27]), kiln.random.uniform([4, 10]), { verbose: 0 }), kiln.ShapeError, [/"flat_in"/, /28/, /27/]);
  // A flat typed array that does not split into samples.
  await expectError(t, () => model.fit(new Float32Array(400), kiln.random.uniform([4, 3]), { verbose: 0 }), kiln.ShapeError, [/400/, /784/]);
});

test('a layer called on the wrong width names itself, expected and got', async (t) => {
  const layer = new kiln.layers.Dense(2, { name: 'built_for_4' });
  layer.apply(kiln.Input({ shape: [4] }));
  await expectError(t, () => layer.apply(kiln.Input({ shape: [5] })), kiln.ShapeError, [/"built_for_4"/, /expected last axis 4/, /got 5/], 'symbolic');
  await expectError(t, () => layer.apply(kiln.tensor([[1, 2, 3]])), kiln.ShapeError, [/"built_for_4"/, /4/, /3/], 'eager');
  await expectError(t, () => new kiln.layers.Dense(2, { name: 'rank_one' }).apply(kiln.Input({ shape: [] as number[] })), kiln.ShapeError, [/"rank_one"/, /rank/]);
  class BadMatmul extends kiln.layers.Layer {
    call(x: kiln.layers.LayerInput) {
      return kiln.ops.matmul(x, kiln.tensor([[1, 2]]));
    }
  }
  await expectError(t, () => new BadMatmul({ name: 'bad_matmul' }).apply(kiln.Input({ shape: [3] })), kiln.ShapeError, [/"bad_matmul"/, /\[null, 3\]/, /\[1, 2\]/]);
});

// ---------------------------------------------------------------------------------------------
// Targets

test('sparse_categorical_crossentropy with labels out of range -> ValueError naming the label and the range', async (t) => {
  const model = mnistLike('sparse_model');
  const x = kiln.random.uniform([8, 784]);
  const before = model.getWeights().map(flat);
  for (const [bad, pattern] of [
    [10, /label value of 10\b/],
    [-1, /label value of -1\b/],
    [2.5, /label value of 2\.5\b/],
    [1e6, /label value of 1000000\b/],
  ] as const) {
    const y = kiln.tensor([0, 1, 2, 3, 4, 5, 6, bad]);
    await expectError(t, () => model.fit(x, y, { verbose: 0 }), kiln.ValueError, [pattern, /\[0, 10\)/, /sparse_categorical_crossentropy/], `fit label ${bad}`);
    await expectError(t, () => model.evaluate(x, y, { verbose: 0 }), kiln.ValueError, [pattern, /\[0, 10\)/], `evaluate label ${bad}`);
  }
  await expectError(t, () => model.fit(x, labels(8), { verbose: 0, validationData: [kiln.random.uniform([2, 784]), kiln.tensor([0, 10])] }), kiln.ValueError, [/10/, /\[0, 10\)/], 'validationData');
  // Checked before training: the weights did not move.
  t.deepEqual(model.getWeights().map(flat), before);
  // Labels as uint8 and [N, 1] are fine; [N, 2] is a shape error.
  await stillTrains(t, model, x, kiln.tensor(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 9])));
  await stillTrains(t, model, x, kiln.tensor([0, 1, 2, 3, 4, 5, 6, 9], [8, 1]));
  await expectError(t, () => model.fit(x, kiln.random.randint(0, 10, [8, 2]), { verbose: 0 }), kiln.ShapeError, [/\[8\] or \[8, 1\]/, /\[8, 2\]/]);
});

test('a bad label in the last batch leaves the weights untouched', async (t) => {
  const model = mnistLike('late_label');
  const before = model.getWeights().map(flat);
  const y = kiln.tensor(Int32Array.from({ length: 1000 }, (_, i) => (i === 999 ? 12 : i % 10)));
  await expectError(t, () => model.fit(kiln.random.uniform([1000, 784]), y, { batchSize: 32, shuffle: false, verbose: 0 }), kiln.ValueError, [/12/, /sample 999/]);
  t.deepEqual(model.getWeights().map(flat), before);
});

test('y with the wrong width for categorical_crossentropy -> ShapeError with both widths', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [4], activation: 'softmax', name: 'probs' })]);
  model.compile({ loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const x = kiln.random.uniform([6, 4]);
  await expectError(t, () => model.fit(x, kiln.random.uniform([6, 5]), { verbose: 0 }), kiln.ShapeError, [/expected 3/, /got 5/, /\[6, 5\]/], 'fit');
  await expectError(t, () => model.evaluate(x, kiln.random.uniform([6, 5]), { verbose: 0 }), kiln.ShapeError, [/expected 3/, /got 5/], 'evaluate');
  // Integer labels given to categorical_crossentropy (a common Keras mistake).
  await expectError(t, () => model.fit(x, kiln.tensor([0, 1, 2, 0, 1, 2]), { verbose: 0 }), kiln.ShapeError, [/expected 3/, /got 1/], 'sparse labels');
  const reg = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [4] })]);
  reg.compile({ loss: 'mse' });
  await expectError(t, () => reg.fit(x, kiln.random.uniform([6, 3]), { verbose: 0 }), kiln.ShapeError, [/expected 2/, /got 3/], 'mse');
  await stillTrains(t, model, x, kiln.utils.toCategorical([0, 1, 2, 0, 1, 2], 3));
});

test('x and y of different lengths -> ValueError with both counts', async (t) => {
  const model = mnistLike('lengths');
  await expectError(t, () => model.fit(kiln.random.uniform([5, 784]), labels(4), { verbose: 0 }), kiln.ValueError, [/x has 5/, /y has 4/], 'fit');
  await expectError(t, () => model.evaluate(kiln.random.uniform([5, 784]), labels(7), { verbose: 0 }), kiln.ValueError, [/x has 5/, /y has 7/], 'evaluate');
  await expectError(
    t,
    () => model.fit(kiln.random.uniform([5, 784]), labels(5), { verbose: 0, validationData: [kiln.random.uniform([3, 784]), labels(2)] }),
    kiln.ValueError,
    [/3/, /2/],
    'validationData',
  );
});

test('NaN or infinity in x (or y) -> ValueError', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
  model.compile({ loss: 'mse' });
  const y = kiln.random.uniform([2, 2]);
  await expectError(
    t,
    () =>
      model.fit(
        kiln.tensor([
          [1, 2, 3],
          [1, NaN, 3],
        ]),
        y,
        { verbose: 0 },
      ),
    kiln.ValueError,
    [/NaN/, /sample 1/],
    'fit NaN',
  );
  await expectError(
    t,
    () =>
      model.evaluate(
        kiln.tensor([
          [NaN, 2, 3],
          [1, 2, 3],
        ]),
        y,
        { verbose: 0 },
      ),
    kiln.ValueError,
    [/NaN/, /sample 0/],
    'evaluate NaN',
  );
  await expectError(
    t,
    () =>
      model.fit(
        kiln.tensor([
          [1, 2, Infinity],
          [1, 2, 3],
        ]),
        y,
        { verbose: 0 },
      ),
    kiln.ValueError,
    [/inf/i],
    'fit Infinity',
  );
  await expectError(
    t,
    () =>
      model.fit(
        kiln.tensor([
          [1, 2, 3],
          [1, 2, 3],
        ]),
        kiln.tensor([
          [0, 1],
          [NaN, 1],
        ]),
        { verbose: 0 },
      ),
    kiln.ValueError,
    [/y/, /non-finite/, /sample 1/],
    'y NaN',
  );
  await expectError(
    t,
    () =>
      model.fit(
        kiln.tensor([
          [1, 2, 3],
          [1, 2, 3],
        ]),
        y,
        { verbose: 0, validationData: [kiln.tensor([[NaN, 0, 0]]), kiln.tensor([[0, 0]])] },
      ),
    kiln.ValueError,
    [/NaN/],
    'validationData NaN',
  );
  await stillTrains(
    t,
    model,
    kiln.tensor([
      [1, 2, 3],
      [1, 2, 3],
    ]),
    y,
  );
});

// Library bug: with y left out, fit and evaluate run against all-zero targets (the native
// check skips an empty target list), so fit(x) trains the model toward 0 without a word.
test('fit(x) / evaluate(x) without y on a model whose loss needs targets -> ValueError', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
  model.compile({ loss: 'mse', optimizer: 'sgd' });
  const before = model.getWeights().map(flat);
  await expectError(t, () => model.fit(kiln.random.uniform([8, 3]), undefined as any, { verbose: 0 }), kiln.ValueError, [/y|target/i], 'fit');
  await expectError(t, () => model.evaluate(kiln.random.uniform([8, 3]), undefined as any, { verbose: 0 }), kiln.ValueError, [/y|target/i], 'evaluate');
  t.deepEqual(model.getWeights().map(flat), before);
});

// ---------------------------------------------------------------------------------------------
// Names

test('unknown loss, optimizer, metric -> ValueError naming it and listing the valid ones', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
  await expectError(
    t,
    () => model.compile({ loss: 'categorical_crossentropyy' }),
    kiln.ValueError,
    [/'categorical_crossentropyy'/, /categorical_crossentropy'/, /sparse_categorical_crossentropy/, /binary_crossentropy/, /mean_squared_error/, /'mse'/],
    'loss',
  );
  await expectError(t, () => model.compile({ loss: 'mse', optimizer: 'adamm' }), kiln.ValueError, [/'adamm'/, /'adam'/, /'sgd'/], 'optimizer');
  await expectError(t, () => model.compile({ loss: 'mse', metrics: ['acuracy'] }), kiln.ValueError, [/'acuracy'/, /'accuracy'/, /categorical_accuracy/], 'metric');
  await expectError(t, () => model.compile({ loss: 3 as any }), kiln.ValueError, [/3/, /mean_squared_error/], 'loss of the wrong type');
  await expectError(t, () => model.compile({} as any), kiln.ValueError, [/loss/], 'no loss');
  // Keras spellings in either case are accepted.
  for (const loss of ['categorical_crossentropy', 'categoricalCrossentropy', 'mse', 'MeanSquaredError', 'mae', 'binaryCrossentropy']) {
    t.notThrows(() => model.compile({ loss, optimizer: 'SGD' }), loss);
  }
  model.compile({ loss: 'mse', metrics: ['acc'] });
  await stillTrains(t, model, kiln.random.uniform([4, 3]), kiln.random.uniform([4, 2]));
});

test('unknown activation -> ValueError at construction, listing the valid ones', async (t) => {
  await expectError(t, () => new kiln.layers.Dense(3, { activation: 'reluu' }), kiln.ValueError, [/'reluu'/, /'relu'/, /'softmax'/, /'sigmoid'/, /'tanh'/, /'linear'/]);
  t.notThrows(() => new kiln.layers.Dense(3, { activation: 'relu' }));
});

test('unknown initializer -> ValueError listing the valid ones (when the layer is built)', async (t) => {
  await expectError(
    t,
    () => new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [4], kernelInitializer: 'glorot' })]),
    kiln.ValueError,
    [/'glorot'/, /'glorot_uniform'/, /'he_normal'/, /'zeros'/],
    'kernelInitializer',
  );
  await expectError(t, () => new kiln.layers.Dense(3, { biasInitializer: 'onez' }).apply(kiln.Input({ shape: [2] })), kiln.ValueError, [/'onez'/, /'ones'/], 'biasInitializer');
  class Custom extends kiln.layers.Layer {
    build() {
      this.addWeight({ shape: [2], initializer: 'nope', name: 'w' });
    }
    call(x: kiln.layers.LayerInput) {
      return x;
    }
  }
  await expectError(t, () => new Custom().apply(kiln.Input({ shape: [2] })), kiln.ValueError, [/'nope'/, /'glorot_uniform'/], 'addWeight');
  t.notThrows(() => new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [4], kernelInitializer: 'he_normal', biasInitializer: 'ones' })]));
});

// Library bug (Keras deviation): Keras resolves initializers in the layer constructor; kiln
// checks activations there but initializers only at build, so the error appears later and
// far from the typo (e.g. at model.add or the first fit).
test('unknown initializer -> ValueError already at construction, as Keras does', async (t) => {
  await expectError(t, () => new kiln.layers.Dense(3, { kernelInitializer: 'glorot' }), kiln.ValueError, [/'glorot'/, /'glorot_uniform'/]);
});

// Library bug: a non-string, non-function activation or initializer reaches snakeCase() and
// throws a TypeError ("name.replace is not a function") instead of a KilnError.
test('activation or initializer of the wrong type -> ValueError, not a TypeError', async (t) => {
  await expectError(t, () => new kiln.layers.Dense(3, { activation: 3 as any }), kiln.ValueError, [/activation/i, /3/], 'activation');
  await expectError(t, () => new kiln.Sequential([new kiln.layers.Dense(3, { inputShape: [2], kernelInitializer: 3 as any })]), kiln.ValueError, [/initializer/i, /3/], 'initializer');
});

// ---------------------------------------------------------------------------------------------
// Model state

test('fit/evaluate before compile -> RuntimeError mentioning compile; predict works', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
  const x = kiln.random.uniform([4, 3]);
  const y = kiln.random.uniform([4, 2]);
  await expectError(t, () => model.fit(x, y, { verbose: 0 }), kiln.RuntimeError, [/compile\(\)/], 'fit');
  await expectError(t, () => model.evaluate(x, y, { verbose: 0 }), kiln.RuntimeError, [/compile\(\)/], 'evaluate');
  const p = await model.predict(x);
  t.deepEqual(p.shape, [4, 2]);
  model.compile({ loss: 'mse' });
  await stillTrains(t, model, x, y);
});

test('model.summary() on an unbuilt Sequential -> ValueError', async (t) => {
  await expectError(t, () => new kiln.Sequential().summary(() => {}), kiln.ValueError, [/not yet been built/, /inputShape/]);
  await expectError(t, () => new kiln.Sequential([new kiln.layers.Dense(2)]).summary(() => {}), kiln.ValueError, [/built/]);
  const built = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
  const text = built.summary(() => {});
  t.regex(text, /8/); // 3*2 + 2 parameters
});

test('setWeights with the wrong count or shapes -> ValueError / ShapeError naming them', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3], name: 'sw' })]);
  model.compile({ loss: 'mse' });
  await expectError(
    t,
    () =>
      model.setWeights([
        kiln.tensor([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
      ]),
    kiln.ValueError,
    [/length 1/, /expects 2/],
    'count',
  );
  await expectError(t, () => model.setWeights([]), kiln.ValueError, [/0/, /2/], 'none');
  await expectError(
    t,
    () =>
      model.setWeights([
        kiln.tensor([
          [1, 2],
          [3, 4],
        ]),
        kiln.tensor([1, 2]),
      ]),
    kiln.ShapeError,
    [/sw\/kernel/, /\[3, 2\]/, /\[2, 2\]/],
    'kernel shape',
  );
  await expectError(
    t,
    () =>
      model.setWeights([
        kiln.tensor([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
        kiln.tensor([1, 2, 3]),
      ]),
    kiln.ShapeError,
    [/sw\/bias/, /\[2\]/, /\[3\]/],
    'bias shape',
  );
  await expectError(t, () => model.layers[0].setWeights([kiln.tensor([1, 2])]), kiln.ValueError, [/"sw"/, /2/, /1/], 'layer count');
  // Good weights still go in, and the model uses them.
  model.setWeights([
    kiln.tensor([
      [1, 0],
      [0, 1],
      [0, 0],
    ]),
    kiln.tensor([0.5, -0.5]),
  ]);
  t.deepEqual((await model.predict(kiln.tensor([[1, 2, 3]]))).toArray(), [[1.5, 1.5]]);
});

test('a failed compile can be fixed by compiling again', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
  model.compile({ loss: 'mse' });
  await expectError(t, () => model.compile({ loss: ['mse', 'mse'] }), kiln.ValueError, [/1 output/, /2 losses/]);
  await expectError(t, () => model.compile({ loss: 'mse', lossWeights: [1, 2] }), kiln.ValueError, [/2/, /1/]);
  model.compile({ loss: 'mse' });
  await stillTrains(t, model, kiln.random.uniform([4, 3]), kiln.random.uniform([4, 2]));
});

// ---------------------------------------------------------------------------------------------
// Layer arguments

test('Dense(0) / Dense(-3) / Dense(1.5) / Dropout(1.5) -> ValueError naming the argument and value', async (t) => {
  for (const units of [0, -3, 1.5, NaN]) {
    await expectError(t, () => new kiln.layers.Dense(units), kiln.ValueError, [/`units`/, /positive integer/, new RegExp(`got ${units}`)], `Dense(${units})`);
  }
  for (const rate of [1.5, -0.1, 1]) {
    await expectError(t, () => new kiln.layers.Dropout(rate), kiln.ValueError, [/`rate`/, new RegExp(`rate=${rate}`)], `Dropout(${rate})`);
  }
  t.notThrows(() => new kiln.layers.Dropout(0));
  t.notThrows(() => new kiln.layers.Dropout(0.99));
});

test('unknown layer options -> ValueError naming the option', async (t) => {
  await expectError(t, () => new kiln.layers.Dense(3, { activaton: 'relu' } as any), kiln.ValueError, [/'activaton'/, /Dense/]);
  await expectError(t, () => new kiln.layers.Dense(3, { input_shape: [3] } as any), kiln.ValueError, [/'input_shape'/]);
  await expectError(t, () => new kiln.layers.Dropout(0.5, { rat: 0.5 } as any), kiln.ValueError, [/'rat'/, /Dropout/]);
  await expectError(t, () => new kiln.layers.Flatten({ units: 3 } as any), kiln.ValueError, [/'units'/, /Flatten/]);
  await expectError(t, () => new kiln.layers.Dense(3, { dtype: 'float64' } as any), kiln.ValueError, [/float64/, /float32/]);
  await expectError(t, () => new kiln.layers.Dense(3, { inputShape: [3], inputDim: 3 }), kiln.ValueError, [/inputShape/, /inputDim/]);
  await expectError(t, () => new kiln.layers.Dense(3, { inputShape: [-1] }), kiln.ValueError, [/inputShape/, /-1/]);
  await expectError(t, () => kiln.Input({ shape: [0] }), kiln.ValueError, [/shape/, /\[0\]/]);
});

test('a custom layer whose call() returns a non-tensor -> ValueError mentioning call()', async (t) => {
  class ReturnsNumber extends kiln.layers.Layer {
    call(): kiln.layers.LayerOutput {
      return 42 as any;
    }
  }
  class ReturnsNothing extends kiln.layers.Layer {
    call(): kiln.layers.LayerOutput {
      return undefined as any;
    }
  }
  class ReturnsArray extends kiln.layers.Layer {
    call(x: kiln.layers.LayerInput): kiln.layers.LayerOutput {
      return [x] as any;
    }
  }
  class Throws extends kiln.layers.Layer {
    call(): kiln.layers.LayerOutput {
      throw new TypeError('boom');
    }
  }
  await expectError(
    t,
    () => new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] }), new ReturnsNumber({ name: 'returns_number' })]),
    kiln.ValueError,
    [/"returns_number"/, /call\(\)/, /number/],
    'number',
  );
  await expectError(t, () => new ReturnsNothing({ name: 'returns_nothing' }).apply(kiln.Input({ shape: [3] })), kiln.ValueError, [/"returns_nothing"/, /call\(\)/, /undefined/], 'undefined');
  await expectError(t, () => new ReturnsArray({ name: 'returns_array' }).apply(kiln.Input({ shape: [3] })), kiln.ValueError, [/"returns_array"/, /call\(\)/, /Array/], 'array');
  await expectError(t, () => new ReturnsNumber({ name: 'eager_number' }).apply(kiln.tensor([[1, 2]])), kiln.ValueError, [/"eager_number"/, /call\(\)/], 'eager');
  await expectError(t, () => new Throws({ name: 'throws' }).apply(kiln.Input({ shape: [3] })), kiln.ValueError, [/"throws"/, /call\(\)/, /boom/], 'throws');
  class UsesUnsupportedForm extends kiln.layers.Layer {
    call(x: kiln.layers.LayerInput): kiln.layers.LayerOutput {
      return (kiln.ops.where as (c: unknown) => kiln.layers.LayerOutput)(x);
    }
  }
  await expectError(t, () => new UsesUnsupportedForm({ name: 'where_layer' }).apply(kiln.Input({ shape: [3] })), kiln.ValueError, [/"where_layer"/, /where/, /x1 and x2/]);
});

// ---------------------------------------------------------------------------------------------
// Other arguments

test('fit arguments out of range -> ValueError naming the argument', async (t) => {
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3] })]);
  model.compile({ loss: 'mse' });
  const [x, y] = [kiln.random.uniform([4, 3]), kiln.random.uniform([4, 2])];
  await expectError(t, () => model.fit(x, y, { epochs: 0, verbose: 0 }), kiln.ValueError, [/epochs/, /0/]);
  await expectError(t, () => model.fit(x, y, { epochs: 1.5, verbose: 0 }), kiln.ValueError, [/epochs/, /1\.5/]);
  await expectError(t, () => model.fit(x, y, { batchSize: -1, verbose: 0 }), kiln.ValueError, [/batchSize/, /-1/]);
  await expectError(t, () => model.evaluate(x, y, { batchSize: 0, verbose: 0 }), kiln.ValueError, [/batchSize/, /0/]);
  await expectError(t, () => model.predict(x, { batchSize: 2.5 }), kiln.ValueError, [/batchSize/, /2\.5/]);
  await expectError(t, () => model.fit(x, y, { verbose: 3 as any }), kiln.ValueError, [/verbose/, /3/]);
  await expectError(t, () => model.fit(x, y, { validationSplit: 1.5, verbose: 0 }), kiln.ValueError, [/validationSplit/, /1\.5/]);
  await expectError(t, () => model.fit(x, null as any, { verbose: 0 }), kiln.ValueError, [/y/]);
  await stillTrains(t, model, x, y);
});

test('optimizer and model-building arguments -> ValueError', async (t) => {
  await expectError(t, () => new kiln.optimizers.SGD({ learningRate: -1 }), kiln.ValueError, [/learningRate/, /-1/]);
  await expectError(t, () => new kiln.optimizers.Adam({ learningRate: NaN }), kiln.ValueError, [/learningRate/, /NaN/]);
  await expectError(t, () => new kiln.optimizers.SGD({ momentum: 2 }), kiln.ValueError, [/momentum/, /2/]);
  const model = new kiln.Sequential([new kiln.layers.Dense(2, { inputShape: [3], name: 'only' })]);
  await expectError(t, () => model.getLayer('nope'), kiln.ValueError, [/nope/, /only/]);
  await expectError(t, () => new kiln.Sequential().add({} as any), kiln.ValueError, [/Layer/]);
  await expectError(t, () => model.add(model.layers[0]), kiln.ValueError, [/"only"/, /already/]);
  const orphan = new kiln.layers.Dense(2).apply(kiln.Input({ shape: [3] }));
  await expectError(t, () => new kiln.Model({ inputs: kiln.Input({ shape: [3] }), outputs: orphan }), kiln.ValueError, [/disconnected/i]);
  await expectError(t, () => new kiln.Model({ inputs: orphan, outputs: orphan }), kiln.ValueError, [/kiln\.Input/]);
  await expectError(t, () => new kiln.Model({ inputs: kiln.Input({ shape: [3] }), outputs: kiln.tensor([1]) as any }), kiln.ValueError, [/symbolic/]);
});
