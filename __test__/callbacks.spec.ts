// Keras' training callbacks on real small training runs (2,000 of the MNIST digits), checked
// against what Keras 3 does with the same numbers.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';

const { callbacks } = kiln;
const digits = kiln.datasets.mnistDigits.loadData();

async function digitsSubset(n = 2000) {
  const [[xTrain, yTrain]] = await digits;
  return { x: xTrain.slice([0, 0, 0], [n, -1, -1]).astype('float32').div(255), y: yTrain.slice([0], [n]) };
}

function mlp(units = 64) {
  const model = new kiln.Sequential([new kiln.layers.Flatten({ inputShape: [28, 28] }), new kiln.layers.Dense(units, { activation: 'relu' }), new kiln.layers.Dense(10, { activation: 'softmax' })]);
  return model;
}

function compiledMlp(optimizer: kiln.optimizers.Optimizer | string = 'adam') {
  const model = mlp();
  model.compile({ optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

const snapshot = (model: kiln.Model) => model.getWeights().map((w) => Array.from(w.dataSync()));

/** A callback that writes scripted values into the epoch logs under `key`, for exact monitor checks. */
const script = (key: string, values: number[]) => new callbacks.LambdaCallback({ onEpochEnd: (epoch, logs) => void (logs![key] = values[epoch]) });

/** Runs `f` with console.log / console.warn captured. */
async function capture<T>(f: () => Promise<T>): Promise<{ result: T; logged: string[]; warned: string[] }> {
  const logged: string[] = [];
  const warned: string[] = [];
  const { log, warn } = console;
  console.log = (...a: unknown[]) => void logged.push(a.join(' '));
  console.warn = (...a: unknown[]) => void warned.push(a.join(' '));
  try {
    return { result: await f(), logged, warned };
  } finally {
    Object.assign(console, { log, warn });
  }
}

// --- EarlyStopping --------------------------------------------------------------------------

test.serial("EarlyStopping stops when val_loss stops improving and restores the best epoch's weights", async (t) => {
  kiln.setSeed(21);
  const { x, y } = await digitsSubset(600);
  // A large rate on 480 training samples overfits quickly: val_loss turns up after a few epochs.
  const model = compiledMlp(new kiln.optimizers.Adam({ learningRate: 1e-2 }));
  const weightsAt: number[][][] = [];
  const patience = 2;
  const { result: history, logged } = await capture(() =>
    model.fit(x, y, {
      epochs: 40,
      validationSplit: 0.2,
      verbose: 0,
      callbacks: [new callbacks.LambdaCallback({ onEpochEnd: () => void weightsAt.push(snapshot(model)) }), new callbacks.EarlyStopping({ patience, restoreBestWeights: true, verbose: 1 })],
    }),
  );
  const valLoss = history.history.val_loss;
  const best = valLoss.indexOf(Math.min(...valLoss));
  t.true(valLoss.length < 40, `stopped early: ${valLoss.length} epochs`);
  t.log(`stopped after ${valLoss.length} epochs, best epoch ${best + 1}`);
  t.is(valLoss.length, best + patience + 1, `val_loss ${valLoss.map((v) => v.toFixed(3))}`);
  t.deepEqual(snapshot(model), weightsAt[best], 'the weights are those at the end of the best epoch');
  t.notDeepEqual(snapshot(model), weightsAt.at(-1));
  t.deepEqual(logged, [`Epoch ${valLoss.length}: early stopping`, `Restoring model weights from the end of the best epoch: ${best + 1}.`]);
  // The restored model evaluates to the best epoch's val_loss.
  const [xVal, yVal] = [x.slice([480, 0, 0], [120, -1, -1]), y.slice([480], [120])];
  const [loss] = await model.evaluate(xVal, yVal, { verbose: 0 });
  t.true(Math.abs(loss - valLoss[best]) < 1e-5, `${loss} vs ${valLoss[best]}`);
});

// Expected epoch counts: what Keras 3.15's EarlyStopping does with the same monitored values.
const earlyStoppingCases: { title: string; values: number[]; args: kiln.callbacks.EarlyStoppingArgs; epochs: number }[] = [
  { title: 'patience 2', values: [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.4, 0.3], args: { monitor: 'score', mode: 'min', patience: 2 }, epochs: 4 },
  { title: 'minDelta 0.2: small improvements do not count', values: [1.0, 0.9, 0.85, 0.6, 0.55, 0.5, 0.45, 0.4], args: { monitor: 'score', mode: 'min', patience: 1, minDelta: 0.2 }, epochs: 2 },
  { title: 'minDelta 0: every improvement counts', values: [1.0, 0.9, 0.85, 0.6, 0.55, 0.5, 0.45, 0.4], args: { monitor: 'score', mode: 'min', patience: 1 }, epochs: 8 },
  { title: 'baseline never reached, no improvement', values: [0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6], args: { monitor: 'val_accuracy', patience: 2, baseline: 0.9 }, epochs: 3 },
  { title: 'baseline never reached, still improving', values: [0.5, 0.6, 0.7, 0.8, 0.85, 0.86, 0.86, 0.86], args: { monitor: 'val_accuracy', patience: 2, baseline: 0.9 }, epochs: 7 },
  { title: 'baseline beaten', values: [0.5, 0.95, 0.94, 0.93, 0.92, 0.91, 0.9, 0.9], args: { monitor: 'val_accuracy', patience: 3, baseline: 0.9 }, epochs: 5 },
  { title: 'patience 0 on a rising loss', values: [5, 6, 7, 8, 9, 10, 11, 12], args: { monitor: 'score', patience: 0 }, epochs: 2 },
  { title: 'startFromEpoch 3', values: [5, 6, 7, 8, 9, 10, 11, 12], args: { monitor: 'score', patience: 0, startFromEpoch: 3 }, epochs: 5 },
];

test.serial('EarlyStopping: patience, minDelta, baseline, startFromEpoch and mode as Keras', async (t) => {
  const { x, y } = await digitsSubset(256);
  for (const { title, values, args, epochs } of earlyStoppingCases) {
    kiln.setSeed(22);
    const model = compiledMlp();
    const stopper = new callbacks.EarlyStopping(args);
    const history = await model.fit(x, y, { epochs: values.length, verbose: 0, callbacks: [script(args.monitor!, values), stopper] });
    t.is(history.history.loss.length, epochs, title);
    t.is(stopper.stoppedEpoch, epochs < values.length ? epochs - 1 : 0, `${title}: stoppedEpoch`);
  }
  // 'auto' reads the direction from the name: accuracy-like metrics go up, everything else down.
  const rising = [0.5, 0.6, 0.7, 0.8];
  for (const [monitor, epochs] of [
    ['val_accuracy', 4],
    ['accuracy', 4],
    ['auc_1', 4],
    ['val_precision', 4],
    ['val_loss', 2],
    ['mse', 2],
  ] as const) {
    const model = compiledMlp();
    const history = await model.fit(x, y, { epochs: 4, verbose: 0, callbacks: [script(monitor, rising), new callbacks.EarlyStopping({ monitor })] });
    t.is(history.history.loss.length, epochs, `mode auto for ${monitor}`);
  }
});

test.serial('EarlyStopping and ReduceLROnPlateau warn and carry on when the monitored key is not logged', async (t) => {
  const { x, y } = await digitsSubset(256);
  const model = compiledMlp();
  const { result: history, warned } = await capture(() => model.fit(x, y, { epochs: 3, verbose: 0, callbacks: [new callbacks.EarlyStopping(), new callbacks.ReduceLROnPlateau({ patience: 0 })] }));
  t.is(history.history.loss.length, 3);
  t.deepEqual(warned, [
    'Early stopping conditioned on metric `val_loss` which is not available. Available metrics are: loss,accuracy',
    'Learning rate reduction is conditioned on metric `val_loss` which is not available. Available metrics are: loss,accuracy,learning_rate',
  ]);
  t.is(model.optimizer!.learningRate, 0.001);
});

test.serial('EarlyStopping options are checked', (t) => {
  t.throws(() => new callbacks.EarlyStopping({ patience: -1 }), { instanceOf: kiln.ValueError, message: /EarlyStopping: `patience` must be a non-negative integer, got -1/ });
  t.throws(() => new callbacks.EarlyStopping({ minDelta: Number.NaN }), { instanceOf: kiln.ValueError, message: /`minDelta`/ });
  t.throws(() => new callbacks.ReduceLROnPlateau({ factor: 1 }), { instanceOf: kiln.ValueError, message: /does not support a factor >= 1.0. Received factor=1/ });
  t.throws(() => new callbacks.ReduceLROnPlateau({ minLr: -1 }), { instanceOf: kiln.ValueError, message: /`minLr`/ });
  t.throws(() => new callbacks.ReduceLROnPlateau({ cooldown: 1.5 }), { instanceOf: kiln.ValueError, message: /`cooldown`/ });
});

// --- ReduceLROnPlateau ----------------------------------------------------------------------

test.serial('ReduceLROnPlateau lowers the learning rate after a real plateau and logs it as learning_rate', async (t) => {
  kiln.setSeed(23);
  const { x, y } = await digitsSubset(512);
  // A rate of 1e-9 leaves the loss flat to far below minDelta (1e-4): a plateau from epoch 0.
  const model = compiledMlp(new kiln.optimizers.SGD({ learningRate: 1e-9 }));
  const { result: history, logged } = await capture(() =>
    model.fit(x, y, { epochs: 7, verbose: 0, callbacks: [new callbacks.ReduceLROnPlateau({ monitor: 'loss', patience: 2, factor: 0.5, verbose: 1 })] }),
  );
  // Keras 3.15 with the same losses: reductions at the end of epochs 2, 4 and 6 (0-based).
  const expected = [1e-9, 1e-9, 1e-9, 5e-10, 5e-10, 2.5e-10, 2.5e-10];
  t.deepEqual(history.history.learning_rate, expected);
  t.is(model.optimizer!.learningRate, 1.25e-10);
  t.deepEqual(
    logged,
    [3, 5, 7].map((e, i) => `\nEpoch ${e}: ReduceLROnPlateau reducing learning rate to ${1e-9 / 2 ** (i + 1)}.`),
  );
});

test.serial('ReduceLROnPlateau honours cooldown and minLr; the lowered rate is the one training uses', async (t) => {
  const { x, y } = await digitsSubset(256);
  const flat = new Array(10).fill(1.0);
  const run = async (args: kiln.callbacks.ReduceLROnPlateauArgs, epochs = 10) => {
    kiln.setSeed(24);
    const model = compiledMlp(new kiln.optimizers.Adam({ learningRate: 1e-3 }));
    const history = await model.fit(x, y, { epochs, verbose: 0, callbacks: [script('score', flat), new callbacks.ReduceLROnPlateau({ monitor: 'score', ...args })] });
    return { model, rates: history.history.learning_rate };
  };
  // Expected sequences: Keras 3.15's ReduceLROnPlateau on the same monitored values.
  t.deepEqual((await run({ patience: 2, factor: 0.5 })).rates, [0.001, 0.001, 0.001, 0.0005, 0.0005, 0.00025, 0.00025, 0.000125, 0.000125, 6.25e-5]);
  t.deepEqual((await run({ patience: 2, factor: 0.5, cooldown: 2 })).rates, [0.001, 0.001, 0.001, 0.0005, 0.0005, 0.0005, 0.00025, 0.00025, 0.00025, 0.000125]);
  t.deepEqual((await run({ patience: 1, factor: 0.1, minLr: 3e-4 })).rates, [0.001, 0.001, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003, 0.0003]);
  // factor 0 brings the rate to 0 after epoch 0: from then on the weights no longer change.
  kiln.setSeed(24);
  const model = compiledMlp(new kiln.optimizers.Adam({ learningRate: 1e-3 }));
  const weightsAt: number[][][] = [];
  await model.fit(x, y, {
    epochs: 3,
    verbose: 0,
    callbacks: [
      script('score', flat),
      new callbacks.ReduceLROnPlateau({ monitor: 'score', patience: 0, factor: 0 }),
      new callbacks.LambdaCallback({ onEpochEnd: () => void weightsAt.push(snapshot(model)) }),
    ],
  });
  t.is(model.optimizer!.learningRate, 0);
  t.deepEqual(weightsAt[2], weightsAt[1]);
});

test.serial('ReduceLROnPlateau and LearningRateScheduler refuse an optimizer whose learning rate is a schedule', async (t) => {
  const { x, y } = await digitsSubset(128);
  const schedule = () => new kiln.optimizers.schedules.ExponentialDecay({ initialLearningRate: 1e-3, decaySteps: 10, decayRate: 0.9 });
  for (const callback of [new callbacks.ReduceLROnPlateau(), new callbacks.LearningRateScheduler((_epoch, lr) => lr)]) {
    const model = compiledMlp(new kiln.optimizers.Adam({ learningRate: schedule() }));
    await t.throwsAsync(model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [callback] }), {
      instanceOf: kiln.ValueError,
      message: /created with a `LearningRateSchedule` object as its `learningRate`, hence its learning rate is not settable/,
    });
  }
});

// --- LearningRateScheduler ------------------------------------------------------------------

test.serial('LearningRateScheduler sets the rate at the start of each epoch from (epoch, lr)', async (t) => {
  kiln.setSeed(25);
  const { x, y } = await digitsSubset();
  const model = compiledMlp(new kiln.optimizers.Adam({ learningRate: 1e-3 }));
  const seen: [number, number][] = [];
  const ratesAtEpochBegin: number[] = [];
  const weightsAt: number[][][] = [];
  const { result: history, logged } = await capture(() =>
    model.fit(x, y, {
      epochs: 5,
      verbose: 0,
      callbacks: [
        new callbacks.LearningRateScheduler((epoch, lr) => {
          seen.push([epoch, lr]);
          return epoch < 2 ? lr : epoch < 4 ? lr / 2 : 0;
        }, 1),
        new callbacks.LambdaCallback({
          onEpochBegin: () => void ratesAtEpochBegin.push(model.optimizer!.learningRate as number),
          onEpochEnd: () => void weightsAt.push(snapshot(model)),
        }),
      ],
    }),
  );
  t.deepEqual(seen, [
    [0, 1e-3],
    [1, 1e-3],
    [2, 1e-3],
    [3, 5e-4],
    [4, 2.5e-4],
  ]);
  t.deepEqual(ratesAtEpochBegin, [1e-3, 1e-3, 5e-4, 2.5e-4, 0]);
  t.deepEqual(history.history.learning_rate, [1e-3, 1e-3, 5e-4, 2.5e-4, 0]);
  t.is(logged[2], '\nEpoch 3: LearningRateScheduler setting learning rate to 0.0005.');
  t.true(history.history.loss[3] < history.history.loss[0]);
  t.deepEqual(weightsAt[4], weightsAt[3], 'rate 0 in the last epoch: the weights do not move');
  for (const bad of [Number.NaN, 'fast' as unknown as number]) {
    await t.throwsAsync(model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new callbacks.LearningRateScheduler(() => bad)] }), {
      instanceOf: kiln.ValueError,
      message: /The output of the `schedule` function should be a finite number/,
    });
  }
});

