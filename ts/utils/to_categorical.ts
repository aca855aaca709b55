import { callNative, native } from '../native.js';
import { Tensor, toTensor, type TensorLike } from '../tensor.js';
import { checkInteger } from './integers.js';

/** One-hot float32 encoding of integer class labels (Keras' `to_categorical`). */
export function toCategorical(y: TensorLike, numClasses?: number): Tensor {
  if (numClasses !== undefined) checkInteger('toCategorical', 'numClasses', numClasses, { min: 1 });
  const labels = toTensor(y);
  return new Tensor(callNative(() => native.oneHot(labels.handle, numClasses)));
}
