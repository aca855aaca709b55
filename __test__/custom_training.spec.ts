// Custom training, Keras' way: kiln.valueAndGrad (gradients of a function traced into the
// engine's autodiff), optimizer.applyGradients, a custom trainStep built from both, models
// subclassed with call(), and addLoss from inside a layer's call.
// Serial: seeded runs share the global random generator.
import test from 'ava';
import * as kiln from 'kiln-nn';

const { ops } = kiln;

/** Deterministic values in about [-1, 1]. */
function data(shape: number[], phase = 0): kiln.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return kiln.tensor(
    Float32Array.from({ length: size }, (_, j) => Math.cos(0.91 * j + phase) * (0.5 + 0.5 * Math.sin(0.3 * j))),
    shape,
  );
}

const values = (t: kiln.Tensor | undefined) => Array.from(t!.dataSync());

function closeTo(t: { true: (v: boolean, m?: string) => void }, actual: number[], expected: number[], tolerance: number, what: string): void {
  t.true(actual.length === expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  actual.forEach((a, i) => t.true(Math.abs(a - expected[i]) <= tolerance * (1 + Math.abs(expected[i])), `${what}[${i}]: ${a} vs ${expected[i]}`));
}

test.serial("valueAndGrad of a Dense layer's mean squared error is the hand-derived gradient", (t) => {
  const dense = new kiln.layers.Dense(2);
  const x = data([5, 3]);
  const y = data([5, 2], 1);
  dense.apply(x); // builds it
  dense.setWeights([
    kiln.tensor([
      [0.5, -0.2],
      [0.1, 0.4],
      [-0.3, 0.25],
    ]),
    kiln.tensor([0.05, -0.1]),
  ]);
  const { value, grads } = kiln.valueAndGrad(() => ops.mean(ops.square(ops.sub(dense.apply(x), y))), dense.trainableWeights);

  // By hand: r = xW + b - y; loss = mean(r²); dW = 2/(n·k) xᵀr; db = 2/(n·k) Σ_rows r.
  const [xs, ys] = [x.toArray() as number[][], y.toArray() as number[][]];
  const [w, b] = [dense.getWeights()[0].toArray() as number[][], values(dense.getWeights()[1])];
  const r = xs.map((row, i) => [0, 1].map((k) => row.reduce((s, v, j) => s + v * w[j][k], b[k]) - ys[i][k]));
  const scale = 2 / (5 * 2);
  const loss = r.flat().reduce((s, v) => s + v * v, 0) / 10;
  const dW = [0, 1, 2].flatMap((j) => [0, 1].map((k) => scale * r.reduce((s, row, i) => s + xs[i][j] * row[k], 0)));
  const db = [0, 1].map((k) => scale * r.reduce((s, row) => s + row[k], 0));
  closeTo(t, values(value), [loss], 1e-6, 'value');
  t.deepEqual(value.shape, []);
  closeTo(t, values(grads[0]), dW, 1e-5, 'kernel gradient');
  closeTo(t, values(grads[1]), db, 1e-5, 'bias gradient');
  // Also iterable, as Keras' `loss, grads = ...`.
  const [v2, g2] = kiln.valueAndGrad(() => ops.mean(ops.square(ops.sub(dense.apply(x), y))), dense.trainableWeights) as unknown as [kiln.Tensor, kiln.Tensor[]];
  t.deepEqual(values(v2), values(value));
  t.deepEqual(values(g2[0]), values(grads[0]));
  t.deepEqual(kiln.grad(() => ops.mean(ops.square(ops.sub(dense.apply(x), y))), dense.trainableWeights).map(values), grads.map(values));
  // JAX's has_aux: other numbers computed in the same pass come back, not differentiated.
  const withAux = kiln.valueAndGrad(
    () => {
      const residual = ops.sub(dense.apply(x), y);
      return [ops.mean(ops.square(residual)), { residual, maxError: ops.max(ops.abs(residual)), label: y }];
    },
    dense.trainableWeights,
    { hasAux: true },
  );
  const aux = withAux.aux as Record<string, kiln.Tensor>;
  closeTo(t, values(aux.residual), r.flat(), 1e-6, 'aux residual');
  closeTo(t, values(aux.maxError), [Math.max(...r.flat().map(Math.abs))], 1e-6, 'aux max');
  t.is(aux.label, y);
  t.deepEqual(withAux.grads.map(values), grads.map(values));
  t.throws(() => kiln.valueAndGrad(() => ops.sum(dense.kernel), dense.trainableWeights, { hasAux: true }), { instanceOf: kiln.ValueError, message: /with `hasAux`, `fn` must return \[value, aux\]/ });
});

test.serial('valueAndGrad through a functional model and a built-in loss matches finite differences', (t) => {
  kiln.setSeed(3);
  const inputs = kiln.Input({ shape: [4] });
  const hidden = new kiln.layers.Dense(5, { activation: 'tanh' }).apply(inputs);
  const model = new kiln.Model(inputs, new kiln.layers.Dense(3, { activation: 'softmax' }).apply(hidden));
  const x = data([6, 4]);
  const y = kiln.utils.toCategorical(kiln.tensor([0, 2, 1, 1, 0, 2]), 3);
  const lossFn = new kiln.losses.CategoricalCrossentropy();
  const f = () => lossFn.apply(y, model.apply<kiln.SymbolicTensor>(x));
  const { value, grads } = kiln.valueAndGrad(f, model.trainableWeights);
  const lossAt = () => values(kiln.valueAndGrad(f, model.trainableWeights).value)[0];
  closeTo(t, values(value), [lossAt()], 1e-7, 'value is deterministic');
  const h = 1e-2;
  model.trainableWeights.forEach((w, k) => {
    const base = values(w.read());
    const numeric = base.map((_, i) => {
      const at = (d: number) => {
        const moved = base.slice();
        moved[i] += d;
        w.assign(kiln.tensor(Float32Array.from(moved), w.shape));
        return lossAt();
      };
      const g = (at(h) - at(-h)) / (2 * h);
      w.assign(kiln.tensor(Float32Array.from(base), w.shape));
      return g;
    });
    closeTo(t, values(grads[k]), numeric, 3e-3, `weight ${w.path}`);
  });
});

test.serial('valueAndGrad refuses a non-scalar, a function returning nothing, and a value that depends on no variable', (t) => {
  const dense = new kiln.layers.Dense(2, { name: 'refusals_dense' });
  const x = data([3, 2]);
  dense.apply(x);
  const other = new kiln.Variable(kiln.tensor([1, 2]), { name: 'unused' });
  const nonScalar = t.throws(() => kiln.valueAndGrad(() => dense.apply(x), dense.trainableWeights), { instanceOf: kiln.ValueError });
  t.regex(nonScalar!.message, /valueAndGrad: .*scalar.*shape \[3, 2\]/);
  const nothing = t.throws(() => kiln.valueAndGrad((() => undefined) as unknown as () => kiln.Tensor, dense.trainableWeights), { instanceOf: kiln.ValueError });
  t.regex(nothing!.message, /valueAndGrad: `fn` must return the scalar tensor.*returned undefined/);
  const unrelated = t.throws(() => kiln.valueAndGrad(() => ops.sum(ops.mul(other, 2)), dense.trainableWeights), { instanceOf: kiln.ValueError });
  t.regex(unrelated!.message, /does not depend on any of the 2 variable\(s\) given \(refusals_dense\/kernel, refusals_dense\/bias\)/);
  t.throws(() => kiln.valueAndGrad(() => ops.sum(x), dense.trainableWeights), { message: /does not depend on any/ });
  t.throws(() => kiln.valueAndGrad(() => ops.sum(x), [x] as unknown as kiln.Variable[]), { instanceOf: kiln.ValueError, message: /must be a list of kiln.Variable/ });
  // A variable the value does not read gets undefined (TensorFlow's None); the others their gradient.
  const { grads } = kiln.valueAndGrad(() => ops.sum(ops.mul(dense.kernel, 3)), [dense.kernel, dense.bias, other]);
  t.deepEqual(values(grads[0]), [3, 3, 3, 3]);
  t.is(grads[1], undefined);
  t.is(grads[2], undefined);
});

/** Two equal small MLPs and four batches of 8. */
function twins(seed: number) {
  const make = () => {
    kiln.setSeed(seed);
    return new kiln.Sequential([new kiln.layers.Dense(6, { activation: 'relu', inputShape: [3] }), new kiln.layers.Dense(2)]);
  };
  return { a: make(), b: make(), x: data([32, 3]), y: data([32, 2], 2) };
}

for (const [name, optimizer] of [
  ['SGD with momentum', () => new kiln.optimizers.SGD({ learningRate: 0.05, momentum: 0.9 })],
  ['Adam', () => new kiln.optimizers.Adam({ learningRate: 0.01 })],
] as const) {
  test.serial(`n steps of ${name} through applyGradients equal n steps of fit on the same batches`, async (t) => {
    const { a, b, x, y } = twins(11);
    a.compile({ optimizer: optimizer(), loss: 'mse' });
    await a.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    const opt = optimizer();
    const mse = new kiln.losses.MeanSquaredError();
    for (let epoch = 0; epoch < 3; epoch++) {
      for (let start = 0; start < 32; start += 8) {
        const [xb, yb] = [x.slice([start, 0], [8, 3]), y.slice([start, 0], [8, 2])];
        const { grads } = kiln.valueAndGrad(() => mse.apply(yb, b.apply(xb)), b.trainableWeights);
        opt.applyGradients(grads.map((g, i) => [g, b.trainableWeights[i]] as kiln.GradientAndVariable));
      }
    }
    t.is(opt.iterations, 12);
    a.getWeights().forEach((w, i) => closeTo(t, values(b.getWeights()[i]), values(w), 1e-6, `${name} weight ${i}`));
  });
}

test.serial('applyGradients takes two lists, skips missing gradients with a warning, and refuses bad ones', (t) => {
  const w = new kiln.Variable(kiln.tensor([1, 2]), { name: 'w' });
  const v = new kiln.Variable(kiln.tensor([3]), { name: 'v' });
  const opt = new kiln.optimizers.SGD({ learningRate: 0.5 });
  opt.applyGradients([kiln.tensor([1, -1])], [w]);
  t.deepEqual(values(w.read()), [0.5, 2.5]);
  t.throws(() => opt.applyGradients([[undefined, w]]), { instanceOf: kiln.ValueError, message: /no gradients provided for any variable \(w\)/ });
  t.throws(() => opt.applyGradients([[kiln.tensor([1, 2, 3]), w]]), { instanceOf: kiln.ValueError, message: /gradient 0 has shape \[3\] but variable "w" has shape \[2\]/ });
  t.throws(() => opt.applyGradients([kiln.tensor([1])] as never), { instanceOf: kiln.ValueError, message: /\[gradient, variable\] pairs/ });
  opt.apply([undefined, kiln.tensor([2])], [w, v]);
  t.deepEqual(values(v.read()), [2]);
});

/** keras.io's "Customizing what happens in fit()" step: loss, gradients, applyGradients, metrics. */
class CustomModel extends kiln.Model {
  lossFn = new kiln.losses.MeanSquaredError();
  trainStep([x, y]: kiln.StepData): kiln.callbacks.Logs {
    const { value, grads } = kiln.valueAndGrad(() => this.lossFn.apply(y as kiln.Tensor, this.apply<kiln.SymbolicTensor>(x as kiln.Tensor, { training: true })), this.trainableWeights);
    this.optimizer!.applyGradients(grads.map((g, i) => [g, this.trainableWeights[i]] as kiln.GradientAndVariable));
    return { loss: value };
  }
}

test.serial('a custom trainStep written with valueAndGrad and applyGradients trains in fit', async (t) => {
  kiln.setSeed(5);
  const inputs = kiln.Input({ shape: [3] });
  const outputs = new kiln.layers.Dense(1).apply(new kiln.layers.Dense(8, { activation: 'tanh' }).apply(inputs));
  const model = new CustomModel(inputs, outputs);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.02 }), loss: 'mse' });
  const x = data([64, 3]);
  const y = ops.sum(ops.mul(x, kiln.tensor([0.5, -1, 2])), 1, true) as kiln.Tensor;
  const history = await model.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0 });
  const losses = history.history.loss;
  t.is(losses.length, 8);
  t.true(losses[7] < 0.3 * losses[0], `loss ${losses[0]} -> ${losses[7]}`);
  t.is(model.optimizer!.iterations, 32);
});

