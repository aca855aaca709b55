import { mainArguments } from '../main_arguments.js';
import { BaseSeparableConv, type SeparableConvArgs } from './base_separable_conv.js';

/**
 * Separable 1-D convolution over sequences [batch, steps, channels]: a depthwise convolution
 * then a pointwise one. `new SeparableConv1D(32, 5)` or `new SeparableConv1D({ filters: 32, kernelSize: 5 })`.
 */
export class SeparableConv1D extends BaseSeparableConv {
  constructor(filters: number | (SeparableConvArgs & { filters: number; kernelSize: number | [number] }), kernelSize?: number | [number], args: SeparableConvArgs = {}) {
    const { main, options } = mainArguments<SeparableConvArgs>([filters, kernelSize, args], ['filters', 'kernelSize']);
    super(1, main[0] as number, main[1] as number | number[], options);
  }
}
