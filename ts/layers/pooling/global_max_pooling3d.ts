import { BaseGlobalPooling, type GlobalPoolingArgs } from './base_global_pooling.js';

/** The largest value of each channel over depth, height and width. */
export class GlobalMaxPooling3D extends BaseGlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) {
    super(3, 'max', args);
  }
}
