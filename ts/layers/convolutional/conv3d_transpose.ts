import { mainArguments } from '../main_arguments.js';
import { BaseConvTranspose, type ConvTransposeArgs } from './base_conv_transpose.js';

export interface Conv3DTransposeArgs extends ConvTransposeArgs {
  /** Extra planes, rows and columns at the end of the output (each less than its stride); default null. */
  outputPadding?: number | [number, number, number] | null;
}

/**
 * Transposed 3-D convolution over volumes [batch, depth, height, width, channels]: the
 * gradient of a Conv3D with respect to its input, used to upsample volumes. The kernel has
 * Keras' shape [kd, kh, kw, filters, channels].
 */
export class Conv3DTranspose extends BaseConvTranspose {
  constructor(
    filters: number | (Conv3DTransposeArgs & { filters: number; kernelSize: number | [number, number, number] }),
    kernelSize?: number | [number, number, number],
    args: Conv3DTransposeArgs = {},
  ) {
    const { main, options } = mainArguments<Conv3DTransposeArgs>([filters, kernelSize, args], ['filters', 'kernelSize']);
    super(3, main[0] as number, main[1] as number | number[], options);
  }
}
