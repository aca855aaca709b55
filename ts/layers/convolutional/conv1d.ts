import { BaseConv, type ConvArgs } from './base_conv.js';

/** 1-D convolution over sequences [batch, steps, channels]. */
export class Conv1D extends BaseConv {
  constructor(filters: number, kernelSize: number | [number], args: ConvArgs = {}) {
    super(1, filters, kernelSize, args, ['groups']);
  }
}
