// Learning-rate schedules: the rates Keras 3 computes (fixtures from
// scripts/fixtures/keras_schedules.py), argument checks, and schedules driving real training.
import test from 'ava';
import { readFileSync } from 'node:fs';
import * as kiln from 'kiln-nn';

const { schedules } = kiln.optimizers;

interface Fixture {
  keras: string;
  schedules: Record<string, { args: Record<string, unknown>; steps: number[]; rates: number[] }[]>;
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('./fixtures/keras_schedules.json', import.meta.url), 'utf8'));

type ScheduleClass = new (args: never) => kiln.optimizers.schedules.LearningRateSchedule;
const CLASSES: Record<string, ScheduleClass> = {
  ExponentialDecay: schedules.ExponentialDecay,
  PiecewiseConstantDecay: schedules.PiecewiseConstantDecay,
  InverseTimeDecay: schedules.InverseTimeDecay,
  PolynomialDecay: schedules.PolynomialDecay,
  CosineDecay: schedules.CosineDecay,
  CosineDecayRestarts: schedules.CosineDecayRestarts,
};

const close = (actual: number, expected: number) => Math.abs(actual - expected) <= 1e-6 * Math.abs(expected) + 1e-15;

for (const [name, cases] of Object.entries(fixture.schedules)) {
  test(`${name} gives Keras' rates at every step (${cases.length} configurations)`, (t) => {
    t.truthy(CLASSES[name], `kiln.optimizers.schedules.${name} exists`);
    for (const { args, steps, rates } of cases) {
      const schedule = new CLASSES[name](args as never);
      const wrong = steps.filter((step, i) => !close(schedule.call(step), rates[i]));
      t.deepEqual(
        wrong,
        [],
        `${name}(${JSON.stringify(args)}): steps where kiln differs from Keras ${fixture.keras}: ${wrong.map((s) => `${s}: ${schedule.call(s)} vs ${rates[steps.indexOf(s)]}`).join('; ')}`,
      );
      // getConfig gives back the arguments (with defaults) that rebuild the same schedule.
      const config = schedule.getConfig();
      for (const [key, value] of Object.entries(args)) t.deepEqual(config[key], value, `${name}.getConfig().${key}`);
      const rebuilt = new CLASSES[name](config as never);
      t.deepEqual(
        steps.map((s) => rebuilt.call(s)),
        steps.map((s) => schedule.call(s)),
      );
    }
  });
}

test('the fixture covers staircase, cycle, warm-up and restarts', (t) => {
  const args = Object.values(fixture.schedules)
    .flat()
    .map((c) => c.args);
  t.true(args.some((a) => a.staircase === true));
  t.true(args.some((a) => a.cycle === true));
  t.true(args.some((a) => a.warmupTarget !== undefined));
  t.true(fixture.schedules.CosineDecayRestarts.some((c) => c.steps.length > 2 * (c.args.firstDecaySteps as number)));
});

test("defaults are Keras': PolynomialDecay ends at 1e-4, linear, no cycle; CosineDecay alpha 0, no warm-up; restarts tMul 2, mMul 1", (t) => {
  t.deepEqual(new schedules.PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10 }).getConfig(), {
    initialLearningRate: 0.1,
    decaySteps: 10,
    endLearningRate: 0.0001,
    power: 1,
    cycle: false,
  });
  t.deepEqual(new schedules.CosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }).getConfig(), {
    initialLearningRate: 0.1,
    decaySteps: 10,
    alpha: 0,
    warmupTarget: null,
    warmupSteps: 0,
  });
  t.deepEqual(new schedules.CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10 }).getConfig(), {
    initialLearningRate: 0.1,
    firstDecaySteps: 10,
    tMul: 2,
    mMul: 1,
    alpha: 0,
  });
  t.deepEqual(new schedules.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }).getConfig(), {
    initialLearningRate: 0.1,
    decaySteps: 10,
    decayRate: 0.5,
    staircase: false,
  });
  t.deepEqual(new schedules.PiecewiseConstantDecay({ boundaries: [5], values: [0.1, 0.01] }).getConfig(), { boundaries: [5], values: [0.1, 0.01] });
});

test('bad arguments throw a ValueError naming the argument', (t) => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => new schedules.PiecewiseConstantDecay({ boundaries: [10, 20], values: [0.1, 0.01] }),
      /length of boundaries should be 1 less than the length of values.*boundaries=\[10, 20\] of length 2.*values=\[0.1, 0.01\] of length 2/,
    ],
    [() => new schedules.PiecewiseConstantDecay({ boundaries: [20, 10], values: [0.1, 0.01, 0.001] }), /`boundaries` must be finite numbers in increasing order/],
    [() => new schedules.PiecewiseConstantDecay({ boundaries: [10], values: [0.1, -1] }), /`values\[1\]` must be a finite number >= 0. Received: values\[1\]=-1/],
    [
      () => new schedules.InverseTimeDecay({ initialLearningRate: -0.1, decaySteps: 10, decayRate: 0.5 }),
      /InverseTimeDecay: Argument `initialLearningRate` must be a finite number >= 0. Received: initialLearningRate=-0.1/,
    ],
    [() => new schedules.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 }), /InverseTimeDecay: Argument `decaySteps` must be a finite number > 0. Received: decaySteps=0/],
    [() => new schedules.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: -1 }), /`decayRate`.*decayRate=-1/],
    [() => new schedules.PolynomialDecay({ initialLearningRate: 0.1, decaySteps: -5 }), /PolynomialDecay: Argument `decaySteps` must be a finite number > 0. Received: decaySteps=-5/],
    [() => new schedules.PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 5, endLearningRate: -1 }), /`endLearningRate`.*endLearningRate=-1/],
    [() => new schedules.PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 5, power: -1 }), /`power`/],
    [() => new schedules.CosineDecay({ initialLearningRate: 0.1, decaySteps: 0 }), /CosineDecay: Argument `decaySteps` must be a finite number > 0. Received: decaySteps=0/],
    [() => new schedules.CosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 2 }), /`alpha` must be a number between 0 and 1. Received: alpha=2/],
    [() => new schedules.CosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmupTarget: -1, warmupSteps: 5 }), /`warmupTarget`.*warmupTarget=-1/],
    [() => new schedules.CosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmupTarget: 1, warmupSteps: -5 }), /`warmupSteps`.*warmupSteps=-5/],
    [
      () => new schedules.CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 0 }),
      /CosineDecayRestarts: Argument `firstDecaySteps` must be a finite number > 0. Received: firstDecaySteps=0/,
    ],
    [() => new schedules.CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10, tMul: 0.5 }), /`tMul` must be a finite number >= 1.*tMul=0.5/],
    [() => new schedules.CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10, mMul: -1 }), /`mMul`.*mMul=-1/],
    [() => new schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.9 }), /ExponentialDecay: Argument `decaySteps` must be a finite number > 0. Received: decaySteps=0/],
    [() => new schedules.ExponentialDecay({ initialLearningRate: Number.NaN, decaySteps: 10, decayRate: 0.9 }), /`initialLearningRate`.*initialLearningRate=NaN/],
  ];
  for (const [make, message] of cases) t.throws(make, { instanceOf: kiln.ValueError, message });
});

