// Keras' overridable train_step / test_step: a model subclass that trains its own way inside
// fit (here a small GAN trained with the *OnBatch methods of its parts, as the Keras 2 GAN
// tutorials do) gets fit's batches, callbacks and History; evaluate runs a custom testStep.
// Tests that compare seeded runs are serial: the random generator is global.
import test from 'ava';
import * as kiln from 'kiln-nn';

const { ops } = kiln;

/** 32 points on the unit circle: the "real" samples the generator learns to imitate. */
const circle = kiln.tensor(
  Float32Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? Math.cos(i * 0.37) : Math.sin((i - 1) * 0.37))),
  [32, 2],
);

const ones = (n: number) => kiln.tensor(new Float32Array(n).fill(1), [n, 1]);
const zeros = (n: number) => kiln.tensor(new Float32Array(n), [n, 1]);

class Gan extends kiln.Model {
  constructor(
    readonly generator: kiln.Sequential,
    readonly discriminator: kiln.Sequential,
  ) {
    const noise = kiln.Input({ shape: [3] });
    super({ inputs: noise, outputs: discriminator.apply(generator.apply(noise)) as kiln.SymbolicTensor });
  }

  /** One discriminator step on real and generated points, then one step of the stack on noise labelled real. */
  async trainStep([real]: kiln.StepData): Promise<kiln.callbacks.Logs> {
    return ganStep(this, real as kiln.Tensor);
  }
}

async function ganStep(gan: Gan, real: kiln.Tensor): Promise<kiln.callbacks.Logs> {
  const n = real.shape[0];
  const noise = kiln.random.normal([n, 3]);
  const fake = gan.generator.predictOnBatch(noise);
  const [dLoss] = await gan.discriminator.trainOnBatch(ops.concat([real, fake], 0), ops.concat([ones(n), zeros(n)], 0));
  const [gLoss] = await gan.trainOnBatch(noise, ones(n));
  return { d_loss: dLoss, g_loss: gLoss };
}

function makeGan(): Gan {
  kiln.setSeed(21);
  const generator = new kiln.Sequential([new kiln.layers.Dense(8, { activation: 'tanh', inputShape: [3] }), new kiln.layers.Dense(2)]);
  const discriminator = new kiln.Sequential([new kiln.layers.Dense(8, { activation: 'relu', inputShape: [2] }), new kiln.layers.Dense(1, { activation: 'sigmoid' })]);
  discriminator.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: 'binary_crossentropy' });
  const gan = new Gan(generator, discriminator);
  gan.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.05 }), loss: 'binary_crossentropy' });
  return gan;
}

const weightsOf = (model: kiln.Model) => model.getWeights().map((w) => Array.from(w.dataSync()));

test.serial('fit runs an overridden trainStep on each batch, in order, with callbacks and History as Keras', async (t) => {
  const gan = makeGan();
  kiln.setSeed(7);
  const batches: number[] = [];
  const epochLogs: kiln.callbacks.Logs[] = [];
  const recorder = new kiln.callbacks.LambdaCallback({
    onTrainBatchEnd: (batch, logs) => void batches.push(batch, logs!.d_loss),
    onEpochEnd: (_epoch, logs) => void epochLogs.push({ ...logs }),
  });
  const history = await gan.fit(circle, undefined, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, callbacks: [recorder] });

  // The same steps by hand: the same batches in the same order give the same weights and logs.
  const reference = makeGan();
  kiln.setSeed(7);
  const expected: kiln.callbacks.Logs[] = [];
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let b = 0; b < 4; b++) expected[epoch] = await ganStep(reference, circle.slice([b * 8, 0], [8, -1]));
  }
  t.deepEqual(weightsOf(gan), weightsOf(reference));
  t.deepEqual(epochLogs, expected, "an epoch's logs are its last batch's");
  t.deepEqual(history.history, { d_loss: expected.map((l) => l.d_loss), g_loss: expected.map((l) => l.g_loss) });
  t.deepEqual(
    batches.filter((_, i) => i % 2 === 0),
    [0, 1, 2, 3, 0, 1, 2, 3],
  );
  t.true(batches.filter((_, i) => i % 2 === 1).every((v) => Number.isFinite(v) && v > 0));
  // Each batch trained the discriminator and the stack once.
  t.is(gan.discriminator.optimizer!.iterations, 8);
  t.is(gan.optimizer!.iterations, 8);
});

