// Optimizers and losses against Keras 3, from the fixture written by
// scripts/fixtures/keras_training.py (regenerate it with that script; no Python is needed here).
//
// Trajectories: Dense(4, tanh) -> Dense(3, softmax) from fixed weights, 10 steps of one full
// batch of 16 samples, no shuffling; kiln must end on Keras' weights and report Keras' loss at
// every step. Loss values: an identity Dense layer passes y_pred through unchanged, so
// `evaluate` returns the loss of the y_pred the fixture gives.
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

interface FixtureArray {
  shape: number[];
  values: number[];
}
interface Trajectory {
  weights: number[][];
  losses: number[];
}
interface Fixture {
  keras: string;
  backend: string;
  steps: number;
  x: FixtureArray;
  initial: FixtureArray[];
  targets: Record<string, FixtureArray>;
  optimizers: (Trajectory & { optimizer: string; args: Record<string, number | boolean> })[];
  loss_trajectories: (Trajectory & { loss: string; args: Record<string, number | boolean>; activation: 'softmax' | 'sigmoid' | 'linear'; targets: string; learningRate: number })[];
  values: Record<string, FixtureArray>;
  losses: { loss: string; args: Record<string, number | boolean>; yTrue: string; yPred: string; value: number }[];
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_training.json', import.meta.url), 'utf8'));

const TOLERANCE = 1e-5;
const close = (actual: number, expected: number) => Math.abs(actual - expected) <= TOLERANCE + TOLERANCE * Math.abs(expected);
const toTensor = (a: FixtureArray) => kiln.tensor(Float32Array.from(a.values), a.shape);

type OptimizerClass = new (args: Record<string, number | boolean>) => kiln.optimizers.Optimizer;
const OPTIMIZERS: Record<string, OptimizerClass> = {
  SGD: kiln.optimizers.SGD,
  Adam: kiln.optimizers.Adam,
  AdamW: kiln.optimizers.AdamW,
  Adamax: kiln.optimizers.Adamax,
  Nadam: kiln.optimizers.Nadam,
  RMSprop: kiln.optimizers.RMSprop,
  Adagrad: kiln.optimizers.Adagrad,
  Adadelta: kiln.optimizers.Adadelta,
  Lion: kiln.optimizers.Lion,
};

type LossClass = new (args: Record<string, number | boolean>) => kiln.losses.Loss;
const LOSSES: Record<string, LossClass> = {
  CategoricalCrossentropy: kiln.losses.CategoricalCrossentropy,
  SparseCategoricalCrossentropy: kiln.losses.SparseCategoricalCrossentropy,
  BinaryCrossentropy: kiln.losses.BinaryCrossentropy,
  MeanSquaredError: kiln.losses.MeanSquaredError,
  MeanAbsoluteError: kiln.losses.MeanAbsoluteError,
  MeanAbsolutePercentageError: kiln.losses.MeanAbsolutePercentageError,
  MeanSquaredLogarithmicError: kiln.losses.MeanSquaredLogarithmicError,
  Huber: kiln.losses.Huber,
  LogCosh: kiln.losses.LogCosh,
  Hinge: kiln.losses.Hinge,
  SquaredHinge: kiln.losses.SquaredHinge,
  CategoricalHinge: kiln.losses.CategoricalHinge,
  KLDivergence: kiln.losses.KLDivergence,
  Poisson: kiln.losses.Poisson,
  CosineSimilarity: kiln.losses.CosineSimilarity,
};

/** Keras' function name of each class, and the other names Keras accepts for it. */
const NAMES: Record<string, string[]> = {
  CategoricalCrossentropy: ['categorical_crossentropy', 'categoricalCrossentropy'],
  SparseCategoricalCrossentropy: ['sparse_categorical_crossentropy'],
  BinaryCrossentropy: ['binary_crossentropy', 'bce', 'BCE'],
  MeanSquaredError: ['mean_squared_error', 'mse', 'MSE'],
  MeanAbsoluteError: ['mean_absolute_error', 'mae', 'MAE'],
  MeanAbsolutePercentageError: ['mean_absolute_percentage_error', 'mape', 'MAPE'],
  MeanSquaredLogarithmicError: ['mean_squared_logarithmic_error', 'msle', 'MSLE'],
  Huber: ['huber', 'huber_loss'],
  LogCosh: ['log_cosh', 'logcosh', 'logCosh'],
  Hinge: ['hinge'],
  SquaredHinge: ['squared_hinge'],
  CategoricalHinge: ['categorical_hinge'],
  KLDivergence: ['kl_divergence', 'kld', 'KLD', 'kullback_leibler_divergence'],
  Poisson: ['poisson'],
  CosineSimilarity: ['cosine_similarity'],
};

/** The fixture's model at its initial weights. */
function smallModel(activation: 'softmax' | 'sigmoid' | 'linear' = 'softmax'): kiln.Sequential {
  const model = new kiln.Sequential([new kiln.layers.Dense(4, { activation: 'tanh', inputShape: [fixture.x.shape[1]] }), new kiln.layers.Dense(3, { activation })]);
  model.setWeights(fixture.initial.map(toTensor));
  return model;
}

/** Ten full-batch steps; checks the final weights and each step's loss against Keras'. */
async function checkTrajectory(t: ExecutionContext, label: string, model: kiln.Sequential, y: kiln.Tensor, expected: Trajectory) {
  const history = await model.fit(toTensor(fixture.x), y, { epochs: fixture.steps, batchSize: fixture.x.shape[0], shuffle: false, verbose: 0 });
  const losses = history.history.loss;
  const wrongLosses = losses.map((l, i) => [i, l, expected.losses[i]]).filter(([, l, e]) => !close(l, e));
  t.deepEqual(wrongLosses, [], `${label}: [step, kiln loss, Keras ${fixture.keras} loss] where they differ`);
  model.getWeights().forEach((w, k) => {
    const actual = w.dataSync();
    const wrong = expected.weights[k].map((e, i) => [i, actual[i], e]).filter(([, a, e]) => !close(a, e));
    t.deepEqual(wrong, [], `${label}: weight ${k}, [index, kiln, Keras] where they differ by more than ${TOLERANCE}`);
  });
}

for (const run of fixture.optimizers) {
  const label = `${run.optimizer}(${JSON.stringify(run.args)})`;
  test(`${label} follows Keras' trajectory for ${fixture.steps} steps`, async (t) => {
    t.truthy(OPTIMIZERS[run.optimizer], `kiln.optimizers.${run.optimizer} exists`);
    const model = smallModel();
    model.compile({ optimizer: new OPTIMIZERS[run.optimizer](run.args), loss: 'categorical_crossentropy' });
    await checkTrajectory(t, label, model, toTensor(fixture.targets.onehot), run);
    if (Object.keys(run.args).length === 0) {
      // The string names make the same optimizer, at Keras' defaults.
      for (const name of [run.optimizer.toLowerCase(), run.optimizer]) {
        const named = smallModel();
        named.compile({ optimizer: name, loss: 'categorical_crossentropy' });
        t.true(named.optimizer instanceof OPTIMIZERS[run.optimizer], `'${name}' makes a ${run.optimizer}`);
        await checkTrajectory(t, `'${name}'`, named, toTensor(fixture.targets.onehot), run);
      }
    }
  });
}

for (const run of fixture.loss_trajectories) {
  const label = `${run.loss}(${JSON.stringify(run.args)}) after ${run.activation}, ${run.targets} targets`;
  test(`SGD under ${label} follows Keras' trajectory`, async (t) => {
    const model = smallModel(run.activation);
    model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: run.learningRate }), loss: new LOSSES[run.loss](run.args) });
    await checkTrajectory(t, label, model, toTensor(fixture.targets[run.targets]), run);
  });
}