/** Keras' subclassing API: layers held in properties, call() traced on first use. */
class TwoLayerModel extends kiln.Model {
  dense1 = new kiln.layers.Dense(8, { activation: 'relu' });
  dropout = new kiln.layers.Dropout(0.1);
  dense2 = new kiln.layers.Dense(2);
  call(inputs: kiln.SymbolicTensor | kiln.SymbolicTensor[], { training = false }: kiln.layers.CallOptions = {}): kiln.SymbolicTensor {
    return this.dense2.apply(this.dropout.apply(this.dense1.apply(inputs as kiln.SymbolicTensor), { training }));
  }
}

test.serial('a model subclassed with call() builds from its first data and fits, evaluates, predicts, summarises and saves weights', async (t) => {
  kiln.setSeed(9);
  const model = new TwoLayerModel();
  t.false(model.built);
  t.regex(model.name, /^two_layer_model/);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const x = data([40, 4]);
  const y = data([40, 2], 1);
  const history = await model.fit(x, y, { epochs: 10, batchSize: 8, verbose: 0 });
  t.true(model.built);
  t.true(history.history.loss[9] < history.history.loss[0]);
  t.is(model.countParams(), 4 * 8 + 8 + 8 * 2 + 2);
  t.deepEqual(
    model.layers.map((l) => l.name),
    [model.dense1.name, model.dropout.name, model.dense2.name],
  );
  const prediction = await model.predict(x);
  t.deepEqual(prediction.shape, [40, 2]);
  closeTo(t, values(model.predictOnBatch(x)), values(prediction), 1e-5, 'predictOnBatch');
  const [loss] = await model.evaluate(x, y, { verbose: 0 });
  t.true(Number.isFinite(loss));
  const lines: string[] = [];
  model.summary((l) => lines.push(l));
  t.regex(lines.join('\n'), /Total params: 58/);
  const path = `${process.env.TMPDIR ?? '/tmp'}/kiln_subclassed_${process.pid}.weights.h5`;
  await model.saveWeights(path);
  const copy = new TwoLayerModel();
  copy.apply(x); // built by a first call
  await copy.loadWeights(path);
  closeTo(t, values(copy.predictOnBatch(x)), values(prediction), 1e-6, 'reloaded weights');
});

