// Depthwise and separable convolution (Keras' ops.depthwise_conv, ops.separable_conv),
// channels last. A depthwise convolution is the grouped convolution with one group per input
// channel: its kernel [...window, channels, multiplier] is, value for value, the grouped
// kernel [...window, 1, channels * multiplier], so both run on the engine's one conv op.
import { ShapeError } from '../errors.js';
import { conv, type ConvOptions, type OpInput, type OpResult2, reshape } from '../ops.js';
import { describe, shapeOf, where } from './recording.js';

/** Strides, padding and dilation, as for `conv`. */
export type DepthwiseConvOptions = Omit<ConvOptions, 'groups'>;

/**
 * Depthwise convolution of x [batch, ...spatial, channels] (1 or 2 spatial axes) with a
 * kernel [...window, channels, multiplier]: output channel c * multiplier + m sees input channel c only.
 */
export function depthwiseConv<A extends OpInput, B extends OpInput>(x: A, kernel: B, options: DepthwiseConvOptions = {}): OpResult2<A, B> {
  const [xShape, kShape] = [shapeOf(x), shapeOf(kernel)];
  if ((xShape.length !== 3 && xShape.length !== 4) || kShape.length !== xShape.length || kShape.some((d) => d === null)) {
    throw new ShapeError(
      `${where()}depthwise_conv expects an input of rank 3 or 4 (channels last) and a kernel [...window, channels, multiplier] of the same rank, got ${describe(xShape)} and ${describe(kShape)}`,
    );
  }
  const k = kShape as number[];
  const [channels, multiplier] = k.slice(-2);
  const last = xShape[xShape.length - 1];
  if (last !== null && last !== channels) {
    throw new ShapeError(`${where()}depthwise_conv: the kernel expects ${channels} input channels, got an input of shape ${describe(xShape)}`);
  }
  const grouped = reshape(kernel, [...k.slice(0, -2), 1, channels * multiplier]);
  return conv(x, grouped as OpInput, { ...options, groups: channels }) as OpResult2<A, B>;
}

/**
 * Separable convolution: the depthwise convolution, then a pointwise one (kernel
 * [...ones, channels * multiplier, filters]) mixing the channels.
 */
export function separableConv<A extends OpInput>(x: A, depthwiseKernel: OpInput, pointwiseKernel: OpInput, options: DepthwiseConvOptions = {}) {
  const y = depthwiseConv(x, depthwiseKernel, options);
  return conv(y as OpInput, pointwiseKernel);
}