/** The loss `evaluate` reports for `yPred` against `yTrue`: the model passes its input through. */
async function lossOf(loss: string | kiln.losses.Loss, yTrue: kiln.Tensor, yPred: kiln.Tensor): Promise<number> {
  const width = yPred.shape[1];
  const model = new kiln.Sequential([new kiln.layers.Dense(width, { useBias: false, inputShape: [width] })]);
  const identity = Float32Array.from({ length: width * width }, (_, i) => (i % (width + 1) === 0 ? 1 : 0));
  model.setWeights([kiln.tensor(identity, [width, width])]);
  model.compile({ optimizer: 'sgd', loss });
  const [value] = await model.evaluate(yPred, yTrue, { batchSize: 64, verbose: 0 });
  return value;
}

test(`every loss gives Keras' value (${fixture.losses.length} cases, with fromLogits, labelSmoothing and delta)`, async (t) => {
  for (const c of fixture.losses) {
    t.truthy(LOSSES[c.loss], `kiln.losses.${c.loss} exists`);
    const [yTrue, yPred] = [toTensor(fixture.values[c.yTrue]), toTensor(fixture.values[c.yPred])];
    const value = await lossOf(new LOSSES[c.loss](c.args), yTrue, yPred);
    t.true(close(value, c.value), `${c.loss}(${JSON.stringify(c.args)}) on ${c.yTrue} / ${c.yPred}: kiln ${value}, Keras ${fixture.keras} ${c.value}`);
    if (Object.keys(c.args).length === 0) {
      // Keras' function names, aliases and the class name as a string name the same loss.
      for (const name of [...NAMES[c.loss], c.loss]) {
        t.is(await lossOf(name, yTrue, yPred), value, `'${name}' is ${c.loss}`);
      }
    }
  }
});

