// conv2d and conv3d (Conv1D records conv2d on a height of one; depthwise and separable layers
// record it with `groups`): Keras' kernel [...window, in / groups, out] becomes ONNX's
// [out, in / group, ...window], and the input moves to channels first and back.
import type { OpConverter } from '../op_conversion.js';
import { inChannelsFirst, permutedInput, windowPads } from './layout.js';

/** Keras' kernel [...window, a, b] as ONNX's [b, a, ...window] (Conv's oi.., ConvTranspose's io..). */
export const kernelToOnnx = (rank: number) => [rank - 1, rank - 2, ...Array.from({ length: rank - 2 }, (_, i) => i)];

export const convertConv: OpConverter<'conv2d' | 'conv3d'> = (op) => {
  const { strides, padding, dilation, groups = 1 } = op.spec;
  const kernelShape = op.node.inputs[1].shape as number[];
  const rank = kernelShape.length;
  const window = kernelShape.slice(0, -2);
  const pads = windowPads(op, op.node.inputs[0].shape.slice(1, -1), window, strides, dilation, padding);
  const kernel = permutedInput(op, 1, kernelToOnnx(rank), 'oihw');
  return inChannelsFirst(op.builder, op.input(0), rank, (x) => op.builder.add('Conv', [x, kernel], { kernel_shape: window, strides, dilations: dilation, pads, group: groups }));
};
