import { BaseGlobalPooling, type GlobalPoolingArgs } from './base_global_pooling.js';

/** The mean of each channel over steps. */
export class GlobalAveragePooling1D extends BaseGlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) {
    super(1, 'average', args);
  }
}
