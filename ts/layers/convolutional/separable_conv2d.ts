import { mainArguments } from '../main_arguments.js';
import { BaseSeparableConv, type SeparableConvArgs } from './base_separable_conv.js';

/**
 * Separable 2-D convolution over images [batch, height, width, channels]: a depthwise
 * convolution then a 1 x 1 one (Xception, keras.io's image classification from scratch).
 * `new SeparableConv2D(64, 3, { padding: 'same' })` or `new SeparableConv2D({ filters: 64, kernelSize: 3 })`.
 */
export class SeparableConv2D extends BaseSeparableConv {
  constructor(filters: number | (SeparableConvArgs & { filters: number; kernelSize: number | [number, number] }), kernelSize?: number | [number, number], args: SeparableConvArgs = {}) {
    const { main, options } = mainArguments<SeparableConvArgs>([filters, kernelSize, args], ['filters', 'kernelSize']);
    super(2, main[0] as number, main[1] as number | number[], options);
  }
}
