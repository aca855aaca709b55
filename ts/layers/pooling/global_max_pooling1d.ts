import { BaseGlobalPooling, type GlobalPoolingArgs } from './base_global_pooling.js';

/** The largest value of each channel over steps. */
export class GlobalMaxPooling1D extends BaseGlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) {
    super(1, 'max', args);
  }
}
