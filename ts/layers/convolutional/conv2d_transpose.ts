import { mainArguments } from '../main_arguments.js';
import { BaseConvTranspose, type ConvTransposeArgs } from './base_conv_transpose.js';

export interface Conv2DTransposeArgs extends ConvTransposeArgs {
  /** Extra rows and columns at the end of the output (each less than its stride); default null. */
  outputPadding?: number | [number, number] | null;
}

/**
 * Transposed 2-D convolution (sometimes called deconvolution) over
 * images [batch, height, width, channels]: the gradient of a Conv2D with respect to its input, used
 * to upsample in decoders. The kernel has Keras' shape [kh, kw, filters, channels].
 */
export class Conv2DTranspose extends BaseConvTranspose {
  constructor(filters: number | (Conv2DTransposeArgs & { filters: number; kernelSize: number | [number, number] }), kernelSize?: number | [number, number], args: Conv2DTransposeArgs = {}) {
    const { main, options } = mainArguments<Conv2DTransposeArgs>([filters, kernelSize, args], ['filters', 'kernelSize']);
    super(2, main[0] as number, main[1] as number | number[], options);
  }
}
