// Turns what users pass to fit/evaluate/predict into lists of native tensors.
import { ShapeError, ValueError } from '../errors.js';
import type { Shape } from '../symbolic.js';
import { Tensor, tensor, type TensorLike } from '../tensor.js';

/**
 * Model data: a tensor, a typed or nested array, or one of those per model input (or output):
 * a list in order, or an object keyed by Input name (or output layer name).
 */
export type DataLike = TensorLike | TensorLike[] | { [name: string]: TensorLike };

export function isKeyed(data: DataLike): data is { [name: string]: TensorLike } {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && Object.getPrototypeOf(data) === Object.prototype;
}

/** The entries of name-keyed data in the model's order, as Keras matches them. */
export function byName(data: { [name: string]: TensorLike }, names: string[] | undefined, what: string): TensorLike[] {
  const keys = Object.keys(data);
  const list = (xs: string[]) => `[${xs.map((k) => `'${k}'`).join(', ')}]`;
  if (!names) throw new ValueError(`${what}: name-keyed data needs a built model (its inputs and outputs name the keys)`);
  const missing = names.filter((n) => !keys.includes(n));
  const unknown = keys.filter((k) => !names.includes(k));
  if (missing.length > 0 || unknown.length > 0) {
    throw new ValueError(
      `${what}: the data dictionary has keys ${list(keys)}, but the model expects the keys ${list(names)}${missing.length > 0 ? ` (missing ${list(missing)})` : ''}${unknown.length > 0 ? ` (unknown ${list(unknown)})` : ''}`,
    );
  }
  return names.map((n) => data[n]);
}

function isList(data: DataLike): data is TensorLike[] {
  return Array.isArray(data) && data.length > 0 && data.every((d) => d instanceof Tensor || ArrayBuffer.isView(d));
}

/**
 * One tensor per model input (or output, for targets), in the order of `names` for name-keyed
 * data. A flat typed array is reshaped to [-1, ...sampleShape] when the
 * model's input shape is known.
 */
export function toTensorList(data: DataLike, what: string, sampleShapes?: Shape[], names?: string[]): Tensor[] {
  if (data === undefined || data === null) throw new ValueError(`${what} is required`);
  const items = isKeyed(data) ? byName(data, names, what) : isList(data) ? data : [data as TensorLike];
  return items.map((item, i) => {
    if (item instanceof Tensor) return item;
    const sample = sampleShapes?.[i]?.slice(1);
    if (ArrayBuffer.isView(item) && sample?.every((d) => d !== null)) {
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
