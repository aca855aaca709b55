import { callNative, native } from '../native.js';
import { Tensor, toTensor, type TensorLike } from '../tensor.js';

/** One-hot float32 encoding of integer class labels (Keras' `to_categorical`). */
export function toCategorical(y: TensorLike, numClasses?: number): Tensor {
  const labels = toTensor(y);
  return new Tensor(callNative(() => native.oneHot(labels.handle, numClasses)));
}
