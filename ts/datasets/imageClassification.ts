import { FileFormatError } from '../errors.js';
import { tensor, type Tensor } from '../tensor.js';
import { readIdxTensor } from './idx.js';
import { readNpz } from './npz.js';
import type { NpyArray } from './npy.js';
import { locateDataset, type DatasetSource, type LoadDataOptions } from './source.js';

/** Keras' return form: `[[xTrain, yTrain], [xTest, yTest]]`. */
export type DatasetSplits = [[Tensor, Tensor], [Tensor, Tensor]];

/** A uint8 array with its shape, before it becomes a tensor. */
interface ByteArray {
  data: Uint8Array;
  shape: number[];
}

/**
 * Loads an MNIST-like dataset (images and integer labels, train and test) from an `.npz` with
 * `x_train, y_train, x_test, y_test` or from four IDX files, as uint8 tensors.
 */
export async function loadImageClassification(source: DatasetSource, options: LoadDataOptions = {}): Promise<DatasetSplits> {
  const located = await locateDataset(source, options);
  let arrays: { shape: number[]; toTensor: () => Tensor }[];
  let names: string[];
  if (located.format === 'npz') {
    const npz = await readNpz(located.path);
    names = ['x_train', 'y_train', 'x_test', 'y_test'];
    arrays = names.map((name) => {
      const array = npz.get(name);
      if (!array) {
        throw new FileFormatError(`${located.path} has no array "${name}" (it has: ${[...npz.keys()].join(', ') || 'none'})`);
      }
      const bytes = toBytes(array, `${located.path}: ${name}`);
      return { shape: bytes.shape, toTensor: () => tensor(bytes.data, bytes.shape, 'uint8') };
    });
    names = names.map((name) => `${located.path}: ${name}`);
  } else {
    const paths = located.paths;
    names = [paths.xTrain, paths.yTrain, paths.xTest, paths.yTest];
    // Each file is inflated straight into its tensor's memory.
    const read = await Promise.all(names.map((path) => readIdxTensor(path)));
    arrays = read.map(({ tensor: t, shape }) => ({ shape, toTensor: () => t }));
  }

  const [xTrain, yTrain, xTest, yTest] = arrays;
  checkPair(xTrain, yTrain, names[0], names[1]);
  checkPair(xTest, yTest, names[2], names[3]);
  return [
    [xTrain.toTensor(), yTrain.toTensor()],
    [xTest.toTensor(), yTest.toTensor()],
  ];
}

/** Images are [n, height, width] and labels [n]. */
function checkPair(images: { shape: number[] }, labels: { shape: number[] }, imagesName: string, labelsName: string): void {
  if (images.shape.length !== 3) {
    throw new FileFormatError(`${imagesName} must hold images of shape [n, height, width], got shape [${images.shape.join(', ')}]`);
  }
  if (labels.shape.length !== 1) {
    throw new FileFormatError(`${labelsName} must hold labels of shape [n], got shape [${labels.shape.join(', ')}]`);
  }
  if (images.shape[0] !== labels.shape[0]) {
    throw new FileFormatError(`${imagesName} has ${images.shape[0]} images but ${labelsName} has ${labels.shape[0]} labels`);
  }
}

/** Keras' arrays are uint8; other integer arrays are accepted when every value fits. */
function toBytes(array: NpyArray, name: string): ByteArray {
  if (array.dtype === 'object') throw new FileFormatError(`${name} holds Python objects; expected uint8 pixels or labels`);
  if (array.dtype === 'uint8') return { data: array.data as Uint8Array, shape: array.shape };
  if (array.dtype === 'float32' || array.dtype === 'float64' || array.dtype === 'bool') {
    throw new FileFormatError(`${name} has dtype ${array.dtype}; expected uint8 (or integers in 0..255)`);
  }
  const data = new Uint8Array(array.data.length);
  for (let i = 0; i < data.length; i++) {
    const value = Number(array.data[i]);
    if (value < 0 || value > 255) {
      throw new FileFormatError(`${name} (${array.dtype}) holds ${value} at index ${i}; expected values in 0..255`);
    }
    data[i] = value;
  }
  return { data, shape: array.shape };
}
