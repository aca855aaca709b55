import { ValueError } from '../errors.js';
import { formatValue } from './options.js';
import { tensor, toTensor, type Tensor, type TensorLike } from '../tensor.js';

/** The vector norm numpy's `linalg.norm(x, ord)` computes for one slice. */
function vectorNorm(values: number[], order: number): number {
  if (order === Infinity) return Math.max(...values.map(Math.abs));
  if (order === -Infinity) return Math.min(...values.map(Math.abs));
  if (order === 0) return values.filter((v) => v !== 0).length;
  if (order === 2) return Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  if (order === 1) return values.reduce((sum, v) => sum + Math.abs(v), 0);
  return values.reduce((sum, v) => sum + Math.abs(v) ** order, 0) ** (1 / order);
}

/**
 * Divides `x` by its norm along `axis` (Keras' `keras.utils.normalize`): `order` 2 is the
 * Euclidean norm, 1 the sum of absolute values, `Infinity` the largest absolute value, any other
 * p `(sum |x|^p)^(1/p)`. Slices whose norm is 0 stay 0. Returns float32.
 */
export function normalize(x: TensorLike, axis = -1, order = 2): Tensor {
  const input = toTensor(x, 'float32');
  if (typeof order !== 'number' || Number.isNaN(order)) throw new ValueError(`normalize: order must be a number, got ${formatValue(order)}`);
  const rank = Math.max(1, input.rank);
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ValueError(`normalize: axis ${formatValue(axis)} is out of bounds for an array of rank ${rank}`);
  }
  const shape = input.rank === 0 ? [1] : input.shape;
  const along = typeof axis === 'number' && axis < 0 ? axis + rank : axis;
  const length = shape[along];
  const inner = shape.slice(along + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, along).reduce((a, b) => a * b, 1);
  const values = input.dataSync();
  const out = new Float32Array(values.length);
  const slice: number[] = new Array(length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * length * inner + i;
      for (let k = 0; k < length; k++) slice[k] = values[base + k * inner];
      const norm = vectorNorm(slice, order) || 1;
      for (let k = 0; k < length; k++) out[base + k * inner] = slice[k] / norm;
    }
  }
  return tensor(out, shape);
}
