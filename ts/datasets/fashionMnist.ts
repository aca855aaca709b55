/**
 * Fashion-MNIST (70,000 28x28 grayscale clothing images in 10 classes), as `keras.datasets.fashion_mnist`.
 * @module
 */
import type { DatasetSource, LoadDataOptions } from './source.js';
import { loadImageClassification, type DatasetSplits } from './imageClassification.js';

/**
 * Where Fashion-MNIST is found and fetched. Checksums are of the gunzipped IDX content: Debian's
 * copy is recompressed, so only the content is the same byte for byte.
 */
const FASHION_MNIST_SOURCE: DatasetSource = {
  title: 'Fashion-MNIST',
  folder: 'fashion-mnist',
  npzName: 'fashion-mnist.npz',
  idxFiles: {
    xTrain: 'train-images-idx3-ubyte.gz',
    yTrain: 'train-labels-idx1-ubyte.gz',
    xTest: 't10k-images-idx3-ubyte.gz',
    yTest: 't10k-labels-idx1-ubyte.gz',
  },
  download: {
    folder: 'fashion-mnist',
    files: [
      {
        name: 'train-labels-idx1-ubyte.gz',
        hash: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
        checksumOf: 'gunzipped',
        maxBytes: 2 ** 20,
      },
      {
        name: 'train-images-idx3-ubyte.gz',
        hash: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
        checksumOf: 'gunzipped',
        maxBytes: 48 * 2 ** 20,
      },
      {
        name: 't10k-labels-idx1-ubyte.gz',
        hash: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
        checksumOf: 'gunzipped',
        maxBytes: 2 ** 20,
      },
      {
        name: 't10k-images-idx3-ubyte.gz',
        hash: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
        checksumOf: 'gunzipped',
        maxBytes: 16 * 2 ** 20,
      },
    ],
  },
  debianPackage: 'dataset-fashion-mnist',
};

/**
 * Loads Fashion-MNIST (Zalando's 28x28 grayscale clothing images, 10 classes), as
 * `keras.datasets.fashion_mnist.load_data()` does: `[[xTrain, yTrain], [xTest, yTest]]`, uint8
 * tensors of shapes [60000, 28, 28], [60000], [10000, 28, 28], [10000].
 *
 * Classes: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
 * 8 Bag, 9 Ankle boot.
 *
 * Looks at `options.path` (a directory with the four IDX files, gzipped or not, or an `.npz`),
 * else in `<cacheDir>/fashion-mnist/`, else in /usr/share/datasets/fashion-mnist (Debian's
 * `dataset-fashion-mnist` package), else downloads the four files into the cache and checks
 * their SHA-256.
 */
export async function loadData(options: LoadDataOptions = {}): Promise<DatasetSplits> {
  return loadImageClassification(FASHION_MNIST_SOURCE, options);
}
