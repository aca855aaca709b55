// Keras' unpack_x_y_sample_weight for what a Dataset yields: `x`, `[x]`, `[x, y]` or
// `[x, y, sampleWeight]`, where x and y may be tuples (several inputs or outputs).
import type { Element } from '../../data/element.js';
import { ValueError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import type { DataLike } from '../../models/data_adapter.js';

export interface UnpackedBatch {
  x: DataLike;
  y?: DataLike;
  sampleWeight?: Tensor;
}

/** Splits batch `index` into inputs, targets and sample weights; `what` names the caller in errors. */
export function unpackBatch(batch: Element, index: number, what: string, inputCount: number, needsTargets: boolean): UnpackedBatch {
  if (batch instanceof Tensor) {
    if (needsTargets) throw new ValueError(`${what}: the dataset must yield (x, y) batches, but batch ${index} is a single tensor (shape [${batch.shape.join(', ')}])`);
    return { x: batch };
  }
  // A tuple of plain tensors with one per model input is the inputs alone (predict on multi-input models).
  if (!needsTargets && inputCount > 1 && batch.length === inputCount && batch.every((part) => part instanceof Tensor)) {
    return { x: batch as Tensor[] };
  }
  if (batch.length > 3 || (needsTargets && batch.length < 2)) {
    throw new ValueError(`${what}: the dataset must yield (x, y) or (x, y, sampleWeight) batches, but batch ${index} has ${batch.length} component(s)`);
  }
  const asData = (part: Element): DataLike =>
    part instanceof Tensor
      ? part
      : part.map((p, k) => {
          if (!(p instanceof Tensor)) throw new ValueError(`${what}: batch ${index}: component ${k} is nested too deeply`);
          return p;
        });
  const weights = batch[2];
  if (weights !== undefined && !(weights instanceof Tensor)) {
    throw new ValueError(`${what}: batch ${index}: the sample weights (component 2) must be one tensor, got a tuple of ${weights.length}`);
  }
  return { x: asData(batch[0]), y: batch.length > 1 ? asData(batch[1]) : undefined, sampleWeight: weights };
}
