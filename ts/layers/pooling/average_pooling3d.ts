import { mainArguments } from '../main_arguments.js';
import { BasePooling, type PoolingArgs } from './base_pooling.js';

/**
 * 3-D average pooling: the mean of each box ('same' averages over the cells inside the input).
 * Default pool size [2, 2, 2], strides the pool size.
 */
export class AveragePooling3D extends BasePooling {
  constructor(poolSize: number | [number, number, number] | (PoolingArgs & { poolSize?: number | [number, number, number] }) = [2, 2, 2], args: PoolingArgs = {}) {
    const { main, options } = mainArguments<PoolingArgs>([poolSize, args], ['poolSize']);
    super(3, 'average', (main[0] as number | number[] | undefined) ?? [2, 2, 2], options);
  }
}
