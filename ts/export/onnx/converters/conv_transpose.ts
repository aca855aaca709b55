// conv2d_transpose and conv3d_transpose (Conv1DTranspose records conv2d_transpose on a height
// of one): Keras' kernel [...window, filters, channels] becomes ONNX's
// [channels, filters, ...window]. The output is the full transposed convolution cropped as
// TensorFlow crops it: by the 'same' padding a convolution of the output's size would use
// (the odd cell at the end), with zeros added at the end where the output is longer.
import type { OpConverter } from '../op_conversion.js';
import { kernelToOnnx } from './convolution.js';
import { inChannelsFirst, permutedInput } from './layout.js';

export const convertConvTranspose: OpConverter<'conv2d_transpose' | 'conv3d_transpose'> = (op) => {
  const { strides, padding, dilation } = op.spec;
  const kernelShape = op.node.inputs[1].shape as number[];
  const rank = kernelShape.length;
  const window = kernelShape.slice(0, -2);
  const begin: number[] = [];
  const end: number[] = [];
  const outputPadding: number[] = [];
  window.forEach((_, k) => {
    const input = op.node.inputs[0].shape[k + 1] as number;
    const output = op.node.shape[k + 1] as number;
    const span = (window[k] - 1) * dilation[k] + 1;
    const full = (input - 1) * strides[k] + span;
    const forwardPadding = padding === 'same' ? Math.max(0, (Math.ceil(output / strides[k]) - 1) * strides[k] + span - output) : 0;
    const start = Math.floor(forwardPadding / 2);
    const rest = full - start - output;
    begin.push(start);
    end.push(Math.max(0, rest));
    outputPadding.push(Math.max(0, -rest));
  });
  const kernel = permutedInput(op, 1, kernelToOnnx(rank), 'iohw');
  return inChannelsFirst(op.builder, op.input(0), rank, (x) =>
    op.builder.add('ConvTranspose', [x, kernel], { kernel_shape: window, strides, dilations: dilation, pads: [...begin, ...end], output_padding: outputPadding }),
  );
};
