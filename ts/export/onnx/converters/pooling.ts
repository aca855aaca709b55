// pool2d (the 1-D pooling layers record it on a height of one), channels first in ONNX.
// ONNX's AveragePool leaves padding out of the average by default, as Keras' 'same' does.
import type { OpConverter } from '../op_conversion.js';
import { inChannelsFirst, windowPads } from './layout.js';

export const convertPool2d: OpConverter<'pool2d'> = (op) => {
  const { function: fn, pool, strides, padding } = op.spec;
  const pads = windowPads(op, op.node.inputs[0].shape.slice(1, 3), pool, strides, [1, 1], padding);
  const opType = fn === 'max' ? 'MaxPool' : 'AveragePool';
  return inChannelsFirst(op.builder, op.input(0), 4, (x) => op.builder.add(opType, [x], { kernel_shape: pool, strides, pads }));
};
