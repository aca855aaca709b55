// Small pieces several keras.applications families share (Keras' imagenet_utils.correct_pad,
// mobilenet_v2._make_divisible, the normalisation most of them use).
import { BatchNormalization } from '../layers/normalization/batch_normalization.js';
import type { SymbolicTensor } from '../symbolic.js';

/** Keras' applications normalise with epsilon 1.001e-5 on the channel axis (3). */
export function batchNorm(name: string): BatchNormalization {
  return new BatchNormalization({ axis: 3, epsilon: 1.001e-5, name });
}

/** Keras' default input size: the given one when square and published, else 224. */
export function defaultSizeFor(inputShape: (number | null)[] | undefined, sizes: number[]): number {
  if (!inputShape) return 224;
  const [rows, cols] = inputShape;
  return rows === cols && rows !== null && sizes.includes(rows) ? rows : 224;
}

/** Keras' rounding of a float to the `%0.2f` its model names use. */
export function twoDecimals(alpha: number): string {
  return alpha.toFixed(2);
}

/** Keras' `_make_divisible`: `value` rounded to a multiple of `divisor`, never below 90% of it. */
export function makeDivisible(value: number, divisor: number, minValue = divisor): number {
  let rounded = Math.max(minValue, Math.trunc(value + divisor / 2) - (Math.trunc(value + divisor / 2) % divisor));
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

/** Keras' `correct_pad`: the padding before a stride-2 convolution so it covers the input as 'same' would. */
export function correctPad(x: SymbolicTensor, kernelSize: number): [[number, number], [number, number]] {
  const [rows, cols] = [x.shape[1], x.shape[2]];
  const adjust = rows === null || cols === null ? [1, 1] : [1 - (rows % 2), 1 - (cols % 2)];
  const correct = Math.floor(kernelSize / 2);
  return [
    [correct - adjust[0], correct],
    [correct - adjust[1], correct],
  ];
}