test.serial('a subclassed model whose call returns nothing is refused, naming call()', async (t) => {
  class Broken extends kiln.Model {
    dense = new kiln.layers.Dense(1);
    call(inputs: kiln.SymbolicTensor | kiln.SymbolicTensor[]): kiln.SymbolicTensor {
      this.dense.apply(inputs as kiln.SymbolicTensor);
      return undefined as unknown as kiln.SymbolicTensor;
    }
  }
  const model = new Broken();
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const error = await t.throwsAsync(model.fit(data([4, 2]), data([4, 1])), { instanceOf: kiln.ValueError });
  t.regex(error!.message, /Model "broken(_\d+)?" \(Broken\): call\(\) must return a tensor or a list of tensors computed from its inputs, got undefined/);
});

/** An activity penalty written with addLoss, as keras.io's "The Layer class" guide does. */
class ActivityRegularization extends kiln.layers.Layer {
  constructor(readonly rate: number) {
    super();
  }
  call(inputs: kiln.layers.LayerInput): kiln.layers.LayerOutput {
    this.addLoss(ops.mul(ops.sum(ops.square(inputs)), this.rate));
    return inputs;
  }
}

test.serial("addLoss inside a layer's call is part of the trained and the reported loss", async (t) => {
  kiln.setSeed(4);
  const inputs = kiln.Input({ shape: [3] });
  const dense = new kiln.layers.Dense(2);
  const outputs = new ActivityRegularization(0.1).apply(dense.apply(inputs));
  const model = new kiln.Model(inputs, outputs);
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
  const x = data([8, 3]);
  const y = data([8, 2], 3);
  const [loss] = await model.evaluate(x, y, { batchSize: 8, verbose: 0 });
  const out = model.predictOnBatch(x);
  const mse = values(ops.mean(ops.square(ops.sub(out, y))) as kiln.Tensor)[0];
  const penalty = 0.1 * values(out).reduce((s, v) => s + v * v, 0);
  closeTo(t, [loss], [mse + penalty], 1e-5, 'reported loss');
  // Trained: the gradient includes the penalty's, so the weights match a valueAndGrad of the sum.
  const { grads } = kiln.valueAndGrad(() => ops.add(ops.mean(ops.square(ops.sub(model.apply(x), y))), ops.mul(ops.sum(ops.square(model.apply(x))), 0.1)), model.trainableWeights);
  const before = model.getWeights().map(values);
  await model.trainOnBatch(x, y);
  model.getWeights().forEach((w, k) =>
    closeTo(
      t,
      values(w),
      before[k].map((v, i) => v - 0.1 * values(grads[k])[i]),
      1e-5,
      `weight ${k}`,
    ),
  );
});

