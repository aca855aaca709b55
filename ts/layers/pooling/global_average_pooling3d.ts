import { BaseGlobalPooling, type GlobalPoolingArgs } from './base_global_pooling.js';

/** The mean of each channel over depth, height and width. */
export class GlobalAveragePooling3D extends BaseGlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) {
    super(3, 'average', args);
  }
}
