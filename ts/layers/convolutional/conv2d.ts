import { BaseConv, type ConvArgs } from './base_conv.js';

/** 2-D convolution over images [batch, height, width, channels]. */
export class Conv2D extends BaseConv {
  constructor(filters: number, kernelSize: number | [number, number], args: ConvArgs = {}) {
    super(2, filters, kernelSize, args, ['groups']);
  }
}