test.serial('inside valueAndGrad, model.losses holds the addLoss terms of the traced calls, and training modes are one per trace', async (t) => {
  kiln.setSeed(4);
  const inputs = kiln.Input({ shape: [3] });
  const outputs = new ActivityRegularization(0.1).apply(new kiln.layers.Dense(2).apply(inputs));
  const model = new kiln.Model(inputs, outputs);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const x = data([8, 3]);
  const y = data([8, 2], 3);
  const [reported] = await model.evaluate(x, y, { batchSize: 8, verbose: 0 });
  const mse = new kiln.losses.MeanSquaredError();
  t.deepEqual(model.losses, [], 'empty outside a traced function');
  const { value } = kiln.valueAndGrad(() => {
    const loss = mse.apply(y, model.apply<kiln.SymbolicTensor>(x));
    t.is(model.losses.length, 1);
    return ops.add(loss, model.losses[0]);
  }, model.trainableWeights);
  closeTo(t, values(value), [reported], 1e-5, 'mse + added loss');

  // Dropout drops only when a call asks for training; one trace has one mode.
  const dropout = new kiln.layers.Dropout(0.5);
  const w = new kiln.Variable(kiln.tensor(new Float32Array(64).fill(1), [64]));
  const sumOf = (training?: boolean) => values(kiln.valueAndGrad(() => ops.sum(dropout.apply(ops.mul(ops.reshape(w, [1, 64]), 1) as never, { training })), [w]).value)[0];
  t.is(sumOf(), 64);
  t.is(sumOf(false), 64);
  t.not(sumOf(true), 64);
  const mixed = t.throws(
    () => kiln.valueAndGrad(() => ops.add(ops.sum(dropout.apply(ops.mul(w, 1) as never, { training: true })), ops.sum(dropout.apply(ops.mul(w, 1) as never, { training: false }))), [w]),
    { instanceOf: kiln.ValueError },
  );
  t.regex(mixed!.message, /one mode, but ".*" was called with `training: true` and ".*" with `training: false`/);
});
