import * as ops from '../../ops.js';
import type { LayerInput, LayerOutput } from '../layer.js';
import { BaseMerge } from './base_merge.js';

/** The elementwise mean of its inputs. */
export class Average extends BaseMerge {
  protected merge(inputs: LayerInput[]): LayerOutput {
    return ops.div(
      inputs.reduce((sum, x) => ops.add(sum, x) as LayerOutput),
      inputs.length,
    );
  }
}
