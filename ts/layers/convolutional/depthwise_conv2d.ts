import { mainArguments } from '../main_arguments.js';
import { BaseDepthwiseConv, type DepthwiseConvArgs } from './base_depthwise_conv.js';

/**
 * Depthwise 2-D convolution over images [batch, height, width, channels]: each channel
 * filtered on its own by `depthMultiplier` kernels (MobileNet, EfficientNet).
 * `new DepthwiseConv2D(3, { depthMultiplier: 2 })` or `new DepthwiseConv2D({ kernelSize: 3 })`.
 */
export class DepthwiseConv2D extends BaseDepthwiseConv {
  constructor(kernelSize: number | [number, number] | (DepthwiseConvArgs & { kernelSize: number | [number, number] }), args: DepthwiseConvArgs = {}) {
    const { main, options } = mainArguments<DepthwiseConvArgs>([kernelSize, args], ['kernelSize']);
    super(2, main[0] as number | number[], options);
  }
}
