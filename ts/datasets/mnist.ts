/**
 * MNIST (70,000 28x28 grayscale handwritten digits), as `keras.datasets.mnist`.
 * @module
 */
import type { DatasetSource, LoadDataOptions } from './source.js';
import { loadImageClassification, type DatasetSplits } from './imageClassification.js';

/** Where MNIST is found and fetched: Keras' `mnist.npz`, or LeCun's four IDX files. */
const MNIST_SOURCE: DatasetSource = {
  title: 'MNIST',
  folder: 'mnist',
  npzName: 'mnist.npz',
  idxFiles: {
    xTrain: 'train-images-idx3-ubyte.gz',
    yTrain: 'train-labels-idx1-ubyte.gz',
    xTest: 't10k-images-idx3-ubyte.gz',
    yTest: 't10k-labels-idx1-ubyte.gz',
  },
  // Keras keeps mnist.npz directly in its datasets cache; so does kiln.
  download: {
    folder: '',
    files: [
      {
        name: 'mnist.npz',
        hash: '731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1',
        checksumOf: 'file',
        maxBytes: 16 * 2 ** 20,
      },
    ],
  },
};

/**
 * Loads the MNIST handwritten digits, as `keras.datasets.mnist.load_data()` does:
 * `[[xTrain, yTrain], [xTest, yTest]]`, uint8 tensors of shapes [60000, 28, 28], [60000],
 * [10000, 28, 28], [10000]; pixels 0..255, labels 0..9.
 *
 * Looks for `mnist.npz` (Keras' file: `x_train, y_train, x_test, y_test`) or the four IDX files
 * at `options.path`, else in the cache (`<cacheDir>/mnist.npz` or `<cacheDir>/mnist/`), else
 * downloads `mnist.npz` into the cache and checks its SHA-256.
 */
export async function loadData(options: LoadDataOptions = {}): Promise<DatasetSplits> {
  return loadImageClassification(MNIST_SOURCE, options);
}
