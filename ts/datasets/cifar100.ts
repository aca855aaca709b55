/**
 * CIFAR-100 (60,000 32x32 colour images in 100 classes), as `keras.datasets.cifar100`.
 * @module
 */
import { ValueError } from '../errors.js';
import { loadCifar } from './cifar.js';
import type { DatasetSplits } from './imageClassification.js';
import type { LoadDataOptions } from './source.js';

export interface Cifar100Options extends LoadDataOptions {
  /** 'fine' (default): the 100 classes; 'coarse': the 20 superclasses. */
  labelMode?: 'fine' | 'coarse';
}

/**
 * Loads CIFAR-100 (60,000 32x32 colour images in 100 classes grouped in 20 superclasses), as
 * `keras.datasets.cifar100.load_data(label_mode)` does: uint8 images of shapes [50000, 32, 32, 3]
 * and [10000, 32, 32, 3], int32 labels (Keras: int64) of shapes [50000, 1] and [10000, 1].
 *
 * Reads `cifar-100-python.tar.gz` from `options.path` (the archive, or the extracted
 * directory), else from the cache after checking its SHA-256, else downloads it into the cache.
 */
export async function loadData(options: Cifar100Options = {}): Promise<DatasetSplits> {
  const labelMode = options.labelMode ?? 'fine';
  if (labelMode !== 'fine' && labelMode !== 'coarse') {
    throw new ValueError(`\`labelMode\` must be one of "fine", "coarse". Received: labelMode=${String(labelMode)}.`);
  }
  return loadCifar(
    {
      source: {
        title: 'CIFAR-100',
        file: {
          name: 'cifar-100-python.tar.gz',
          hash: '85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7',
          checksumOf: 'file',
          maxBytes: 200 * 2 ** 20,
          origin: 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz',
        },
        pathAlternative: 'or the extracted cifar-100-python directory',
      },
      folder: 'cifar-100-python',
      train: ['train'],
      test: ['test'],
      labelKey: `${labelMode}_labels`,
      labelDtype: 'int32',
    },
    options,
  );
}
