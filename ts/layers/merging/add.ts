import * as ops from '../../ops.js';
import type { LayerInput, LayerOutput } from '../layer.js';
import { BaseMerge } from './base_merge.js';

/** The elementwise sum of its inputs. */
export class Add extends BaseMerge {
  protected merge(inputs: LayerInput[]): LayerOutput {
    return inputs.reduce((sum, x) => ops.add(sum, x) as LayerOutput);
  }
}
