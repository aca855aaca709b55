import { BasePooling, type PoolingArgs } from './base_pooling.js';

/** 2-D max pooling: the largest value of each window. Default pool size [2, 2], strides the pool size. */
export class MaxPooling2D extends BasePooling {
  constructor(poolSize: number | [number, number] | PoolingArgs = [2, 2], args: PoolingArgs = {}) {
    super(2, 'max', poolSize, args);
  }
}
