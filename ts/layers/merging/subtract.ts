import * as ops from '../../ops.js';
import type { LayerArgs, LayerInput, LayerOutput } from '../layer.js';
import { BaseMerge } from './base_merge.js';

/** The first input minus the second. */
export class Subtract extends BaseMerge {
  constructor(args: LayerArgs = {}) {
    super(args, [], 2);
  }

  protected merge(inputs: LayerInput[]): LayerOutput {
    return ops.sub(inputs[0], inputs[1]);
  }
}
