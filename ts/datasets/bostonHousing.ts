/**
 * The Boston housing prices (506 samples of 13 features), as `keras.datasets.boston_housing`.
 * @module
 */
import { FileFormatError, ValueError } from '../errors.js';
import { tensor } from '../tensor.js';
import { numpyShuffle } from '../utils/mersenne_twister.js';
import { locateFile, type SingleFileSource } from './cached_file.js';
import type { DatasetSplits } from './imageClassification.js';
import { numericValues, readNpzArrays } from './npz_arrays.js';
import type { LoadDataOptions } from './source.js';

/** Options of `bostonHousing.loadData`, with Keras' defaults. */
export interface BostonHousingOptions extends LoadDataOptions {
  /** The fraction of the samples kept for testing, in [0, 1). Default 0.2. */
  testSplit?: number;
  /** The shuffle's seed (numpy's RandomState, as Keras). Default 113. */
  seed?: number;
}

const BOSTON: SingleFileSource = {
  title: 'Boston housing',
  file: { name: 'boston_housing.npz', hash: 'f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5', checksumOf: 'file', maxBytes: 2 ** 20 },
};

/**
 * Loads the Boston housing prices (506 samples of 13 features, targets in thousands of
 * dollars), as `keras.datasets.boston_housing.load_data()` does: shuffled with numpy's
 * RandomState(seed), then the first `1 - testSplit` train and the rest test. Float32 tensors of
 * shapes [n, 13] and [n] (Keras returns float64).
 */
export async function loadData(options: BostonHousingOptions = {}): Promise<DatasetSplits> {
  const { testSplit = 0.2, seed = 113 } = options;
  if (typeof testSplit !== 'number' || !(testSplit >= 0 && testSplit < 1)) {
    throw new ValueError(`Invalid \`testSplit\` argument: ${testSplit}. It must be between 0 and 1 (exclusive of 1).`);
  }
  const path = await locateFile(BOSTON, options);
  const npz = await readNpzArrays(path, ['x', 'y']);
  const x = numericValues(npz.get('x')!, `${path}: x`);
  const y = numericValues(npz.get('y')!, `${path}: y`);
  if (x.shape.length !== 2 || y.shape.length !== 1 || x.shape[0] !== y.shape[0]) {
    throw new FileFormatError(`${path}: expected x of shape [n, features] and y of shape [n], got [${x.shape.join(', ')}] and [${y.shape.join(', ')}]`);
  }
  const [count, features] = x.shape;
  const order = Array.from({ length: count }, (_, i) => i);
  numpyShuffle(order, seed);
  const trainCount = Math.floor(count * (1 - testSplit));
  const rows = (indices: number[]) => {
    const out = new Float32Array(indices.length * features);
    indices.forEach((row, i) => out.set(x.values.subarray(row * features, (row + 1) * features), i * features));
    return tensor(out, [indices.length, features]);
  };
  const targets = (indices: number[]) =>
    tensor(
      Float32Array.from(indices, (row) => y.values[row]),
      [indices.length],
    );
  const train = order.slice(0, trainCount);
  const test = order.slice(trainCount);
  return [
    [rows(train), targets(train)],
    [rows(test), targets(test)],
  ];
}