// --- CSVLogger ------------------------------------------------------------------------------

test.serial('CSVLogger writes epoch then the sorted keys, a row per epoch as it goes, and appends', async (t) => {
  kiln.setSeed(26);
  const { x, y } = await digitsSubset();
  const file = join(mkdtempSync(join(tmpdir(), 'kiln-csv-')), 'training.log');
  writeFileSync(file, 'left over\n');
  const model = compiledMlp();
  const rowsSeenAtEpochEnd: number[] = [];
  const history = await model.fit(x, y, {
    epochs: 3,
    validationSplit: 0.2,
    verbose: 0,
    callbacks: [new callbacks.CSVLogger(file), new callbacks.LambdaCallback({ onEpochEnd: () => void rowsSeenAtEpochEnd.push(readFileSync(file, 'utf8').split('\r\n').length - 2) })],
  });
  t.deepEqual(rowsSeenAtEpochEnd, [1, 2, 3], 'each row is on disk when the epoch ends');
  const lines = readFileSync(file, 'utf8').split('\r\n');
  t.is(lines.pop(), '', "lines end with \\r\\n as Python's csv module writes them");
  t.is(lines[0], 'epoch,accuracy,loss,val_accuracy,val_loss');
  lines.slice(1).forEach((line, epoch) => {
    const fields = line.split(',');
    t.is(fields[0], String(epoch));
    t.deepEqual(
      fields.slice(1).map(Number),
      ['accuracy', 'loss', 'val_accuracy', 'val_loss'].map((k) => history.history[k][epoch]),
    );
  });

  // append: rows continue the file without a second header; epochs count from initialEpoch.
  await model.fit(x, y, { epochs: 5, initialEpoch: 3, validationSplit: 0.2, verbose: 0, callbacks: [new callbacks.CSVLogger(file, { append: true })] });
  const appended = readFileSync(file, 'utf8').split('\r\n').filter(Boolean);
  t.is(appended.length, 6);
  t.deepEqual(
    appended.map((l) => l.split(',')[0]),
    ['epoch', '0', '1', '2', '3', '4'],
  );
});

