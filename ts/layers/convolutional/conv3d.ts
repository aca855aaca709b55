import { mainArguments } from '../main_arguments.js';
import { BaseConv, type ConvArgs } from './base_conv.js';

/**
 * 3-D convolution over volumes [batch, depth, height, width, channels] (video, medical scans).
 * `new Conv3D(8, 3, { padding: 'same' })` or `new Conv3D({ filters: 8, kernelSize: 3 })`.
 */
export class Conv3D extends BaseConv {
  constructor(filters: number | (ConvArgs & { filters: number; kernelSize: number | [number, number, number] }), kernelSize?: number | [number, number, number], args: ConvArgs = {}) {
    const { main, options } = mainArguments<ConvArgs>([filters, kernelSize, args], ['filters', 'kernelSize']);
    super(3, main[0] as number, main[1] as number | number[], options, ['groups']);
  }
}
