// Turns what users pass to fit/evaluate/predict into lists of native tensors.
import { ShapeError, ValueError } from '../errors.js';
import type { Shape } from '../symbolic.js';
import { Tensor, tensor, type TensorLike } from '../tensor.js';

/** Model data: a tensor, a typed or nested array, or one of those per model input. */
export type DataLike = TensorLike | TensorLike[];

function isList(data: DataLike): data is TensorLike[] {
  return Array.isArray(data) && data.length > 0 && data.every((d) => d instanceof Tensor || ArrayBuffer.isView(d));
}

/**
 * One tensor per model input. A flat typed array is reshaped to [-1, ...sampleShape] when the
 * model's input shape is known.
 */
export function toTensorList(data: DataLike, what: string, sampleShapes?: Shape[]): Tensor[] {
  if (data === undefined || data === null) throw new ValueError(`${what} is required`);
  const items = isList(data) ? data : [data as TensorLike];
  return items.map((item, i) => {
    if (item instanceof Tensor) return item;
    const sample = sampleShapes?.[i]?.slice(1);
    if (ArrayBuffer.isView(item) && sample && sample.every((d) => d !== null)) {
      return tensor(item, [-1, ...(sample as number[])]);
    }
    return tensor(item);
  });
}

export function sampleCount(tensors: Tensor[], what: string): number {
  const n = tensors[0]?.shape[0];
  if (n === undefined) throw new ShapeError(`${what} must have a batch axis, got a scalar`);
  return n;
}

/** Keras' validationSplit: the last `fraction` of the samples, taken before shuffling. */
export function splitForValidation(tensors: Tensor[], fraction: number): [Tensor[], Tensor[]] {
  if (!(fraction > 0 && fraction < 1)) throw new ValueError(`validationSplit must be in (0, 1), got ${fraction}`);
  const n = tensors[0].shape[0];
  const splitAt = Math.floor(n * (1 - fraction));
  if (splitAt === 0 || splitAt === n) {
    throw new ValueError(`validationSplit=${fraction} leaves no samples for ${splitAt === 0 ? 'training' : 'validation'} (${n} samples)`);
  }
  const rows = (t: Tensor, begin: number, count: number) => t.slice([begin, ...t.shape.slice(1).map(() => 0)], [count, ...t.shape.slice(1).map(() => -1)]);
  return [tensors.map((t) => rows(t, 0, splitAt)), tensors.map((t) => rows(t, splitAt, n - splitAt))];
}
