import { Dataset } from '../data/dataset.js';
import type { Element } from '../data/element.js';
import { ValueError } from '../errors.js';
import { Tensor, toTensor, type TensorLike } from '../tensor.js';
import { pythonShuffle } from './mersenne_twister.js';
import { drawSeed } from './seeded_random.js';

/** The options of `splitDataset` (Keras' `split_dataset`). */
export interface SplitDatasetOptions {
  /** A fraction in (0, 1) or a number of samples for the left split; default: the rest. */
  leftSize?: number;
  /** A fraction in (0, 1) or a number of samples for the right split; default: the rest. */
  rightSize?: number;
  /** Shuffle the samples before splitting. Default false. */
  shuffle?: boolean;
  /** The shuffle's seed (Python's `random.seed`, as Keras, so the same seed splits the same way). */
  seed?: number;
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Keras' `_rescale_dataset_split_sizes`: integers count samples, other numbers are fractions. */
function splitSizes(leftSize: number | undefined, rightSize: number | undefined, total: number): [number, number] {
  if (leftSize === undefined && rightSize === undefined) {
    throw new ValueError('At least one of the `leftSize` or `rightSize` must be specified. Received: leftSize=undefined and rightSize=undefined');
  }
  for (const [size, name] of [
    [leftSize, 'leftSize'],
    [rightSize, 'rightSize'],
  ] as const) {
    if (size === undefined) continue;
    if (typeof size !== 'number' || Number.isNaN(size)) throw new ValueError(`Invalid \`${name}\`: expected an integer, a float or undefined, got ${String(size)}`);
    const isCount = Number.isInteger(size);
    if ((isCount && (size <= 0 || size >= total)) || (!isCount && (size <= 0 || size >= 1))) {
      throw new ValueError(`\`${name}\` should be either a positive integer smaller than ${total}, or a float within the range \`[0, 1]\`. Received: ${name}=${size}`);
    }
  }
  if (leftSize !== undefined && rightSize !== undefined && !Number.isInteger(leftSize) && !Number.isInteger(rightSize) && leftSize + rightSize > 1) {
    throw new ValueError('The sum of `leftSize` and `rightSize` is greater than 1. It must be less than or equal to 1.');
  }
  const count = (size: number | undefined) => (size === undefined ? undefined : Number.isInteger(size) ? size : roundHalfEven(size * total));
  let left = count(leftSize);
  let right = count(rightSize);
  left ??= total - right!;
  right ??= total - left;
  if (left + right > total) {
    throw new ValueError(`The sum of \`leftSize\` and \`rightSize\` should be smaller than the ${total}. Received: leftSize + rightSize = ${left + right} and total_length = ${total}`);
  }
  for (const [split, side] of [
    [left, 'left'],
    [right, 'right'],
  ] as const) {
    if (split === 0) {
      throw new ValueError(
        `With \`dataset\` of length=${total}, \`leftSize\`=${left} and \`rightSize\`=${right}. Resulting ${side} side dataset split will be empty. Adjust any of the aforementioned parameters`,
      );
    }
  }
  return [left, right];
}

/**
 * Splits a dataset in two (Keras' `keras.utils.split_dataset`): the first `leftSize` samples
 * and the last `rightSize`, after an optional shuffle. Takes a finite Dataset (its elements are
 * split; it is read into memory), a tensor, or an array of tensors with the same first axis
 * (their rows are split). Returns `[left, right]` Datasets.
 */
export async function splitDataset(dataset: Dataset | TensorLike | TensorLike[], options: SplitDatasetOptions = {}): Promise<[Dataset, Dataset]> {
  const { leftSize, rightSize, shuffle = false } = options;
  if (dataset instanceof Dataset) {
    const elements: Element[] = await dataset.toArray();
    const [left, right] = splitIndices(elements.length, leftSize, rightSize, shuffle, options.seed);
    const fromList = (indices: number[]) => {
      const chosen = indices.map((i) => elements[i]);
      return new Dataset(async function* () {
        yield* chosen;
      }, chosen.length);
    };
    return [fromList(left), fromList(right)];
  }
  const isTuple = Array.isArray(dataset) && dataset.length > 0 && dataset.every((t) => t instanceof Tensor || ArrayBuffer.isView(t));
  const tensors = (isTuple ? (dataset as TensorLike[]) : [dataset as TensorLike]).map((t) => toTensor(t));
  const [left, right] = splitIndices(tensors[0].shape[0] ?? 0, leftSize, rightSize, shuffle, options.seed);
  const rows = (indices: number[]) => {
    const parts = tensors.map((t) => t.gather(Int32Array.from(indices)));
    return isTuple ? Dataset.fromTensors(parts) : Dataset.fromTensors(parts[0]);
  };
  return [rows(left), rows(right)];
}

function splitIndices(total: number, leftSize: number | undefined, rightSize: number | undefined, shuffle: boolean, seed: number | undefined): [number[], number[]] {
  const indices = Array.from({ length: total }, (_, i) => i);
  if (shuffle) pythonShuffle(indices, seed ?? drawSeed());
  const [left, right] = splitSizes(leftSize, rightSize, total);
  return [indices.slice(0, left), indices.slice(total - right)];
}
