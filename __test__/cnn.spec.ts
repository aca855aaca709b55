// The seed CNN of the Keras tutorials on full Fashion-MNIST (about a minute).
import test from 'ava';
import { existsSync } from 'node:fs';
import * as kiln from 'kiln-nn';

test('the seed CNN reaches >= 0.875 on Fashion-MNIST after 2 epochs at batch 32', async (t) => {
  if (!existsSync('/usr/share/datasets/fashion-mnist') && !process.env.CI) {
    t.log('Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): skipped');
    t.pass();
    return;
  }
  kiln.setSeed(11);
  const [[xTrainRaw, yTrain], [xTestRaw, yTest]] = await kiln.datasets.fashionMnist.loadData();
  const xTrain = xTrainRaw.astype('float32').div(255).reshape([-1, 28, 28, 1]);
  const xTest = xTestRaw.astype('float32').div(255).reshape([-1, 28, 28, 1]);
  const cnn = new kiln.Sequential([
    new kiln.layers.Conv2D(32, [3, 3], { activation: 'relu', inputShape: [28, 28, 1] }),
    new kiln.layers.MaxPooling2D([2, 2]),
    new kiln.layers.Conv2D(64, [3, 3], { activation: 'relu' }),
    new kiln.layers.MaxPooling2D([2, 2]),
    new kiln.layers.Flatten(),
    new kiln.layers.Dense(128, { activation: 'relu' }),
    new kiln.layers.Dropout(0.5),
    new kiln.layers.Dense(10, { activation: 'softmax' }),
  ]);
  t.regex(
    cnn.summary(() => {}),
    /Total params: 225,034/,
  );
  cnn.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const started = performance.now();
  await cnn.fit(xTrain, yTrain, { epochs: 2, batchSize: 32, verbose: 0 });
  t.log(`2 epochs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const [, accuracy] = await cnn.evaluate(xTest, yTest, { verbose: 0 });
  t.true(accuracy >= 0.875, `test accuracy ${accuracy}`);
});
