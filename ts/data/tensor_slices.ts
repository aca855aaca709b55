// Rows of one tensor, or of a tuple of tensors with the same first dimension: what
// Dataset.fromTensors slices.
import { ShapeError, ValueError } from '../errors.js';
import { Tensor, tensor, toTensor, type TensorLike } from '../tensor.js';
import { type Element, rowOf, shapeText, typedArrayFor } from './element.js';

export interface TensorSlices {
  count: number;
  /** Element i: row i of each tensor. */
  row(index: number): Element;
  /** The rows at `indices`, stacked: what batching those elements gives, in one copy. */
  gather(indices: number[]): Element;
}

export function tensorSlices(tensors: TensorLike | TensorLike[]): TensorSlices {
  const isTuple = Array.isArray(tensors) && tensors.length > 0 && tensors.every((t) => t instanceof Tensor || ArrayBuffer.isView(t));
  const list = (isTuple ? (tensors as TensorLike[]) : [tensors as TensorLike]).map((t) => toTensor(t));
  if (list.length === 0) throw new ValueError('Dataset.fromTensors: expected a tensor or an array of tensors, got an empty array');
  list.forEach((t, i) => {
    if (t.rank === 0) throw new ShapeError(`Dataset.fromTensors: tensor ${i} is a scalar; it needs a first axis to slice along`);
  });
  const count = list[0].shape[0];
  list.forEach((t, i) => {
    if (t.shape[0] !== count) {
      throw new ShapeError(`Dataset.fromTensors: all tensors must have the same first dimension; tensor 0 has shape ${shapeText(list[0].shape)} but tensor ${i} has ${shapeText(t.shape)}`);
    }
  });
  // One host copy each: rows are then cut without a native call per slice.
  const hosts = list.map((t) => ({ data: t.dataSync(), shape: t.shape, dtype: t.dtype }));
  const pack = (parts: Tensor[]): Element => (isTuple ? parts : parts[0]);
  return {
    count,
    row: (index) => pack(hosts.map((h) => rowOf(h.data, h.shape, h.dtype, index))),
    gather: (indices) =>
      pack(
        hosts.map((h) => {
          const rowSize = h.shape.slice(1).reduce((a, b) => a * b, 1);
          const out = typedArrayFor(h.dtype, indices.length * rowSize);
          indices.forEach((row, i) => out.set(h.data.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize));
          return tensor(out, [indices.length, ...h.shape.slice(1)], h.dtype);
        }),
      ),
  };
}
