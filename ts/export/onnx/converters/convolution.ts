// conv2d (Conv1D records it too, on a height of one; depthwise and separable layers record it
// with `groups`): Keras' kernel [kh, kw, in / groups, out] becomes ONNX's
// [out, in / group, kh, kw], and the input moves to channels first and back.
import type { OpConverter } from '../op_conversion.js';
import { inChannelsFirst, permutedInput, windowPads } from './layout.js';

export const convertConv2d: OpConverter = (op) => {
  const { strides, padding, dilation, groups = 1 } = op.node.spec as unknown as { strides: number[]; padding: string; dilation: number[]; groups?: number };
  const kernelShape = op.node.inputs[1].shape as number[];
  const window = kernelShape.slice(0, 2);
  const pads = windowPads(op, op.node.inputs[0].shape.slice(1, 3), window, strides, dilation, padding);
  const kernel = permutedInput(op, 1, [3, 2, 0, 1], 'oihw');
  return inChannelsFirst(op.builder, op.input(0), 4, (x) => op.builder.add('Conv', [x, kernel], { kernel_shape: window, strides, dilations: dilation, pads, group: groups }));
};
