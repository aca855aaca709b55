import { mainArguments } from '../main_arguments.js';
import { BaseDepthwiseConv, type DepthwiseConvArgs } from './base_depthwise_conv.js';

/**
 * Depthwise 1-D convolution over sequences [batch, steps, channels]: each channel filtered on
 * its own by `depthMultiplier` kernels.
 * `new DepthwiseConv1D(3, { depthMultiplier: 2 })` or `new DepthwiseConv1D({ kernelSize: 3 })`.
 */
export class DepthwiseConv1D extends BaseDepthwiseConv {
  constructor(kernelSize: number | [number] | (DepthwiseConvArgs & { kernelSize: number | [number] }), args: DepthwiseConvArgs = {}) {
    const { main, options } = mainArguments<DepthwiseConvArgs>([kernelSize, args], ['kernelSize']);
    super(1, main[0] as number | number[], options);
  }
}