test.serial('CSVLogger without validation keeps val_ columns as NA (as Keras); separator and Python number format', async (t) => {
  const { x, y } = await digitsSubset(256);
  const file = join(mkdtempSync(join(tmpdir(), 'kiln-csv-')), 'log.csv');
  const model = compiledMlp();
  await model.fit(x, y, {
    epochs: 2,
    verbose: 0,
    callbacks: [new callbacks.LearningRateScheduler(() => 1e-5), new callbacks.CSVLogger(file, { separator: ';' })],
  });
  const lines = readFileSync(file, 'utf8').split('\r\n').filter(Boolean);
  t.is(lines[0], 'epoch;accuracy;learning_rate;loss;val_accuracy;val_learning_rate;val_loss');
  const fields = lines[1].split(';');
  t.is(fields[2], '1e-05', 'numbers as Python prints them');
  t.deepEqual([fields[4], fields[5], fields[6]], ['NA', 'NA', 'NA']);
  t.throws(() => new callbacks.CSVLogger(file, { separator: ';;' }), { instanceOf: kiln.ValueError, message: /`separator`/ });
});

// --- TerminateOnNaN -------------------------------------------------------------------------

function divergingRegression() {
  kiln.setSeed(27);
  const x = kiln.random.normal([2048, 8]);
  const y = kiln.ops.sum(x, -1, true);
  const model = new kiln.Sequential([new kiln.layers.Dense(16, { inputDim: 8, activation: 'relu' }), new kiln.layers.Dense(1)]);
  model.compile({ optimizer: new kiln.optimizers.SGD({ learningRate: 1e6 }), loss: 'mse' });
  return { model, x, y };
}

