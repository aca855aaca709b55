/**
 * CIFAR-10 (60,000 32x32 colour images in 10 classes), as `keras.datasets.cifar10`.
 * @module
 */
import { loadCifar, type CifarLayout } from './cifar.js';
import type { DatasetSplits } from './imageClassification.js';
import type { LoadDataOptions } from './source.js';

const CIFAR10: CifarLayout = {
  source: {
    title: 'CIFAR-10',
    file: {
      name: 'cifar-10-python.tar.gz',
      hash: '6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce',
      checksumOf: 'file',
      maxBytes: 200 * 2 ** 20,
      origin: 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz',
    },
    pathAlternative: 'or the extracted cifar-10-batches-py directory',
  },
  folder: 'cifar-10-batches-py',
  train: ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'],
  test: ['test_batch'],
  labelKey: 'labels',
  labelDtype: 'uint8',
};

/**
 * Loads CIFAR-10 (60,000 32x32 colour images in 10 classes), as
 * `keras.datasets.cifar10.load_data()` does: `[[xTrain, yTrain], [xTest, yTest]]`, uint8 tensors
 * of shapes [50000, 32, 32, 3], [50000, 1], [10000, 32, 32, 3], [10000, 1].
 *
 * Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.
 *
 * Reads `cifar-10-python.tar.gz` (the "python version" archive Keras downloads) from
 * `options.path` (the archive, or the extracted directory), else from the cache after checking
 * its SHA-256, else downloads it into the cache.
 */
export async function loadData(options: LoadDataOptions = {}): Promise<DatasetSplits> {
  return loadCifar(CIFAR10, options);
}