test('the fixture covers every optimizer, every loss, and each common option', (t) => {
  t.deepEqual([...new Set(fixture.optimizers.map((r) => r.optimizer))].sort(), Object.keys(OPTIMIZERS).sort());
  t.deepEqual([...new Set(fixture.losses.map((c) => c.loss))].sort(), Object.keys(LOSSES).sort());
  t.deepEqual([...new Set(fixture.loss_trajectories.map((c) => c.loss))].sort(), Object.keys(LOSSES).sort());
  for (const option of ['clipnorm', 'clipvalue', 'globalClipnorm', 'weightDecay', 'amsgrad', 'nesterov', 'centered']) {
    t.true(
      fixture.optimizers.some((r) => option in r.args),
      option,
    );
  }
  for (const option of ['fromLogits', 'labelSmoothing', 'delta']) {
    t.true(
      fixture.losses.some((c) => option in c.args),
      option,
    );
    t.true(
      fixture.loss_trajectories.some((c) => option in c.args),
      option,
    );
  }
});

test("optimizer defaults are Keras': AdamW decays by 0.004; options default to none", (t) => {
  const adamw = new kiln.optimizers.AdamW();
  t.is(adamw.weightDecay, 0.004);
  t.is(adamw.name, 'adamw');
  t.is(adamw.learningRate, 0.001);
  t.true(adamw instanceof kiln.optimizers.Adam);
  const adam = new kiln.optimizers.Adam();
  t.deepEqual([adam.weightDecay, adam.clipnorm, adam.clipvalue, adam.globalClipnorm, adam.amsgrad], [null, null, null, null, false]);
  t.deepEqual([new kiln.optimizers.Adadelta().rho, new kiln.optimizers.Adadelta().learningRate], [0.95, 0.001]);
  t.deepEqual([new kiln.optimizers.Lion().beta1, new kiln.optimizers.Lion().beta2], [0.9, 0.99]);
  t.deepEqual([new kiln.optimizers.Nadam().beta1, new kiln.optimizers.Adamax().beta2], [0.9, 0.999]);
});

test('bad optimizer options are refused with a message naming them', (t) => {
  const twoClips = t.throws(() => new kiln.optimizers.SGD({ clipnorm: 1, clipvalue: 0.5 }), { instanceOf: kiln.ValueError });
  t.regex(twoClips.message, /only one of `clipnorm`, `clipvalue` and `globalClipnorm`/);
  t.throws(() => new kiln.optimizers.Adam({ weightDecay: -1 }), { instanceOf: kiln.ValueError, message: /weightDecay/ });
  t.throws(() => new kiln.optimizers.Lion({ beta1: 0 }), { instanceOf: kiln.ValueError, message: /beta1/ });
  const unknown = t.throws(() => new kiln.Sequential([new kiln.layers.Dense(1, { inputShape: [1] })]).compile({ optimizer: 'adamz', loss: 'mse' }));
  t.regex(unknown.message, /'adamz'.*'adamw'/);
});

test('losses: instances carry their settings; bad names and settings are refused', (t) => {
  const cce = new kiln.losses.CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 });
  t.deepEqual(cce.getConfig(), { name: 'categorical_crossentropy', fromLogits: true, labelSmoothing: 0.1, reduction: 'sum_over_batch_size' });
  t.is(new kiln.losses.Huber().name, 'huber_loss');
  t.is(new kiln.losses.Huber().delta, 1);
  const huber = new kiln.losses.Huber({ delta: 2 });
  t.true(huber instanceof kiln.losses.Huber && huber instanceof kiln.losses.Loss);
  t.is(huber.delta, 2);
  t.throws(() => new kiln.losses.BinaryCrossentropy({ labelSmoothing: 1.5 }), { instanceOf: kiln.ValueError, message: /labelSmoothing/ });
  t.throws(() => new kiln.losses.Huber({ delta: 0 }), { instanceOf: kiln.ValueError, message: /delta/ });
  const model = new kiln.Sequential([new kiln.layers.Dense(1, { inputShape: [1] })]);
  const unknown = t.throws(() => model.compile({ loss: 'mean_squared_errors' }), { instanceOf: kiln.ValueError });
  t.regex(unknown.message, /Unknown loss: 'mean_squared_errors'.*'mse'/);
});

test('a from-logits model trains to the same predictions as its softmax twin', async (t) => {
  // Dense(3) + CategoricalCrossentropy({ fromLogits: true }) is Dense(3, softmax) + 'categorical_crossentropy'.
  const softmax = smallModel('softmax');
  const logits = smallModel('linear');
  softmax.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.05 }), loss: 'categorical_crossentropy' });
  logits.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.05 }), loss: new kiln.losses.CategoricalCrossentropy({ fromLogits: true }) });
  const [x, y] = [toTensor(fixture.x), toTensor(fixture.targets.onehot)];
  const a = await softmax.fit(x, y, { epochs: 5, batchSize: 16, shuffle: false, verbose: 0 });
  const b = await logits.fit(x, y, { epochs: 5, batchSize: 16, shuffle: false, verbose: 0 });
  a.history.loss.forEach((l, i) => t.true(close(l, b.history.loss[i]), `epoch ${i}: ${l} vs ${b.history.loss[i]}`));
  const probabilities = kiln.ops.softmax(await logits.predict(x)).dataSync();
  const predicted = (await softmax.predict(x)).dataSync();
  t.true(predicted.every((p, i) => close(p, probabilities[i])));
});
