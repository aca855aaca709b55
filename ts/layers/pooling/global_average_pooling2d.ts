import { BaseGlobalPooling, type GlobalPoolingArgs } from './base_global_pooling.js';

/** The mean of each channel over height and width. */
export class GlobalAveragePooling2D extends BaseGlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) {
    super(2, 'average', args);
  }
}
