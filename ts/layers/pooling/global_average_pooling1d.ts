import * as ops from '../../ops.js';
import type { CallOptions, LayerInput, LayerOutput } from '../layer.js';
import { BaseGlobalPooling, type GlobalPoolingArgs } from './base_global_pooling.js';

/** The mean of each channel over steps; with a mask (Embedding({ maskZero })), over the present steps only. */
export class GlobalAveragePooling1D extends BaseGlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) {
    super(1, 'average', args);
  }

  call(inputs: LayerInput, options: CallOptions = {}): LayerOutput {
    if (options.mask === undefined) return super.call(inputs);
    // Keras: sum(x * mask) / sum(mask) over the steps.
    const mask = ops.expandDims(options.mask, -1);
    return ops.div(ops.sum(ops.mul(inputs, mask), 1, this.keepdims), ops.sum(mask, 1, this.keepdims));
  }
}
