import { mainArguments } from '../main_arguments.js';
import { BaseConv, type ConvArgs } from './base_conv.js';

/** 2-D convolution over images [batch, height, width, channels]. */
export class Conv2D extends BaseConv {
  constructor(filters: number | (ConvArgs & { filters: number; kernelSize: number | [number, number] }), kernelSize?: number | [number, number], args: ConvArgs = {}) {
    const { main, options } = mainArguments<ConvArgs>([filters, kernelSize, args], ['filters', 'kernelSize']);
    super(2, main[0] as number, main[1] as number | [number, number], options, ['groups']);
  }
}
