import { mainArguments } from '../main_arguments.js';
import { BaseConv, type ConvArgs } from './base_conv.js';

/** 1-D convolution over sequences [batch, steps, channels]. */
export class Conv1D extends BaseConv {
  constructor(filters: number | (ConvArgs & { filters: number; kernelSize: number | [number] }), kernelSize?: number | [number], args: ConvArgs = {}) {
    const { main, options } = mainArguments<ConvArgs>([filters, kernelSize, args], ['filters', 'kernelSize']);
    super(1, main[0] as number, main[1] as number | [number], options, ['groups']);
  }
}