test.serial('TerminateOnNaN stops a diverging run in its first epoch; without it every epoch runs', async (t) => {
  const { model, x, y } = divergingRegression();
  const { result: history, logged } = await capture(() => model.fit(x, y, { epochs: 5, verbose: 0, callbacks: [new callbacks.TerminateOnNaN()] }));
  t.is(history.history.loss.length, 1);
  t.false(Number.isFinite(history.history.loss[0]));
  t.is(logged.length, 1);
  t.regex(logged[0], /^Batch \d+: Invalid loss, terminating training$/);

  const again = divergingRegression();
  const unguarded = await again.model.fit(again.x, again.y, { epochs: 5, verbose: 0 });
  t.is(unguarded.history.loss.length, 5);

  const third = divergingRegression();
  await t.throwsAsync(third.model.fit(third.x, third.y, { epochs: 5, verbose: 0, callbacks: [new callbacks.TerminateOnNaN({ raiseError: true })] }), {
    instanceOf: kiln.RuntimeError,
    message: /NaN or Inf loss encountered at batch \d+\. Loss value: (NaN|Infinity)\. Terminating training immediately\./,
  });
});

/** Counts the batch hooks fit calls without asking for per-batch runs (as TerminateOnNaN). */
class BatchHookCounter extends callbacks.TerminateOnNaN {
  batches: number[] = [];
  onTrainBatchEnd(batch: number, logs?: kiln.callbacks.Logs) {
    this.batches.push(batch);
    super.onTrainBatchEnd(batch, logs);
  }
}

