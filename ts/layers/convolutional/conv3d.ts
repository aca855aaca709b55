import { BaseConv, type ConvArgs } from './base_conv.js';

/** 3-D convolution over volumes [batch, depth, height, width, channels] (video, medical scans). */
export class Conv3D extends BaseConv {
  constructor(filters: number, kernelSize: number | [number, number, number], args: ConvArgs = {}) {
    super(3, filters, kernelSize, args, ['groups']);
  }
}
