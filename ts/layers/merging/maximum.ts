import * as ops from '../../ops.js';
import type { LayerInput, LayerOutput } from '../layer.js';
import { BaseMerge } from './base_merge.js';

/** The elementwise maximum of its inputs. */
export class Maximum extends BaseMerge {
  protected merge(inputs: LayerInput[]): LayerOutput {
    return inputs.reduce((m, x) => ops.maximum(m, x) as LayerOutput);
  }
}