test("a trainStep sees a Dataset's batches (x alone here) and shuffled array batches as the data gives them", async (t) => {
  const gan = makeGan();
  const seen: number[][] = [];
  const spy = new (class extends Gan {
    async trainStep(data: kiln.StepData) {
      seen.push([data.length, ...(data[0] as kiln.Tensor).shape]);
      return { rows: (data[0] as kiln.Tensor).shape[0] };
    }
  })(gan.generator, gan.discriminator);
  spy.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
  const history = await spy.fit(kiln.data.Dataset.fromTensors(circle).batch(10), { epochs: 1, verbose: 0 });
  t.deepEqual(seen, [
    [1, 10, 2],
    [1, 10, 2],
    [1, 10, 2],
    [1, 2, 2],
  ]);
  t.deepEqual(history.history, { rows: [2] });
  // Shuffled arrays: every sample once per epoch, with its own sample weight alongside.
  const rowsSeen: number[] = [];
  const weights = kiln.tensor(Float32Array.from({ length: 32 }, (_, i) => i));
  const collector = new (class extends Gan {
    async trainStep([x, , w]: kiln.StepData) {
      rowsSeen.push(...Array.from(w!.dataSync()));
      t.deepEqual((x as kiln.Tensor).shape, [w!.shape[0], 2]);
      return {};
    }
  })(gan.generator, gan.discriminator);
  collector.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
  await collector.fit(circle, ones(32), { epochs: 1, batchSize: 6, verbose: 0, sampleWeight: weights });
  t.deepEqual(
    [...rowsSeen].sort((a, b) => a - b),
    Array.from({ length: 32 }, (_, i) => i),
  );
  t.notDeepEqual(
    rowsSeen,
    Array.from({ length: 32 }, (_, i) => i),
    'shuffled',
  );
});

test.serial('super.trainStep is the compiled step, and a custom testStep drives evaluate and validation', async (t) => {
  kiln.setSeed(3);
  const x = kiln.random.uniform([24, 4]);
  const y = ops.sum(x, -1, true);
  const build = () => {
    kiln.setSeed(4);
    return [new kiln.layers.Dense(1, { inputShape: [4] })];
  };
  class Twice extends kiln.Sequential {
    async trainStep(data: kiln.StepData) {
      await super.trainStep(data);
      return super.trainStep(data);
    }
    testStep([xb, yb]: kiln.StepData) {
      const error = ops.mean(ops.abs(ops.sub(this.predictOnBatch(xb as kiln.Tensor), yb as kiln.Tensor)));
      return { mae: error };
    }
  }
  const twice = new Twice(build());
  twice.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
  const history = await twice.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, validationData: [x, y], validationBatchSize: 24 });
  const plain = new kiln.Sequential(build());
  plain.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let b = 0; b < 3; b++) for (let k = 0; k < 2; k++) await plain.trainOnBatch(x.slice([b * 8, 0], [8, -1]), y.slice([b * 8, 0], [8, -1]));
  }
  t.deepEqual(weightsOf(twice), weightsOf(plain));
  t.is(twice.optimizer!.iterations, 12);
  t.deepEqual(Object.keys(history.history).sort(), ['loss', 'val_mae']);
  const mae = (await twice.evaluate(x, y, { batchSize: 24, verbose: 0 }))[0];
  const direct = ops.mean(ops.abs(ops.sub(plain.predictOnBatch(x), y))).dataSync()[0];
  t.true(Math.abs(mae - direct) < 1e-6, `${mae} vs ${direct}`);
  t.true(Math.abs(history.history.val_mae[1] - direct) < 1e-6);
  t.deepEqual(Object.keys(await twice.evaluate(x, y, { verbose: 0, returnDict: true })), ['mae']);
});

test('a trainStep or testStep that returns something other than logs is refused, naming the method', async (t) => {
  const x = kiln.random.uniform([8, 4]);
  const y = kiln.random.uniform([8, 1]);
  class Broken extends kiln.Sequential {
    returns: unknown = 3;
    trainStep() {
      return this.returns as kiln.callbacks.Logs;
    }
    testStep() {
      return this.returns as kiln.callbacks.Logs;
    }
  }
  const model = new Broken([new kiln.layers.Dense(1, { inputShape: [4] })]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  await t.throwsAsync(model.fit(x, y, { verbose: 0 }), { instanceOf: kiln.ValueError, message: 'trainStep must return a logs object of numbers, such as { loss: 0.25 }; it returned 3' });
  model.returns = undefined;
  await t.throwsAsync(model.evaluate(x, y, { verbose: 0 }), {
    instanceOf: kiln.ValueError,
    message: /^testStep must return a logs object of numbers, such as \{ loss: 0.25 \}; it returned undefined/,
  });
  model.returns = { loss: 'low' };
  await t.throwsAsync(model.fit(x, y, { verbose: 0 }), { instanceOf: kiln.ValueError, message: "trainStep must return a logs object of numbers; its `loss` is 'low'" });
  model.returns = { loss: kiln.tensor([1, 2]) };
  await t.throwsAsync(model.fit(x, y, { verbose: 0 }), { instanceOf: kiln.ValueError, message: /its `loss` is an instance of Tensor/ });
});