test.serial('TerminateOnNaN keeps fit in chunked mode: its check costs next to nothing', async (t) => {
  const { x, y } = await digitsSubset();
  const steps = Math.ceil(2000 / 32);
  const time = async (make: () => kiln.callbacks.Callback[]) => {
    kiln.setSeed(28);
    const model = compiledMlp();
    await model.fit(x, y, { epochs: 1, verbose: 0 }); // warm up
    const started = performance.now();
    await model.fit(x, y, { epochs: 3, verbose: 0, callbacks: make() });
    return performance.now() - started;
  };
  const counter = new BatchHookCounter();
  const plain = await time(() => []);
  const guarded = await time(() => [counter]);
  const perBatch = await time(() => [new callbacks.LambdaCallback({ onTrainBatchEnd: () => {} })]);
  t.log(`3 epochs of ${steps} batches: no callback ${plain.toFixed(0)} ms, TerminateOnNaN ${guarded.toFixed(0)} ms, a per-batch hook ${perBatch.toFixed(0)} ms`);
  t.true(counter.batches.length < 3 * steps, `hooks ran once per native run (${counter.batches.length} calls for ${3 * steps} batches)`);
  t.is(counter.batches.at(-1), steps - 1, "the last call reports the epoch's last batch");
  t.true(guarded < plain * 2 + 50, `TerminateOnNaN ${guarded} ms vs ${plain} ms`);
});

// --- LambdaCallback -------------------------------------------------------------------------