const digits = kiln.datasets.mnistDigits.loadData();

async function digitsSubset(n = 2000) {
  const [[xTrain, yTrain], [xTest, yTest]] = await digits;
  return {
    x: xTrain.slice([0, 0, 0], [n, -1, -1]).astype('float32').div(255),
    y: yTrain.slice([0], [n]),
    xTest: xTest.astype('float32').div(255),
    yTest,
  };
}

function mlp() {
  return new kiln.Sequential([new kiln.layers.Flatten({ inputShape: [28, 28] }), new kiln.layers.Dense(128, { activation: 'relu' }), new kiln.layers.Dense(10, { activation: 'softmax' })]);
}

test.serial('Adam with a CosineDecay (with warm-up) trains the MLP; the optimizer follows the schedule step by step', async (t) => {
  kiln.setSeed(11);
  const { x, y, xTest, yTest } = await digitsSubset();
  const steps = Math.ceil(2000 / 32);
  const schedule = new schedules.CosineDecay({ initialLearningRate: 0, decaySteps: 4 * steps, warmupTarget: 2e-3, warmupSteps: steps });
  const optimizer = new kiln.optimizers.Adam({ learningRate: schedule });
  const model = mlp();
  model.compile({ optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const history = await model.fit(x, y, { epochs: 5, verbose: 0 });
  t.is(optimizer.iterations, 5 * steps);
  t.is(optimizer.learningRate, schedule);
  t.is(optimizer.learningRateAt(steps), 2e-3, 'warm-up reaches its target after one epoch');
  t.true(history.history.loss[4] < history.history.loss[0] / 2, `loss ${history.history.loss}`);
  const [, accuracy] = await model.evaluate(xTest, yTest, { verbose: 0 });
  t.true(accuracy > 0.88, `test accuracy ${accuracy}`);
});

test.serial('a PiecewiseConstantDecay that drops to 0 after the first epoch freezes the weights from then on', async (t) => {
  kiln.setSeed(12);
  const { x, y } = await digitsSubset(640);
  const steps = 640 / 32;
  // Steps 0..steps-1 (the first epoch) are <= the boundary steps-1: rate 1e-3; later ones 0.
  const schedule = new schedules.PiecewiseConstantDecay({ boundaries: [steps - 1], values: [1e-3, 0] });
  const model = mlp();
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: schedule }), loss: 'sparse_categorical_crossentropy' });
  const initial = model.getWeights().map((w) => w.dataSync().slice());
  const atEpochEnd: Float32Array[][] = [];
  await model.fit(x, y, {
    epochs: 3,
    verbose: 0,
    callbacks: [new kiln.callbacks.LambdaCallback({ onEpochEnd: () => void atEpochEnd.push(model.getWeights().map((w) => w.dataSync().slice())) })],
  });
  t.notDeepEqual(atEpochEnd[0], initial, 'the first epoch trains');
  t.deepEqual(atEpochEnd[1], atEpochEnd[0], 'rate 0 in the second epoch');
  t.deepEqual(atEpochEnd[2], atEpochEnd[0], 'rate 0 in the third epoch');
});

test.serial('PolynomialDecay and InverseTimeDecay drive SGD; CosineDecayRestarts drives RMSprop', async (t) => {
  const { x, y, xTest, yTest } = await digitsSubset();
  const make = [
    () => new kiln.optimizers.SGD({ learningRate: new schedules.PolynomialDecay({ initialLearningRate: 0.2, decaySteps: 150, endLearningRate: 0.01 }), momentum: 0.9 }),
    () => new kiln.optimizers.SGD({ learningRate: new schedules.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 50, decayRate: 0.5 }), momentum: 0.9 }),
    () => new kiln.optimizers.RMSprop({ learningRate: new schedules.CosineDecayRestarts({ initialLearningRate: 1e-3, firstDecaySteps: 40 }) }),
  ];
  for (const optimizer of make) {
    kiln.setSeed(13);
    const model = mlp();
    model.compile({ optimizer: optimizer(), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 3, verbose: 0 });
    const [, accuracy] = await model.evaluate(xTest, yTest, { verbose: 0 });
    t.true(accuracy > 0.85, `${model.optimizer!.name}: test accuracy ${accuracy}`);
  }
});
