import * as ops from '../../ops.js';
import type { LayerInput, LayerOutput } from '../layer.js';
import { BaseMerge } from './base_merge.js';

/** The elementwise product of its inputs. */
export class Multiply extends BaseMerge {
  protected merge(inputs: LayerInput[]): LayerOutput {
    return inputs.reduce((product, x) => ops.mul(product, x) as LayerOutput);
  }
}
