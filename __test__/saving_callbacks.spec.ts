// ModelCheckpoint and BackupAndRestore: the files they write during fit, and resuming an
// interrupted fit.
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from 'kiln-nn';

const directory = mkdtempSync(join(tmpdir(), 'kiln-checkpoints-'));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

function regression(seed: number) {
  kiln.setSeed(seed);
  const model = new kiln.Sequential([new kiln.layers.Dense(8, { activation: 'tanh', inputShape: [4] }), new kiln.layers.Dense(1)]);
  model.compile({ optimizer: new kiln.optimizers.Adam({ learningRate: 0.05 }), loss: 'mse' });
  kiln.setSeed(100);
  const x = kiln.random.uniform([32, 4]);
  const y = x
    .slice([0, 0], [32, 1])
    .mul(2)
    .sub(x.slice([0, 1], [32, 1]));
  return { model, x, y };
}

const values = (m: kiln.Model) => m.getWeights().map((w) => Array.from(w.dataSync()));

test('ModelCheckpoint fills the path template from the epoch and the logs, and the files load', async (t) => {
  const folder = join(directory, 'templated');
  const { model, x, y } = regression(1);
  const checkpoint = new kiln.callbacks.ModelCheckpoint(join(folder, 'ckpt-{epoch:02d}-{val_loss:.2f}.keras'));
  const history = await model.fit(x, y, { epochs: 3, batchSize: 8, validationData: [x, y], verbose: 0, callbacks: [checkpoint] });
  const expected = history.history.val_loss.map((v, i) => `ckpt-0${i + 1}-${v.toFixed(2)}.keras`);
  t.deepEqual(readdirSync(folder).sort(), expected.sort());
  const last = await kiln.models.loadModel(join(folder, expected[2]));
  t.deepEqual(values(last), values(model));
  t.deepEqual(Array.from((await last.predict(x)).dataSync()), Array.from((await model.predict(x)).dataSync()));
});

test('ModelCheckpoint with saveBestOnly keeps the weights of the best epoch by the monitored value', async (t) => {
  const file = join(directory, 'best.weights.h5');
  const { model, x, y } = regression(2);
  const perEpoch: number[][][] = [];
  const record = new kiln.callbacks.LambdaCallback({ onEpochEnd: () => void perEpoch.push(values(model)) });
  // 'max' on a falling loss: the first epoch stays the best, later ones are not saved.
  const checkpoint = new kiln.callbacks.ModelCheckpoint(file, { monitor: 'loss', mode: 'max', saveBestOnly: true, saveWeightsOnly: true });
  const history = await model.fit(x, y, { epochs: 4, batchSize: 8, verbose: 0, callbacks: [checkpoint, record] });
  const losses = history.history.loss;
  const best = losses.indexOf(Math.max(...losses));
  t.true(best < 3, `the loss falls, so the best by 'max' is not the last epoch (losses ${losses})`);
  const restored = regression(3).model;
  await restored.loadWeights(file);
  t.deepEqual(values(restored), perEpoch[best]);
  t.notDeepEqual(values(restored), perEpoch[3]);
  t.is(checkpoint.best, losses[best]);
});

test('ModelCheckpoint refuses a path it cannot write before the first epoch', async (t) => {
  const blocker = join(directory, 'a-file');
  writeFileSync(blocker, 'not a directory');
  const { model, x, y } = regression(4);
  const before = values(model);
  const epochs: number[] = [];
  const watcher = new kiln.callbacks.LambdaCallback({ onEpochBegin: (epoch) => void epochs.push(epoch) });
  const checkpoint = new kiln.callbacks.ModelCheckpoint(join(blocker, 'ckpt-{epoch}.keras'));
  await t.throwsAsync(model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [checkpoint, watcher] }), { instanceOf: kiln.FileFormatError, message: /ModelCheckpoint: cannot write to/ });
  t.deepEqual(epochs, [], 'no epoch started');
  t.deepEqual(values(model), before, 'no weight changed');
  t.throws(() => new kiln.callbacks.ModelCheckpoint(join(directory, 'w.h5'), { saveWeightsOnly: true }), { instanceOf: kiln.ValueError, message: /must end in `\.weights\.h5`/ });
  t.throws(() => new kiln.callbacks.ModelCheckpoint(join(directory, 'model.bin')), { instanceOf: kiln.ValueError, message: /must end in `\.keras`/ });
});

test('BackupAndRestore resumes an interrupted fit at the right epoch with the same final weights', async (t) => {
  const backupDir = join(directory, 'backup');
  const fit = (model: kiln.Model, x: kiln.Tensor, y: kiln.Tensor, callbacks: kiln.callbacks.Callback[]) => model.fit(x, y, { epochs: 5, batchSize: 8, shuffle: false, verbose: 0, callbacks });

  const uninterrupted = regression(5);
  await fit(uninterrupted.model, uninterrupted.x, uninterrupted.y, []);

  // The same run, killed at the end of its third epoch (after the backup of that epoch).
  const first = regression(5);
  const crash = new kiln.callbacks.LambdaCallback({
    onEpochEnd: (epoch) => {
      if (epoch === 2) throw new Error('power cut');
    },
  });
  await t.throwsAsync(fit(first.model, first.x, first.y, [new kiln.callbacks.BackupAndRestore(backupDir), crash]), { message: /power cut/ });
  t.true(existsSync(join(backupDir, 'latest.weights.h5')));

  // A new process: a freshly made model (other initial weights) picks the run up at epoch 4.
  const second = regression(6);
  const epochs: number[] = [];
  const watcher = new kiln.callbacks.LambdaCallback({ onEpochBegin: (epoch) => void epochs.push(epoch) });
  const history = await fit(second.model, second.x, second.y, [new kiln.callbacks.BackupAndRestore(backupDir), watcher]);
  t.deepEqual(epochs, [3, 4]);
  t.is(history.history.loss.length, 2);
  t.is(second.model.optimizer!.iterations, uninterrupted.model.optimizer!.iterations);
  t.deepEqual(values(second.model), values(uninterrupted.model));
  t.false(existsSync(backupDir), 'the backup is removed once training finishes');
});
