import * as ops from '../../ops.js';
import type { LayerInput, LayerOutput } from '../layer.js';
import { BaseMerge } from './base_merge.js';

/** The elementwise minimum of its inputs. */
export class Minimum extends BaseMerge {
  protected merge(inputs: LayerInput[]): LayerOutput {
    return inputs.reduce((m, x) => ops.minimum(m, x) as LayerOutput);
  }
}
