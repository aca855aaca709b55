import { BaseGlobalPooling, type GlobalPoolingArgs } from './base_global_pooling.js';

/** The largest value of each channel over height and width. */
export class GlobalMaxPooling2D extends BaseGlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) {
    super(2, 'max', args);
  }
}
