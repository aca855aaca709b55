import { BasePooling, type PoolingArgs } from './base_pooling.js';

/** 1-D average pooling over sequences [batch, steps, channels]. Default pool size 2, strides the pool size. */
export class AveragePooling1D extends BasePooling {
  constructor(poolSize: number | [number] | PoolingArgs = 2, args: PoolingArgs = {}) {
    super(1, 'average', poolSize, args);
  }
}
