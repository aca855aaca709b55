import { mainArguments } from '../main_arguments.js';
import { BaseConvTranspose, type ConvTransposeArgs } from './base_conv_transpose.js';

export interface Conv1DTransposeArgs extends ConvTransposeArgs {
  /** Extra steps at the end of the output (less than the stride); default null. */
  outputPadding?: number | [number] | null;
}

/**
 * Transposed 1-D convolution over sequences [batch, steps, channels]: the gradient of a
 * Conv1D with respect to its input, used to upsample sequences. The kernel has Keras' shape
 * [kernelSize, filters, channels].
 */
export class Conv1DTranspose extends BaseConvTranspose {
  constructor(filters: number | (Conv1DTransposeArgs & { filters: number; kernelSize: number | [number] }), kernelSize?: number | [number], args: Conv1DTransposeArgs = {}) {
    const { main, options } = mainArguments<Conv1DTransposeArgs>([filters, kernelSize, args], ['filters', 'kernelSize']);
    super(1, main[0] as number, main[1] as number | number[], options);
  }
}
