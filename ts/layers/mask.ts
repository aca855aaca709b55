// Keras' masks: a layer output may carry a [batch, timesteps] tensor of ones (step present) and
// zeros (padding), made by Embedding({ maskZero }) or Masking and read by the recurrent layers.
// Kept beside the tensors rather than on them, as Keras keeps `_keras_mask`.
import type { SymbolicTensor } from '../symbolic.js';
import type { Tensor } from '../tensor.js';

type AnyTensor = Tensor | SymbolicTensor;

const masks = new WeakMap<AnyTensor, AnyTensor>();

/** The mask attached to a layer's output, if any. */
export function getMask(t: AnyTensor | undefined): AnyTensor | undefined {
  return t === undefined ? undefined : masks.get(t);
}

export function setMask(t: AnyTensor, mask: AnyTensor | undefined): void {
  if (mask === undefined) masks.delete(t);
  else masks.set(t, mask);
}