test.serial("LambdaCallback hooks run in Keras' order with Keras' arguments", async (t) => {
  const { x, y } = await digitsSubset(96);
  const model = compiledMlp();
  const calls: string[] = [];
  await model.fit(x, y, {
    epochs: 2,
    batchSize: 32,
    verbose: 0,
    callbacks: [
      new callbacks.LambdaCallback({
        onTrainBegin: () => void calls.push('train begin'),
        onEpochBegin: (epoch) => void calls.push(`epoch ${epoch} begin`),
        onTrainBatchBegin: (batch) => void calls.push(`batch ${batch} begin`),
        onTrainBatchEnd: (batch, logs) => void calls.push(`batch ${batch} end ${Object.keys(logs!).join(',')}`),
        onEpochEnd: (epoch, logs) => void calls.push(`epoch ${epoch} end ${Object.keys(logs!).join(',')}`),
        onTrainEnd: () => void calls.push('train end'),
      }),
    ],
  });
  const epoch = (e: number) => [`epoch ${e} begin`, ...[0, 1, 2].flatMap((b) => [`batch ${b} begin`, `batch ${b} end loss,accuracy`]), `epoch ${e} end loss,accuracy`];
  t.deepEqual(calls, ['train begin', ...epoch(0), ...epoch(1), 'train end']);
  t.throws(() => new callbacks.LambdaCallback({ onEpochFinish: () => {} } as never), {
    instanceOf: kiln.ValueError,
    message: /LambdaCallback: unknown option 'onEpochFinish'\. Valid options: .*'onEpochEnd'/,
  });
  t.throws(() => new callbacks.LambdaCallback({ onEpochEnd: 3 } as never), { instanceOf: kiln.ValueError, message: /`onEpochEnd` must be a function/ });
});

test.serial('only the hooks given count: an epoch-only LambdaCallback leaves fit chunked, a batch one does not', async (t) => {
  const { x, y } = await digitsSubset();
  const steps = Math.ceil(2000 / 32);
  const counted = async (lambda: kiln.callbacks.LambdaCallback) => {
    const counter = new BatchHookCounter();
    await compiledMlp().fit(x, y, { epochs: 1, verbose: 0, callbacks: [lambda, counter] });
    return counter.batches.length;
  };
  t.true((await counted(new callbacks.LambdaCallback({ onEpochEnd: () => {}, onTrainEnd: () => {} }))) < steps);
  t.is(await counted(new callbacks.LambdaCallback({ onTrainBatchBegin: () => {} })), steps);
});

test.serial('stopTraining set in a batch hook ends the epoch after that batch; onEpochEnd and onTrainEnd still run', async (t) => {
  const { x, y } = await digitsSubset(640);
  const model = compiledMlp();
  const batches: number[] = [];
  const ends: string[] = [];
  const history = await model.fit(x, y, {
    epochs: 3,
    verbose: 0,
    callbacks: [
      new callbacks.LambdaCallback({
        onTrainBatchEnd: (batch) => {
          batches.push(batch);
          if (batch === 5) model.stopTraining = true;
        },
        onEpochEnd: (epoch) => void ends.push(`epoch ${epoch}`),
        onTrainEnd: () => void ends.push('train'),
      }),
    ],
  });
  t.deepEqual(batches, [0, 1, 2, 3, 4, 5]);
  t.deepEqual(ends, ['epoch 0', 'train']);
  t.is(history.history.loss.length, 1);
});

// --- Errors ---------------------------------------------------------------------------------

test.serial('a callback that throws makes fit reject with that error, and the model still trains afterwards', async (t) => {
  kiln.setSeed(29);
  const { x, y } = await digitsSubset();
  const model = compiledMlp();
  const boom = new Error('boom from a callback');
  const failures = [
    new callbacks.LambdaCallback({
      onEpochEnd: (epoch) => {
        if (epoch === 1) throw boom;
      },
    }),
    new callbacks.LambdaCallback({
      onTrainBatchEnd: (batch) => {
        if (batch === 10) throw boom;
      },
    }),
    new callbacks.LambdaCallback({
      onEpochBegin: async () => {
        await new Promise((r) => setTimeout(r, 1));
        throw boom;
      },
    }),
    new callbacks.LambdaCallback({
      onTrainBegin: () => {
        throw boom;
      },
    }),
  ];
  for (const failing of failures) {
    const error = await t.throwsAsync(model.fit(x, y, { epochs: 3, verbose: 0, callbacks: [failing] }));
    t.is(error, boom);
  }
  const history = await model.fit(x, y, { epochs: 3, verbose: 0 });
  t.is(history.history.loss.length, 3);
  t.true(history.history.loss[2] < history.history.loss[0]);
  t.true(history.history.accuracy[2] > 0.9, `accuracy ${history.history.accuracy[2]}`);
});
